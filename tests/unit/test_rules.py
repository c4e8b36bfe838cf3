"""The rule files as the design says: every rule logs and benchmarks, scripts are one line into the runner,
and the default target comes from one place."""

import ast
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RULES = sorted((REPO / "workflow" / "rules").glob("*.smk"))


def _rules():
    for f in RULES:
        for m in re.finditer(r"^rule (\w+):(.*?)(?=^rule |\Z)", f.read_text(), flags=re.M | re.S):
            yield f.name, m.group(1), m.group(2)


def test_every_rule_has_a_log_and_a_benchmark():
    missing = [(f, r) for f, r, body in _rules() if "\n    log:" not in body or "\n    benchmark:" not in body]
    assert not missing, missing


def test_scripts_are_one_call_into_the_runner():
    for script in sorted((REPO / "scripts").glob("*.py")):
        body = [n for n in ast.parse(script.read_text()).body
                if not isinstance(n, (ast.Import, ast.ImportFrom))
                and not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]   # docstring
        assert len(body) == 1 and isinstance(body[0], ast.Expr), script.name
        call = body[0].value
        assert isinstance(call, ast.Call) and getattr(call.func, "id", None) == "run", script.name


def test_the_default_target_is_the_plan_s_final_outputs():
    """`rule all` asks for exactly mlalab.plan.targets.final_outputs, and no rule file names a target list of its own."""
    snakefile = (REPO / "Snakefile").read_text()
    rule_all = re.search(r"^rule all:\n((?:    .*\n|\n)*)", snakefile, flags=re.M)
    assert rule_all and re.search(r"input:\s*final_outputs\(\)", rule_all.group(1)), snakefile
    assert not [f.name for f in RULES if re.search(r"^rule all:", f.read_text(), flags=re.M)]


def test_test_files_have_unique_names():
    """pytest imports test modules by basename (no packages under tests/): a name used twice breaks collection."""
    names = [p.name for p in (REPO / "tests").rglob("test_*.py")]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
