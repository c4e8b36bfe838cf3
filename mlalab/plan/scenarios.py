"""Part 3 under MLPerf Inference's scenarios (config `part3.scenarios`, docs/scenarios.md): which (model,
runtime, scenario) jobs run, the LoadGen test settings and SUT settings of each, and the plan-time checks the
schema cannot make (torch-free). Paths live in mlalab.plan.targets."""

from __future__ import annotations

from mlalab.plan import latency

SCENARIOS = ("single_stream", "multi_stream", "offline", "server")
# What each scenario reports as its result (MLPerf Inference's metric of that scenario; the latency percentile is
# `target_percentile`'s).
METRICS = {"single_stream": "latency", "multi_stream": "query latency", "offline": "samples/s",
           "server": "peak rate under the bound"}


def settings(config: dict) -> dict | None:
    """`part3.scenarios` of a validated config (mlalab.plan.schema.validate filled its defaults); None when no
    scenario is configured."""
    given = config["part3"]["scenarios"] if "part3" in config else None
    return given if given and given["run"] else None


def points(config: dict) -> list[tuple[str, str, str]]:
    """(model, runtime, scenario) of every scenario job."""
    s = settings(config)
    if not s:
        return []
    return [(m, rt, sc) for m in s["models"] for rt in s["runtimes"] for sc in SCENARIOS if sc in s["run"]]


def job(config: dict, model: str, runtime: str, scenario: str) -> dict:
    """The settings one scenario job runs with: LoadGen's TestSettings (`loadgen`) and the SUT's."""
    s = settings(config)
    min_queries = s["min_queries"]
    lg = {"min_duration_ms": int(round(float(s["min_duration_s"]) * 1000))}
    if scenario in min_queries:
        lg["min_query_count"] = int(min_queries[scenario])
    if scenario == "multi_stream":
        lg["multi_stream_samples_per_query"] = int(s["multi_stream_samples"])
    percentile = s["target_percentile"]
    if scenario in percentile:
        lg[f"{scenario}_target_latency_percentile"] = float(percentile[scenario])
    batching = scenario in ("offline", "server")
    out = {"loadgen": lg, "samples": int(s["samples"]), "accuracy": bool(s["accuracy"]),
           # one query at a time is its own batch: no window; MultiStream's query is one batch of its samples
           "max_batch": int(s["max_batch"]) if batching else (int(s["multi_stream_samples"])
                                                               if scenario == "multi_stream" else 1),
           "batch_window_s": float(s["batch_window_ms"]) / 1000 if scenario == "server" else 0.0}
    if scenario == "server":
        out.update(latency_bound_s=float(s["server_latency_ms"][model]) / 1000, tries=int(s["server_tries"]))
    return out


def errors(config: dict) -> list[str]:
    """What the schema cannot see, one line each naming the key."""
    s = settings(config)
    if not s:
        return []
    key, found = "part3.scenarios", []
    known = latency.part3_batches(config)
    for i, m in enumerate(s["models"]):
        if m not in known:
            found.append(f"{key}.models[{i}]: {m!r} is not a Part 3 model (known: {', '.join(known)})")
    bounds = s["server_latency_ms"]
    if "server" in s["run"]:
        for m in s["models"]:
            if m not in bounds:
                found.append(f"{key}.server_latency_ms.{m}: missing; the Server scenario needs a p99 latency bound "
                             f"(ms) for every model it runs")
    for m in bounds:   # a bound for a Part 3 model left out of `models` is kept for later (overlays only add)
        if m not in known:
            found.append(f"{key}.server_latency_ms.{m}: {m!r} is not a Part 3 model (known: {', '.join(known)})")
    if "multi_stream" in s["run"] and int(s["samples"]) < int(s["multi_stream_samples"]):
        found.append(f"{key}.samples: {s['samples']} is fewer than multi_stream_samples "
                     f"({s['multi_stream_samples']}); LoadGen draws a query's samples from the library")
    return found
