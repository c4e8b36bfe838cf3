"""The two Part 3 networks, built from their configs with random weights (never downloaded), and inputs."""

from __future__ import annotations

import torch
from torch import nn

RESNET18 = "resnet18"
BERT = "bert-base"


def build_resnet18(seed: int = 0) -> nn.Module:
    import torchvision

    torch.manual_seed(seed)
    return torchvision.models.resnet18(weights=None).eval()


def build_bert(attn_implementation: str = "sdpa", seed: int = 0) -> nn.Module:
    """BERT-base (`BertConfig()` defaults: 12 layers, d_model 768, 12 heads, FFN 3072) as a bare `BertModel`:
    embeddings + encoder + the default pooler (dense+tanh on [CLS]); no task head."""
    from transformers import BertConfig, BertModel

    torch.manual_seed(seed)
    model = BertModel(BertConfig(attn_implementation=attn_implementation))
    got = model.config._attn_implementation
    if got != attn_implementation:
        raise RuntimeError(f"asked for attn_implementation={attn_implementation!r}, transformers gave {got!r}")
    return model.eval()


def image_batch(batch_size: int, image_size: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch_size, 3, image_size, image_size, generator=g)


def token_batch(batch_size: int, seq_len: int, vocab_size: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, vocab_size, (batch_size, seq_len), generator=g)


def bert_config_record(model: nn.Module) -> dict:
    """Architecture numbers read from the model's own config (not restated by hand)."""
    c = model.config
    return {
        "model": BERT,
        "class": type(model).__name__,
        "head": "pooler (dense 768->768 + tanh on [CLS]); no task head" if model.pooler is not None
                else "none",
        "num_layers": c.num_hidden_layers,
        "d_model": c.hidden_size,
        "num_heads": c.num_attention_heads,
        "head_dim": c.hidden_size // c.num_attention_heads,
        "ffn_dim": c.intermediate_size,
        "vocab_size": c.vocab_size,
        "max_position_embeddings": c.max_position_embeddings,
        "type_vocab_size": c.type_vocab_size,
        "hidden_act": c.hidden_act,
        "attn_implementation": c._attn_implementation,
    }
