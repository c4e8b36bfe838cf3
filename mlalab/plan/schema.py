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
        found.append(f"{_path(e)}: {e.message}")
    return found


def check(config: dict, schema_path: Path = SCHEMA, source: str = "config") -> None:
    """Raise ConfigError listing every problem; `source` names the merged files (mlalab.plan.checks.sources)."""
    problems = errors(config, schema_path)
    if problems:
        raise ConfigError(f"{source} is invalid:\n  " + "\n  ".join(problems))
