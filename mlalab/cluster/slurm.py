"""What a SLURM partition offers against what each rule asks, from the text SLURM's own tools print (torch-free,
no cluster needed: every function here reads captured output).

A job that asks more than any node of its partition has is never started: SLURM leaves it PENDING
(PartitionConfig) and Snakemake waits without a word. So the preflight (mlalab.cluster.preflight) refuses such a
run before anything is submitted, naming the rule, its request and the limit.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from mlalab.cluster import dryrun

# `scontrol show ... -o` prints one record per line as Key=Value pairs; a value may contain spaces
# (OS=Linux 6.1 #1 SMP ...), so a value runs up to the next ` Key=`.
_PAIR = re.compile(r"(\w[\w:/.]*)=(.*?)(?=\s+\w[\w:/.]*=|\s*$)")
UNLIMITED = ("UNLIMITED", "INFINITE", "NONE", "N/A", "")


def records(text: str) -> list[dict[str, str]]:
    """One dict per non-empty line of `scontrol show partition -o` / `scontrol show node -o` output."""
    return [dict(_PAIR.findall(line.strip())) for line in text.splitlines() if "=" in line]


def minutes(value: str) -> float | None:
    """SLURM's time format (MaxTime): minutes, [days-]hours:minutes:seconds, days-hours[:minutes]; None when
    unlimited."""
    value = value.strip()
    if value.upper() in UNLIMITED:
        return None
    days, rest = value.split("-", 1) if "-" in value else ("0", value)
    parts = [float(p) for p in rest.split(":")]
    if "-" in value:                        # days-hours[:minutes[:seconds]]
        h, m, s = (parts + [0, 0])[:3]
    elif len(parts) == 1:                   # minutes
        h, m, s = 0, parts[0], 0
    elif len(parts) == 2:                   # minutes:seconds
        h, m, s = 0, parts[0], parts[1]
    else:
        h, m, s = parts[:3]
    return float(days) * 1440 + h * 60 + m + s / 60


def megabytes(value: str) -> float | None:
    """A SLURM memory size (23593, 23593M, 4G, 1T) in MB; None when unlimited."""
    value = value.strip()
    if value.upper() in UNLIMITED:
        return None
    m = re.fullmatch(r"([\d.]+)\s*([KMGT]?)B?", value, flags=re.I)
    if not m:
        raise ValueError(f"not a SLURM memory size: {value!r}")
    scale = {"K": 1 / 1024, "": 1, "M": 1, "G": 1024, "T": 1024 * 1024}[m.group(2).upper()]
    return float(m.group(1)) * scale


def gpus(gres: str) -> int:
    """GPUs in a node's Gres (gpu:4, gpu:a100:4(S:0-1), several comma-separated); 0 for (null)."""
    total = 0
    for item in re.split(r",(?![^()]*\))", gres or ""):
        fields = re.sub(r"\(.*\)", "", item).split(":")
        if fields[0] == "gpu":
            total += int(fields[-1]) if len(fields) > 1 and fields[-1].isdigit() else 1
    return total


@dataclass(frozen=True)
class Limits:
    """What one job can get in a partition: its largest node (CPUs, memory, GPUs) capped by the partition's
    own per-node limits, and its time limit. None: no limit."""

    partition: str
    cpus: int
    mem_mb: float | None
    gpus: int
    runtime_min: float | None
    default: bool = False


def partition_limits(partitions_text: str, nodes_text: str) -> dict[str, Limits]:
    """Partition name -> Limits, from `scontrol show partition -o` and `scontrol show node -o`."""
    nodes = {n["NodeName"]: n for n in records(nodes_text) if "NodeName" in n}
    out = {}
    for p in records(partitions_text):
        if "PartitionName" not in p:
            continue
        members = [n for n in nodes.values() if p["PartitionName"] in n.get("Partitions", "").split(",")]
        cpus = max((int(n.get("CPUEfctv") or n.get("CPUTot", 0)) for n in members), default=0)
        if p.get("MaxCPUsPerNode", "UNLIMITED").upper() not in UNLIMITED:
            cpus = min(cpus, int(p["MaxCPUsPerNode"]))
        mems = [megabytes(n["RealMemory"]) for n in members if "RealMemory" in n]
        mem = max(mems) if mems else None
        cap = megabytes(p.get("MaxMemPerNode", "UNLIMITED"))
        if cap is not None:
            mem = cap if mem is None else min(mem, cap)
        out[p["PartitionName"]] = Limits(
            partition=p["PartitionName"], cpus=cpus, mem_mb=mem,
            gpus=max((gpus(n.get("Gres", "")) for n in members), default=0),
            runtime_min=minutes(p.get("MaxTime", "UNLIMITED")), default=p.get("Default") == "YES")
    return out


