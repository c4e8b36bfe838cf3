"""`snakemake --report` works on a built pipeline, with captions for the tables, plots and the report."""

import zipfile

import smk


def test_snakemake_report_collects_tables_and_figures(built, tmp_path):
    out = tmp_path / "snakemake-report.zip"
    smk.snakemake(built, "--report", str(out), *smk.QUICK, timeout=600).check()
    names = zipfile.ZipFile(out).namelist()
    assert any(n.endswith("/part1a.csv") for n in names), names[:20]
    assert any(n.endswith("report.pdf") for n in names), names[:20]
    assert any(n.endswith("training_time_vs_batch.svg") for n in names), names[:20]
