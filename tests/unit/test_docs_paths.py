"""README and docs/ name files of this repository; a renamed or deleted file must not stay named there."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SUFFIXES = (".py", ".yaml", ".yml", ".md", ".smk", ".j2", ".css", ".sh", ".toml", ".txt")
# Output paths and paths of other machines are not files of the repository.
NOT_REPO = ("results/", "/", "../", "http", "~", ".snakemake/", "$")


def named_paths(text: str) -> set[str]:
    """Repository paths written in `code` or as a markdown link target."""
    tokens = set(re.findall(r"`([^`\s]+)`", text)) | set(re.findall(r"\]\(([^)\s#]+)\)", text))
    paths = set()
    for t in tokens:
        t = t.rstrip(".,:;")
        if t.startswith(NOT_REPO) or "{" in t or "=" in t or ":" in t:
            continue
        # A path whose first folder is not at the repository root names an output (`tables/x.csv`) or
        # something outside (`task/cgroup`), not a file of the repository.
        if "/" in t and not (ROOT / t.split("/")[0]).exists():
            continue
        # a bare name is a repository file only with a source suffix (`mlperf_log_summary.txt` is an output)
        if ("/" in t or t.endswith(SUFFIXES) and not t.endswith(".txt")) and re.fullmatch(r"[\w.\-/*]+", t):
            paths.add(t)
    return paths


def module_names(text: str) -> set[str]:
    return set(re.findall(r"`(mlalab(?:\.\w+)+)`", text))


def module_exists(dotted: str) -> bool:
    """`mlalab.report.noise.medians_differ` exists when some prefix is a module file holding the rest."""
    parts = dotted.split(".")
    for n in range(len(parts), 0, -1):
        base = ROOT.joinpath(*parts[:n])
        for candidate in (base.with_suffix(".py"), base / "__init__.py"):
            if candidate.exists():
                rest = parts[n:]
                return not rest or re.search(rf"^(def |class )?{rest[0]}\b", candidate.read_text(), re.M) is not None
    return False


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_named_path_exists(doc):
    text = doc.read_text()
    base = doc.parent
    missing = []
    for p in named_paths(text):
        found = [q for where in (ROOT, base) for q in where.glob(p)] if "*" in p else \
            [q for q in (ROOT / p, base / p) if q.exists()]
        if not found and "/" in p:
            missing.append(p)
        elif not found and not list(ROOT.rglob(p)):   # a bare file name: somewhere in the repository
            missing.append(p)
    missing += [m for m in module_names(text) if not module_exists(m)]
    assert not missing, f"{doc.relative_to(ROOT)} names what does not exist: {sorted(missing)}"


def test_the_checker_sees_a_stale_path():
    text = "see `mlalab/roofline.py` and `tests/test_incremental.py`, [x](docs/columns.md), `mlalab.nope.f`"
    assert {"mlalab/roofline.py", "tests/test_incremental.py", "docs/columns.md"} <= named_paths(text)
    assert not (ROOT / "mlalab/roofline.py").exists()
    assert not module_exists("mlalab.nope.f") and module_exists("mlalab.report.noise.medians_differ")


def test_readme_is_short_and_says_where_the_report_lands():
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 160
    assert "results/report/report.html" in text and "results/report/report.pdf" in text
