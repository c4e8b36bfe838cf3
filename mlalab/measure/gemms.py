"""Trace the aten matrix products a forward pass really runs (not a hand-written list).

`trace_gemms` runs the model under a TorchDispatchMode that records every aten mm / addmm / bmm / baddbmm
call with its operand shapes and the innermost nn.Module that was executing (forward hooks keep a stack).
Matrix products reached through `torch.matmul` or `F.linear` are decomposed by PyTorch before dispatch, so
they appear here as mm/addmm/bmm. Fused attention kernels (scaled_dot_product_attention) are recorded as
`unexpanded` so a caller can see that they hide two GEMMs; count with attn_implementation="eager".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode

aten = torch.ops.aten
GEMM_OPS = {aten.mm.default: "mm", aten.addmm.default: "addmm", aten.bmm.default: "bmm",
            aten.baddbmm.default: "baddbmm"}
FUSED_ATTENTION = ("scaled_dot_product", "flash_attention", "efficient_attention", "cudnn_attention")


@dataclass
class Gemm:
    module: str           # innermost module running the op, dotted path from the traced root
    op: str               # aten op name
    a_shape: list         # first operand ([G,] M, K)
    b_shape: list         # second operand ([G,] K, N); for nn.Linear a transposed view of the weight
    out_shape: list
    groups: int           # batch count G of a bmm (1 for mm/addmm)
    M: int
    N: int
    K: int
    macs: int             # G * M * N * K
    b_is_weight: bool     # second operand shares storage with a parameter of `module`
    weight_shape: list = field(default_factory=list)   # that parameter's shape, e.g. Linear [out, in]

    def as_dict(self) -> dict:
        return asdict(self)


class _GemmRecorder(TorchDispatchMode):
    def __init__(self, stack: list[str], params_by_ptr: dict):
        super().__init__()
        self.stack = stack
        self.params_by_ptr = params_by_ptr
        self.gemms: list[Gemm] = []
        self.unexpanded: list[dict] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if not self.stack:
            return out
        name = GEMM_OPS.get(func)
        if name is not None:
            a, b = (args[1], args[2]) if name in ("addmm", "baddbmm") else (args[0], args[1])
            groups = a.shape[0] if a.dim() == 3 else 1
            M, K = a.shape[-2], a.shape[-1]
            N = b.shape[-1]
            weight = self.params_by_ptr.get(_storage_ptr(b))
            self.gemms.append(Gemm(
                module=self.stack[-1], op=name, a_shape=list(a.shape), b_shape=list(b.shape),
                out_shape=list(out.shape), groups=int(groups), M=int(M), N=int(N), K=int(K),
                macs=int(groups * M * N * K), b_is_weight=weight is not None,
                weight_shape=list(weight.shape) if weight is not None else []))
        elif any(key in str(func) for key in FUSED_ATTENTION):
            self.unexpanded.append({"module": self.stack[-1], "op": str(func),
                                    "shapes": [list(x.shape) for x in args if isinstance(x, torch.Tensor)]})
        return out


def _storage_ptr(t: torch.Tensor) -> int:
    return t.untyped_storage().data_ptr()


def trace_gemms(model: nn.Module, inputs: tuple, root: nn.Module | None = None) -> tuple[list[Gemm], list[dict]]:
    """Run `model(*inputs)` (no grad) and return the GEMMs issued while `root` (default: the model) runs,
    plus any fused attention ops that were not expanded into GEMMs."""
    root = model if root is None else root
    stack: list[str] = []
    handles = []

    def enter(name):
        def hook(module, args):
            stack.append(name)
        return hook

    def leave(module, args, output):   # returns None: the output is left untouched
        stack.pop()

    for name, mod in root.named_modules():
        handles.append(mod.register_forward_pre_hook(enter(name)))
        handles.append(mod.register_forward_hook(leave, always_call=True))
    params_by_ptr = {_storage_ptr(p): p for p in root.parameters()}
    recorder = _GemmRecorder(stack, params_by_ptr)
    try:
        with torch.no_grad(), recorder:
            model(*inputs)
    finally:
        for h in handles:
            h.remove()
    return recorder.gemms, recorder.unexpanded


# ---- roles of the GEMMs of one BERT encoder block ------------------------------------------------------
# The role follows from the module that issued the op (module path relative to the BertLayer); the two
# matrix products inside the self-attention module itself are the score and context products, which the
# data dependence orders: scores = Q K^T first, then softmax(scores) V.
BERT_LINEAR_ROLES = {
    "attention.self.query": "Q projection",
    "attention.self.key": "K projection",
    "attention.self.value": "V projection",
    "attention.output.dense": "attention output dense",
    "intermediate.dense": "FFN intermediate",
    "output.dense": "FFN output",
}
BERT_ATTENTION_ROLES = ("attention scores (QKᵀ)", "context (softmax·V)")


def bert_block_inventory(model: nn.Module, input_ids: torch.Tensor, block: int = 0) -> list[dict]:
    """GEMMs traced inside `model.encoder.layer[block]` with their roles, in execution order."""
    if model.config._attn_implementation != "eager":
        raise ValueError("trace the GEMM inventory with attn_implementation='eager': a fused SDPA kernel "
                         "hides the score and context products")
    gemms, unexpanded = trace_gemms(model, (input_ids,), root=model.encoder.layer[block])
    if unexpanded:
        raise RuntimeError(f"fused attention ops were not expanded into GEMMs: {unexpanded}")
    rows = []
    n_attention = 0
    for g in gemms:
        if g.module in BERT_LINEAR_ROLES:
            role = BERT_LINEAR_ROLES[g.module]
        elif g.module == "attention.self" and not g.b_is_weight:
            if n_attention >= len(BERT_ATTENTION_ROLES):
                raise RuntimeError("more than two matrix products inside the self-attention module")
            role = BERT_ATTENTION_ROLES[n_attention]
            n_attention += 1
        else:
            raise RuntimeError(f"GEMM in unexpected module {g.module!r}: {g}")
        row = {"block": block, "role": role, **g.as_dict()}
        row["module"] = f"encoder.layer.{block}.{g.module}"
        rows.append(row)
    return rows


def total_macs(gemms: list[Gemm]) -> int:
    return sum(g.macs for g in gemms)


def macs_by_op(gemms: list[Gemm]) -> dict[str, int]:
    """MACs per aten op (mm, addmm, bmm, baddbmm): the `by_op` of mlalab.measure.counters' vocabulary."""
    out: dict[str, int] = {}
    for g in gemms:
        out[g.op] = out.get(g.op, 0) + g.macs
    return out
