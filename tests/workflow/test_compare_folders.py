"""`snakemake compare` on the session's quick build and two copies of its results folder made into other
"machines": one with every latency halved and 1 thread, one without its Part 2C table. The comparison's
cells are checked against the folders' CSVs; it runs no lab job, reruns when a table changes, and refuses a
folder without machine.json."""

from __future__ import annotations

import html
import json
import math
import re
import shutil

import pandas as pd
import pytest
from smk import QUICK, dry_run, snakemake

from mlalab.report.noise import Latency, medians_differ

VALUES = ["latency_median_s", "throughput_per_s", "train_time_s_mean", "accuracy_mean"]


def copy_results(src, dest):
    """What compare reads of a results folder (as a folder copied back from another machine would have)."""
    shutil.copytree(src / "tables", dest / "tables")
    shutil.copy2(src / "machine.json", dest / "machine.json")
    return dest


def faster_machine(folder):
    """Every latency (and its CI) halved, throughput doubled, 1 thread: another machine's folder."""
    for path in (folder / "tables").glob("*.csv"):
        frame = pd.read_csv(path)
        if "latency_median_s" not in frame.columns:
            continue
        for col in frame.columns:
            if col.startswith("latency_") and col.endswith("_s") and col != "latency_bound_s":   # a bound is a setting
                frame[col] = frame[col] / 2
            elif col.startswith("throughput_"):
                frame[col] = frame[col] * 2
        if "threads" in frame.columns:
            frame["threads"] = 1
        frame.to_csv(path, index=False)
    machine = json.loads((folder / "machine.json").read_text())
    machine.update(threads=1, description=f"{machine['device']} {machine['device_name']}, 1 thread")
    (folder / "machine.json").write_text(json.dumps(machine))


def cells(page: str) -> dict:
    """{(table, row key): {(folder index or 'vs' + pair index, column): raw value}} from the data- attributes."""
    out = {}
    for section, body in re.findall(r'<table [^>]*data-section="([^"]+)">(.*?)</table>', page, re.S):
        for key, row in re.findall(r'<tr data-key="([^"]*)"[^>]*>(.*?)</tr>', body, re.S):
            found = {}
            for attrs in re.findall(r"<td ([^>]*)>", row):
                a = dict(re.findall(r'([\w-]+)="([^"]*)"', attrs))
                if "data-col" in a:
                    who = a["data-folder"] if "data-folder" in a else f"vs{a['data-pair']}"
                    found[(who, a["data-col"])] = html.unescape(a["data-value"])
            out[(section, html.unescape(key))] = found
    return out


def noise_word(a: pd.Series, b: pd.Series) -> str:
    lat = [Latency(r["latency_median_s"], *(float(r.get(c, math.nan)) for c in ("latency_ci95_low_s",
                                                                                  "latency_ci95_high_s")))
           for r in (a, b)]
    return {None: "unknown", True: "yes", False: "no"}[medians_differ(*lat)]


