"""The config's one source of settings: workflow/schemas/config.schema.yaml holds each key's meaning, default and
limits. `validate` checks a config against it, saying per problem which key is wrong, and fills in every default,
so the code reads the config without fallbacks.

Snakemake's own `validate` prints the whole schema for the first error, and its default filling does not descend
into a section that is absent; this lists every error on one line each, by key path, before Snakemake builds the
DAG, and fills a section's defaults from the outside in (a section with `default: {}` is created, then filled).
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path

import jsonschema
import yaml

SCHEMA = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"


class ConfigError(ValueError):
    pass


@cache
def load(schema_path: Path = SCHEMA) -> dict:
    return yaml.safe_load(Path(schema_path).read_text())


def _filling(schema: dict):
    """A validator that, before it checks an object's `properties`, sets each absent key that has a `default`
    (a copy of it: the schema's own object is never shared with a config), so the check then descends into it."""
    base = jsonschema.validators.validator_for(schema)
    check_properties = base.VALIDATORS["properties"]

    def properties(validator, props, instance, subschema):
        if validator.is_type(instance, "object"):
            for key, sub in props.items():
                if isinstance(sub, dict) and "default" in sub and key not in instance:
                    instance[key] = copy.deepcopy(sub["default"])
        yield from check_properties(validator, props, instance, subschema)

    return jsonschema.validators.extend(base, {"properties": properties})(schema)


def _path(error: jsonschema.ValidationError) -> str:
    parts = [str(p) for p in error.absolute_path]
    return "config." + ".".join(parts) if parts else "config"


# Keys the config no longer takes -> how to write them now (said instead of "was unexpected").
REMOVED = {("part3", "bf16"): "part3.bf16 is now a runtime: list it in part3.runtimes (e.g. runtimes: [eager, bf16]) "
                              "and drop bf16"}


def _removed(config: dict) -> list[tuple[tuple[str, ...], str]]:
    found = []
    for keys, message in REMOVED.items():
        node = config
        for k in keys[:-1]:
            node = node.get(k) if isinstance(node, dict) else None
        if isinstance(node, dict) and keys[-1] in node:
            found.append((keys, f"config.{'.'.join(keys)}: {message}"))
    return found


def _check(config: dict, schema_path: Path) -> list[str]:
    """Every problem of `config`, one line each; fills `config`'s defaults in place."""
    removed = _removed(config)
    found = [message for _, message in removed]
    for e in sorted(_filling(load(schema_path)).iter_errors(config), key=lambda e: list(map(str, e.absolute_path))):
        if e.validator == "additionalProperties" and any(
                tuple(map(str, e.absolute_path)) == keys[:-1] and set(e.instance) - set(e.schema.get("properties", {}))
                == {keys[-1]} for keys, _ in removed):
            continue   # said above, with the new spelling
        found.append(f"{_path(e)}: {e.message}{_yaml_hint(e)}")
    return found


def errors(config: dict, schema_path: Path = SCHEMA) -> list[str]:
    """Every problem of `config` (left as it is), one line each, by key path."""
    return _check(copy.deepcopy(config), schema_path)


def _yaml_hint(error: jsonschema.ValidationError) -> str:
    """YAML 1.1 (PyYAML) reads `1e9` as a string, not a number: say so, or the message reads as nonsense."""
    value = error.instance
    if error.validator != "type" or not isinstance(value, str):
        return ""
    try:
        float(value)
    except ValueError:
        return ""
    mantissa, e, exponent = value.lower().partition("e")
    if not e:
        return f" (it is quoted: write {value} without quotes)"
    # PyYAML's float needs a dot in the mantissa and a sign in the exponent: 1.0e+9, not 1e9 nor 1.0e9
    fixed = f"{mantissa if '.' in mantissa else mantissa + '.0'}e{exponent if exponent[:1] in '+-' else '+' + exponent}"
    return f" (YAML reads {value} as a string, not a number: write {fixed}, or the number in full)"


def check(config: dict, schema_path: Path = SCHEMA, source: str = "config") -> None:
    """Raise ConfigError listing every problem; `source` names the merged files (mlalab.plan.checks.sources)."""
    problems = errors(config, schema_path)
    if problems:
        raise ConfigError(f"{source} is invalid:\n  " + "\n  ".join(problems))


def validate(config: dict, source: str = "config") -> dict:
    """Check `config` (raise ConfigError listing every problem, `source` naming the merged files) and fill in,
    in place, every default of the schema and then the derived ones (a null default whose description says what
    it stands for). Returns `config`. The Snakefile calls this once; the plan reads the config it leaves."""
    problems = _check(config, SCHEMA)
    if problems:
        raise ConfigError(f"{source} is invalid:\n  " + "\n  ".join(problems))
    _derive(config)
    return config


# BERT-base's sequence length in the precision study when no Part 3 section says one (BertConfig's own tokens)
BERT_SEQ_LEN = 128


def _derive(config: dict) -> None:
    """The defaults that are other keys' values (each key's description in the schema says which)."""
    from mlalab.plan.config import architecture, model_slug
    from mlalab.plan.latency import part3_batches, part3_runtimes

    for name, exp in config["experiments"].items():
        if exp["title"] is None:
            exp["title"] = name
        for variant in exp["variants"]:
            if variant["label"] is None:
                variant["label"] = model_slug(exp["kind"], architecture(exp["kind"], exp["model"], variant))
    if "peak" in config and config["peak"]["plot_experiments"] is None:
        config["peak"]["plot_experiments"] = list(config["experiments"])
    if "precision" in config:
        bert = config["precision"]["bert"]
        if bert["batch_sizes"] is None:
            bert["batch_sizes"] = list(config["precision"]["batch_sizes"])
        if bert["seq_len"] is None:
            bert["seq_len"] = config["part3"]["bert"]["seq_len"] if "part3" in config else BERT_SEQ_LEN
    scenarios = config["part3"]["scenarios"] if "part3" in config else None
    if scenarios:
        if scenarios["models"] is None:
            scenarios["models"] = list(part3_batches(config))
        if scenarios["runtimes"] is None:
            scenarios["runtimes"] = part3_runtimes(config)


def default(key: str):
    """The schema's default of a dotted key (`timing.min_repeats`): for a message that names it, or a setting read
    where its section is absent."""
    node = load()
    for part in key.split("."):
        node = node["properties"][part]
    return copy.deepcopy(node["default"])


def defaults(section: str) -> dict:
    """The schema's default of each key of a top-level section that has one (`timing`)."""
    props = load()["properties"][section]["properties"]
    return {k: copy.deepcopy(v["default"]) for k, v in props.items() if "default" in v}
