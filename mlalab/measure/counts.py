"""Parameters and multiply-accumulates (MACs) of one forward pass, by several independent counters.

- `thop_counts`: thop's per-module hooks (counts what its rules cover: conv, linear, norm layers, pooling;
  zero for modules it has no rule for, and nothing for functional ops such as torch.matmul or `x + y`;
  its parameter total only covers modules it hooks, so nn.Embedding tables are missing).
- `aten_counts`: torch.utils.flop_counter.FlopCounterMode, which counts the aten matrix ops (convolution,
  mm/addmm/bmm, ...) at dispatch; FLOPs are 2 x MACs, so MACs = FLOPs / 2. It has no formula for the
  fused CPU scaled-dot-product-attention kernel in this torch version, so that kernel counts 0.
- `conv_linear_macs`: analytic, from each Conv2d / Linear output shape (hooks): out.numel() x fan-in.
- `bert_analytic`: the closed-form per-layer formula for a BERT encoder, from the model's config.
"""

from __future__ import annotations

from collections import defaultdict

import torch
from torch import nn


def param_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def thop_counts(model: nn.Module, inputs: tuple) -> dict:
    """thop's total MACs and params, plus its MACs and params grouped by module type (0 = no rule)."""
    import thop

    macs, params, tree = thop.profile(model, inputs=inputs, verbose=False, ret_layer_info=True)
    by_type_macs: dict[str, float] = defaultdict(float)
    by_type_params: dict[str, float] = defaultdict(float)

    def walk(module: nn.Module, node: dict) -> None:
        for name, (ops, n_params, sub) in node.items():
            child = getattr(module, name)
            if sub:
                walk(child, sub)
            else:
                by_type_macs[type(child).__name__] += ops
                by_type_params[type(child).__name__] += n_params

    walk(model, tree)
    return {"macs": int(macs), "params": int(params),
            "by_module_type_macs": {k: int(v) for k, v in by_type_macs.items()},
            "by_module_type_params": {k: int(v) for k, v in by_type_params.items()}}


def aten_counts(model: nn.Module, inputs: tuple) -> dict:
    """MACs seen by torch.utils.flop_counter (FLOPs / 2), in total and per aten op."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(*inputs)
    by_op = {str(op).removeprefix("aten."): int(f) // 2 for op, f in counter.get_flop_counts()["Global"].items()}
    return {"macs": int(counter.get_total_flops()) // 2, "by_op_macs": by_op}


def conv_linear_macs(model: nn.Module, inputs: tuple) -> dict:
    """Analytic MACs of every Conv and Linear module from its output shape: out.numel() x (Cin/groups x k..)."""
    per_type: dict[str, int] = defaultdict(int)
    handles = []

    def hook(module, args, out):
        if isinstance(module, nn.modules.conv._ConvNd):
            fan_in = module.in_channels // module.groups
            for k in module.kernel_size:
                fan_in *= k
        else:
            fan_in = module.in_features
        per_type[type(module).__name__] += out.numel() * fan_in

    for mod in model.modules():
        if isinstance(mod, (nn.modules.conv._ConvNd, nn.Linear)):
            handles.append(mod.register_forward_hook(hook))
    try:
        with torch.no_grad():
            model(*inputs)
    finally:
        for h in handles:
            h.remove()
    return {"macs": sum(per_type.values()), "by_module_type_macs": dict(per_type)}


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
