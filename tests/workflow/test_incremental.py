"""Incremental rebuilds you can trust: after one full build of the quick configuration, every kind of change
reruns exactly the jobs it should (checked by dry-running the DAG and comparing exact job sets).

The build happens once per pytest session in a private copy of the pipeline (tests/smk.py); each test that
touches files works on its own copy of that build, so the tests do not depend on each other's order.

Expected sets are written as "these jobs, plus whatever aggregates what they make" (the downstream closure in
the job graph of the changed configuration: tables, plots, report); the first part is always spelled out from
the lab's run table, and the tests also say what must NOT rerun (the data download, other runs, other tables).
"""

from __future__ import annotations

import copy
import os
import time
from pathlib import Path

import pytest
import smk

from mlalab.plan.config import expand
from mlalab.plan.schema import validate

QUICK = smk.QUICK


@pytest.fixture
def work(built, tmp_path) -> Path:
    """Its own copy of the built workdir (file times kept), to touch or reconfigure freely."""
    return smk.copy_built(built, tmp_path / "work")


def quick_config(work: Path) -> dict:
    cfg = smk.read_yaml(work / "config.yaml")
    overlay = smk.read_yaml(work / "config.quick.yaml")
    return _merge(cfg, overlay)


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def with_overlay(work: Path, overlay: dict) -> tuple[str, ...]:
    """Snakemake arguments for the quick configuration plus `overlay` (merged like Snakemake merges configs)."""
    path = smk.write_yaml(work / "overlay.yaml", overlay)
    return (*QUICK[:-1], "config.quick.yaml", str(path))


def run_ids(cfg: dict) -> set[str]:
    return set(expand(validate(copy.deepcopy(cfg))).runs)


def profile_jobs(cfg: dict, experiment: str) -> set[str]:
    """Per-layer tables are profiled at every batch size of the experiments using a model
    (mlalab.plan.config.profile_batches): a new batch size reprofiles that experiment's models."""
    return {f"profile[model={r.model}]" for r in expand(validate(copy.deepcopy(cfg))).rows_of(experiment)}


def latency_jobs(cfg: dict, runs) -> set[str]:
    """The fp32 latency jobs of the (model, batch size) of these runs: one per pair, however many seeds."""
    lab = expand(validate(copy.deepcopy(cfg)))
    pairs = {(lab.runs[r]["model_id"], lab.runs[r]["batch_size"]) for r in runs}
    return {f"latency[batch={b},model={m},variant=fp32]" for m, b in pairs}


def edit(path: Path) -> None:
    """A real edit (new content and a newer mtime): Snakemake records small inputs' checksums, so a bare
    touch of an unchanged file rightly reruns nothing."""
    comment = {".py": "\n# edited by a test\n", ".css": "\n/* edited by a test */\n"}.get(path.suffix,
                                                                                      "\n{# edited by a test #}\n")
    with open(path, "a") as f:
        f.write(comment)
    t = time.time() + 2
    os.utime(path, (t, t))


# ---- no-op ------------------------------------------------------------------------------------------------

def test_second_run_has_nothing_to_do_and_is_fast(built):
    assert smk.dry_run(built, *QUICK) == set()
    run = smk.snakemake(built, "--cores", "1", *QUICK).check()
    assert "Nothing to be done" in run.out
    print(f"no-op rerun of the quick configuration: {run.seconds:.1f}s")
    (built.parent / "noop_seconds.txt").write_text(f"{run.seconds:.2f}\n")
    assert run.seconds < 60, f"a no-op run took {run.seconds:.1f}s"


# ---- one variant / one batch size / one seed -------------------------------------------------------------

