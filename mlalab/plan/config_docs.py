"""docs/config.md, generated from workflow/schemas/config.schema.yaml: every key with its type, default, limits and
meaning, so the reference cannot drift from the schema (tests/unit/test_config_docs.py fails when it is stale).

    python -m mlalab.plan.config_docs > docs/config.md
"""

from __future__ import annotations

import json
import sys

from mlalab.plan.schema import load

HEADER = """# Configuration reference

Generated from `workflow/schemas/config.schema.yaml` by `python -m mlalab.plan.config_docs > docs/config.md`; do
not edit by hand (`tests/unit/test_config_docs.py` fails when this file is stale). `config.yaml` is the lab's
configuration and the overlays (`config.quick.yaml`, `config.models-example.yaml`, `config.mlperf.yaml`) change
some of its keys; a key left out of all of them takes its default below, filled in once before any job is planned
(`mlalab.plan.schema.validate`). A default of `null` stands for what its description says. `*` is any name (an
experiment, a Part 3 model id), `[]` an entry of a list; a section marked *optional* is not built when absent.
"""

LIMITS = (("minimum", ">= {}"), ("exclusiveMinimum", "> {}"), ("maximum", "<= {}"), ("exclusiveMaximum", "< {}"),
          ("minItems", "at least {} items"), ("maxItems", "at most {} items"), ("minLength", "at least {} characters"),
          ("pattern", "matches `{}`"), ("minProperties", "at least {} entries"))


def _resolve(node: dict, root: dict) -> dict:
    """`node` with its `$ref` and `allOf` branches merged in (its own keys win), recursively."""
    merged: dict = {}
    for part in [*node.get("allOf", []), node]:
        if "$ref" in part:
            target = root
            for step in part["$ref"].removeprefix("#/").split("/"):
                target = target[step]
            merged.update(_resolve(target, root))
        merged.update({k: v for k, v in part.items() if k not in ("$ref", "allOf")})
        if "properties" in part and part is node and "allOf" in node:   # local properties over the branches'
            merged["properties"] = _merge_properties(node, root)
    return merged


def _merge_properties(node: dict, root: dict) -> dict:
    props: dict = {}
    for part in node.get("allOf", []):
        for key, sub in _resolve(part, root).get("properties", {}).items():
            props[key] = dict(sub)
    for key, sub in node.get("properties", {}).items():
        props[key] = {**props.get(key, {}), **sub}
    return props


def _type(node: dict, root: dict) -> str:
    if "enum" in node:
        return " \\| ".join(f"`{v}`" for v in node["enum"])
    if "const" in node:
        return f"`{node['const']}`"
    for key in ("oneOf", "anyOf"):
        if key in node:
            return " or ".join(_type(_resolve(n, root), root) for n in node[key])
    kind = node.get("type", "")
    kinds = kind if isinstance(kind, list) else [kind]
    out = []
    for k in kinds:
        if k == "array" and "items" in node:
            out.append(f"list of {_type(_resolve(node['items'], root), root)}")
        elif k:
            out.append(k)
    return " or ".join(out)


def _limits(node: dict, root: dict) -> str:
    out = [fmt.format(node[key]) for key, fmt in LIMITS if key in node]
    if node.get("uniqueItems"):
        out.append("no repeats")
    if "not" in node and node["not"].get("multipleOf") == 2:
        out.append("odd")
    items = _resolve(node["items"], root) if isinstance(node.get("items"), dict) else {}
    out += [f"each {fmt.format(items[key])}" for key, fmt in LIMITS if key in items]
    for key in ("oneOf", "anyOf"):
        out += [lim for n in node.get(key, []) if (lim := _limits(_resolve(n, root), root))]
    return "; ".join(out)


def _default(node: dict) -> str:
    return f"`{json.dumps(node['default'])}`" if "default" in node else ""


def rows(node: dict, root: dict, prefix: str = "", required: tuple = ()) -> list[tuple[str, ...]]:
    """(key, type, default, limits, description) of every key under `node`, depth first in schema order."""
    out = []
    for key, sub in node.get("properties", {}).items():
        sub = _resolve(sub, root)
        path = f"{prefix}{key}"
        text = sub.get("description", "")
        if key in required and "default" not in sub:
            text = f"**required**. {text}"
        elif sub.get("type") == "object" and "default" not in sub and "required" in sub:
            text = f"*optional*. {text}"
        out.append((f"`{path}`", _type(sub, root), _default(sub), _limits(sub, root), text))
        out += _children(sub, root, path)
    return out


def _children(node: dict, root: dict, path: str) -> list[tuple[str, ...]]:
    required = tuple(node.get("required", ()))
    if "properties" in node:
        return rows(node, root, f"{path}.", required)
    extra = node.get("additionalProperties")
    if isinstance(extra, dict) and extra:
        extra = _resolve(extra, root)
        if "properties" in extra:
            return rows(extra, root, f"{path}.*.", tuple(extra.get("required", ())))
    items = node.get("items")
    if isinstance(items, dict):
        items = _resolve(items, root)
        if "properties" in items:
            return rows(items, root, f"{path}[].", tuple(items.get("required", ())))
    return []


def markdown() -> str:
    root = load()
    table = ["| key | type | default | limits | meaning |", "| --- | --- | --- | --- | --- |"]
    for row in rows(root, root, required=tuple(root.get("required", ()))):
        table.append("| " + " | ".join(cell.replace("\n", " ") for cell in row) + " |")
    return HEADER + "\n" + "\n".join(table) + "\n"


if __name__ == "__main__":
    sys.stdout.write(markdown())
