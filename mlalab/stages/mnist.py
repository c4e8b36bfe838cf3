"""The MNIST stage: train one run (the train rule's job body for mlalab.runner) and load a trained model back.

A run that fails because of its configuration (impossible batch size) writes records with status 'failed' and
the reason instead of crashing, so the other runs and the report go on; a failure of the machine (out of memory,
a CUDA error) fails the job instead, so the next run retries it (mlalab.runner.is_machine_failure).
"""

from __future__ import annotations

import pickle
from pathlib import Path

import torch

from mlalab.io import DamagedFile, atomic_path
from mlalab.isolation import running_jobs
from mlalab.measure import counters
from mlalab.measure.models import build_model
from mlalab.measure.timing import environment
from mlalab.runner import is_machine_failure
from mlalab.stages import data as mnist
from mlalab.stages.training import deterministic, evaluate
from mlalab.stages.training import train as train_loop


def train(inputs, outputs, spec: dict, data: dict, device: torch.device, threads: int, log) -> dict:
    """Train and evaluate one run; writes the trained model (or its failure) to outputs.model."""
    record = {"spec": spec, "status": "ok", "error": None, "threads": threads}
    try:
        record["determinism"] = deterministic(spec["seed"])
        folder = Path(inputs.data[0]).parent
        x, y = mnist.load_split(folder, "train", mnist.subset_of(data, "train"))
        xt, yt = mnist.load_split(folder, "test", mnist.subset_of(data, "test"))
        log(f"data: train {tuple(x.shape)}, test {tuple(xt.shape)}; device {device}, threads {threads}")
        model = build_model(spec["kind"], spec["model"])
        p = counters.params(model)
        record["params_total"], record["params_trainable"] = p["total"], p["trainable"]
        record.update(train_loop(model, x, y, spec["batch_size"], spec["training"], spec["seed"], device, log,
                                 watch=running_jobs))
        record.update(evaluate(model, xt, yt, device))
        record["environment"] = environment(device)
        log(f"accuracy {record['accuracy']:.4f}, test loss {record['test_loss']:.4f}, "
            f"training {record['train_time_s']:.2f}s")
        state = {"status": "ok", "spec": spec, "state_dict": model.cpu().state_dict()}
    except Exception as e:  # noqa: BLE001 - recorded as this run's failure; the rest of the lab goes on
        if is_machine_failure(e):   # not a result: the runner fails the job, the next run retries it
            raise
        record.update(status="failed", error=log.exception(e))
        state = {"status": "failed", "spec": spec, "error": record["error"]}
    with atomic_path(outputs.model) as tmp:
        torch.save(state, tmp)
    return record


def load_trained(model_path) -> torch.nn.Module:
    """The trained model of a run, or a clear error if that run failed."""
    try:
        state = torch.load(model_path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, pickle.UnpicklingError) as e:   # truncated or garbage: not a result of the config
        raise DamagedFile(model_path, f"not a saved model ({type(e).__name__}: {str(e)[:120]})") from e
    if state.get("status") != "ok":
        raise RuntimeError(f"{model_path}: the run failed, no trained model ({state.get('error')})")
    model = build_model(state["spec"]["kind"], state["spec"]["model"])
    model.load_state_dict(state["state_dict"])
    return model.eval()