def test_changing_one_batch_size_reruns_only_that_variant(work):
    cfg = quick_config(work)
    old = run_ids(cfg)
    exp = "part2a"
    sizes = cfg["experiments"][exp]["batch_sizes"]
    # a batch size no other part of the config refers to (the precision study names trained runs)
    used = {m["batch_size"] for m in cfg.get("precision", {}).get("models", []) if m["experiment"] == exp}
    i = max(j for j, b in enumerate(sizes) if b not in used)
    new_sizes = [*sizes[:i], sizes[i] * 2 + 1, *sizes[i + 1:]]
    args = with_overlay(work, {"experiments": {exp: {"batch_sizes": new_sizes}}})
    cfg["experiments"][exp]["batch_sizes"] = new_sizes
    new_runs = run_ids(cfg) - old
    assert len(new_runs) == len(cfg["seeds"])

    dag = smk.Dag(work, *args)
    direct = smk.jobs("train", "run", new_runs) | latency_jobs(cfg, new_runs) | profile_jobs(cfg, exp)
    got = smk.dry_run(work, *args)
    assert got == dag.with_downstream(direct), got ^ dag.with_downstream(direct)
    assert exp in {k.split("=")[1].rstrip("]") for k in got & dag.of_rule("experiment_table")}
    assert not got & dag.of_rule("mnist"), got


def test_changing_one_variant_reruns_only_that_variant(work):
    cfg = quick_config(work)
    old_runs, old_models = run_ids(cfg), set(expand(validate(copy.deepcopy(cfg))).models)
    exp = "part1b"
    variants = copy.deepcopy(cfg["experiments"][exp]["variants"])
    variants[-1] = {**variants[-1], "label": "512x3", "hidden": [512, 512, 512]}
    args = with_overlay(work, {"experiments": {exp: {"variants": variants}}})
    cfg["experiments"][exp]["variants"] = variants
    lab = expand(validate(copy.deepcopy(cfg)))
    new_runs, new_models = set(lab.runs) - old_runs, set(lab.models) - old_models
    assert len(new_runs) == len(cfg["seeds"]) and len(new_models) == 1

    dag = smk.Dag(work, *args)
    direct = (smk.jobs("train", "run", new_runs) | latency_jobs(cfg, new_runs)
              | {k for k in dag.jobs if any(f"model={m}" in k for m in new_models)})
    got = smk.dry_run(work, *args)
    assert got == dag.with_downstream(direct), got ^ dag.with_downstream(direct)
    assert got & dag.of_rule("experiment_table") == smk.jobs("experiment_table", "experiment", [exp])
    assert not got & dag.of_rule("mnist"), got


def test_adding_a_seed_adds_only_the_new_runs(work):
    cfg = quick_config(work)
    old = run_ids(cfg)
    seeds = [*cfg["seeds"], max(cfg["seeds"]) + 1]
    args = with_overlay(work, {"seeds": seeds})
    new_runs = run_ids({**cfg, "seeds": seeds}) - old
    assert new_runs and all(r.endswith(f"-s{seeds[-1]}") for r in new_runs)

    dag = smk.Dag(work, *args)
    direct = smk.jobs("train", "run", new_runs)   # a seed changes training only: latencies are measured once
    got = smk.dry_run(work, *args)
    assert got == dag.with_downstream(direct), got ^ dag.with_downstream(direct)
    assert not got & dag.of_rule("mnist", "profile", "latency"), got


def test_adding_a_batch_size_adds_only_the_new_jobs(work):
    cfg = quick_config(work)
    old = run_ids(cfg)
    exp = "part1a"
    sizes = [*cfg["experiments"][exp]["batch_sizes"], 32]
    args = with_overlay(work, {"experiments": {exp: {"batch_sizes": sizes}}})
    cfg["experiments"][exp]["batch_sizes"] = sizes
    new_runs = run_ids(cfg) - old
    assert len(new_runs) == len(cfg["seeds"])

    dag = smk.Dag(work, *args)
    direct = smk.jobs("train", "run", new_runs) | latency_jobs(cfg, new_runs) | profile_jobs(cfg, exp)
    got = smk.dry_run(work, *args)
    assert got == dag.with_downstream(direct), got ^ dag.with_downstream(direct)
    assert not got & dag.of_rule("mnist"), got


