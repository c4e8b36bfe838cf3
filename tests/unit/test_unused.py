"""Nothing in the package is unused: every function and class is reached from a script, a rule file, the
Snakefile or another module (vulture finds the candidates; names the workflow files use count as used)."""

from pathlib import Path

import vulture

REPO = Path(__file__).resolve().parents[2]


def test_no_unused_functions_or_classes():
    v = vulture.Vulture()
    v.scavenge([str(REPO / "mlalab"), str(REPO / "scripts")])
    workflow = (REPO / "Snakefile").read_text() + "".join(
        p.read_text() for p in (REPO / "workflow" / "rules").glob("*.smk"))
    unused = [f"{Path(item.filename).relative_to(REPO)}:{item.first_lineno} {item.typ} {item.name}"
              for item in v.get_unused_code(min_confidence=60)
              if item.typ in ("function", "class", "method", "property") and item.name not in workflow]
    assert not unused, "unused code:\n" + "\n".join(unused)
