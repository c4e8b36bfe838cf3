"""The SLURM profiles match the workflow: every rule they name exists, the timed rules' CPUs follow the one
setting `cores` (no per-rule set-threads to drift from it), small jobs are grouped, a short job is noticed in
seconds and every job's SLURM log is kept.  No cluster needed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from mlalab.cluster import slurm

REPO = Path(__file__).resolve().parents[2]

PROFILES = ["slurm", "slurm-gpu"]


def _rules() -> dict[str, str]:
    out = {}
    for f in sorted((REPO / "workflow" / "rules").glob("*.smk")):
        for m in re.finditer(r"^rule (\w+):(.*?)(?=^rule |\Z)", f.read_text(), flags=re.M | re.S):
            out[m.group(1)] = m.group(2)
    return out


@pytest.mark.parametrize("name", PROFILES)
def test_profile_names_real_rules_and_pins_timed_ones(name):
    prof_dir = REPO / "profiles" / name
    prof = yaml.safe_load((prof_dir / "profile.yaml").read_text())
    assert (prof_dir / "config.yaml").resolve() == (prof_dir / "profile.yaml").resolve(), \
        "config.yaml (read by Snakemake < 9.19) must be the same file as profile.yaml"
    assert prof["executor"] == "slurm"
    for key in ("slurm_partition", "slurm_account", "runtime", "mem_mb"):
        assert key in prof["default-resources"], key
    rules = _rules()
    named = set(prof.get("set-resources", {})) | set(prof.get("groups", {}))
    assert named <= set(rules), f"profile {name} names rules that do not exist: {sorted(named - set(rules))}"
    timed = {r for r, body in rules.items() if re.search(r"threads:\s*timing_threads\(", body)}
    assert {"train", "latency", "peak", "part3_resnet18_q1"} <= timed
    # One setting: the timed rules take all of `cores` (timing.isolation: exclusive), nothing overrides it per rule.
    assert isinstance(prof["cores"], int) and "set-threads" not in prof
    assert not any("cpus_per_task" in r for r in prof.get("set-resources", {}).values())


@pytest.mark.parametrize("name", PROFILES)
def test_profile_groups_small_jobs_keeps_logs_and_polls_early(name):
    prof = yaml.safe_load((REPO / "profiles" / name / "profile.yaml").read_text())
    groups = prof["groups"]
    assert set(prof["group-components"]) == set(groups.values()), "every group has a component count, and only those"
    assert groups["profile"] == groups["diagram"], "an architecture's profile and diagram travel together"
    # a grouped rule is never local (Snakemake's is_local), so the Snakefile's localrules stay out of the groups
    assert not set(groups) & slurm.local_rules((REPO / "Snakefile").read_text())
    assert groups["train"] == groups["latency"] or name == "slurm-gpu"
    assert prof["slurm-keep-successful-logs"] is True
    assert prof["slurm-init-seconds-before-status-checks"] <= 10
    if name == "slurm-gpu":   # a group job has one partition: GPU rules and CPU rules never share a group
        part = {r: res.get("slurm_partition", "cpu") for r, res in prof["set-resources"].items()}
        for group in set(groups.values()):
            members = {part.get(r, "cpu") for r, g in groups.items() if g == group}
            assert len(members) == 1, (group, members)


@pytest.mark.parametrize("name", ["slurm", "slurm-gpu"])
def test_profile_runs_the_localrules_one_at_a_time(name):
    """Snakemake ignores local-cores for localrules (snakemake/snakemake#2896): each asks the one submit_host slot
    the profile offers, so the profile's list must be the Snakefile's."""
    prof = yaml.safe_load((REPO / "profiles" / name / "profile.yaml").read_text())
    assert "submit_host=1" in prof["resources"]
    asking = {rule for rule, res in prof["set-resources"].items() if res.get("submit_host") == 1}
    assert asking == slurm.local_rules((REPO / "Snakefile").read_text())


def test_local_rules_of_the_snakefile():
    """The preflight's reading of `localrules:` (a dry run prints local jobs as `rule`): the report's jobs run on the
    submit host, every name is a rule of the workflow, and nothing timed is among them."""
    local = slurm.local_rules((REPO / "Snakefile").read_text())
    assert {"mnist", "experiment_table", "report"} <= local <= set(_rules())
    assert not local & {"train", "latency", "peak", "precision", "machine", "part3_resnet18_q1"}
    assert slurm.local_rules("localrules: a, b\nrule a:\n    shell: 'x'\nlocalrules: c\n") == {"a", "b", "c"}
