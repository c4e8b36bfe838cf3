"""Every model the lab measures, built from its typed spec (mlalab.plan.specs: MnistSpec, TorchvisionSpec,
TransformersSpec; random weights, nothing is downloaded), and its inputs: build() and example_batch() dispatch
on the spec's type, so a new kind of model is one spec class and one entry in each table below.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from mlalab.plan.specs import MnistSpec, ModelSpec, TorchvisionSpec, TransformersSpec, model_spec

INPUT_SHAPE = (1, 28, 28)
NUM_CLASSES = 10


def build_mlp(hidden: list[int], batchnorm: bool = False) -> nn.Sequential:
    layers: dict[str, nn.Module] = {"flatten": nn.Flatten()}
    width = INPUT_SHAPE[0] * INPUT_SHAPE[1] * INPUT_SHAPE[2]
    for i, h in enumerate(hidden, 1):
        layers[f"fc{i}"] = nn.Linear(width, h)
        if batchnorm:
            layers[f"bn{i}"] = nn.BatchNorm1d(h)
        layers[f"relu{i}"] = nn.ReLU()
        width = h
    layers["fc_out"] = nn.Linear(width, NUM_CLASSES)
    return nn.Sequential(OrderedDict(layers))


def build_cnn(channels: list[int], kernel: int = 3, fc: int = 128) -> nn.Sequential:
    if kernel % 2 == 0:
        raise ValueError(f"cnn kernel must be odd for 'same' padding, got kernel={kernel}")
    layers: dict[str, nn.Module] = {}
    c_in, side = INPUT_SHAPE[0], INPUT_SHAPE[1]
    for i, c_out in enumerate(channels, 1):
        layers[f"conv{i}"] = nn.Conv2d(c_in, c_out, kernel, padding=kernel // 2)
        layers[f"relu{i}"] = nn.ReLU()
        layers[f"pool{i}"] = nn.MaxPool2d(2)
        c_in, side = c_out, side // 2
    if side < 1:
        raise ValueError(f"cnn with {len(channels)} pooled conv layers shrinks a 28x28 input below 1x1")
    layers["flatten"] = nn.Flatten()
    layers["fc1"] = nn.Linear(c_in * side * side, fc)
    layers["relu_fc1"] = nn.ReLU()
    layers["fc_out"] = nn.Linear(fc, NUM_CLASSES)
    return nn.Sequential(OrderedDict(layers))


BUILDERS = {"mlp": build_mlp, "cnn": build_cnn}


def build_model(kind: str, model: dict) -> nn.Sequential:
    """`model` holds only architecture keys (`label` and the like are dropped by the caller)."""
    try:
        builder = BUILDERS[kind]
    except KeyError:
        raise ValueError(f"unknown model kind {kind!r}; known: {sorted(BUILDERS)}") from None
    return builder(**model)


def example_input(batch: int, device: str | torch.device = "cpu", dtype=torch.float32) -> torch.Tensor:
    return torch.randn(batch, *INPUT_SHAPE, device=device, dtype=dtype)


# ---- Part 3: ResNet18 and BERT-base, built from their configs -------------------------------------------
RESNET18 = "resnet18"
BERT = "bert-base"


def build_resnet18(seed: int = 0) -> nn.Module:
    return build_torchvision(RESNET18, seed)


def build_bert(attn_implementation: str = "sdpa", seed: int = 0) -> nn.Module:
    """BERT-base (`BertConfig()` defaults: 12 layers, d_model 768, 12 heads, FFN 3072) as a bare `BertModel`:
    embeddings + encoder + the default pooler (dense+tanh on [CLS]); no task head."""
    return build_transformer("BertConfig", {}, attn_implementation, seed)


def build_torchvision(name: str, seed: int = 0) -> nn.Module:
    """Any torchvision classification builder by name, random weights (weights=None: nothing downloaded)."""
    import torchvision

    torch.manual_seed(seed)
    return torchvision.models.get_model(name, weights=None).eval()


def build_transformer(config_class: str, overrides: dict | None = None, attn_implementation: str | None = None,
                      seed: int = 0) -> nn.Module:
    """The bare model of a transformers config class (`GPT2Config` -> GPT2Model, via AutoModel.from_config:
    random weights, never from_pretrained), the config's defaults overridden by `overrides`. No KV cache:
    the lab times one forward of a whole sequence."""
    import transformers

    cls = getattr(transformers, config_class, None)
    if cls is None or not isinstance(cls, type) or not issubclass(cls, transformers.PretrainedConfig):
        raise ValueError(f"transformers has no config class {config_class!r}")
    cfg = cls(**(overrides or {}))
    if hasattr(cfg, "use_cache"):
        cfg.use_cache = False
    kwargs = {"attn_implementation": attn_implementation} if attn_implementation else {}
    torch.manual_seed(seed)
    model = transformers.AutoModel.from_config(cfg, **kwargs)
    got = model.config._attn_implementation
    if attn_implementation and got != attn_implementation:
        raise RuntimeError(f"asked for attn_implementation={attn_implementation!r}, transformers gave {got!r}")
    return model.eval()


def image_batch(batch_size: int, image_size: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch_size, 3, image_size, image_size, generator=g)


def token_batch(batch_size: int, seq_len: int, vocab_size: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, vocab_size, (batch_size, seq_len), generator=g)


def bert_config_record(model: nn.Module) -> dict:
    """Architecture numbers read from the model's own config (not restated by hand)."""
    c = model.config
    return {
        "model": BERT,
        "class": type(model).__name__,
        "head": "pooler (dense 768->768 + tanh on [CLS]); no task head" if model.pooler is not None
                else "none",
        "num_layers": c.num_hidden_layers,
        "d_model": c.hidden_size,
        "num_heads": c.num_attention_heads,
        "head_dim": c.hidden_size // c.num_attention_heads,
        "ffn_dim": c.intermediate_size,
        "vocab_size": c.vocab_size,
        "max_position_embeddings": c.max_position_embeddings,
        "type_vocab_size": c.type_vocab_size,
        "hidden_act": c.hidden_act,
        "attn_implementation": c._attn_implementation,
    }


