"""A damaged file of a results folder (truncated, emptied, garbage) is refused naming the file and how to rebuild
it; it never becomes a failed row, a nameless pandas/JSON error or an empty section of the report."""

import re
from pathlib import Path

import pytest
from jobfiles import Files

from mlalab.io import DamagedFile, read_csv, read_json, write_csv, write_json
from mlalab.report.context import read_table
from mlalab.runner import execute, is_machine_failure

REBUILD = "delete it and run snakemake again"


def test_a_truncated_json_names_the_file_and_how_to_rebuild_it(tmp_path):
    path = tmp_path / "latency" / "m" / "fp32-bs1.json"
    write_json(path, {"model": "m", "batch_size": 1, "latency_median_s": 0.001})
    path.write_text(path.read_text()[:25])
    with pytest.raises(DamagedFile, match=re.escape(str(path))) as e:
        read_json(path)
    assert REBUILD in str(e.value) and is_machine_failure(e.value)


@pytest.mark.parametrize("content, what", [(b"", "empty (0 bytes)"), (b'a,b\n1,"2\n', "not a CSV table")])
def test_an_emptied_or_garbled_table_names_the_file(tmp_path, content, what):
    path = tmp_path / "part1b.csv"
    path.write_bytes(content)
    with pytest.raises(DamagedFile, match=re.escape(f"{path}: {what}")):
        read_csv(path)
    with pytest.raises(DamagedFile, match=re.escape(str(path))):   # the report's reader too: it fails, loudly
        read_table(path)


def test_a_table_of_nothing_is_reported_as_missing_not_as_an_empty_section(tmp_path):
    import pandas as pd

    write_csv(tmp_path / "t.csv", pd.DataFrame())
    assert read_table(tmp_path / "t.csv") is None and read_table(tmp_path / "absent.csv") is None


def test_a_record_job_reading_a_damaged_input_records_nothing(tmp_path):
    """Not a failure of the config: the next run (after the file is rebuilt) must run the job, not keep a row."""
    damaged = tmp_path / "in.json"
    damaged.write_text('{"a": 1,')

    def body(inputs):
        return {"value": read_json(inputs[0])["a"]}

    with pytest.raises(DamagedFile):
        execute(body, {"model": "m"}, inputs=[str(damaged)], outputs=Files(tmp_path / "r.json"), record_failures=True)
    assert not (tmp_path / "r.json").exists()


def test_a_truncated_model_file_is_damaged_not_a_failed_run(tmp_path):
    from mlalab.stages.mnist import load_trained

    path = tmp_path / "model.pt"
    path.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(DamagedFile, match=re.escape(str(path))):
        load_trained(path)


def test_the_package_reads_results_only_through_mlalab_io():
    """One reader: every JSON or CSV file of a results folder is read by mlalab.io, so each names itself when
    damaged. (json.loads of a string, e.g. a cell of a table, is not a file read.)"""
    root = Path(__file__).resolve().parents[2] / "mlalab"
    offenders = []
    for path in root.rglob("*.py"):
        if path.name == "io.py":
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"pd\.read_csv\(|json\.load\(|json\.loads\(.*read_text", line):
                offenders.append(f"{path.relative_to(root.parent)}:{n}: {line.strip()}")
    assert offenders == []
