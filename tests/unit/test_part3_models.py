"""Part 3 for any model (issue 12), at plan level (torch-free planning, the schema's accepted names)."""

from __future__ import annotations

import copy

import pytest
import yaml

from mlalab.plan import latency, part3, paths, schema, targets
from mlalab.plan.schema import SCHEMA

BASE = yaml.safe_load(open(SCHEMA.parents[2] / "config.yaml"))
EXAMPLE = yaml.safe_load(open(SCHEMA.parents[2] / "config.models-example.yaml"))


def _with(models=None, runtimes=None) -> dict:
    cfg = copy.deepcopy(BASE)
    if models is not None:
        cfg["part3"]["models"] = models
    if runtimes is not None:
        cfg["part3"]["runtimes"] = runtimes
    return cfg


def _name_enum(source: str) -> list[str]:
    entry = yaml.safe_load(SCHEMA.read_text())["properties"]["part3"]["properties"]["models"]["additionalProperties"]
    return next(c["then"]["properties"]["name"]["enum"] for c in entry["allOf"]
                if c["if"]["properties"]["source"]["const"] == source)


def test_the_schema_lists_exactly_torchvisions_classification_builders():
    import torchvision

    assert sorted(_name_enum("torchvision")) == sorted(torchvision.models.list_models(module=torchvision.models))


def test_every_accepted_transformers_name_is_a_config_class_automodel_builds():
    import transformers
    from transformers.models.auto.modeling_auto import MODEL_MAPPING_NAMES

    classes = {getattr(transformers, n).model_type for n in _name_enum("transformers")}
    assert classes <= set(MODEL_MAPPING_NAMES)


def test_an_unknown_model_name_is_refused_with_the_accepted_names():
    bad = _with({"mine": {"source": "torchvision", "name": "resnet19", "image_size": 64, "batch_sizes": [1]},
                 "lm": {"source": "transformers", "name": "GPT3Config", "seq_len": 8, "batch_sizes": [1]}})
    errors = schema.errors(bad)
    tv = next(e for e in errors if e.startswith("config.part3.models.mine.name"))
    assert "'resnet19' is not one of" in tv and "'resnet18'" in tv and "'mobilenet_v3_small'" in tv
    tf = next(e for e in errors if e.startswith("config.part3.models.lm.name"))
    assert "'GPT3Config' is not one of" in tf and "'GPT2Config'" in tf
    with pytest.raises(schema.ConfigError):
        schema.check(bad)


def test_a_model_id_of_the_lab_and_keys_of_the_other_source_are_refused():
    errors = schema.errors(_with({"resnet18": {"source": "torchvision", "name": "resnet18", "image_size": 64,
                                               "batch_sizes": [1]},
                                  "x": {"source": "torchvision", "name": "resnet18", "seq_len": 8,
                                        "batch_sizes": [1]}}))
    assert any(e.startswith("config.part3.models") and "resnet18" in e for e in errors)
    assert any(e.startswith("config.part3.models.x") for e in errors)
    assert schema.errors(_with(runtimes=["eager", "tensorrt"]))


def test_the_default_config_times_the_lab_models_in_eager_only():
    base = schema.validate(copy.deepcopy(BASE))
    assert latency.part3_runtimes(base) == ["eager"]
    assert set(latency.part3_specs(base)) == {"resnet18", "bert-base"}
    assert {v for _, v, _ in latency.runtime_points(base)} == {"fp32"}
    assert part3.tables(base) == part3.TABLES


def test_the_example_plans_every_model_x_runtime_x_batch_once():
    cfg = _with(EXAMPLE["part3"]["models"], EXAMPLE["part3"]["runtimes"])
    assert not schema.errors(cfg)
    schema.validate(cfg)
    specs = latency.part3_specs(cfg)
    assert specs["gpt2-tiny"].as_dict() == {"source": "transformers", "name": "GPT2Config", "seq_len": 16,
                                  "config": {"n_layer": 2}}
    assert specs["mobilenet_v3_small"].as_dict() == {"source": "torchvision", "name": "mobilenet_v3_small", "image_size": 64}
    pts = latency.runtime_points(cfg)
    assert ("gpt2-tiny", "onnxruntime-fp32", 2) in pts and ("mobilenet_v3_small", "fp32", 4) in pts
    assert ("resnet18", "onnxruntime-fp32", 1) in pts
    n = sum(len(b) for b in latency.part3_batches(cfg).values()) * len(EXAMPLE["part3"]["runtimes"])
    assert len(pts) == len(set(pts)) == n
    assert part3.table_inputs(cfg, "part3_runtimes")["records"] == paths.latency_records(cfg, pts)
    assert set(part3.tables(cfg)) == set(part3.TABLES + part3.MODEL_TABLES)
    assert targets.part3_figures(cfg).keys() == {f"part3_runtimes_{m}" for m in latency.part3_batches(cfg)}


def test_the_old_bf16_flag_is_refused_naming_its_new_spelling():
    cfg = copy.deepcopy(BASE)
    cfg["part3"]["bf16"] = True
    errors = schema.errors(cfg)
    assert errors == ["config.part3.bf16: part3.bf16 is now a runtime: list it in part3.runtimes "
                      "(e.g. runtimes: [eager, bf16]) and drop bf16"]


def test_bf16_in_the_runtimes_adds_the_latency_tables_bf16_rows():
    assert latency.part3_precisions(BASE) == ["fp32"]
    cfg = _with(runtimes=["eager", "bf16"])
    assert latency.part3_precisions(cfg) == ["fp32", "bf16"]
    assert ("resnet18", "bf16", 1) in latency.part3_points(cfg)