@dataclass(frozen=True)
class Request:
    """What one job asks SLURM for, as Snakemake's dry run prints it (threads: / resources:)."""

    rule: str
    cpus: int
    mem_mb: float | None
    gpus: int
    runtime_min: float | None
    partition: str | None
    wildcards: str = ""
    group: str = ""      # the group job it runs in (name#n, one per listed group job), "" when alone


_LOCALRULES = re.compile(r"^localrules:\s*(.+)$", re.M)


def local_rules(snakefile_text: str) -> set[str]:
    """The rules a Snakefile's `localrules:` statements name (a dry run does not say which jobs are local)."""
    return {name.strip() for names in _LOCALRULES.findall(snakefile_text) for name in names.split(",")
            if name.strip()}


def requests(dry_run_text: str, local: set[str] = frozenset()) -> list[Request]:
    """Every cluster job of a `snakemake -n` listing (mlalab.cluster.dryrun) with what it asks: CPUs (resource
    cpus_per_task if set, else threads, as the SLURM plugin submits it), mem_mb, runtime (minutes), GPUs (gpu,
    or gres gpu:N), partition. Jobs of the `local` rules, or printed as `localrule`, run on the submit host and
    ask the cluster nothing (nor does `all`, which runs nothing)."""
    out = []
    for job in dryrun.jobs(dry_run_text):
        if job["local"] or job["rule"] in local | {"all"}:
            continue
        res = job["resources"]
        gpu = int(res.get("gpu") or res.get("gpus") or 0) or gpus(res.get("gres", ""))
        out.append(Request(
            rule=job["rule"], cpus=int(res.get("cpus_per_task") or job.get("threads") or 1),
            mem_mb=float(res["mem_mb"]) if "mem_mb" in res else None, gpus=gpu,
            runtime_min=float(res["runtime"]) if "runtime" in res else None,
            partition=res.get("slurm_partition"), wildcards=dryrun.wildcards_text(job), group=job["group"]))
    return out


