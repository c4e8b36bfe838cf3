"""The comparison of results folders (mlalab.report.compare) and the folder summary it reads
(mlalab.stages.machine), on small frames and on the report fixture's tables; nothing is built."""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from mlalab.plan.schema import validate
from mlalab.report import compare as cmp
from mlalab.report.compare import CompareError, Folder, join, load_folders, pair, sections
from mlalab.stages.machine import describe_machine

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
P3 = ("part3_resnet18_latency", "part3_bert_latency")


def cell(latency, lo=None, hi=None, status="ok", train=None, acc=None):
    return {"latency_median_s": latency, "throughput_per_s": None, "train_time_s_mean": train,
            "accuracy_mean": acc, "latency_ci95_low_s": lo, "latency_ci95_high_s": hi, "status": status,
            "error": None}


def test_join_keeps_every_row_and_marks_what_a_folder_lacks():
    a = pd.DataFrame({"label": ["x", "x"], "model": ["m", "m"], "batch_size": [1, 64], "latency_median_s": [1.0, 2.0]})
    b = pd.DataFrame({"label": ["x", "y"], "model": ["m", "m"], "batch_size": [64.0, 8.0],   # floats: read back
                      "latency_median_s": [0.5, 0.1], "status": ["ok", "failed"]})
    rows = join([a, b, None], cmp.EXPERIMENT_KEYS)
    assert [tuple(r["key"].values()) for r in rows] == [("x", "m", 1), ("x", "m", 64), ("y", "m", 8)]
    assert [[c is not None for c in r["cells"]] for r in rows] == [[True, False, False], [True, True, False],
                                                                  [False, True, False]]
    assert rows[1]["cells"][1]["latency_median_s"] == 0.5 and rows[2]["cells"][1]["status"] == "failed"


def test_a_blank_key_cell_in_two_folders_is_one_row():
    # a failed row has no size (NaN when read back); NaN != NaN, so it was listed as "only in" every folder
    a = pd.DataFrame({"label": ["x"], "model": ["m"], "batch_size": [float("nan")], "status": ["failed"]})
    b = pd.DataFrame({"label": ["x"], "model": ["m"], "batch_size": [float("nan")], "status": ["failed"]})
    rows = join([a, b], cmp.EXPERIMENT_KEYS)
    assert len(rows) == 1 and rows[0]["key"]["batch_size"] is None
    assert all(c is not None for c in rows[0]["cells"])


def test_pair_speedup_and_the_noise_rule():
    p = pair(cell(2.0, 1.9, 2.1), cell(1.0, 0.9, 1.1), training=True)
    assert p["speedup"] == 2.0 and p["differs"] is True
    assert pair(cell(2.0, 1.0, 3.0), cell(1.5, 1.2, 1.8), training=True)["differs"] is False   # CIs overlap
    assert pair(cell(2.0), cell(1.0), training=True) == {"speedup": 2.0, "differs": None,   # no CI: cannot tell
                                                         "unknown": "not enough calls to tell",
                                                         "train_speedup": None, "accuracy_diff": None}
    assert pair(cell(2.0), None, training=True)["speedup"] is None
    assert pair(cell(2.0), cell(1.0, status="failed"), training=True)["speedup"] is None
    trained = pair(cell(1.0, train=6.0, acc=0.90), cell(1.0, train=2.0, acc=0.95), training=True)
    assert trained["train_speedup"] == 3.0 and trained["accuracy_diff"] == pytest.approx(0.05)
    assert pair(cell(1.0, train=6.0, acc=0.9), cell(1.0, train=2.0, acc=0.95), training=False)["train_speedup"] is None


def test_load_folders_refuses_one_folder_and_a_folder_without_machine_json(tmp_path):
    for name in ("x/quick", "y/quick"):
        (tmp_path / name).mkdir(parents=True)
    (tmp_path / "x/quick/machine.json").write_text(json.dumps({"description": "cpu A, 2 threads"}))
    with pytest.raises(CompareError, match="two or more"):
        load_folders([str(tmp_path / "x/quick")])
    with pytest.raises(CompareError, match=f"no machine.json in {tmp_path / 'y/quick'}"):
        load_folders([str(tmp_path / "x/quick"), str(tmp_path / "y/quick")])
    (tmp_path / "y/quick/machine.json").write_text(json.dumps({"description": "cuda H200, 16 threads"}))
    found = load_folders([str(tmp_path / "x/quick"), str(tmp_path / "y/quick")])
    assert [f.name for f in found] == ["x/quick", "y/quick"]        # the shortest tail that tells them apart
    assert found[1].label == "cuda H200, 16 threads · y/quick"


def machine_of(folder: Path, config: dict) -> dict:
    tables = {n: str(folder / "tables" / f"{n}.csv") for n in config["experiments"]}
    rec = describe_machine(config, tables, {n: str(folder / "tables" / f"{n}.csv") for n in P3}, log=lambda m: None)
    (folder / "machine.json").write_text(json.dumps(rec))
    return rec