def test_compare_three_folders(built, tmp_path):
    a = built / "results" / "quick"
    b = copy_results(a, tmp_path / "fast" / "quick")
    faster_machine(b)
    c = copy_results(a, tmp_path / "partial" / "quick")
    (c / "tables" / "part2c.csv").unlink()
    for name in ("part3_scenarios", "part3_scenario_runs"):      # c's build ran no MLPerf scenario
        (c / "tables" / f"{name}.csv").unlink()
    out = tmp_path / "cmp"
    args = [*QUICK, "--config", f"results={out}", f"compare=[{a},{b},{c}]"]

    assert dry_run(built, "compare", *args) == {"compare"}          # no lab job, whatever their state
    snakemake(built, "--cores", "1", "compare", *args, timeout=900).check()
    page = (out / "compare" / "compare.html").read_text()
    assert (out / "compare" / "compare.pdf").read_bytes().startswith(b"%PDF")
    got = cells(page)
    machine = json.loads((a / "machine.json").read_text())
    assert machine["description"] in page and "1 thread · fast/quick" in page
    checked = 0
    for name in machine["experiments"]:
        fa, fb = (pd.read_csv(f / "tables" / f"{name}.csv", dtype={"label": str}) for f in (a, b))
        for (_, ra), (_, rb) in zip(fa.iterrows(), fb.iterrows()):
            row = got[(f"experiment:{name}", f"{ra['label']}|{ra['model']}|{ra['batch_size']}")]
            for col in VALUES:
                for who, r in (("0", ra), ("1", rb)):
                    want = r[col]
                    assert (row[(who, col)] == "" if pd.isna(want) else float(row[(who, col)]) == pytest.approx(want))
                if name == "part2c":
                    assert row[("2", col)] == "missing"
            assert float(row[("vs1", "speedup")]) == pytest.approx(ra["latency_median_s"] / rb["latency_median_s"])
            assert row[("vs1", "differs")] == noise_word(ra, rb)
            if name == "part2c":
                assert row[("vs2", "speedup")] == ""
            else:
                assert float(row[("vs2", "speedup")]) == pytest.approx(1.0)
            checked += 1
    assert checked == sum(len(pd.read_csv(a / "tables" / f"{n}.csv")) for n in machine["experiments"])
    assert "table missing" in page and re.search(r"Part 2C[^<]*</strong>: no table in [^<]*partial/quick", page)

    check_scenarios(got, page, a, b)

    # a changed table reruns the comparison; a folder without machine.json is refused by name
    assert dry_run(built, "compare", *args) == set()
    faster_machine(b)
    assert dry_run(built, "compare", *args) == {"compare"}
    (c / "machine.json").unlink()
    refused = snakemake(built, "-n", "--cores", "1", "compare", *args, timeout=600)
    assert refused.returncode != 0 and f"no machine.json in {c}" in refused.out


def check_scenarios(got: dict, page: str, a, b) -> None:
    """The scenario table's cells against a's and b's part3_scenarios.csv (b: the same results: faster_machine
    leaves the scenario columns alone); c, without scenario tables, is named."""
    fa, fb = (pd.read_csv(f / "tables" / "part3_scenarios.csv") for f in (a, b))
    assert len(fa) and "scenario_latency_s" in fa.columns
    for (_, ra), (_, rb) in zip(fa.iterrows(), fb.iterrows()):
        size = ra["image_size"] if pd.notna(ra["image_size"]) else ra["seq_len"]
        row = got[("scenarios", f"{ra['model']}|{ra['runtime_label']}|{int(size)}|{ra['scenario']}")]
        col = "scenario_latency_s" if ra["scenario"] in ("single_stream", "multi_stream") else "scenario_throughput_per_s"
        for who, r in (("0", ra), ("1", rb)):
            assert (row[(who, "value")] == "no valid rate" if pd.isna(r[col])
                    else float(row[(who, "value")]) == pytest.approx(r[col]))
            assert row[(who, "loadgen_validity")] == r["loadgen_validity"]
        assert row[("2", "value")] == "missing"
        if pd.notna(ra[col]):     # b holds a's results: the ratio is 1 whichever way it is taken
            assert float(row[("vs1", "ratio")]) == pytest.approx(1.0)
    assert re.search(r"partial/quick: no MLPerf scenario tables", page)


def test_machine_json_is_read_from_the_tables(built):
    folder = built / "results" / "quick"
    machine = json.loads((folder / "machine.json").read_text())
    p1a = pd.read_csv(folder / "tables" / "part1a.csv")
    ok = p1a[p1a["status"] == "ok"].iloc[0]
    assert (machine["device"], machine["device_name"], machine["threads"]) == (ok["device"], ok["device_name"],
                                                                              ok["threads"])
    assert machine["experiments"]["part1a"]["batch_sizes"] == sorted(p1a["batch_size"].unique().tolist())
    assert machine["part3"]["resnet18"]["input"] == "image_size" and machine["part3"]["resnet18"]["input_sizes"] == [64]
