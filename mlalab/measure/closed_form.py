"""Closed-form MACs and parameters of a transformers text model's forward, from its config alone: one per
family, each checked against the primary counter (mlalab.measure.counters.aten_macs) in the unit tests.

MACs are those of the matrix products (projections, Q K^T, A V, feed-forward); embedding lookups, norms,
softmax, activations, biases and residual adds count 0. The attention products are counted over the whole
sequence (s x s per head), as the eager attention computes them before the causal mask is applied.
`FAMILIES` maps a config class name to its formula (`for_config`).
"""

from __future__ import annotations


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
        "attention scores (QKᵀ)": b * h * s * s * (d // h),
        "context (softmax·V)": b * h * s * s * (d // h),
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
        "macs_attention_matmuls": n * (per_layer["attention scores (QKᵀ)"] + per_layer["context (softmax·V)"]),
        "macs_pooler": pooler_macs,
        "params": emb + n * layer_params + pooler_params,
        "params_embeddings": emb,
        "params_per_layer": layer_params,
        "params_pooler": pooler_params,
    }


def gpt2_analytic(config, batch_size: int, seq_len: int) -> dict:
    """GPT2Model (no LM head): per block, with T = batch x seq tokens, d = n_embd, f = n_inner (4 d by
    default): c_attn (Q, K, V in one Conv1D) 3 T d^2, Q K^T and A V batch x seq^2 x d each, c_proj T d^2,
    MLP c_fc and c_proj 2 T d f. Parameters: token and position tables, per block two LayerNorms, c_attn,
    c_proj, c_fc, mlp c_proj (weights and biases), the final LayerNorm."""
    d, n, b, s = config.n_embd, config.n_layer, batch_size, seq_len
    f = config.n_inner or 4 * d
    t = b * s
    per_layer = {"QKV projection (c_attn)": 3 * t * d * d, "attention scores (QKᵀ)": b * s * s * d,
                 "context (softmax·V)": b * s * s * d, "attention output (c_proj)": t * d * d,
                 "MLP up (c_fc)": t * d * f, "MLP down (c_proj)": t * f * d}
    emb = (config.vocab_size + config.n_positions) * d
    layer_params = 2 * 2 * d + (3 * d * d + 3 * d) + (d * d + d) + (d * f + f) + (f * d + d)
    return _total(per_layer, n, emb, layer_params, final=2 * d)


def llama_analytic(config, batch_size: int, seq_len: int) -> dict:
    """LlamaModel and its grouped-query kin (Mistral, Qwen2; no LM head): per layer, with T tokens, d = hidden,
    h query heads and g key/value heads of head_dim e, f = intermediate: q_proj T d h e, k_proj and v_proj
    T d g e each (the grouped heads: g < h), o_proj T h e d, Q K^T and A V batch x h x seq^2 x e each (every
    query head attends, the key/value heads repeated), gate, up and down 3 T d f (the rotary angles are an
    outer product, no accumulation: 0). Parameters: the token table,
    the projections (with biases where the config asks), two RMSNorm weights per layer, the final norm."""
    d, n, b, s = config.hidden_size, config.num_hidden_layers, batch_size, seq_len
    h, g, f = config.num_attention_heads, config.num_key_value_heads, config.intermediate_size
    e = getattr(config, "head_dim", None) or d // h
    t = b * s
    per_layer = {"Q projection": t * d * h * e, "K projection": t * d * g * e, "V projection": t * d * g * e,
                 "attention scores (QKᵀ)": b * h * s * s * e, "context (softmax·V)": b * h * s * s * e,
                 "attention output (o_proj)": t * h * e * d, "MLP gate": t * d * f, "MLP up": t * d * f,
                 "MLP down": t * f * d}
    qkv_bias = (h + 2 * g) * e if getattr(config, "attention_bias", False) else 0
    o_bias = d if getattr(config, "attention_bias", False) else 0
    mlp_bias = (2 * f + d) if getattr(config, "mlp_bias", False) else 0
    layer_params = d * (h + 2 * g) * e + qkv_bias + h * e * d + o_bias + 3 * d * f + mlp_bias + 2 * d
    return _total(per_layer, n, config.vocab_size * d, layer_params, final=d)


def _total(per_layer: dict, layers: int, emb: int, layer_params: int, final: int) -> dict:
    return {"macs": layers * sum(per_layer.values()), "macs_per_layer": sum(per_layer.values()),
            "macs_per_layer_by_role": per_layer, "params": emb + layers * layer_params + final,
            "params_embeddings": emb, "params_per_layer": layer_params}


FAMILIES = {"BertConfig": bert_analytic, "GPT2Config": gpt2_analytic, "LlamaConfig": llama_analytic,
            "MistralConfig": llama_analytic}


def for_config(config, batch_size: int, seq_len: int) -> dict | None:
    """The closed form of a bare model built from `config`, None for a family without one."""
    formula = FAMILIES.get(type(config).__name__)
    return formula(config, batch_size, seq_len) if formula else None