def with_ci(frame: pd.DataFrame, scale: float, low: float, high: float) -> pd.DataFrame:
    """Latency median times `scale`, with a 95 % CI of [low, high] x the original median."""
    m = frame["latency_median_s"]
    return frame.assign(latency_median_s=m * scale, latency_ci95_low_s=m * low, latency_ci95_high_s=m * high)


@pytest.fixture
def two_folders(tmp_path):
    """The fixture's tables as folder a (CIs of +-10 %, none in Part 1C); folder b: latencies halved with
    CIs far from a's, except Part 1B (5 % faster, CIs overlapping), part2c not in its lab, part1a without
    batch 128, ResNet18 at another image size, other training data."""
    config = validate(yaml.safe_load((FIXTURES / "config.yaml").read_text()))   # as the Snakefile leaves it
    a, b = tmp_path / "a", tmp_path / "b"
    for folder in (a, b):
        shutil.copytree(FIXTURES / "tables", folder / "tables")
    for path in sorted((a / "tables").glob("*.csv")):
        frame = pd.read_csv(path)
        if "latency_median_s" not in frame.columns or "threads" not in frame.columns:
            continue
        in_a = with_ci(frame, 1.0, 0.9, 1.1) if path.stem != "part1c" else frame
        in_b = with_ci(frame, 0.95, 0.9, 1.1) if path.stem == "part1b" else with_ci(frame, 0.5, 0.45, 0.55)
        if path.stem == "part1c":
            in_b = in_b.drop(columns=cmp.CI)
        in_b = in_b.assign(threads=1)
        if path.stem == "part1a":
            in_b = in_b[in_b["batch_size"] != 128]
        if path.stem == "part3_resnet18_latency":
            in_b = in_b.assign(image_size=in_b["image_size"] // 2)
        in_a.to_csv(path, index=False)
        in_b.to_csv(b / "tables" / path.name, index=False)
    machine_of(a, config)
    machine_of(b, {**config, "experiments": {k: v for k, v in config["experiments"].items() if k != "part2c"},
                   "data": {"train_subset": 1000, "test_subset": None}})
    return config, a, b


def test_machine_json_names_the_machine_from_the_tables(two_folders):
    config, a, b = two_folders
    ma, mb = (json.loads((f / "machine.json").read_text()) for f in (a, b))
    frame = pd.read_csv(a / "tables" / "part1a.csv")
    assert ma["device"] == frame["device"].iloc[0] and ma["threads"] == frame["threads"].iloc[0]
    assert mb["threads"] == 1 and mb["description"].endswith("1 thread")
    assert ma["experiments"]["part1a"]["batch_sizes"] == sorted(frame["batch_size"].unique().tolist())
    assert "part2c" not in mb["experiments"] and ma["config_sha256"] != mb["config_sha256"]
    assert set(ma["part3"]) == {"resnet18", "bert-base"} and ma["part3"]["resnet18"]["input"] == "image_size"


def test_sections_compare_what_the_folders_share(two_folders):
    _, a, b = two_folders
    folders = load_folders([str(a), str(b)])
    secs = {s["name"]: s for s in sections(folders)}
    p1a = pd.read_csv(a / "tables" / "part1a.csv")
    rows = {r["key"]["batch_size"]: r for r in secs["part1a"]["rows"]}
    assert set(rows) == set(p1a["batch_size"])                      # batch 128 stays, missing in b
    assert rows[128]["cells"][1] is None and rows[128]["pairs"][0]["speedup"] is None
    assert secs["part1a"]["left_out"] == [rows[128]]
    one = p1a[p1a["batch_size"] == 1].iloc[0]
    assert rows[1]["cells"][0]["latency_median_s"] == one["latency_median_s"]
    assert rows[1]["pairs"][0]["speedup"] == pytest.approx(2.0) and rows[1]["pairs"][0]["differs"] is True
    assert rows[1]["pairs"][0]["train_speedup"] is None                # b trained on other data
    assert {r["pairs"][0]["differs"] for r in secs["part1b"]["rows"]} == {False}     # CIs overlap
    assert {r["pairs"][0]["differs"] for r in secs["part1c"]["rows"]} == {None}      # no CI: cannot tell
    # why not: the tables have no interval columns at all, not "too few calls" (series of 70-85 calls)
    assert {r["pairs"][0]["unknown"] for r in secs["part1c"]["rows"]} == {
        "no interval columns (latency_ci95_low_s, latency_ci95_high_s) in a table"}
    assert secs["part2c"]["absent"] == [{"folder": 1, "reason": "not in its lab"}]
    resnet = secs["resnet18"]
    assert resnet["input"] == "image_size" and not any(r["shared"] for r in resnet["rows"])   # other image size
    assert {d["setting"] for d in cmp.settings_differences(folders)} == {"data.train_subset"}


def test_comparison_renders_html_and_pdf(two_folders, tmp_path):
    _, a, b = two_folders
    out = tmp_path / "out"
    outputs = type("Out", (), {k: str(out / f"{k}.{ext}") for k, ext in
                               (("html", "html"), ("pdf", "pdf"), ("throughput", "svg"), ("speedup", "svg"))})
    cmp.compare_folders(outputs, [str(a), str(b)], log=lambda m: None)
    html = Path(outputs.html).read_text()
    assert Path(outputs.pdf).read_bytes().startswith(b"%PDF") and html.count("<svg") == 0   # figures inlined
    assert 'data-section="experiment:part2c"' in html and "not in its lab" in html
    assert 'data-folder="1" data-col="latency_median_s" data-value="missing"' in html
    assert html.count("data:image/svg+xml;base64,") == 2 and "Left out of the comparison" in html
    assert Folder(str(a), "a", {}).label == "unknown machine · a"


def test_sources_stamp_changes_with_a_table(two_folders):
    _, a, b = two_folders
    before = cmp.sources([str(a), str(b)])
    assert set(before) == {str(a), str(b)}
    frame = pd.read_csv(b / "tables" / "part1a.csv")
    frame.assign(latency_median_s=frame["latency_median_s"] * 3).to_csv(b / "tables" / "part1a.csv", index=False)
    after = cmp.sources([str(a), str(b)])
    assert before[str(a)] == after[str(a)] and before[str(b)] != after[str(b)]
    (a / "machine.json").unlink()
    with pytest.raises(CompareError, match=f"no machine.json in {a}"):
        cmp.sources([str(a), str(b)])


def test_part3_rows_from_the_runtime_table_once_each(two_folders):
    """The runtime table repeats the lab table's eager records: each (precision, runtime, input, batch) is one
    row; a runtime only folder a timed (compile) is a row b lacks; a model only in the runtime table is a section."""
    config, a, b = two_folders
    lab = pd.read_csv(a / "tables" / "part3_resnet18_latency.csv")
    extra = pd.DataFrame({"model": ["mobilenet"], "runtime_label": ["eager"], "precision": ["fp32"], "runtime": ["eager"],
                          "batch_size": [1], "image_size": [32], "seq_len": [None], "latency_median_s": [0.002],
                          "status": ["ok"]})
    compiled = lab.head(1).assign(runtime="compile", runtime_label="compile", latency_median_s=0.001)
    pd.concat([lab, compiled, extra]).to_csv(a / "tables" / "part3_runtimes.csv", index=False)
    tables = {n: str(a / "tables" / f"{n}.csv") for n in config["experiments"]}
    rec = describe_machine(config, tables, {n: str(a / "tables" / f"{n}.csv") for n in (*P3, "part3_runtimes")},
                           log=lambda m: None)
    (a / "machine.json").write_text(json.dumps(rec))
    assert rec["part3"]["resnet18"]["tables"] == ["part3_resnet18_latency", "part3_runtimes"]
    assert rec["part3"]["resnet18"]["runtimes"] == ["compile", "eager"] and rec["part3"]["mobilenet"]["input_sizes"] == [32]
    secs = {s["name"]: s for s in sections(load_folders([str(a), str(b)]))}
    keys = [tuple(r["key"].values()) for r in secs["resnet18"]["rows"]]
    assert len(keys) == len(set(keys)) == len(lab) * 2 + 1            # a's rows, b's (other image size), compile
    first = lab.iloc[0]
    row = next(r for r in secs["resnet18"]["rows"] if r["key"]["runtime"] == "compile")
    assert row["key"] == {"precision": first["precision"], "runtime": "compile", "input_size": first["image_size"],
                          "batch_size": first["batch_size"]} and row["cells"][0]["latency_median_s"] == 0.001
    assert secs["mobilenet"]["absent"] == [{"folder": 1, "reason": "not in its lab"}]


def test_a_symlink_to_a_listed_folder_is_not_a_second_folder(two_folders, tmp_path):
    _, a, b = two_folders
    (tmp_path / "again").symlink_to(a)
    with pytest.raises(CompareError, match=f"compare: {tmp_path / 'again'} is the folder {a} again"):
        load_folders([str(a), str(b), str(tmp_path / "again")])


def test_a_table_without_batch_size_is_named_with_its_folder(two_folders):
    _, a, b = two_folders
    path = b / "tables" / "part1a.csv"
    pd.read_csv(path).drop(columns=["batch_size"]).to_csv(path, index=False)
    secs = {s["name"]: s for s in sections(load_folders([str(a), str(b)]))}
    [absent] = secs["part1a"]["absent"]
    assert absent["folder"] == 1 and absent["reason"].startswith(f"{path} has no batch_size column")
    assert secs["part1b"]["absent"] == []   # the other tables are compared as before


def test_a_garbled_machine_json_names_its_folder(two_folders):
    from mlalab.io import DamagedFile

    _, a, b = two_folders
    (b / "machine.json").write_text("{garbage")
    with pytest.raises(DamagedFile, match=str(b / "machine.json")):
        load_folders([str(a), str(b)])
