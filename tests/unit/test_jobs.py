"""The per-run jobs on tiny data: records, failures recorded instead of raised, determinism."""

import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
import torch
from jobfiles import Files

from mlalab.measure import timing
from mlalab.runner import MachineFailure, execute, is_machine_failure
from mlalab.stages.data import fetch
from mlalab.stages.latency import measure_latency
from mlalab.stages.mnist import load_trained, train
from mlalab.stages.tables import experiment_table

SPEC = {"kind": "mlp", "model": {"hidden": [16]}, "model_id": "mlp-h16x1", "batch_size": 4, "seed": 0,
        "training": {"optimizer": "sgd", "lr": 0.01, "momentum": 0.0, "epochs": 1}}
TIMING = {**timing.fixed(1, 3), "test_set_pass": True}
DATA = {"train_subset": None, "test_subset": None}   # the whole (tiny) files


@pytest.fixture
def data_dir(tiny_mnist, tmp_path):
    src, expected, _ = tiny_mnist
    out = tmp_path / "mnist"
    fetch(out, src, expected=expected, log=lambda m: None)
    return out


def train_run(spec, data_dir, tmp_path, name="m", device="cpu"):
    out = Files(metrics=tmp_path / f"{name}.json", model=tmp_path / f"{name}.pt")
    return execute(train, {"spec": spec, "data": DATA, "device": device},
                   inputs=Files(data=[data_dir / "t10k-images-idx3-ubyte"]), outputs=out)


def latency_run(data_dir, tmp_path, device="cpu", batch_size=4):
    spec = {"source": "mnist", "kind": SPEC["kind"], "model": SPEC["model"]}
    params = {"model": "mlp-h16x1", "spec": spec, "precision": "fp32", "batch_size": batch_size,
              "timing_cfg": TIMING, "data": DATA, "device": device}
    return execute(measure_latency, params, inputs=Files(data=[data_dir / "t10k-images-idx3-ubyte"]),
                   outputs=Files(tmp_path / "t.json"), record_failures=True)


def test_train_then_latency_records(data_dir, tmp_path):
    rec = train_run(SPEC, data_dir, tmp_path)
    assert rec["status"] == "ok" and rec["params_total"] == 784 * 16 + 16 + 16 * 10 + 10
    assert rec["steps_per_epoch"] == 5 and rec["train_time_s"] > 0 and 0 <= rec["accuracy"] <= 1
    assert json.loads((tmp_path / "m.json").read_text())["accuracy"] == rec["accuracy"]
    model = load_trained(tmp_path / "m.pt")
    assert sum(p.numel() for p in model.parameters()) == rec["params_total"]
    t = latency_run(data_dir, tmp_path)
    assert t["status"] == "ok" and t["latency_repeats"] == 3 and len(t["latency_samples_s"]) == 3
    assert t["throughput_per_s"] == pytest.approx(4 / t["latency_median_s"])
    assert t["test_samples"] == 8 and t["test_set_time_s"] > 0
    assert json.loads((tmp_path / "t.json").read_text())["latency_median_s"] == t["latency_median_s"]


def test_a_series_slower_than_its_test_pass_is_timed_again(data_dir, tmp_path, monkeypatch):
    from mlalab.measure import timing

    verdicts = iter(["slower", "agrees"])
    monkeypatch.setattr(timing, "pass_agreement", lambda rec: {"test_pass_ratio": 1.0, "test_pass_agreement": next(verdicts)})
    t = latency_run(data_dir, tmp_path)
    assert t["test_pass_retimed"] is True and t["test_pass_agreement"] == "agrees" and t["latency_tries"] == 2
    verdicts = iter(["agrees"])
    t = latency_run(data_dir, tmp_path)
    assert t["test_pass_retimed"] is False and t["latency_tries"] == 1


def test_same_seed_same_result(data_dir, tmp_path):
    a = train_run(SPEC, data_dir, tmp_path, "a")
    b = train_run(SPEC, data_dir, tmp_path, "b")
    assert a["accuracy"] == b["accuracy"] and a["test_loss"] == b["test_loss"]
    sa, sb = torch.load(tmp_path / "a.pt")["state_dict"], torch.load(tmp_path / "b.pt")["state_dict"]
    assert all(torch.equal(sa[k], sb[k]) for k in sa)


