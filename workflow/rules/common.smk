# The plan (mlalab.plan, torch-free) as the workflow's globals, and helpers for rules. Nothing else lives here.
import os
import re
import sys

from snakemake.exceptions import WorkflowError

from mlalab.isolation import cluster_executor, timed_threads

from mlalab.plan import latency as latency_plan
from mlalab.plan import part3 as part3_plan
from mlalab.plan import paths, targets
from mlalab.plan.config import expand as expand_lab
from mlalab.plan.config import profile_batches
from mlalab.plan.deps import closure
from mlalab.plan.precision import trained_runs
from mlalab.cluster.slurm import allocation_cpus

LAB = expand_lab(config)
SPECS = latency_plan.model_specs(config, LAB)   # every model id the lab builds -> its spec
R = paths.results(config)
MNIST = paths.mnist_files(config)
LOGS = paths.logs(config)
BENCH = paths.benchmarks(config)


def _alternatives(names):
    return "|".join(re.escape(n) for n in sorted(names)) or "NONE"


wildcard_constraints:
    run=_alternatives(LAB.runs),
    model=_alternatives(SPECS),
    experiment=_alternatives(config["experiments"]),
    batch=r"[1-9][0-9]*",


def here(path):
    """A file of the workflow's own tree (scripts/, templates/), spelled from the working folder: `path` itself
    when Snakemake runs in the workflow's folder, e.g. ../lab/templates under `-s ../lab/Snakefile -d run1`."""
    return os.path.relpath(os.path.join(workflow.basedir, path))


def code(script):
    """The package modules scripts/{script}.py imports, transitively: inputs, so editing one reruns exactly
    the jobs that run it (Snakemake does not follow a script's imports)."""
    return closure([here(f"scripts/{script}.py")])


def timing_threads(wildcards=None, whole_machine=False, threads=None):
    """Threads (Snakemake cores) of a timed job (mlalab.isolation): every core Snakemake was given when
    `exclusive`, and when `pinned` for a job that holds the whole machine (latency, peak, Q1: nothing runs
    beside it, while it computes on `timing.threads` pinned cores); else `timing.threads`. Without --cores
    (`snakemake --report`, executors that set threads per rule) there is no total: one thread."""
    try:
        cores = workflow.cores
    except WorkflowError:
        return 1
    if workflow.remote_exec:    # inside a cluster job: never more than its allocation
        cores = min(cores, allocation_cpus(os.environ) or cores)
    return timed_threads(ISOLATION, cores, threads or config["timing"]["threads"], whole_machine)


def timed_job(whole_machine=False, threads=None):
    """A timed rule's `isolation` param: how the job claims cores (mlalab.runner), recorded with its figures.
    `threads`: the job's own setting (Part 3's `part3.timing.threads`), else `timing.threads`, as written (a
    count or `all`): the runner resolves it against the cores the job was given, so running with another
    `--cores` does not rerun a figure whose setting did not change."""
    return {"mode": ISOLATION, "threads": threads or config["timing"]["threads"], "whole_machine": whole_machine}


def model_timed_job(wildcards):
    """The `isolation` param of a model's latency record: its own timing settings' threads (Part 3 or MNIST)."""
    return timed_job(whole_machine=True, threads=latency_plan.timing_of(config, wildcards.model)["threads"])


def timed_thread_counts():
    """Every thread setting a latency record of this build is timed with (`1`, `all`, ...), as written: the peak
    job measures each ceiling at each of them, so a figure is compared with the ceiling of its own thread count."""
    return sorted({latency_plan.timing_of(config, m)["threads"] for m in SPECS}, key=str)


# A cluster job is an allocation of its own, with no other job on its cores: there, a timed job simply takes the
# `cores` it asks for (the profile's one CPU setting), whatever timing.isolation says for a local run.
ISOLATION = ("exclusive" if workflow.remote_exec or cluster_executor(sys.argv, os.environ)
             else config["timing"]["isolation"])


def part3_setting(section, key):
    """A `part3.{section}.{key}` param, read when a job is planned (a config without `part3` plans no such job)."""
    return lambda wildcards: config["part3"][section][key]


def final_outputs():
    """Everything `snakemake` builds by default: every table, figure, ONNX file and the report."""
    return targets.final_outputs(config, LAB)