def _mnist(spec: MnistSpec, seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return build_model(spec.kind, spec.model).eval()


def _mnist_batch(spec: MnistSpec, model: nn.Module, batch_size: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch_size, *INPUT_SHAPE, generator=g)


def _tokens(spec: TransformersSpec, model: nn.Module, batch_size: int, seed: int) -> torch.Tensor:
    return token_batch(batch_size, spec.seq_len, model.config.vocab_size, seed)


_BUILD = {
    MnistSpec: _mnist,
    TorchvisionSpec: lambda s, seed: build_torchvision(s.name, seed),
    TransformersSpec: lambda s, seed: build_transformer(s.name, s.config, s.attn_implementation, seed),
}
_BATCH = {
    MnistSpec: _mnist_batch,
    TorchvisionSpec: lambda s, model, b, seed: image_batch(b, s.image_size, seed),
    TransformersSpec: _tokens,
}


def build(spec: dict | ModelSpec, seed: int = 0) -> nn.Module:
    """The model of a spec, in eval mode, weights drawn with `seed`."""
    spec = model_spec(spec)
    return _BUILD[type(spec)](spec, seed)


def example_batch(spec: dict | ModelSpec, model: nn.Module, batch_size: int, seed: int = 0) -> torch.Tensor:
    """A batch of random inputs of the spec's shape (token ids for transformers)."""
    spec = model_spec(spec)
    return _BATCH[type(spec)](spec, model, batch_size, seed)


def call_arguments(spec: dict | ModelSpec, x: torch.Tensor) -> tuple[tuple, dict]:
    """How a walk over the model is called on `x`: a sequence model also gets its attention mask, so the mask's
    bytes are counted as the model reads them."""
    if isinstance(model_spec(spec), TransformersSpec):
        return (), {"input_ids": x, "attention_mask": torch.ones_like(x)}
    return (x,), {}
