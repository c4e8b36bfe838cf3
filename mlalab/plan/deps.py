"""Which package modules a job's script imports, transitively: declared as the rule's inputs, because
Snakemake tracks a script's own code but not the modules it imports."""

from __future__ import annotations

import ast
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "mlalab"


def _targets(node: ast.AST, here: Path) -> list[Path]:
    if isinstance(node, ast.Import):
        return [ROOT.joinpath(*a.name.split(".")) for a in node.names if a.name.split(".")[0] == "mlalab"]
    if isinstance(node, ast.ImportFrom):
        if node.level:
            base = here
            for _ in range(node.level - 1):
                base = base.parent
            mod = base.joinpath(*node.module.split(".")) if node.module else base
        elif node.module and node.module.split(".")[0] == "mlalab":
            mod = ROOT.joinpath(*node.module.split("."))
        else:
            return []
        return [mod] + [mod / a.name for a in node.names]
    return []


def imports(path: Path) -> set[Path]:
    """Package files `path` imports directly (function-level imports included)."""
    found = set()
    for node in ast.walk(ast.parse(Path(path).read_text())):
        for t in _targets(node, Path(path).parent):
            for cand in (t.with_suffix(".py"), t / "__init__.py"):
                if cand.is_file() and PACKAGE in cand.parents:
                    found.add(cand)
    return found


def closure(paths) -> list[str]:
    """Every package file reachable from `paths` by imports, spelled from the working folder (repo-relative
    when Snakemake runs in the repository), sorted."""
    todo, seen = [Path(p).resolve() for p in paths], set()
    while todo:
        for f in imports(todo.pop()) - seen:
            seen.add(f)
            todo.append(f)
    return sorted(os.path.relpath(f) for f in seen if f.name != "__init__.py")
