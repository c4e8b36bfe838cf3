"""The one reader of `snakemake -n` text: the SLURM preflight asks it what each job requests, and the workflow
tests ask it which jobs a run would execute.

Snakemake prints no machine-readable job list for a dry run (`--summary` needs the outputs to exist, `--dag`
loses the resources), so the listing is read here, in one place: a job is a `rule NAME:` (or `localrule NAME:`)
line followed by indented `key: value` fields; inside a group job (`[...] Group job NAME ...`) both are
indented four more spaces.
"""

from __future__ import annotations

import re

_RULE = re.compile(r"^(\s*)(local)?(?:rule|checkpoint) (\w+):\s*$")
_FIELD = re.compile(r"^\s+(\w+): (.*)$")
_GROUP = re.compile(r"^\[.*\] Group job (\S+) ")


def _pairs(value: str) -> dict[str, str]:
    return dict(kv.split("=", 1) for kv in value.split(", ") if "=" in kv)


def jobs(text: str) -> list[dict]:
    """One dict per job of a dry-run listing, in order: `rule`, `local` (printed as `localrule`), `group`
    (`name#n` for the n-th group job listed, "" when alone), `wildcards` and `resources` (dicts), `input` and
    `output` (lists), and `threads`, `reason`, `jobid` as printed when present."""
    out, cur, group, groups = [], None, "", 0
    for line in text.splitlines():
        g = _GROUP.match(line)
        if g:
            cur, groups = None, groups + 1
            group = f"{g.group(1)}#{groups}"
            continue
        m = _RULE.match(line)
        if m:
            if not m.group(1):          # a job at the top level is alone, whatever came before
                group = ""
            cur = {"rule": m.group(3), "local": bool(m.group(2)), "group": group, "wildcards": {},
                   "resources": {}, "input": [], "output": []}
            out.append(cur)
            continue
        f = _FIELD.match(line) if cur is not None else None
        if f:
            key, value = f.groups()
            if key in ("wildcards", "resources"):
                cur[key] = _pairs(value)
            elif key in ("input", "output"):
                cur[key] = value.split(", ")
            else:
                cur[key] = value
        elif line and not line.startswith(" "):
            cur = None
    return out


def wildcards_text(job: dict) -> str:
    """A job's wildcards as Snakemake prints them (`model=resnet18, batch=4`)."""
    return ", ".join(f"{k}={v}" for k, v in job["wildcards"].items())
