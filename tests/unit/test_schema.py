import copy
import itertools
import subprocess
import sys

import pytest
import yaml
from snakemake.utils import update_config

from mlalab.plan import checks as plan_checks
from mlalab.plan.config import expand
from mlalab.plan.schema import ConfigError, check, validate
from tests.conftest import ROOT

BASE = yaml.safe_load((ROOT / "config.yaml").read_text())


def broken(mutate):
    config = copy.deepcopy(BASE)
    mutate(config)
    return config


CASES = {
    "typo at top level": (lambda c: c.update(repeets=3), r"config: .*'repeets' was unexpected"),
    "typo in timing": (lambda c: c["timing"].update(warmpu=1), r"config\.timing: .*'warmpu'"),
    "typo in a variant": (lambda c: c["experiments"]["part1b"]["variants"][0].update(hiden=[3]),
                          r"config\.experiments\.part1b\.variants\.0: .*'hiden'"),
    "unknown model kind": (lambda c: c["experiments"]["part1a"].update(kind="rnn"),
                           r"config\.experiments\.part1a\.kind: 'rnn' is not one of"),
    "batch size zero": (lambda c: c["experiments"]["part2a"].update(batch_sizes=[1, 0]),
                        r"config\.experiments\.part2a\.batch_sizes\.1: 0 is less than the minimum of 1"),
    "wrong type": (lambda c: c["timing"].update(repeats="ten"), r"config\.timing\.repeats: 'ten' is not of type"),
    "negative lr": (lambda c: c["training"].update(lr=-1), r"config\.training\.lr: -1"),
    "path in experiment name": (lambda c: c["experiments"].update({"../x": c["experiments"]["part1a"]}),
                                r"config\.experiments: '\.\./x' does not match"),
    "space in experiment name": (lambda c: c["experiments"].update({"my exp": c["experiments"]["part1a"]}),
                                 r"config\.experiments: 'my exp' does not match"),
    "even kernel": (lambda c: c["experiments"]["part2b"]["variants"][0].update(kernel=4),
                    r"config\.experiments\.part2b\.variants\.0\.kernel: 4 should not be valid"),
    "bad device": (lambda c: c.update(device="tpu"), r"config\.device: 'tpu' is not one of"),
    # YAML (PyYAML) reads 1e9 as a string: the message says so and how to write the number
    "number read as a string": (lambda c: c["timing"].update(budget_s=yaml.safe_load("x: 1e9")["x"]),
                                r"config\.timing\.budget_s: '1e9' is not of type 'number' \(YAML reads 1e9 as a "
                                r"string, not a number: write 1\.0e\+9"),
    # sizes and counts have upper bounds: an extra zero or two is refused, not run for days
    "repeats beyond the bound": (lambda c: c["timing"].update(max_repeats=10_000_000),
                                 r"config\.timing\.max_repeats: 10000000 is greater than the maximum"),
    "epochs beyond the bound": (lambda c: c["training"].update(epochs=100_000),
                                r"config\.training\.epochs: 100000 is greater than the maximum"),
    "batch beyond the bound": (lambda c: c["experiments"]["part2a"].update(batch_sizes=[1, 10_000_000]),
                               r"config\.experiments\.part2a\.batch_sizes\.1: 10000000 is greater than"),
    "width beyond the bound": (lambda c: c["experiments"]["part1b"]["variants"][0].update(hidden=[10_000_000]),
                               r"config\.experiments\.part1b\.variants\.0\.hidden\.0: 10000000 is greater"),
}


def test_the_hinted_spelling_is_a_number_to_yaml():
    assert yaml.safe_load("x: 1.0e+9")["x"] == 1e9 and isinstance(yaml.safe_load("x: 1.0e9")["x"], str)


@pytest.mark.parametrize("case", list(CASES))
def test_schema_rejects_and_names_the_key(case):
    mutate, pattern = CASES[case]
    with pytest.raises(ConfigError, match=pattern):
        check(broken(mutate))


OVERLAYS = ("config.quick.yaml", "config.models-example.yaml", "config.mlperf.yaml")


@pytest.mark.parametrize("overlays", [c for n in range(len(OVERLAYS) + 1) for c in itertools.combinations(OVERLAYS, n)],
                         ids=lambda c: "+".join(c) or "config.yaml")
def test_shipped_configs_are_valid_alone_and_combined(overlays):
    # the overlays are documented as combinable: each combination passes the schema and the plan's own checks
    merged = copy.deepcopy(BASE)
    for name in overlays:
        update_config(merged, yaml.safe_load((ROOT / name).read_text()))  # as --configfile does
    validate(merged)
    assert plan_checks.errors(merged, expand(merged)) == []


def test_snakemake_refuses_a_bad_config_before_any_job(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("timing: {warmup: 1, repeats: 0}\n")
    out = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--configfile", str(bad)], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode != 0
    assert "config.timing.repeats: 0 is less than the minimum of 1" in out.stdout + out.stderr


def test_shared_run_is_trained_once():
    lab = expand(validate(copy.deepcopy(BASE)))
    part1a_bs64 = [r.run for r in lab.rows_of("part1a") if r.batch_size == 64]
    part1b_256 = [r.run for r in lab.rows_of("part1b") if r.label == "256x3"]
    assert part1a_bs64 == part1b_256
    assert len(lab.runs) == len({r.run for r in lab.rows}) == 16


def test_each_seed_is_its_own_run():
    lab = expand(validate(broken(lambda c: c.update(seeds=[0, 1]))))
    assert len(lab.runs) == 32
    assert {lab.runs[r]["seed"] for r in lab.runs} == {0, 1}
