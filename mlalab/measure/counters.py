"""Parameters and multiply-accumulates (MACs) of one forward pass: the lab's one counter API.

MACs three independent ways, so each figure is cross-checked (one MAC = one multiply plus one add of the
product into an accumulator):

- `thop_macs`: thop's per-module hooks. Counts what its rules cover: conv and linear layers plus small
  element-wise counts for norm layers and pooling; zero for modules it has no rule for, and nothing for
  functional ops (torch.matmul, `x + y`). Its parameter total only covers modules it hooks, so nn.Embedding
  tables are missing.
- `aten_macs`: torch.utils.flop_counter.FlopCounterMode counts the aten matrix ops really dispatched
  (convolution, mm/addmm/bmm, ...) in FLOPs = 2 x MACs. It has no formula for the fused CPU
  scaled-dot-product-attention kernel in this torch version, so that kernel counts 0.
- `analytic_macs`: the textbook formula from each Conv/Linear call's output (the layer walker):
  output elements x fan-in (Cin/groups x kernel, or in_features).
- `bert_analytic`: the closed-form per-layer formula of a BERT encoder, from the model's config.

Every MAC counter answers in one vocabulary: `macs` (the total), and where the counter can see them
`by_type` (module type -> MACs), `by_op` (aten op -> MACs), `by_layer` (leaf module name -> MACs).
"""

from __future__ import annotations

from collections import defaultdict
from math import prod

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from mlalab.measure.walker import nbytes, walk

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


def aten_macs(model: nn.Module, inputs: tuple, kwargs: dict | None = None) -> dict:
    """FlopCounterMode's FLOPs / 2, in total and by aten op ('convolution', 'addmm', 'bmm', ...)."""
    was_training = model.training
    model.eval()
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(*inputs, **(kwargs or {}))
    model.train(was_training)
    by_op = {str(op).removeprefix("aten."): int(f) // 2
             for op, f in counter.get_flop_counts().get("Global", {}).items()}
    return {"macs": int(counter.get_total_flops()) // 2, "by_op": by_op}


def analytic_macs(model: nn.Module, inputs: tuple) -> dict:
    """Sum over Conv/Linear calls of output elements x fan-in; by module type and by layer (a layer called
    twice sums its calls)."""
    by_type: dict[str, int] = defaultdict(int)
    by_layer: dict[str, int] = defaultdict(int)
    for call in walk(model, inputs).calls:
        m = call.module
        if not isinstance(m, GEMM_LAYERS):
            continue
        fan_in = m.in_features if isinstance(m, nn.Linear) else (m.in_channels // m.groups) * prod(m.kernel_size)
        by_type[type(m).__name__] += call.output_numel * fan_in
        by_layer[call.name] += call.output_numel * fan_in
    return {"macs": sum(by_type.values()), "by_type": dict(by_type), "by_layer": dict(by_layer)}


def all_macs(model: nn.Module, inputs: tuple) -> dict:
    """The three counters on the same inputs: {"analytic": ..., "aten": ..., "thop": ...}."""
    return {"analytic": analytic_macs(model, inputs), "aten": aten_macs(model, inputs),
            "thop": thop_macs(model, inputs)}


# ---- BERT, closed form -----------------------------------------------------------------------------------
def bert_analytic(config, batch_size: int, seq_len: int, pooler: bool = True) -> dict:
    """MACs and parameters of a BertModel forward from its config.

    Per encoder layer, with T = batch x seq tokens, d = hidden, f = FFN width, h heads of size d/h:
      Q, K, V, attention-output projections  4 x T d d
      attention scores  Q K^T                batch x h x seq x seq x d/h = batch x seq^2 x d
      attention x V                          batch x seq^2 x d
      FFN intermediate, FFN output           2 x T d f
    plus the pooler dense on the [CLS] token (batch x d x d). Embedding lookups, layer norms, softmax,
    GELU, bias and residual adds are not multiply-accumulates of a matrix product and count 0 here.
    """
    d, f, h = config.hidden_size, config.intermediate_size, config.num_attention_heads
    n, b, s = config.num_hidden_layers, batch_size, seq_len
    t = b * s
    per_layer = {
        "Q projection": t * d * d,
        "K projection": t * d * d,
        "V projection": t * d * d,
        "attention scores (Q K^T)": b * h * s * s * (d // h),
        "attention x V (context)": b * h * s * s * (d // h),
        "attention output dense": t * d * d,
        "FFN intermediate": t * d * f,
        "FFN output": t * f * d,
    }
    pooler_macs = b * d * d if pooler else 0
    layer_macs = sum(per_layer.values())
    # parameters: embeddings (word + position + token type tables, LayerNorm), per layer (4 attention
    # linears, FFN, two LayerNorms), pooler dense
    emb = (config.vocab_size + config.max_position_embeddings + config.type_vocab_size) * d + 2 * d
    layer_params = 4 * (d * d + d) + (d * f + f) + (f * d + d) + 2 * (2 * d)
    pooler_params = d * d + d if pooler else 0
    return {
        "macs": n * layer_macs + pooler_macs,
        "macs_per_layer": layer_macs,
        "macs_per_layer_by_role": per_layer,
        "macs_attention_matmuls": n * (per_layer["attention scores (Q K^T)"] + per_layer["attention x V (context)"]),
        "macs_pooler": pooler_macs,
        "params": emb + n * layer_params + pooler_params,
        "params_embeddings": emb,
        "params_per_layer": layer_params,
        "params_pooler": pooler_params,
    }
