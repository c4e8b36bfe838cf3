# Config -> the table of jobs, and helpers for inputs. Nothing else lives here.
import os
import re

from snakemake.exceptions import WorkflowError

from mlalab.plan.config import expand as expand_lab
from mlalab.plan.deps import closure
from mlalab.plan.mnist import FILES as MNIST_FILES

LAB = expand_lab(config)
R = config["results"].rstrip("/")
MNIST = [f"{R}/data/mnist/{name}" for name in MNIST_FILES]
LOGS = f"{R}/logs"


def _alternatives(names):
    return "|".join(re.escape(n) for n in sorted(names)) or "NONE"


wildcard_constraints:
    run=_alternatives(LAB.runs),
    model=_alternatives(LAB.models),
    experiment=_alternatives(config["experiments"]),


def code(script):
    """The package modules scripts/{script}.py imports, transitively: inputs, so editing one reruns exactly
    the jobs that run it (Snakemake does not follow a script's imports)."""
    return closure([f"scripts/{script}.py"])


def timing_threads(wildcards=None):
    """Timed jobs take every core Snakemake was given, so no other job runs beside them.  Without --cores
    (`snakemake --report`, executors that set threads per rule) there is no total to take: one thread."""
    try:
        return workflow.cores
    except WorkflowError:
        return 1


# Each rules file appends the final outputs it contributes; `rule all` asks for all of them.
TARGETS = []
