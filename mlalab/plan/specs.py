"""A model the lab builds, typed by where it comes from (torch-free: the plan reads these; the torch-side builders
in mlalab.measure.models dispatch on the type).

The spelling in the config, the rules' params and the records stays a plain dict with a `source` key
({"source": "torchvision", "name": "resnet18", "image_size": 224}); `model_spec` reads one and `as_dict` writes
it back unchanged. What differs between the kinds is said here once, as class attributes and methods, so no
caller branches on `source`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class ModelSpec:
    source: ClassVar[str]
    # What a latency or ONNX job asks a cluster (a local run ignores it): about three times the peak RSS measured
    # in the full default build (MNIST models 0.6 GB, ResNet18 1.5 GB, BERT-base 2.1 GB timing and 2.5 GB
    # exporting), room for larger models of the same kind; raise it in the profile's set-resources.
    resources: ClassVar[dict]
    reads_mnist: ClassVar[bool] = False   # timed on the MNIST test images (and their whole-set pass)
    input_name: ClassVar[str] = "image"   # the ONNX graph's input

    def as_dict(self) -> dict:
        """The dict spelling (config, rule params, profile records): None fields are left out."""
        return {"source": self.source,
                **{f.name: v for f in dataclasses.fields(self) if (v := getattr(self, f.name)) is not None}}

    def id_fields(self) -> dict:
        """The input size (and attention kernel) a latency record names beside its model id."""
        return {k: v for k, v in self.as_dict().items() if k in ("image_size", "seq_len", "attn_implementation")}

    def size_fields(self) -> dict:
        return {k: v for k, v in self.id_fields().items() if k != "attn_implementation"}

    @property
    def tokens_per_sample(self) -> int | None:
        """Tokens in one input (a sequence model's seq_len): a throughput in tokens/s is this times samples/s."""
        return None

    def for_counting(self) -> ModelSpec:
        """The same model as counted, traced and exported: attention as explicit GEMMs (see TransformersSpec)."""
        return self


@dataclass(frozen=True)
class MnistSpec(ModelSpec):
    """The lab's MNIST MLPs and CNNs: `kind` mlp|cnn, `model` the architecture keys of mlalab.measure.models."""
    kind: str
    model: dict
    source: ClassVar[str] = "mnist"
    resources: ClassVar[dict] = {"mem_mb": 2000, "runtime": 30}
    reads_mnist: ClassVar[bool] = True


@dataclass(frozen=True)
class TorchvisionSpec(ModelSpec):
    """Any torchvision classification builder by name (torchvision.models.get_model), weights=None."""
    name: str
    image_size: int
    source: ClassVar[str] = "torchvision"
    resources: ClassVar[dict] = {"mem_mb": 4000, "runtime": 60}


@dataclass(frozen=True)
class TransformersSpec(ModelSpec):
    """Any transformers config class's bare model (BertConfig -> BertModel, GPT2Config -> GPT2Model) via
    AutoModel.from_config, random weights; `config`: overrides of the config's defaults."""
    name: str
    seq_len: int
    config: dict | None = None
    attn_implementation: str | None = None
    source: ClassVar[str] = "transformers"
    resources: ClassVar[dict] = {"mem_mb": 8000, "runtime": 90}
    input_name: ClassVar[str] = "input_ids"

    @property
    def tokens_per_sample(self) -> int:
        return self.seq_len

    def for_counting(self) -> TransformersSpec:
        # fused attention (sdpa) hides its GEMMs from the counters, the GEMM trace and the ONNX graph
        return dataclasses.replace(self, attn_implementation="eager")


KINDS: dict[str, type[ModelSpec]] = {k.source: k for k in (MnistSpec, TorchvisionSpec, TransformersSpec)}
_CASTS = {"image_size": int, "seq_len": int, "config": lambda c: dict(c) if c else None,
          "attn_implementation": lambda a: a or None}


def model_spec(spec: dict | ModelSpec) -> ModelSpec:
    """The typed spec of a dict (a config entry's extra keys, such as batch_sizes, are ignored)."""
    if isinstance(spec, ModelSpec):
        return spec
    kind = KINDS.get(spec.get("source"))
    if kind is None:
        raise ValueError(f"model spec {spec!r}: unknown source {spec.get('source')!r}; known: {sorted(KINDS)}")
    fields = {f.name: _CASTS.get(f.name, lambda v: v)(spec[f.name]) for f in dataclasses.fields(kind)
              if f.name in spec}
    return kind(**fields)
