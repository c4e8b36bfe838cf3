"""The report rendered from the fixture tables: every section and table is there, numbers are formatted by
the filters, HTML is escaped and self-contained, and the PDF's text holds the key numbers."""

import re
import shutil
import subprocess

import pytest
from report_fixture import render_fixture_report
from testlib import mostly_empty_pages, pdf_words

from mlalab.plan.schema import validate
from mlalab.report import context, filters, render


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    return render_fixture_report(tmp_path_factory.mktemp("report"), pdf=True)


def test_filters():
    assert filters.f_bytes(1536) == "1.50 KiB" and filters.f_bytes(3 * 2**20) == "3.00 MiB" and filters.f_bytes(12) == "12 B"
    assert filters.f_ms(0.00257) == "2.57 ms" and filters.f_ms(3.77e-5) == "37.7 µs"
    assert filters.f_secs(56.3) == "56.3 s"
    assert filters.f_si(335114) == "335 k" and filters.f_si(2.91e6) == "2.91 M" and filters.f_si(4.2e9) == "4.20 G"
    assert filters.f_shape("64x1x28x28") == "64×1×28×28" and filters.f_shape([1, 10]) == "1×10"
    assert filters.f_shape(32.0) == "32" and filters.f_shape("32") == "32" and filters.f_shape(None) == "—"
    assert filters.f_pct(0.9165) == "91.65 %" and filters.f_pct(float("nan")) == "—"
    assert filters.column_unit("latency_median_s") == "ms" and filters.column_unit("train_time_s_mean") == "secs"
    assert filters.column_unit("act_bytes_b64") == "bytes" and filters.column_unit("macs_per_sample_thop") == "si"


def test_autoescape_on():
    env = render.environment()
    assert env.autoescape("report.html.j2")
    out = env.from_string("{{ x }}").render(x="<script>")
    assert "<script>" not in out and "&lt;script&gt;" in out


def test_every_section_and_table(rendered):
    html, config = rendered["html"], rendered["config"]
    for heading in ["Part 1 — Multi-layer perceptron on MNIST", "Part 2 — Convolutional network on MNIST",
                    "Part 3 — ResNet18 and BERT-base", "Methods", "Validation: thop vs aten vs analytic",
                    "Appendix — Provenance", "Contents", "Q1 — Weight and activation shapes",
                    "Q2 — Weight, bias and activation sizes", "Q3 — Effect of batch size", "Q4 — Precision",
                    "Effect of the width", "Effect of the depth", "Effect of the filter size"]:
        assert heading in html, heading
    for name, exp in config["experiments"].items():
        assert f'id="{name}"' in html and f'id="{name}-table"' in html
        assert exp["title"] in html
    # Q1/Q2 per batch experiment, one graph per distinct model
    assert html.count("Q1 — ") >= 2 and html.count("Q2 — ") >= 2
    models = {m for n in config["experiments"] for m in rendered["frames"][f"{n}_layers"]["model"]}
    assert html.count('class="fig diagram"') == len(models)
    assert "Netron" in html and "../models/" in html


def test_numbers_come_from_tables(rendered):
    html = rendered["html"]
    t = rendered["frames"]["part1a"].sort_values("batch_size")
    assert filters.f_secs(t["train_time_s_mean"].iloc[0]) in html
    assert filters.f_pct(t["accuracy_mean"].iloc[-1]) in html
    assert filters.f_int(t["params_total"].iloc[0]) in html
    assert filters.f_int(t["macs_per_sample_analytic"].iloc[0]) in html     # conv + linear, not thop's count
    layers = rendered["frames"]["part1a_layers"]
    total = layers[layers["name"] == "total"].iloc[0]
    assert filters.f_bytes(total["act_bytes_b128"]) in html and filters.f_bytes(total["param_bytes"]) in html


def test_failed_rows_rendered_not_crashing(rendered):
    html = rendered["html"]
    assert "Failed runs" in html and "out of memory (synthetic)" in html and 'class="failed"' in html


def test_self_contained(rendered):
    html = rendered["html"]
    srcs = re.findall(r'<img src="([^"]+)"', html)
    assert srcs and all(s.startswith("data:image/") for s in srcs)
    assert "<link " not in html and "<script" not in html


