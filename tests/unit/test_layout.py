"""README's layout table names every module of the package, in the row of its folder, and nothing else."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_readme_layout_matches_the_tree():
    readme = (REPO / "README.md").read_text()
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| `(mlalab/[a-z_/.]*)` \| (.*) \|$", readme, flags=re.M)}
    missing, extra = [], []
    for folder in ("plan", "cluster", "measure", "stages", "report"):
        row = rows[f"mlalab/{folder}/"]
        named = set(re.findall(r"`([a-z_0-9]+)`", row)) | {n.rstrip("/") for n in re.findall(r"`([a-z_]+/)`", row)}
        here = {p.stem for p in (REPO / "mlalab" / folder).glob("*.py") if p.stem != "__init__"}
        here |= {p.name for p in (REPO / "mlalab" / folder).iterdir() if p.is_dir() and (p / "__init__.py").exists()}
        missing += [f"{folder}/{n}" for n in sorted(here - named)]
        extra += [f"{folder}/{n}" for n in sorted(named - here) if n not in IGNORED_WORDS]
    for top in (REPO / "mlalab").glob("*.py"):
        if top.stem != "__init__" and f"mlalab/{top.name}" not in rows:
            missing.append(top.name)
    assert not missing, f"modules the README layout does not name: {missing}"
    assert not extra, f"README layout names modules that do not exist: {extra}"


# backticked words in the rows that are not module names
IGNORED_WORDS = {"timing", "threads", "measure", "timing.isolation"}
