"""Parameters and multiply-accumulates (MACs) of one forward pass: the lab's one counter API.

MACs three independent ways, so each figure is cross-checked (one MAC = one multiply plus one add of the
product into an accumulator):

- `thop_macs`: thop's per-module hooks. Counts what its rules cover: conv and linear layers plus small
  element-wise counts for norm layers and pooling; zero for modules it has no rule for, and nothing for
  functional ops (torch.matmul, `x + y`). Its parameter total only covers modules it hooks, so nn.Embedding
  tables are missing.
- `aten_macs`, the primary counter: torch.utils.flop_counter.FlopCounterMode counts the aten matrix ops
  really dispatched (convolution, mm/addmm/bmm, ...) in FLOPs = 2 x MACs. Fused attention kernels hide
  their products from it (no formula for the CPU scaled-dot-product-attention kernel nor for
  nn.MultiheadAttention's fast path, `_native_multi_head_attention`), so by default it counts with the MHA
  fast path off and SDPA on its math backend: every product is then an mm/bmm it has a formula for. The
  shapes are all it needs, so it counts a model on the meta device as well (mlalab.measure.reference).
- `analytic_macs`: the textbook formula per module it has a rule for (`FORMULA_LAYERS`): Conv and Linear
  (output elements x fan-in), transformers' Conv1D (GPT-2's projections), nn.MultiheadAttention (its four
  projections plus Q K^T and A V). `unseen_macs` says what it cannot see: products the primary counter
  saw issued by modules it has no rule for (functional attention in transformers, a custom matmul).
- closed forms per transformers family live in mlalab.measure.closed_form.

Every MAC counter answers in one vocabulary: `macs` (the total), and where the counter can see them
`by_type` (module type -> MACs), `by_op` (aten op -> MACs), `by_layer` (leaf module name -> MACs),
`by_module` (module name -> MACs that module issued itself, not through its children; aten only).
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import contextmanager
from math import prod

import torch
from torch import nn
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

from mlalab.measure.walker import nbytes, tensors

GEMM_LAYERS = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)


def params(model: nn.Module) -> dict:
    """total / trainable parameter counts, and the bytes of parameters and of buffers at their stored dtype."""
    ps = list(model.parameters())
    return {"total": sum(p.numel() for p in ps),
            "trainable": sum(p.numel() for p in ps if p.requires_grad),
            "bytes": sum(nbytes(p) for p in ps),
            "buffer_bytes": sum(nbytes(b) for b in model.buffers())}


def thop_macs(model: nn.Module, inputs: tuple) -> dict:
    """thop's total, by module type and by leaf module; `conv_linear`: its share in Conv/Linear layers (the
    part comparable with the other counters); `params` / `by_type_params`: the parameters its hooks saw.
    thop removes its hooks and buffers afterwards, so the model is left as it was."""
    import thop

    was_training = model.training
    model.eval()
    with torch.no_grad():
        total, n_params, tree = thop.profile(model, inputs=inputs, verbose=False, ret_layer_info=True)
    model.train(was_training)
    by_layer: dict[str, int] = {}
    by_type: dict[str, float] = defaultdict(float)
    by_type_params: dict[str, float] = defaultdict(float)
    conv_linear = 0

    def visit(prefix: str, module: nn.Module, node: dict) -> None:
        nonlocal conv_linear
        for name, (ops, n, children) in node.items():
            full, child = f"{prefix}.{name}" if prefix else name, getattr(module, name)
            if children:
                visit(full, child, children)
                continue
            by_layer[full] = int(ops)
            by_type[type(child).__name__] += ops
            by_type_params[type(child).__name__] += n
            if isinstance(child, GEMM_LAYERS):
                conv_linear += int(ops)

    visit("", model, tree)
    return {"macs": int(total), "conv_linear": conv_linear, "params": int(n_params),
            "by_type": {k: int(v) for k, v in by_type.items()},
            "by_type_params": {k: int(v) for k, v in by_type_params.items()},
            "by_layer": by_layer}


@contextmanager
def every_product_dispatched():
    """nn.MultiheadAttention off its fused fast path and scaled_dot_product_attention on its math backend,
    so that every attention product reaches the dispatcher as an mm/bmm (restored afterwards)."""
    fast = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with sdpa_kernel(SDPBackend.MATH):
            yield
    finally:
        torch.backends.mha.set_fastpath_enabled(fast)


def aten_macs(model: nn.Module, inputs: tuple, kwargs: dict | None = None, expand_attention: bool = True) -> dict:
    """FlopCounterMode's FLOPs / 2, in total, by aten op ('convolution', 'addmm', 'bmm', ...) and by the module
    that issued them. `expand_attention=False` counts the model as it runs by default, fused kernels and all
    (what the lab's BERT SDPA row shows: the fused kernel counts 0)."""
    was_training = model.training
    model.eval()
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), every_product_dispatched() if expand_attention else _nothing(), counter:
        model(*inputs, **(kwargs or {}))
    model.train(was_training)
    counts = counter.get_flop_counts()
    by_op = {str(op).removeprefix("aten."): int(f) // 2 for op, f in counts.get("Global", {}).items()}
    return {"macs": int(counter.get_total_flops()) // 2, "by_op": by_op, "by_module": _own_macs(model, counts)}


@contextmanager
def _nothing():
    yield


def _own_macs(model: nn.Module, counts: dict) -> dict[str, int]:
    """MACs each module issued itself, not through its submodules, from FlopCounterMode's per-module totals
    (its ModuleTracker keys them '<root class>.<dotted path>'); modules that issued none left out. A container
    never called (an nn.ModuleList) has no total: its called submodules stand in for it."""
    root = type(model).__name__
    own: dict[str, int] = {}

    def visit(name: str, m: nn.Module) -> int:
        """The MACs counted inside `m`'s calls, or inside its called submodules when `m` was never called."""
        inner = sum(visit(f"{name}.{c}" if name else c, child) for c, child in m.named_children())
        key = f"{root}.{name}" if name else root
        if key not in counts:
            return inner
        total = sum(counts[key].values()) // 2
        if total - inner:
            own[name] = total - inner
        return total

    visit("", model)
    return own


# ---- the formula counter: one rule per module type it knows --------------------------------------------
def _is_conv1d_transformers(m: nn.Module) -> bool:
    # transformers' Conv1D (GPT-2): a linear layer with its weight stored [in, out]; matched by name so that
    # counting a torchvision model never imports transformers
    return type(m).__name__ == "Conv1D" and type(m).__module__.startswith("transformers")


def has_formula(m: nn.Module) -> bool:
    """The module types the formula counter has a rule for."""
    return isinstance(m, (*GEMM_LAYERS, nn.MultiheadAttention)) or _is_conv1d_transformers(m)


def _rule_macs(m: nn.Module, args: tuple, kw: dict, output) -> int:
    out = next(tensors(output))
    if isinstance(m, nn.Linear):
        return out.numel() * m.in_features
    if _is_conv1d_transformers(m):
        return out.numel() * m.weight.shape[0]
    if isinstance(m, nn.MultiheadAttention):
        return _mha_macs(m, *list(tensors((args, kw)))[:3])
    return out.numel() * (m.in_channels // m.groups) * prod(m.kernel_size)


def _mha_macs(m: nn.MultiheadAttention, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor) -> int:
    """Q, K, V projections (L x E x E, S x kdim x E, S x vdim x E per sequence), Q K^T and A V (L x S x E
    each: heads x head_dim = E) and the output projection (L x E x E), times the batch."""
    seq_axis = 1 if m.batch_first else 0
    batch = query.shape[1 - seq_axis] if query.dim() == 3 else 1
    L, S, E = query.shape[seq_axis if query.dim() == 3 else 0], key.shape[seq_axis if key.dim() == 3 else 0], m.embed_dim
    per_seq = L * E * E + S * m.kdim * E + S * m.vdim * E + 2 * L * S * E + L * E * E
    return batch * per_seq


def analytic_macs(model: nn.Module, inputs: tuple, kwargs: dict | None = None) -> dict:
    """The formula of every module with a rule (`has_formula`), outermost call only (an nn.MultiheadAttention
    counts its out_proj itself); by module type and by layer (a layer called twice sums its calls)."""
    by_type: dict[str, int] = defaultdict(int)
    by_layer: dict[str, int] = defaultdict(int)
    depth = [0]

    def enter(module, args):
        depth[0] += 1

    def leave(name):
        def fn(module, args, kw, output):
            depth[0] -= 1
            if depth[0] == 0:
                macs = _rule_macs(module, args, kw, output)
                by_type[type(module).__name__] += macs
                by_layer[name] += macs
        return fn

    handles = []
    for name, m in model.named_modules():
        if has_formula(m):
            handles += [m.register_forward_pre_hook(enter),
                        m.register_forward_hook(leave(name), with_kwargs=True, always_call=True)]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(*inputs, **(kwargs or {}))
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    return {"macs": sum(by_type.values()), "by_type": dict(by_type), "by_layer": dict(by_layer)}


def unseen_macs(model: nn.Module, by_module: dict[str, int], covered=has_formula) -> dict[str, int]:
    """What a module-rule counter cannot see: MACs the primary counter saw issued by a module that has no
    rule (`covered`) and is not inside one, by that module's type ({} when it sees everything)."""
    inside: set[str] = set()
    for name, m in model.named_modules():
        if covered(m):
            inside.update(f"{name}.{sub}" if name and sub else (name or sub) for sub, _ in m.named_modules())
    out: dict[str, int] = defaultdict(int)
    modules = dict(model.named_modules())
    for name, macs in by_module.items():
        if name not in inside and name in modules:
            out[type(modules[name]).__name__] += macs
    return dict(out)


def thop_covers(m: nn.Module) -> bool:
    """The modules thop counts the products of: Conv and Linear (it has no rule for nn.MultiheadAttention
    or transformers' Conv1D)."""
    return isinstance(m, GEMM_LAYERS)


def all_macs(model: nn.Module, inputs: tuple) -> dict:
    """The three counters on the same inputs: {"analytic": ..., "aten": ..., "thop": ...}; the analytic and
    thop records carry `unseen_by_type`, what the primary saw outside the modules they have rules for."""
    aten = aten_macs(model, inputs)
    analytic = {**analytic_macs(model, inputs), "unseen_by_type": unseen_macs(model, aten["by_module"])}
    thop = {**thop_macs(model, inputs), "unseen_by_type": unseen_macs(model, aten["by_module"], thop_covers)}
    return {"analytic": analytic, "aten": aten, "thop": thop}
