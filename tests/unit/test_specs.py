"""The typed model specs (mlalab.plan.specs): one spelling in and out, and the per-kind facts callers read."""

from __future__ import annotations

import pytest
import yaml

from mlalab.plan import latency
from mlalab.plan.config import expand
from mlalab.plan.schema import SCHEMA, validate
from mlalab.plan.specs import MnistSpec, TorchvisionSpec, TransformersSpec, model_spec


def _config(*overlays: str) -> dict:
    from snakemake.utils import update_config

    cfg = yaml.safe_load(open(SCHEMA.parents[2] / "config.yaml"))
    for name in overlays:
        update_config(cfg, yaml.safe_load(open(SCHEMA.parents[2] / name)))
    return validate(cfg)   # the defaults filled, as the Snakefile leaves the config


@pytest.mark.parametrize("overlays", [(), ("config.quick.yaml",), ("config.quick.yaml", "config.models-example.yaml")])
def test_every_spec_reads_back_the_dict_it_writes(overlays):
    cfg = _config(*overlays)
    specs = latency.model_specs(cfg, expand(cfg))
    assert {type(s) for s in specs.values()} >= {MnistSpec, TorchvisionSpec, TransformersSpec}
    for spec in specs.values():
        assert model_spec(spec.as_dict()) == spec
        assert spec.as_dict()["source"] == spec.source


def test_the_kinds_differ_where_their_callers_need_them_to():
    bert = TransformersSpec("BertConfig", 16, attn_implementation="sdpa")
    assert bert.for_counting().attn_implementation == "eager" and bert.attn_implementation == "sdpa"
    assert bert.id_fields() == {"seq_len": 16, "attn_implementation": "sdpa"} and bert.tokens_per_sample == 16
    vision = TorchvisionSpec("resnet18", 64)
    assert vision.for_counting() is vision and vision.tokens_per_sample is None
    assert vision.size_fields() == {"image_size": 64}
    assert MnistSpec("mlp", {"hidden": [8]}).reads_mnist and not vision.reads_mnist
    # a config entry's other keys are not part of the spec; sizes are read as integers
    entry = {"source": "transformers", "name": "GPT2Config", "seq_len": "16", "batch_sizes": [1], "config": {}}
    assert model_spec(entry).as_dict() == {"source": "transformers", "name": "GPT2Config", "seq_len": 16}


def test_an_unknown_source_is_named():
    with pytest.raises(ValueError, match="unknown source 'keras'.*mnist"):
        model_spec({"source": "keras", "name": "x"})
