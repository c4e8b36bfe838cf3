"""The schema is the one place for a setting: every key has a meaning, the defaults fill in (nested sections
included) and are valid, and docs/config.md is the schema's own text."""

import copy
import re

import yaml

from mlalab.plan import config_docs, schema
from tests.conftest import ROOT

MINIMAL = {"results": "r", "seeds": [0], "training": {"optimizer": "sgd", "lr": 0.1, "momentum": 0.0, "epochs": 1},
           "timing": {"warmup": 0, "repeats": 1},
           "experiments": {"e": {"kind": "mlp", "model": {"hidden": [8]}, "variants": [{}], "batch_sizes": [2]}}}


def test_docs_config_md_is_generated_from_the_schema():
    # regenerate with: python -m mlalab.plan.config_docs > docs/config.md
    assert (ROOT / "docs" / "config.md").read_text() == config_docs.markdown(), \
        "docs/config.md is stale: run python -m mlalab.plan.config_docs > docs/config.md"


def test_every_key_of_the_schema_says_what_it_means():
    root = schema.load()
    rows = config_docs.rows(root, root, required=tuple(root["required"]))
    bare = [key for key, _, _, _, text in rows if not text.replace("**required**. ", "").replace("*optional*. ", "")]
    assert not bare and len(rows) > 100


def test_defaults_fill_absent_sections_from_the_outside_in():
    config = schema.validate(copy.deepcopy(MINIMAL))
    assert config["data"] == {"train_subset": None, "test_subset": None}      # absent section, default {}
    assert config["profile"] == {"activation_batches": []}
    assert config["timing"]["isolation"] == "pinned" and config["timing"]["min_repeats"] == 10
    exp = config["experiments"]["e"]
    assert exp["training"] == {} and exp["title"] == "e" and exp["variants"][0]["label"] == "mlp-h8x1"
    assert "part3" not in config and "peak" not in config and "precision" not in config   # optional: not built
    assert schema.errors(config) == []          # the filled config is valid: every default obeys its own limits


def test_a_partly_given_nested_section_keeps_its_keys_and_gets_the_rest():
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config["part3"]["scenarios"] = {"run": ["server"], "min_queries": {"server": 64},
                                    "server_latency_ms": {"resnet18": 1, "bert-base": 1}}
    schema.validate(config)
    s = config["part3"]["scenarios"]
    assert s["min_queries"] == {"server": 64, "single_stream": 64, "multi_stream": 662, "offline": 1}
    assert s["target_percentile"]["server"] == 0.99 and s["samples"] == 64
    assert s["models"] == ["resnet18", "bert-base"] and s["runtimes"] == ["eager"]   # derived: null defaults
    assert config["part3"]["timing"]["threads"] == "all"      # given keys stay; part3.timing gets no defaults
    assert "isolation" not in config["part3"]["timing"]       # ... so it cannot hide `timing`'s


def test_a_default_is_never_shared_between_configs():
    one, two = (schema.validate(copy.deepcopy(MINIMAL)) for _ in range(2))
    one["profile"]["activation_batches"].append(4)
    assert two["profile"]["activation_batches"] == [] and schema.default("profile.activation_batches") == []


def test_the_isolation_default_is_stated_once():
    # config.yaml takes it from the schema; README, the docs and the code may name it, never another mode as it
    default = schema.default("timing.isolation")
    assert "isolation:" not in (ROOT / "config.yaml").read_text()
    others = "|".join(m for m in ("pinned", "shared", "exclusive") if m != default)
    claims = re.compile(rf"(?:{others})`?,? \(?(?:is )?(?:the )?default|default:? `?(?:{others})\b")
    paths = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "mlalab").rglob("*.py"))]
    said = [f"{p.relative_to(ROOT)}: {line.strip()}" for p in paths for line in p.read_text().splitlines()
            if "isolation" in line and claims.search(line)]
    assert not said, said
    assert claims.search("`timing.isolation: exclusive` (the default)")     # the check sees a wrong claim
