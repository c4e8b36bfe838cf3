"""One path registry (mlalab.plan.paths): no rule file, and no other planning module, spells a path of the results
folder itself; producers and consumers both ask the registry (or `rules.X.output`)."""

from __future__ import annotations

import inspect
import io
import re
import tokenize
from pathlib import Path

from mlalab.plan import paths

REPO = Path(__file__).resolve().parents[2]
SOURCES = [REPO / "Snakefile", *sorted((REPO / "workflow" / "rules").glob("*.smk")),
           *sorted(p for p in (REPO / "mlalab" / "plan").glob("*.py") if p.name != "paths.py")]
RESULTS = "RESULTS"


def registry_patterns() -> dict[str, re.Pattern]:
    """Each registry function's path, its ids as wildcards, as a regex of a path's tail below the results folder."""
    out = {}
    for name, fn in inspect.getmembers(paths, inspect.isfunction):
        if fn.__module__ != paths.__name__ or name.startswith("_"):
            continue
        params = list(inspect.signature(fn).parameters.values())[1:]
        if any(p.annotation not in ("str", "int | str") for p in params):
            continue   # not one file's path (latency_records: of many points)
        ids = [f"{{{p.name}}}" for p in params]
        got = fn({"results": RESULTS}, *ids)
        for i, path in enumerate(got if isinstance(got, list) else [got]):
            tail = path.removeprefix(RESULTS).lstrip("/")
            if tail:   # results(), the folder itself
                body = r"[^/]+".join(re.escape(part) for part in re.split(r"\{\w+\}", tail))
                out[f"{name}[{i}]"] = re.compile(rf"(?:^|/){body}$")
    return out


def literals(text: str):
    """(line, value) of every string literal; an f-string's `{expression}` kept as written, its `{{` read as `{`."""
    for tok in tokenize.generate_tokens(io.StringIO(text).readline):
        if tok.type == tokenize.STRING:
            m = re.match(r"(?i)([rbuf]*)('''|\"\"\"|'|\")(.*)\2$", tok.string, flags=re.S)
            prefix, value = m.group(1).lower(), m.group(3)
            if "f" in prefix:
                value = value.replace("{{", "{").replace("}}", "}")
            yield tok.start[0], value


def spelled_paths(text: str, patterns: dict[str, re.Pattern]) -> list[str]:
    """Literals that spell a registry path: the results folder (`{R}`) or a path's tail the registry owns. Logs and
    benchmarks (`{LOGS}`, `{BENCH}`) are each rule's own, and `../` paths are files of the workflow itself."""
    found = []
    for line, value in literals(text):
        if value.startswith(("../", "{LOGS}", "{BENCH}")):
            continue
        hits = [name for name, rx in patterns.items() if rx.search(value)]
        if "{R}" in value or hits:
            found.append(f"line {line}: {value!r} ({', '.join(hits) or 'the results folder'})")
    return found


def test_the_registry_spells_every_kind_of_result():
    """The scan below is only as good as these patterns: each family of the results folder is in them."""
    tails = {rx.pattern for rx in registry_patterns().values()}
    for folder in ("data/mnist/", "runs/", "latency/", "models/", "part3/", "peak/", "tables/", "report/figures/",
                   "report/report", "compare/", "machine"):
        assert any(folder in t for t in tails), folder


def test_no_rule_file_spells_a_result_path():
    patterns = registry_patterns()
    bad = {f"{p.relative_to(REPO)} {hit}" for p in SOURCES for hit in spelled_paths(p.read_text(), patterns)}
    assert not bad, "paths spelled outside mlalab.plan.paths (use paths.X or rules.X.output):\n" + "\n".join(sorted(bad))


def test_the_scan_sees_a_hand_written_path():
    patterns = registry_patterns()
    rule = '''
rule roofline:
    input:
        peak=f"{R}/peak/peak.json",
        table="results/tables/part3_runtimes.csv",
    output:
        svg=paths.figure(config, "roofline", "svg"),
        fig=f"{RESULTS_DIR}/models/{{model}}/diagram.svg",
        rec=lambda wc: f"{OUT}/latency/{wc.model}/{wc.variant}-bs{wc.batch}.json",
    log:
        f"{LOGS}/peak/roofline.log",
    benchmark:
        f"{BENCH}/tables/part3_runtimes.csv"
    script:
        "../report/report.rst"
'''
    found = spelled_paths(rule, patterns)
    assert [f.split(":")[0] for f in found] == ["line 4", "line 5", "line 8", "line 9"], found


def test_wildcards_are_named_for_what_they_hold():
    """A `{precision}` wildcard holds a precision: the latency record's runtime-and-precision part is `{variant}`."""
    text = "\n".join(p.read_text() for p in (REPO / "workflow" / "rules").glob("*.smk"))
    assert "{{precision}}" not in text and '"{precision}"' not in text, "a {precision} wildcard in a rule's paths"
    assert "precision=latency_plan.VARIANT_PATTERN" not in text
    assert paths.latency_record({"results": "r"}, "m", "onnxruntime-fp32", 4) == "r/latency/m/onnxruntime-fp32-bs4.json"
