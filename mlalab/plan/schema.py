"""Check a config against workflow/schemas/config.schema.yaml and say, per problem, which key is wrong.

Snakemake's own `validate` prints the whole schema for the first error; this lists every error on one
line each, by key path, before Snakemake builds the DAG.
"""

from __future__ import annotations

from pathlib import Path

import jsonschema
import yaml

SCHEMA = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "config.schema.yaml"


class ConfigError(ValueError):
    pass


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


def errors(config: dict, schema_path: Path = SCHEMA) -> list[str]:
    schema = yaml.safe_load(Path(schema_path).read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    removed = _removed(config)
    found = [message for _, message in removed]
    for e in sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path))):
        if e.validator == "additionalProperties" and any(
                tuple(map(str, e.absolute_path)) == keys[:-1] and set(e.instance) - set(e.schema.get("properties", {}))
                == {keys[-1]} for keys, _ in removed):
            continue   # said above, with the new spelling
        found.append(f"{_path(e)}: {e.message}{_yaml_hint(e)}")
    return found


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