def test_timing_settings_rerun_the_timing_jobs_not_training(work):
    cfg = quick_config(work)
    args = with_overlay(work, {"timing": {"repeats": cfg["timing"]["repeats"] + 1}})
    dag = smk.Dag(work, *args)
    direct = latency_jobs(cfg, run_ids(cfg))
    got = smk.dry_run(work, *args)
    assert direct <= got
    assert not got & dag.of_rule("train", "profile", "mnist"), got


# ---- code and templates ----------------------------------------------------------------------------------

def test_changing_a_template_reruns_only_rendering(work):
    dag = smk.Dag(work, *QUICK)
    templates = sorted(p for p in (work / "templates").iterdir() if p.is_file())
    assert templates
    for tpl in templates:
        rel = f"templates/{tpl.name}"
        users = dag.using(rel)
        assert users, f"no job declares {rel} as an input: editing it would not rerender the report"
        assert smk.rules_of(users) <= {"report"}, (rel, users)
    tpl = work / "templates" / "report.html.j2"
    edit(tpl)
    got = smk.dry_run(work, *QUICK)
    assert got == dag.with_downstream(dag.using("templates/report.html.j2")), got
    assert smk.rules_of(got) == {"report"}, got


@pytest.mark.parametrize("module, reruns, keeps", [
    ("stages/training", {"train"}, {"mnist", "latency", "profile"}),
    ("measure/counters", {"profile", "train"}, {"mnist", "latency"}),   # train counts its parameters
    ("stages/latency", {"latency"}, {"mnist", "train", "profile"}),
    ("measure/models", {"train", "latency", "profile"}, {"mnist"}),
    ("stages/data", {"train", "latency"}, {"mnist", "profile"}),
    ("report/render", {"report"}, {"mnist", "train", "latency", "profile", "experiment_table"}),
])
def test_changing_package_code_reruns_the_jobs_that_use_it(work, module, reruns, keeps):
    cfg = quick_config(work)
    path = f"mlalab/{module}.py"
    dag = smk.Dag(work, *QUICK)
    users = dag.using(path)
    # Every job of the named rules uses the module: all runs / all models, not some.
    for rule in reruns:
        assert dag.of_rule(rule) <= users, (rule, dag.of_rule(rule) - users)
    if "train" in reruns:
        assert {k for k in users if k.startswith("train[")} == smk.jobs("train", "run", run_ids(cfg))
    edit(work / path)
    got = smk.dry_run(work, *QUICK)
    assert got == dag.with_downstream(users), got ^ dag.with_downstream(users)
    assert not smk.rules_of(got) & keeps, (module, smk.rules_of(got) & keeps)


# ---- the declared code inputs are the modules the jobs really import --------------------------------------

def test_rules_declare_every_package_module_they_import(built):
    """Snakemake does not see a script's imports, so each rule lists them as inputs (mlalab.plan.deps, read from
    the source). Checked against what Python really loaded: every job logs the package files it imported
    (mlalab.runner.IMPORTED), and each must be among its rule's declared inputs."""
    from mlalab.runner import IMPORTED

    dag = smk.Dag(built, *QUICK)
    problems, checked = {}, 0
    for key, job in dag.jobs.items():
        if job["rule"] == "mnist":     # the data job declares no code inputs on purpose (tests/workflow/test_reruns.py)
            continue
        log = built / job.get("log", "").split(", ")[0] if job.get("log") else None
        if log is None or not log.is_file():
            continue
        lines = [ln for ln in log.read_text().splitlines() if IMPORTED in ln]
        if not lines:
            continue
        checked += 1
        loaded = set(lines[-1].split(IMPORTED, 1)[1].split())
        missing = loaded - set(job["input"])
        if missing:
            problems[key] = sorted(missing)
    assert checked >= len(dag.jobs) // 2, f"only {checked} of {len(dag.jobs)} job logs name their imports"
    assert not problems, f"jobs that imported package modules their rule does not declare as inputs: {problems}"
