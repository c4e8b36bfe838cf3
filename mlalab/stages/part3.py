"""Part 3: ResNet18 and BERT-base at inference (job bodies for mlalab.runner; each returns one record).

Their latencies are the one timing job's records (mlalab.stages.latency); here: ResNet18 Q1's one-image-
at-a-time pass, the counters, memory and the per-layer table, and BERT's GEMM inventory.
"""

from __future__ import annotations

import torch

from mlalab.measure import closed_form, counters, gemms, memory, reference, timing
from mlalab.measure import models as nets
from mlalab.plan.specs import ModelSpec, TorchvisionSpec, model_spec


def q1_record(images: int, image_size: int, device: torch.device, warmup: int, repeats: int) -> dict:
    """Q1: all `images` pushed through ResNet18 one image per call, timed per pass (median, p10/p90 over
    `repeats` passes after `warmup`). The same images as one batch is the latency record of batch `images`."""
    model = nets.build_resnet18().to(device).eval()
    x = nets.image_batch(images, image_size).to(device)
    singles = [x[i:i + 1] for i in range(images)]

    def one_at_a_time():
        with torch.inference_mode():
            for one in singles:
                model(one)

    return {"model": nets.RESNET18, "image_size": image_size, "images": images,
            **timing.measure(one_at_a_time, device, warmup, repeats, prefix="one_at_a_time"),
            **timing.environment(device)}


def resnet18_counts(image_size: int) -> dict:
    """Params and MACs of one image by thop, the aten counter and the analytic conv/linear formula (CPU:
    the counts do not depend on the device)."""
    model = nets.build_resnet18()
    x = nets.image_batch(1, image_size)
    return {
        "model": nets.RESNET18,
        "batch_size": 1,
        "input_shape": list(x.shape),
        "params": counters.params(model)["total"],
        **counters.all_macs(model, (x,)),
    }


def resnet18_memory(batch_size: int, image_size: int, device: torch.device) -> dict:
    model = nets.build_resnet18().to(device)
    x = nets.image_batch(batch_size, image_size).to(device)
    return {"model": nets.RESNET18, "image_size": image_size, "device": device.type,
            "threads": torch.get_num_threads(), "precision": "fp32", **memory.memory_record(model, x)}


def bert_counts(seq_len: int) -> dict:
    """Params and MACs of one sequence, by the analytic formula, an aten GEMM trace and FlopCounterMode with
    eager attention, FlopCounterMode with the fused SDPA kernel, and thop (CPU; counts are device-free)."""
    eager = nets.build_bert("eager")
    sdpa = nets.build_bert("sdpa")
    ids = nets.token_batch(1, seq_len, eager.config.vocab_size)
    traced, _ = gemms.trace_gemms(eager, (ids,))
    _, fused = gemms.trace_gemms(sdpa, (ids,))
    return {
        "model": nets.BERT,
        "batch_size": 1,
        "seq_len": seq_len,
        "input_shape": list(ids.shape),
        "params": counters.params(eager)["total"],
        "analytic": closed_form.bert_analytic(eager.config, 1, seq_len, pooler=eager.pooler is not None),
        "gemm_trace": {"macs": gemms.total_macs(traced), "gemms": len(traced), "by_op": gemms.macs_by_op(traced)},
        "aten_eager": counters.aten_macs(eager, (ids,)),
        "aten_sdpa": {**counters.aten_macs(sdpa, (ids,), expand_attention=False),
                      "fused_attention_ops": sorted({f["op"] for f in fused}),
                      "fused_attention_calls": len(fused)},
        "thop": counters.thop_macs(eager, (ids,)),
        "config": nets.bert_config_record(eager),
    }


def bert_gemms(batch_size: int, seq_len: int, block: int = 0) -> dict:
    """The GEMM inventory traced inside encoder.layer[block], with the analytic MACs of each role beside it."""
    model = nets.build_bert("eager")
    ids = nets.token_batch(batch_size, seq_len, model.config.vocab_size)
    rows = gemms.bert_block_inventory(model, ids, block)
    analytic = closed_form.bert_analytic(model.config, batch_size, seq_len)["macs_per_layer_by_role"]
    for r in rows:
        r["macs_analytic"] = analytic[r["role"]]
    return {"model": nets.BERT, "batch_size": batch_size, "seq_len": seq_len, "block": block,
            "input_shape": list(ids.shape), "gemms": rows,
            "config": nets.bert_config_record(model)}


