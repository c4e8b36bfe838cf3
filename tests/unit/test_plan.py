"""The plan (mlalab.plan): torch-free, and every latency any section shows is planned once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from mlalab.plan import latency, paths, targets
from mlalab.plan.config import expand
from mlalab.plan.schema import validate

REPO = Path(__file__).resolve().parents[2]


def _config(*overlays: str) -> dict:
    cfg = yaml.safe_load((REPO / "config.yaml").read_text())
    for name in overlays:
        over = yaml.safe_load((REPO / name).read_text())
        for k, v in over.items():
            cfg[k] = {**cfg[k], **v} if isinstance(v, dict) and isinstance(cfg.get(k), dict) else v
    return validate(cfg)


def test_the_plan_imports_no_torch():
    code = ("import sys, mlalab.plan.targets, mlalab.plan.latency, mlalab.plan.part3, mlalab.plan.schema, "
            "mlalab.plan.deps, mlalab.plan.mnist; print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('torch', 'torchvision', 'transformers')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_every_section_reads_one_latency_record_per_point():
    for overlays in ((), ("config.quick.yaml",)):
        cfg = _config(*overlays)
        lab = expand(cfg)
        pts = latency.points(cfg, lab)
        assert len(pts) == len(set(pts))
        # the precision study's fp32 rows are the experiment tables' records (same model, same batch)
        mnist = {(r.model, "fp32", r.batch_size) for r in lab.rows}
        shared = set(latency.precision_points(cfg, lab)) & mnist
        assert shared, "the precision study should reuse the experiment tables' fp32 records"
        assert set(latency.part3_points(cfg)) <= set(pts)
        q1 = ("resnet18", "fp32", cfg["part3"]["resnet18"]["q1_images"])
        assert q1 in pts
        # one file per point, whichever section asks
        assert len(paths.latency_records(cfg, pts)) == len(pts)


def test_seeds_do_not_multiply_timing_jobs():
    cfg = _config()
    one = latency.points({**cfg, "seeds": [0]}, expand({**cfg, "seeds": [0]}))   # seeds feed no default
    three = latency.points({**cfg, "seeds": [0, 1, 2]}, expand({**cfg, "seeds": [0, 1, 2]}))
    assert one == three


def test_final_outputs_hold_every_table_figure_and_the_report():
    cfg = _config("config.quick.yaml")
    lab = expand(cfg)
    final = set(targets.final_outputs(cfg, lab))
    assert set(targets.tables(cfg).values()) <= final
    assert set(targets.figures(cfg).values()) <= final
    assert set(targets.report(cfg).values()) <= final
    assert {f"{cfg['results']}/models/{m}/model.onnx" for m in ("resnet18", "bert-base")} <= final


def test_bert_is_timed_at_one_sequence_length():
    cfg = _config()
    cfg["precision"]["bert"] = {**cfg["precision"]["bert"], "seq_len": cfg["part3"]["bert"]["seq_len"] + 1}
    try:
        latency.part3_specs(cfg)
    except ValueError as e:
        assert "precision.bert.seq_len" in str(e) and "part3.bert.seq_len" in str(e)
    else:
        raise AssertionError("two BERT sequence lengths were accepted")
