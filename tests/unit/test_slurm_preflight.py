"""The SLURM preflight's reading of sinfo/scontrol/sacct/dry-run text (mlalab.cluster.slurm), on captured outputs:
a 2-CPU test node (tests/slurm/), a GPU cluster with per-partition limits. No cluster needed."""

from __future__ import annotations

import dataclasses

import pytest

from mlalab.cluster import slurm
from mlalab.cluster.preflight import status_command

# `scontrol show partition -o` / `scontrol show node -o` of the private test cluster (SLURM 22.05).
TEST_PARTS = (
    "PartitionName=debug AllowGroups=ALL AllowAccounts=ALL AllowQos=ALL AllocNodes=ALL Default=YES QoS=N/A "
    "DefaultTime=NONE DisableRootJobs=NO ExclusiveUser=NO GraceTime=0 Hidden=NO MaxNodes=UNLIMITED "
    "MaxTime=UNLIMITED MinNodes=0 LLN=NO MaxCPUsPerNode=UNLIMITED Nodes=vm PriorityJobFactor=1 PriorityTier=1 "
    "RootOnly=NO ReqResv=NO OverSubscribe=NO OverTimeLimit=NONE PreemptMode=OFF State=UP TotalCPUs=2 "
    "TotalNodes=1 SelectTypeParameters=NONE JobDefaults=(null) DefMemPerNode=UNLIMITED MaxMemPerNode=UNLIMITED "
    "TRES=cpu=2,mem=23593M,node=1,billing=2\n")
TEST_NODES = (
    "NodeName=vm Arch=x86_64 CoresPerSocket=1  CPUAlloc=0 CPUEfctv=2 CPUTot=2 CPULoad=2.29 "
    "AvailableFeatures=(null) ActiveFeatures=(null) Gres=(null) NodeAddr=127.0.0.1 NodeHostName=vm "
    "Version=22.05.8 OS=Linux 6.18.44-fc-v669 #1 SMP PREEMPT_DYNAMIC @0  RealMemory=23593 AllocMem=0 "
    "FreeMem=18281 Sockets=2 Boards=1 State=IDLE ThreadsPerCore=1 TmpDisk=0 Weight=1 Owner=N/A MCS_label=N/A "
    "Partitions=debug  BootTime=2026-11-26T16:39:48 SlurmdStartTime=2026-11-26T17:25:18 CfgTRES=cpu=2,"
    "mem=23593M,billing=2 AllocTRES= CapWatts=n/a CurrentWatts=0 AveWatts=0\n")

# A cluster with a CPU partition (two node sizes, 2-day limit) and a GPU partition capped per node.
GPU_PARTS = (
    "PartitionName=cpu Default=YES MaxTime=2-00:00:00 MaxCPUsPerNode=UNLIMITED MaxMemPerNode=UNLIMITED Nodes=c[1-2]\n"
    "PartitionName=gpu Default=NO MaxTime=04:00:00 MaxCPUsPerNode=16 MaxMemPerNode=128G Nodes=g1\n")
GPU_NODES = (
    "NodeName=c1 CPUTot=32 CPUEfctv=32 Gres=(null) RealMemory=192000 Partitions=cpu State=IDLE\n"
    "NodeName=c2 CPUTot=64 CPUEfctv=64 Gres=(null) RealMemory=256000 Partitions=cpu State=IDLE\n"
    "NodeName=g1 CPUTot=64 CPUEfctv=64 Gres=gpu:a100:4(S:0-1) RealMemory=512000 Partitions=gpu State=MIXED\n")

