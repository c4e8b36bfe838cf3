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


def errors(config: dict, schema_path: Path = SCHEMA) -> list[str]:
    schema = yaml.safe_load(Path(schema_path).read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    found = []
    for e in sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path))):
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
