"""The train job of one MNIST run, end to end (scripts/train.py only calls this).

A job that fails inside (impossible batch size, out of memory, a bad variant) writes a record with
status 'failed' and the reason instead of crashing, so the other runs and the report go on.
"""

from __future__ import annotations

import torch

from mlalab.io import atomic_path, write_json
from mlalab.measure.models import build_model, count_params
from mlalab.measure.timing import environment, resolve_device, set_threads
from mlalab.stages import data as mnist
from mlalab.stages.training import deterministic, evaluate, train


def train_run(spec: dict, data_cfg: dict, device_name: str, data_dir, threads: int, metrics_path, model_path,
              log) -> dict:
    record = {"run": None, "spec": spec, "status": "ok", "error": None}
    try:
        device = resolve_device(device_name)
        record["threads"] = set_threads(threads)
        record["determinism"] = deterministic(spec["seed"])
        x, y = mnist.load_split(data_dir, "train", mnist.subset_of(data_cfg, "train"))
        xt, yt = mnist.load_split(data_dir, "test", mnist.subset_of(data_cfg, "test"))
        log(f"data: train {tuple(x.shape)}, test {tuple(xt.shape)}; device {device}, threads {record['threads']}")
        model = build_model(spec["kind"], spec["model"])
        record["params_total"], record["params_trainable"] = count_params(model)
        record.update(train(model, x, y, spec["batch_size"], spec["training"], spec["seed"], device, log))
        record.update(evaluate(model, xt, yt, device))
        record["environment"] = environment(device)
        log(f"accuracy {record['accuracy']:.4f}, test loss {record['test_loss']:.4f}, "
            f"training {record['train_time_s']:.2f}s")
        state = {"status": "ok", "spec": spec, "state_dict": model.cpu().state_dict()}
    except Exception as e:  # noqa: BLE001 - recorded as this run's failure; the rest of the lab goes on
        record.update(status="failed", error=log.exception(e))
        state = {"status": "failed", "spec": spec, "error": record["error"]}
    with atomic_path(model_path) as tmp:
        torch.save(state, tmp)
    write_json(metrics_path, record)
    return record


def load_trained(model_path) -> torch.nn.Module:
    """The trained model of a run, or a clear error if that run failed."""
    state = torch.load(model_path, map_location="cpu", weights_only=True)
    if state.get("status") != "ok":
        raise RuntimeError(f"{model_path}: the run failed, no trained model ({state.get('error')})")
    model = build_model(state["spec"]["kind"], state["spec"]["model"])
    model.load_state_dict(state["state_dict"])
    return model.eval()