# An excerpt of `snakemake -n -F --profile profiles/slurm` (Snakemake 9.27): a lone timed job, a group job.
DRY_RUN = """Building DAG of jobs...
[Thu Nov 26 17:28:05 2026]
rule part3_resnet18_q1:
    output: /tmp/r/part3/resnet18/q1.json
    jobid: 78
    reason: Forced execution
    threads: 4
    resources: tmpdir=/tmp, disk_mb=1000, mem_mb=8000, mem=8 GB, slurm_partition=debug, slurm_account=mlalab, runtime=60
Shell command: None

[Thu Nov 26 17:28:05 2026] Group job models (jobs in lexicogr. order):

    [Thu Nov 26 17:28:05 2026]
    rule diagram:
        output: /tmp/r/models/mlp/diagram.svg
        jobid: 111
        wildcards: model=mlp
        resources: tmpdir=/tmp, disk_mb=<TBD>, mem_mb=2000, mem=2 GB, slurm_partition=debug, slurm_account=mlalab, runtime=30
Shell command: None

    [Thu Nov 26 17:28:05 2026]
    rule latency:
        output: /tmp/r/latency/bert-base/fp32-bs1.json
        wildcards: model=bert-base, precision=fp32, batch=1
        threads: 4
        resources: tmpdir=/tmp, mem_mb=16000, mem=16 GB, gpu=1, slurm_partition=gpu, runtime=90
Shell command: None

[Thu Nov 26 17:28:05 2026]
rule report:
    output: /tmp/r/report/report.html
    jobid: 1
    resources: tmpdir=/tmp, mem_mb=3000, mem=3 GB, slurm_partition=debug, runtime=30
Shell command: None

[Thu Nov 26 17:28:05 2026]
localrule all:
    input: /tmp/r/report/report.html
    jobid: 0
Job stats:
"""


def test_parses_test_cluster_limits():
    (lim,) = slurm.partition_limits(TEST_PARTS, TEST_NODES).values()
    assert (lim.partition, lim.cpus, lim.mem_mb, lim.gpus, lim.runtime_min, lim.default) == (
        "debug", 2, 23593, 0, None, True)


def test_partition_limits_take_the_largest_node_capped_by_the_partition():
    lim = slurm.partition_limits(GPU_PARTS, GPU_NODES)
    assert (lim["cpu"].cpus, lim["cpu"].mem_mb, lim["cpu"].runtime_min, lim["cpu"].default) == (64, 256000, 2880, True)
    assert (lim["gpu"].cpus, lim["gpu"].mem_mb, lim["gpu"].gpus, lim["gpu"].runtime_min) == (16, 131072, 4, 240)


@pytest.mark.parametrize("text,expected", [("UNLIMITED", None), ("30", 30), ("04:00:00", 240), ("1-00:00:00", 1440),
                                           ("2-12", 3600), ("10:30", 10.5), ("1-02:03", 1563)])
def test_slurm_time_format(text, expected):
    assert slurm.minutes(text) == expected


@pytest.mark.parametrize("text,expected", [("23593", 23593), ("23593M", 23593), ("4G", 4096), ("UNLIMITED", None)])
def test_slurm_memory_format(text, expected):
    assert slurm.megabytes(text) == expected


def test_gres_gpus():
    assert slurm.gpus("gpu:a100:4(S:0-1)") == 4
    assert slurm.gpus("gpu:2,gpu:v100:1,tmpdisk:100") == 3
    assert slurm.gpus("(null)") == 0


def test_dry_run_requests_include_grouped_jobs_and_skip_local_ones():
    jobs = {j.rule: j for j in slurm.requests(DRY_RUN, local={"report"})}
    assert set(jobs) == {"part3_resnet18_q1", "diagram", "latency"}
    assert (jobs["part3_resnet18_q1"].cpus, jobs["part3_resnet18_q1"].mem_mb, jobs["part3_resnet18_q1"].runtime_min) \
        == (4, 8000, 60)
    assert (jobs["diagram"].cpus, jobs["diagram"].partition, jobs["diagram"].wildcards) == (1, "debug", "model=mlp")
    assert (jobs["latency"].gpus, jobs["latency"].partition) == (1, "gpu")
    assert (jobs["part3_resnet18_q1"].group, jobs["diagram"].group, jobs["latency"].group) == ("", "models#1", "models#1")


def test_a_group_job_longer_than_the_partition_allows_is_refused():
    limits = slurm.partition_limits(GPU_PARTS, GPU_NODES)
    jobs = [slurm.Request("train", cpus=8, mem_mb=1, gpus=1, runtime_min=60, partition="gpu", group="train#1")
            for _ in range(5)]
    assert slurm.problems(jobs[:4], limits) == []           # 4 x 60 min = the 240 min limit
    assert slurm.problems(jobs, limits) == [
        "group job train (5 jobs: train) asks up to 300 min (the sum of its jobs' runtimes), but partition gpu "
        "allows at most 240 min: lower group-components: train in the profile"]


def test_a_job_larger_than_the_node_is_refused_naming_rule_request_and_limit():
    limits = slurm.partition_limits(TEST_PARTS, TEST_NODES)
    jobs = [j for j in slurm.requests(DRY_RUN) if j.partition == "debug"]
    assert slurm.problems(jobs, limits) == [
        "rule part3_resnet18_q1 asks 4 CPUs per job (--cpus-per-task=4), but partition debug has at most 2 CPUs "
        "per node"]
    fits = [dataclasses.replace(j, cpus=2) for j in jobs]
    assert slurm.problems(fits, limits) == []