def test_missing_parts_render(tmp_path):
    config = validate({"experiments": {"x": {"kind": "mlp", "variants": [{"label": "a"}], "batch_sizes": [1, 2]}},
                       "seeds": [0], "training": {"epochs": 1, "optimizer": "sgd", "lr": 0.1, "momentum": 0},
                       "results": "r", "timing": {"warmup": 0, "repeats": 1}})
    ctx = context.build_context(config, {"x": None}, {}, {}, {}, {})
    html = render.render_html(ctx)
    assert "was not produced in this run" in html and "Part 3 is not configured" in html


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils (pdftotext) not installed")
def test_pdf_text_has_key_numbers(rendered):
    pdf = rendered["out"] / "report" / "report.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "A4" in info or "595" in info
    t = rendered["frames"]["part1a"].sort_values("batch_size")
    for needle in ["Part 1A: MLP, effect of batch size", "Contents", "Page 2 of",
                   filters.f_secs(t["train_time_s_mean"].iloc[0]), filters.f_pct(t["accuracy_mean"].iloc[0]),
                   filters.f_int(t["params_total"].iloc[0])]:
        assert needle in text, needle


def test_efficiency_section_is_compact(rendered):
    html = rendered["html"]
    section = html[html.index('id="efficiency"'):html.index('id="summary-figures"')]
    for table_id in ("peak-table", "roofline-table", "precision-table"):
        assert f'id="{table_id}"' in section
    roof = rendered["frames"]["roofline"]
    head = section[section.index('id="roofline-table"'):]
    head = head[:head.index("</thead>")]
    assert head.count("<th>") == 7 and "macs source" not in head  # the chosen columns, not every CSV column
    # one summary bullet per model with several batches, not one paragraph per row
    assert section.count("</span> of peak at batch") == sum(1 for _, g in roof.groupby("model") if g["batch_size"].nunique() > 1)
    assert filters.f_num(roof["peak_fp32_gflops"].iloc[0]) in section
    # the rule is the CI of the median, not overlapping p10-p90 ranges
    assert "p10–p90 intervals overlap" not in section and "outside the p10–p90 spread" not in section


def test_appendix_has_compact_config(rendered):
    html = rendered["html"]
    appendix = html[html.index('id="appendix"'):]
    assert "<pre" not in appendix and "config.yaml" in appendix and "Wall time per rule" in appendix
    for name in rendered["config"]["experiments"]:
        assert f"<td>{name}</td>" in appendix


def test_pdf_stays_on_the_page_and_answers_every_question(rendered):
    """From the PDF itself: no word runs past the page edge, no placeholder is printed, and the text holds
    the exact counts and every Part 3 question label."""
    pdf = rendered["out"] / "report" / "report.pdf"
    pages = pdf_words(pdf)
    assert pages
    assert not mostly_empty_pages(pages), f"pages {mostly_empty_pages(pages)} of {len(pages)} are mostly empty"
    for n, (w, h, words) in enumerate(pages, 1):
        outside = [t for x0, y0, x1, y1, t in words if x0 < 0 or y0 < 0 or x1 > w + 0.5 or y1 > h + 0.5]
        assert not outside, f"page {n}: {outside[:5]} run past the page"
    text = " ".join(t for _, _, words in pages for *_, t in words)
    for phrase in ("Figure not available", "not available in this run"):
        assert phrase not in text, phrase
    assert not {"nan", "None", "NaN"} & set(text.split())
    # the model graphs are the ONNX exports with a shape on every edge, never a box without its shape
    assert "out —" not in text and "batch×1×28×28" in text and "batch×784" in text
    t = rendered["frames"]["part1a"]
    for needle in ["11,689,512", "109,482,240", "8 GEMMs", f"{int(t['params_total'].iloc[0]):,}",
                   f"{int(t['macs_per_sample_analytic'].iloc[0]):,}", "ResNet18 Q1", "ResNet18 Q2", "BERT Q1",
                   "BERT Q2", "BERT Q3", "Activations outgrow the weights from batch"]:
        assert needle in text, needle


def test_the_sum_row_lines_up_with_its_columns(rendered):
    """'weights + biases + activations' spans four columns: its numbers sit right-aligned under the activation
    columns, as the total row's do (they were left-aligned, off their columns: issue 23)."""
    checked = 0
    for _, _, words in pdf_words(rendered["out"] / "report" / "report.pdf"):
        lines = {}
        for x0, y0, x1, _, t in words:
            lines.setdefault(round(y0), []).append((x0, x1, t))
        ys = sorted(lines)
        for i, y in enumerate(ys):
            line = sorted(lines[y])
            if [t for *_, t in line[:5]] != ["weights", "+", "biases", "+", "activations"]:
                continue
            total = next(sorted(lines[u]) for u in reversed(ys[:i]) if sorted(lines[u])[0][2] == "total")
            ends = [x1 for _, x1, t in line[5:] if t.endswith("B")]           # each value's unit: '1.29 MiB'
            total_ends = [x1 for _, x1, t in total if t.endswith("B")][-len(ends):]
            assert ends and all(abs(a - b) < 1.5 for a, b in zip(ends, total_ends)), (ends, total_ends)
            checked += 1
    assert checked
