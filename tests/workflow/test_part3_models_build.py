"""Part 3 for any model (issue 12), through the real pipeline: the example overlay (mobilenet_v3_small and a
two-block GPT-2, runtimes eager + onnxruntime) builds on top of the shared quick build, both models reach the
CSVs and the report with ONNX Runtime agreeing with eager; an unknown model name is refused before any job."""

from __future__ import annotations

import csv

import pytest
import smk

pytestmark = pytest.mark.workflow

EXAMPLE = "config.models-example.yaml"
ADDED = ("mobilenet_v3_small", "gpt2-tiny")


def _rows(path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_the_models_example_builds_and_both_models_reach_the_csvs_and_the_report(built, tmp_path):
    work = smk.copy_built(built, tmp_path / "work")
    run = smk.snakemake(work, "--cores", "2", *smk.QUICK, EXAMPLE, timeout=1800).check()
    assert "rule train" not in run.out          # adding Part 3 models retrains nothing
    tables = work / "results" / "quick" / "tables"
    rt = _rows(tables / "part3_runtimes.csv")
    for model in ADDED:
        # the overlay's runtimes: [eager, onnxruntime, bf16] (bf16 kept from config.quick.yaml's list)
        mine = [r for r in rt if r["model"] == model]
        assert {(r["runtime_label"], int(r["batch_size"])) for r in mine} == {
            (rt_, b) for rt_ in ("eager", "onnxruntime", "bf16") for b in ((1, 4) if model == ADDED[0] else (1, 2))}
        mine = [r for r in mine if r["runtime_label"] != "bf16"]   # bf16 may be a failed row on an old CPU
        assert all(r["status"] == "ok" and float(r["latency_median_s"]) > 0 for r in mine), mine
        ort = [r for r in mine if r["runtime_label"] == "onnxruntime"]
        assert all(float(r["output_max_rel_error"]) < 1e-4 for r in ort), ort
    assert {r["model"] for r in rt} >= {"resnet18", "bert-base", *ADDED}
    counts = _rows(tables / "part3_models_counts.csv")
    mb = next(r for r in counts if r["model"] == "mobilenet_v3_small" and r["counter"] == "flop_counter")
    assert int(mb["params"]) == 2_542_856
    gemms = _rows(tables / "part3_models_gemms.csv")
    assert {r["block"] for r in gemms} == {"h.0"} and len(gemms) == 6
    html = (work / "results" / "quick" / "report" / "report.html").read_text()
    for model in ADDED:
        assert f'id="part3-model-{model.replace("-", "_")}"' in html
        assert f"<h3>{model} across runtimes</h3>" in html
    assert "is fastest" in html or "is the only runtime" in html


def test_an_unknown_model_name_is_refused_before_any_job(tmp_path):
    work = smk.copy_pipeline(tmp_path / "work")
    overlay = smk.write_yaml(work / "overlay.yaml", {"part3": {"models": {
        "mine": {"source": "torchvision", "name": "resnet19", "image_size": 64, "batch_sizes": [1]}}}})
    run = smk.snakemake(work, "--cores", "1", *smk.QUICK, str(overlay), timeout=600)
    assert run.returncode != 0
    assert "config.part3.models.mine.name: 'resnet19' is not one of" in run.out, run.out[-3000:]
    assert "'resnet18'" in run.out and "'mobilenet_v3_small'" in run.out
    assert not (work / "results").exists()      # not one job ran
