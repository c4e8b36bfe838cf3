"""The one reader of Snakemake's dry-run listing (mlalab.cluster.dryrun), on captured text."""

from mlalab.cluster import dryrun

LISTING = """\
Building DAG of jobs...
[Wed Dec  2 12:14:56 2026]
rule latency:
    input: mlalab/io.py, mlalab/runner.py
    output: results/latency/mlp/fp32-bs1.json
    log: results/logs/latency/mlp/fp32-bs1.log
    jobid: 7
    reason: Missing output files: results/latency/mlp/fp32-bs1.json
    wildcards: model=mlp, precision=fp32, batch=1
    threads: 2
    resources: tmpdir=/tmp, mem_mb=2000, runtime=30

[Wed Dec  2 12:14:56 2026]
localrule report:
    output: results/report/report.html
    jobid: 9
    resources: tmpdir=/tmp
[Wed Dec  2 12:14:57 2026] Group job part3 (jobs in lexicogr. order):

    [Wed Dec  2 12:14:57 2026]
    rule onnx:
        output: results/models/a/model.onnx
        wildcards: model=a
        resources: mem_mb=4000
Job stats:
job      count
Reasons:
    (check individual jobs above for details)
"""


def test_jobs_fields_groups_and_local_rules():
    jobs = dryrun.jobs(LISTING)
    assert [(j["rule"], j["local"], j["group"]) for j in jobs] == [
        ("latency", False, ""), ("report", True, ""), ("onnx", False, "part3#1")]
    lat = jobs[0]
    assert lat["wildcards"] == {"model": "mlp", "precision": "fp32", "batch": "1"}
    assert lat["input"] == ["mlalab/io.py", "mlalab/runner.py"] and lat["output"] == ["results/latency/mlp/fp32-bs1.json"]
    assert lat["threads"] == "2" and lat["resources"]["mem_mb"] == "2000" and lat["jobid"] == "7"
    assert lat["reason"].startswith("Missing output files")
    assert dryrun.wildcards_text(lat) == "model=mlp, precision=fp32, batch=1"
    assert jobs[2]["wildcards"] == {"model": "a"} and jobs[2]["resources"] == {"mem_mb": "4000"}


def test_the_summary_after_the_jobs_is_not_read_as_a_field():
    assert "Reasons" not in str(dryrun.jobs(LISTING)[-1])
