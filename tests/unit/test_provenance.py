"""The appendix's build times: only the jobs of the latest build count."""

from mlalab.report.provenance import build_times, this_build


def job(rule, start, end):
    return {"rule": rule, "job": f"{rule}-{start}", "start": start, "end": end, "wall_s": end - start}


def test_an_earlier_build_is_not_counted():
    old = job("train", 0, 100)                        # a day-old job whose output is still valid
    now = 100_000.0
    recent = [job("train", now - 500, now - 300), job("latency", now - 290, now - 100), job("table", now - 90, now - 80)]
    got = this_build([old, *recent], now)
    assert {j["job"] for j in got} == {j["job"] for j in recent}
    t = build_times(got, now)
    assert t["build_wall_s"] == 500 and t["build_jobs_s"] == 200 + 190 + 10 and t["build_overhead_s"] == 100


def test_side_by_side_jobs_show_as_time_saved():
    now = 1000.0
    jobs = [job("train", 0, 1000), job("train", 0, 1000)]
    t = build_times(this_build(jobs, now), now)
    assert t["build_overhead_s"] == -1000


def test_a_report_alone_says_its_inputs_came_from_earlier_builds(tmp_path):
    import os

    from mlalab.report.provenance import collect

    bench = tmp_path / "benchmarks" / "train"
    bench.mkdir(parents=True)
    tsv = bench / "part1a.tsv"
    tsv.write_text("s\th:m:s\tmax_rss\n12.5\t0:00:12\t300\n")
    os.utime(tsv, (1_000_000, 1_000_000))             # ended long before this report
    got = collect({"results": "r"}, tmp_path / "benchmarks")
    assert got["jobs"] == [] and got["jobs_earlier"] == 1
    os.utime(tsv)                                     # ended just now: a job of this build
    got = collect({"results": "r"}, tmp_path / "benchmarks")
    assert len(got["jobs"]) == 1 and got["jobs_earlier"] == 0
