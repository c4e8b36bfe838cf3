"""The SLURM profiles match the workflow: every rule they name exists, and every timed rule (threads from
timing_threads(), i.e. all of Snakemake's --cores) is pinned by set-threads, so inside its SLURM allocation a job
uses exactly the CPUs it asked for.  No cluster needed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

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
    named = set(prof.get("set-resources", {})) | set(prof.get("set-threads", {}))
    assert named <= set(rules), f"profile {name} names rules that do not exist: {sorted(named - set(rules))}"
    timed = {r for r, body in rules.items() if re.search(r"threads:\s*timing_threads\(", body)}
    assert timed <= set(prof.get("set-threads", {})), f"timed rules not pinned: {sorted(timed - set(prof['set-threads']))}"
    assert all(t == prof["cores"] for t in prof["set-threads"].values())
