"""No two labels of a figure overlap: the roofline's batch labels, the precision panels' ticks, the
accuracy-vs-parameters scatter (measured on the drawn figure, tests/testlib.overlapping_texts)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from report_fixture import FIXTURES  # noqa: E402
from testlib import overlapping_texts  # noqa: E402

from mlalab.report import plots  # noqa: E402
from mlalab.report.context import read_table  # noqa: E402
from mlalab.stages import roofline  # noqa: E402

TABLES = FIXTURES / "tables"
MNIST = ["part1a", "part1b", "part1c", "part2a", "part2b", "part2c"]


@pytest.fixture
def drawn(monkeypatch):
    """The figures the plot functions save, kept open (they close them after saving)."""
    figures = []
    monkeypatch.setattr(plt, "close", lambda fig=None: figures.append(fig))
    return figures


def test_the_check_sees_an_overlap_and_not_rotated_neighbours():
    fig, ax = plt.subplots()
    ax.text(0.5, 0.5, "batch 64")
    ax.text(0.52, 0.5, "batch 128")
    assert overlapping_texts(fig) == [("batch 64", "batch 128")]
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.set_xticks([0, 1, 2], ["cnn-k3-c32.64-fc128"] * 3, rotation=40, ha="right", rotation_mode="anchor")
    ax.set_yticks([])
    assert overlapping_texts(fig) == []      # their axis-aligned boxes overlap, their glyphs do not
    plt.close("all")


def test_accuracy_vs_params(drawn, tmp_path):
    plots.accuracy_vs_params({n: read_table(TABLES / f"{n}.csv") for n in MNIST}, tmp_path / "a.svg")
    assert len(drawn[-1].axes[0].texts) > 10 and overlapping_texts(drawn[-1]) == []


def test_precision_panels(drawn, tmp_path):
    """Six models (the fixture's three and three more named like the lab's longest): rotated tick labels."""
    frame = read_table(TABLES / "precision.csv")
    cnn = frame[frame["model"] == "cnn-k3-c32.64-fc128"]
    more = [cnn.assign(model=m) for m in ("resnet18", "cnn-k5-c32.64.128.256-fc128", "mlp-h1024x3")]
    plots.precision_figure(pd.concat([frame, *more], ignore_index=True), tmp_path / "p.svg")
    assert overlapping_texts(drawn[-1]) == []


def test_roofline_batch_labels(drawn, tmp_path):
    frame = read_table(TABLES / "roofline.csv")
    roofline.plot(frame, {"matmul_fp32_gflops": 100.0, "copy_gbs": 10.0}, [str(tmp_path / "r.svg")])
    assert len(drawn[-1].axes[0].texts) == len(frame) and overlapping_texts(drawn[-1]) == []


def test_crowded_points_get_labels_apart(tmp_path):
    """Twelve points almost on top of each other: their labels at the points overlap, placed they do not."""
    points = [(1 + 0.01 * i, 1 + 0.01 * (i % 3), f"batch {2 ** i}") for i in range(12)]
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.plot([1, 2], [0.5, 1.5], "o")
    for x, y, tag in points:
        ax.text(x, y, tag, fontsize=8)
    assert overlapping_texts(fig)
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.plot([1, 2], [0.5, 1.5], "o")
    plots.place_labels(ax, points)
    assert overlapping_texts(fig) == []
    plt.close("all")