def test_impossible_batch_size_is_recorded_not_raised(data_dir, tmp_path):
    spec = {**SPEC, "batch_size": 10_000}
    rec = train_run(spec, data_dir, tmp_path)
    assert rec["status"] == "failed" and "batch_size 10000" in rec["error"]
    assert json.loads((tmp_path / "m.json").read_text())["status"] == "failed"
    with pytest.raises(RuntimeError, match="the run failed"):
        load_trained(tmp_path / "m.pt")


def test_cuda_without_gpu_fails_the_job_and_records_nothing(data_dir, tmp_path, monkeypatch):
    """A failure of the machine is not a result: no record is kept, so the next run retries the job."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)   # a node without a visible GPU
    with pytest.raises(MachineFailure, match="device: cuda"):
        latency_run(data_dir, tmp_path, device="cuda")
    assert not (tmp_path / "t.json").exists()
    with pytest.raises(MachineFailure):
        train_run(SPEC, data_dir, tmp_path, device="cuda")
    assert not (tmp_path / "m.json").exists() and not (tmp_path / "m.pt").exists()


@pytest.mark.parametrize("exc, machine", [
    (ValueError("batch_size 10000 is larger than the 8 training samples"), False),
    (RuntimeError("mat1 and mat2 shapes cannot be multiplied (4x10 and 9x3)"), False),
    (MemoryError(), True),
    (RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 6 TB"), True),
    (torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"), True),
    (RuntimeError("CUDA error: an illegal memory access was encountered"), True),
    (RuntimeError("CUDA error: CUBLAS_STATUS_EXECUTION_FAILED when calling `cublasSgemm`"), True),
    (MachineFailure("device: cuda was asked for"), True),
    # the disk, the file system or the folders of the machine: retried by the next run, never a failed row
    (OSError(28, "No space left on device"), True),
    (OSError(5, "Input/output error"), True),
    (OSError(30, "Read-only file system"), True),
    (PermissionError(13, "Permission denied: '/tmp/mlalab-cores/core0.lock'"), True),
    (RuntimeError("could not save the model"), False),
])
def test_failures_of_the_machine_are_told_from_failures_of_the_config(exc, machine):
    assert is_machine_failure(exc) is machine


def test_a_failure_raised_from_an_oserror_is_the_machines():
    try:
        try:
            raise OSError(28, "No space left on device")
        except OSError as e:
            raise RuntimeError("could not save the model") from e
    except RuntimeError as e:
        assert is_machine_failure(e)


def test_a_record_job_that_hits_a_full_disk_records_nothing(tmp_path):
    def body():
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        execute(body, {"model": "m"}, outputs=Files(tmp_path / "r.json"), record_failures=True)
    assert not (tmp_path / "r.json").exists()


def test_the_core_lock_folder_is_per_user():
    import os

    from mlalab import isolation

    if "MLALAB_CORE_LOCKS" not in os.environ:
        assert isolation.LOCK_DIR.name == f"mlalab-cores-{os.getuid()}"


def test_experiment_table_reads_the_latency_record_and_averages_seeds():
    rows = [{"experiment": "e", "label": "a", "run": f"a{s}", "model": "m", "batch_size": 2, "seed": s}
            for s in (0, 1)]
    rows.append({"experiment": "e", "label": "b", "run": "b0", "model": "m2", "batch_size": 2, "seed": 0})

    def ok_metrics(acc, t):
        return {"status": "ok", "accuracy": acc, "train_time_s": t, "train_time_per_epoch_s": t, "test_loss": 1.0}

    latency = {"status": "ok", "model": "m", "batch_size": 2, "precision": "fp32", "runtime": "eager",
               "latency_median_s": 2.0, "latency_p10_s": 1.5, "latency_p90_s": 2.5, "latency_repeats": 3,
               "throughput_per_s": 1.0, "test_set_time_s": 1.0, "device": "cpu", "device_name": "x", "threads": 1}
    metrics = {"a0": ok_metrics(0.90, 2.0), "a1": ok_metrics(0.92, 4.0),
               "b0": {"status": "failed", "error": "out of memory: RuntimeError: boom"}}
    latencies = {("m", 2): latency, ("m2", 2): {**latency, "model": "m2"}}
    profile = {"spec": {"kind": "mlp"}, "params_total": 10, "params_trainable": 10, "param_bytes": 40,
               "macs_per_sample": {"analytic": 5, "aten": 5, "thop_total": 5, "thop_conv_linear": 5},
               "input_shape": [None, 1, 28, 28], "output_shape": [None, 10], "input_dtype": "float32",
               "weight_dtypes": {"w": "float32"}, "output_dtype": "float32"}
    table = experiment_table(rows, metrics, latencies, {"m": profile, "m2": profile}).set_index("label")
    a = table.loc["a"]
    assert a["n_seeds"] == 2 and a["accuracy_mean"] == pytest.approx(0.91)
    assert a["accuracy_std"] == pytest.approx(pd.Series([0.90, 0.92]).std())
    # one record per (model, batch): the table shows it as is, not pooled over seeds
    assert a["latency_median_s"] == 2.0 and a["latency_repeats"] == 3 and a["throughput_per_s"] == 1.0
    assert a["precision"] == "fp32" and a["runtime"] == "eager"
    assert a["macs_per_batch"] == 10 and a["input_shape"] == "2x1x28x28" and a["status"] == "ok"
    b = table.loc["b"]
    assert b["status"] == "failed" and "out of memory" in b["error"] and b["n_seeds"] == 0


def _oom(*a, **k):
    raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 79.1 GiB total)")


def test_out_of_memory_in_a_timing_job_fails_it_and_records_nothing(tmp_path, monkeypatch):
    from mlalab.stages import latency

    monkeypatch.setattr(latency.timing, "measure_with", _oom)
    spec = {"source": "torchvision", "name": "resnet18", "image_size": 32}
    out = tmp_path / "fp32-bs4.json"
    with pytest.raises(torch.OutOfMemoryError):
        execute(latency.measure_latency, {"model": "resnet18", "spec": spec, "precision": "fp32", "batch_size": 4,
                                          "timing_cfg": timing.fixed(0, 1), "data": DATA, "device": "cpu"},
                outputs=Files(out), record_failures=True)
    assert not out.exists()


def test_out_of_memory_in_training_fails_the_job_and_records_nothing(data_dir, tmp_path, monkeypatch):
    from mlalab.stages import mnist

    monkeypatch.setattr(mnist, "train_loop", _oom)
    with pytest.raises(torch.OutOfMemoryError):
        train_run(SPEC, data_dir, tmp_path)
    assert not (tmp_path / "m.json").exists() and not (tmp_path / "m.pt").exists()


def test_a_failure_of_the_config_in_a_record_job_is_still_a_record(tmp_path):
    def body(batch_size):
        raise ValueError(f"batch_size {batch_size} is larger than the 8 training samples")

    out = tmp_path / "r.json"
    rec = execute(body, {"batch_size": 10}, outputs=Files(out), record_failures=True)
    saved = json.loads(out.read_text())
    assert rec["status"] == saved["status"] == "failed" and saved["batch_size"] == 10   # keeps its identity
    assert saved["error"] == "ValueError: batch_size 10 is larger than the 8 training samples"


def test_a_killed_writer_leaves_no_output_only_a_temp_file(tmp_path):
    """SIGKILL in the middle of an atomic write: the output path never holds a partial file."""
    target = tmp_path / "metrics.json"
    code = textwrap.dedent(f"""
        import os, signal
        from mlalab.io import atomic_path
        with atomic_path({str(target)!r}) as tmp:
            with open(tmp, "w") as f:
                f.write('{{"accuracy": 0.9')      # half a JSON document
                f.flush()
            os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parents[2])
    assert proc.returncode == -signal.SIGKILL
    assert not target.exists()
    leftovers = [p.name for p in tmp_path.iterdir()]
    assert leftovers and all(n.startswith(".metrics.json.") and n.endswith(".tmp") for n in leftovers), leftovers