def test_memory_gpus_time_and_unknown_partitions_are_refused():
    limits = slurm.partition_limits(GPU_PARTS, GPU_NODES)
    base = slurm.Request("latency", cpus=8, mem_mb=16000, gpus=1, runtime_min=90, partition="gpu")
    assert slurm.problems([base], limits) == []
    out = slurm.problems([dataclasses.replace(base, mem_mb=200000, gpus=8, runtime_min=300),
                          dataclasses.replace(base, rule="train", partition="a100")], limits)
    assert out[0].startswith("partition 'a100' (asked by rule train) does not exist")
    assert {line.split(", but")[0] for line in out[1:]} == {
        "rule latency asks 200000 MB of memory (mem_mb)", "rule latency asks 8 GPU(s)",
        "rule latency asks 300 min (runtime)"}
    assert "partition gpu has at most 131072 MB per node" in " ".join(out)
    assert "partition gpu allows at most 240 min" in " ".join(out)
    # No partition named: the default one (cpu) applies; the largest request of a rule is the one reported.
    big = [slurm.Request("train", cpus=n, mem_mb=1, gpus=0, runtime_min=1, partition=None) for n in (65, 128, 70)]
    assert slurm.problems(big, limits) == [
        "rule train asks 128 CPUs per job (--cpus-per-task=128), but partition cpu has at most 64 CPUs per node"]


def test_accounting_disabled_is_detected():
    assert slurm.accounting_disabled("Slurm accounting storage is disabled\n")
    assert not slurm.accounting_disabled("")
    assert not slurm.accounting_disabled("1234|COMPLETED\n")


def test_status_command_from_args_or_profile(tmp_path):
    (tmp_path / "profile.yaml").write_text("executor: slurm\nslurm-status-command: squeue\n")
    assert status_command(tmp_path, []) == "squeue"
    assert status_command(tmp_path, ["--slurm-status-command", "sacct"]) == "sacct"
    (tmp_path / "profile.yaml").write_text("executor: slurm\n")
    assert status_command(tmp_path, ["--slurm-status-command=squeue"]) == "squeue"
    assert status_command(tmp_path, []) is None


def test_a_group_job_asking_more_memory_than_a_node_has_is_refused():
    """The quick build's Part 3 group on the 2-CPU test node with the profile's earlier requests: two 1-CPU jobs
    side by side asked 16000 + 8000 MB > 23593 MB, sbatch refused, and the plugin printed only "Error in group"."""
    limits = slurm.partition_limits(TEST_PARTS, TEST_NODES)
    timed = slurm.Request("latency", cpus=2, mem_mb=2000, gpus=0, runtime_min=30, partition="debug")
    part3 = [slurm.Request(rule, cpus=1, mem_mb=mem, gpus=0, runtime_min=30, partition="debug", group="part3#1")
             for rule, mem in [("onnx", 16000), ("part3_bert_counts", 16000), ("part3_resnet18_counts", 8000)]]
    assert slurm.group_memory(part3, cores=2) == (32000, 2, 2)
    assert slurm.group_memory(part3, cores=1) == (16000, 1, 1)
    assert slurm.problems([timed, *part3], limits) == [
        "group job part3 (3 jobs: onnx, part3_bert_counts, part3_resnet18_counts) may ask 32000 MB of memory (the "
        "2 largest mem_mb of its jobs, run side by side on its 2 CPUs), but partition debug has at most 23593 MB "
        "per node: lower those rules' mem_mb in set-resources in the profile"]
    fits = [dataclasses.replace(j, mem_mb=8000) for j in part3]
    assert slurm.problems([timed, *fits], limits) == []


def test_allocation_cpus_caps_a_job_to_what_slurm_gave_it():
    assert slurm.allocation_cpus({"SLURM_JOB_CPUS_PER_NODE": "1"}) == 1
    assert slurm.allocation_cpus({"SLURM_JOB_CPUS_PER_NODE": "4(x2)"}) == 4
    assert slurm.allocation_cpus({"SLURM_JOB_CPUS_PER_NODE": "8,4"}) == 8
    assert slurm.allocation_cpus({}) is None
    assert slurm.allocation_cpus({"SLURM_JOB_CPUS_PER_NODE": ""}) is None