def problems(jobs: list[Request], limits: dict[str, Limits]) -> list[str]:
    """One line per (rule, kind of request) that no node of the job's partition can meet, with the largest
    such request of the rule, e.g. `rule latency asks 4 CPUs per job (--cpus-per-task=4), but partition debug
    has at most 2 CPUs per node`."""
    default = next((name for name, lim in limits.items() if lim.default), None)
    worst: dict[tuple[str, str], tuple[float, str]] = {}
    missing: dict[str | None, set[str]] = {}

    def note(job: Request, what: str, asked: float, text: str):
        key = (job.rule, what)
        if key not in worst or asked > worst[key][0]:
            worst[key] = (asked, text)

    for job in jobs:
        part = job.partition or default
        lim = limits.get(part or "")
        if lim is None:
            missing.setdefault(part, set()).add(job.rule)
            continue
        if job.cpus > lim.cpus:
            note(job, "cpus", job.cpus, f"rule {job.rule} asks {job.cpus} CPUs per job (--cpus-per-task="
                                        f"{job.cpus}), but partition {part} has at most {lim.cpus} CPUs per node")
        if job.mem_mb is not None and lim.mem_mb is not None and job.mem_mb > lim.mem_mb:
            note(job, "mem", job.mem_mb, f"rule {job.rule} asks {job.mem_mb:.0f} MB of memory (mem_mb), but "
                                         f"partition {part} has at most {lim.mem_mb:.0f} MB per node")
        if job.gpus > lim.gpus:
            note(job, "gpus", job.gpus, f"rule {job.rule} asks {job.gpus} GPU(s), but partition {part} has at "
                                        f"most {lim.gpus} per node")
        if job.runtime_min is not None and lim.runtime_min is not None and job.runtime_min > lim.runtime_min:
            note(job, "time", job.runtime_min, f"rule {job.rule} asks {job.runtime_min:.0f} min (runtime), but "
                                               f"partition {part} allows at most {lim.runtime_min:.0f} min")
    cores = max((j.cpus for j in jobs), default=1)   # the timed jobs take all of the run's cores
    members: dict[str, list[Request]] = {}
    for job in jobs:
        if job.group:
            members.setdefault(job.group, []).append(job)
    for key, group in members.items():
        part = group[0].partition or default
        lim = limits.get(part or "")
        name = key.split("#")[0]
        total = sum(j.runtime_min or 0 for j in group)
        if lim is not None and lim.mem_mb is not None:
            mem, side_by_side, cpus = group_memory(group, cores)
            if mem > lim.mem_mb:
                note(dataclasses.replace(group[0], rule=f"group:{name}"), "mem", mem,
                     f"group job {name} ({len(group)} jobs: {', '.join(sorted({j.rule for j in group}))}) may ask "
                     f"{mem:.0f} MB of memory (the {side_by_side} largest mem_mb of its jobs, run side by side on its "
                     f"{cpus} CPUs), but partition {part} has at most {lim.mem_mb:.0f} MB per node: lower those "
                     f"rules' mem_mb in set-resources in the profile")
        if lim is not None and lim.runtime_min is not None and total > lim.runtime_min:
            note(dataclasses.replace(group[0], rule=f"group:{name}"), "time", total,
                 f"group job {name} ({len(group)} jobs: {', '.join(sorted({j.rule for j in group}))}) asks up to "
                 f"{total:.0f} min (the sum of its jobs' runtimes), but partition {part} allows at most "
                 f"{lim.runtime_min:.0f} min: lower group-components: {name} in the profile")
    gone = [f"partition {part!r} (asked by rule {', '.join(sorted(rules))}) does not exist on this cluster "
            f"(partitions: {', '.join(sorted(limits)) or 'none'})" for part, rules in missing.items()]
    return gone + [text for _, text in sorted(worst.values(), key=lambda v: v[1])]


def group_memory(group: list[Request], cores: int) -> tuple[float, int, int]:
    """(MB, jobs, CPUs): at most how much memory Snakemake asks for a group job, over how many jobs side by side,
    and the CPUs it asks.  A group job gets as many CPUs as its jobs can use at once, up to the run's `cores`, and
    runs jobs side by side within them, asking the sum of their mem_mb (sbatch then refuses more than a node
    has, and the plugin says only "Error in group").  An upper bound: the largest jobs may never run together."""
    cpus = sorted(max(1, j.cpus) for j in group)
    width = min(cores, sum(cpus))
    side_by_side = max(1, sum(1 for i in range(len(cpus)) if sum(cpus[:i + 1]) <= width))
    mems = sorted((j.mem_mb or 0 for j in group), reverse=True)
    return sum(mems[:side_by_side]), side_by_side, width


def allocation_cpus(environ) -> int | None:
    """The CPUs of the SLURM allocation this process runs in (SLURM_JOB_CPUS_PER_NODE, e.g. `2` or `4(x2)`),
    or None outside one.  Snakemake's `--cores all` inside a job counts the CPUs the process may use, which is
    the whole node where SLURM does not bind tasks to CPUs (TaskPlugin=task/none): a timed job must not take
    more threads than it was given."""
    value = environ.get("SLURM_JOB_CPUS_PER_NODE", "")
    digits = value.split("(")[0].split(",")[0]
    return int(digits) if digits.isdigit() and int(digits) > 0 else None


def accounting_disabled(sacct_output: str) -> bool:
    """True when `sacct` answers that accounting is off (no slurmdbd): it then never reports a finished job,
    so the SLURM plugin must ask `squeue` instead."""
    return "accounting storage is disabled" in sacct_output.lower()