# ---- any model of `part3.models`: the same questions as the lab's two, by one generic job ------------------
def first_block(model: torch.nn.Module) -> tuple[str | None, torch.nn.Module | None]:
    """The first repeated block: element 0 of the first nn.ModuleList (transformers' encoder.layer, h, layers);
    none for a network without one (torchvision CNNs: their convolutions are not GEMMs at the aten level)."""
    for name, m in model.named_modules():
        if isinstance(m, torch.nn.ModuleList) and len(m):
            return f"{name}.0", m[0]
    return None, None


def _attempt(fn) -> dict:
    # one counter that cannot handle a model leaves its reason, not a failed job: the others still answer
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001
        return {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"}


def model_profile(model: str, spec: dict | ModelSpec, batch_sizes: list[int], log) -> dict:
    """Params, MACs of one input by the primary counter (aten, every product executed), thop and the module
    formulas (each with what it cannot see), the family's closed form (transformers) and torchvision's
    documented figures with our count at their size (torchvision), weights vs activations at each batch size,
    and the GEMM inventory of the first block. Transformers are built with eager attention."""
    spec = model_spec(spec).for_counting()
    net = nets.build(spec)
    x = nets.example_batch(spec, net, 1)
    counts = {"aten": _attempt(lambda: counters.aten_macs(net, (x,))),
              "thop": _attempt(lambda: counters.thop_macs(net, (x,))),
              "analytic": _attempt(lambda: counters.analytic_macs(net, (x,)))}
    by_module = counts["aten"].pop("by_module", None)
    for key, covers in (("analytic", counters.has_formula), ("thop", counters.thop_covers)):
        if by_module is not None and "error" not in counts[key]:
            counts[key]["unseen_by_type"] = counters.unseen_macs(net, by_module, covers)
    counts["analytic"].pop("by_layer", None)
    if spec.tokens_per_sample is not None:   # a sequence model: its family's closed form, where there is one
        form = closed_form.for_config(net.config, 1, spec.tokens_per_sample)
        if form is not None:
            counts["closed_form"] = {"macs": form["macs"], "params": form["params"],
                                     "family": type(net.config).__name__}
    log(f"{model}: MACs " + ", ".join(f"{k} {v.get('macs', v.get('error'))}" for k, v in counts.items()))
    mem = []
    for b in batch_sizes:
        rec = _attempt(lambda b=b: memory.memory_record(net, nets.example_batch(spec, net, b)))
        rec.pop("layers", None)
        mem.append({"batch_size": b, **rec})
    name, block = first_block(net)
    gemm_rows = []
    if block is not None:
        traced, _ = gemms.trace_gemms(net, (x,), root=block)
        gemm_rows = [{**g.as_dict(), "module": f"{name}.{g.module}".rstrip(".")} for g in traced]
    log(f"{model}: first block {name}: {len(gemm_rows)} GEMMs")
    return {"model": model, "source": spec.source, "name": spec.name, "input_shape": list(x.shape),
            "params": counters.params(net)["total"], "counters": counts, "memory": mem, "block": name,
            "gemms": gemm_rows, "torchvision": _torchvision_reference(spec, counts["aten"].get("macs"))}


def _torchvision_reference(spec: ModelSpec, macs: int | None) -> dict | None:
    """torchvision's documented params and MACs and our primary count at the size they were measured at."""
    if not isinstance(spec, TorchvisionSpec):
        return None
    ref = reference.torchvision_reference(spec.name)
    if ref is None:
        return None
    size = ref["image_size"]
    ours = macs if spec.image_size == size else _attempt(
        lambda: reference.count_on_meta(spec.name, size)).get("macs")
    return {**ref, "macs_ours": ours}
