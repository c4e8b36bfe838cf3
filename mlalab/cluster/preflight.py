"""Check a SLURM run before submitting it: what each rule would ask against what the cluster offers.

    python -m mlalab.cluster.preflight --profile profiles/slurm [snakemake args, e.g. --configfile ...]

Runs a forced dry run (`snakemake -n -F`, so every job of the target is checked, built or not) with the same
profile and arguments, reads the partitions and nodes (`scontrol show partition -o`, `scontrol show node -o`) and
`sacct`, and exits 1 with one line per problem, naming the rule, its request and the limit:
  * a job asks more CPUs, memory, GPUs or time than any node of its partition has (SLURM would leave it
    PENDING (PartitionConfig) forever and Snakemake would wait without a word), or a partition that does not exist;
  * `sacct` answers "Slurm accounting storage is disabled" while the profile leaves the status command at its
    default (sacct): the plugin would never see a job finish.
The Snakefile's `localrules` run on the submit host and are not checked.  Exit 0 prints what was checked.
Needs SLURM's client commands, not torch.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import yaml

from mlalab.cluster import slurm


def _run(cmd: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, capture_output=True, text=True)


def status_command(profile: Path, args: list[str]) -> str | None:
    """The status command a run would use: --slurm-status-command on the command line, else the profile's."""
    for i, a in enumerate(args):
        if a == "--slurm-status-command" and i + 1 < len(args):
            return args[i + 1]
        if a.startswith("--slurm-status-command="):
            return a.split("=", 1)[1]
    for name in ("profile.yaml", "config.yaml"):
        if (profile / name).exists():
            return (yaml.safe_load((profile / name).read_text()) or {}).get("slurm-status-command")
    return None


def _snakefile(args: list[str]) -> Path:
    """The Snakefile a run would read: -s/--snakefile, else Snakemake's default locations."""
    for i, a in enumerate(args):
        if a in ("-s", "--snakefile") and i + 1 < len(args):
            return Path(args[i + 1])
        if a.startswith("--snakefile="):
            return Path(a.split("=", 1)[1])
    return next((p for p in (Path("Snakefile"), Path("workflow/Snakefile")) if p.exists()), Path("Snakefile"))


def check(profile: Path, args: list[str]) -> tuple[list[str], str]:
    """(problems, summary) of a run `snakemake --profile profile *args`."""
    dry = _run([sys.executable, "-m", "snakemake", "-n", "-F", "--nocolor", "--profile", str(profile), *args])
    if dry.returncode != 0:
        return [f"the dry run failed (rc {dry.returncode}):\n{(dry.stdout + dry.stderr)[-3000:]}"], ""
    jobs = slurm.requests(dry.stdout + dry.stderr, local=slurm.local_rules(_snakefile(args).read_text()))
    parts, nodes = _run(["scontrol", "show", "partition", "-o"]), _run(["scontrol", "show", "node", "-o"])
    if parts.returncode != 0 or nodes.returncode != 0:
        return [f"scontrol does not answer (is this a SLURM submit host?): {parts.stderr}{nodes.stderr}"], ""
    limits = slurm.partition_limits(parts.stdout, nodes.stdout)
    problems = slurm.problems(jobs, limits)
    sacct = _run(["sacct", "-X", "-n", "-o", "JobID"])
    if slurm.accounting_disabled(sacct.stdout + sacct.stderr) and status_command(profile, args) != "squeue":
        problems.append(f"`sacct` answers {(sacct.stdout + sacct.stderr).strip()!r}: the SLURM plugin would never "
                        f"see a job finish; add `slurm-status-command: squeue` to {profile}/profile.yaml "
                        "(or pass --slurm-status-command squeue)")
    used = sorted({j.partition for j in jobs if j.partition} or {p for p, lim in limits.items() if lim.default})
    summary = "; ".join(
        f"partition {p}: up to {limits[p].cpus} CPUs, "
        f"{'unlimited' if limits[p].mem_mb is None else f'{limits[p].mem_mb:.0f} MB'}, {limits[p].gpus} GPUs, "
        f"{'no time limit' if limits[p].runtime_min is None else f'{limits[p].runtime_min:.0f} min'} per job"
        for p in used if p in limits)
    rules = len({j.rule for j in jobs})
    return problems, (f"{len(jobs)} jobs of {rules} rules fit ({summary}); largest request: "
                      f"{max((j.cpus for j in jobs), default=0)} CPUs, "
                      f"{max((j.mem_mb or 0 for j in jobs), default=0):.0f} MB")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 usage="python -m mlalab.cluster.preflight --profile DIR [snakemake args]")
    ap.add_argument("--profile", required=True, type=Path, help="the SLURM profile folder the run will use")
    opts, rest = ap.parse_known_args(argv)
    problems, summary = check(opts.profile, rest)
    if problems:
        print(f"SLURM preflight: refusing to submit ({len(problems)} problem(s)):", file=sys.stderr)
        for p in problems:
            print(f"  - {p}", file=sys.stderr)
        print("Fix the profile (`cores` for timed jobs' CPUs, set-resources for memory/runtime, slurm_partition) "
              "or pick a larger partition.", file=sys.stderr)
        return 1
    print(f"SLURM preflight: OK: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
