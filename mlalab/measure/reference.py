"""torchvision's own figures for its classifiers, and our count beside them.

torchvision publishes, for every classification builder, `meta["num_params"]` and `meta["_ops"]` (GMACs of one
image) in its weights enums: offline data, nothing is downloaded. `torchvision_reference` reads them from the
builder's first weights entry, at the size those weights were measured at (their transforms' crop size:
224 for most, 299 for Inception-v3, 518 for ViT-H/14's first weights). `count_on_meta` counts our side with
the primary counter on the meta device: shapes only, so even ViT-H/14 costs seconds and no memory.
`EXCEPTIONS` lists, in this one place, every classifier whose documented MACs we do not match within
`MACS_TOLERANCE`, with the reason.
"""

from __future__ import annotations

from contextlib import contextmanager

import torch
from torch import nn

from mlalab.measure import counters

MACS_TOLERANCE = 0.005        # relative gap to meta["_ops"] tolerated
# meta["_ops"] is rounded to 3 decimals of GMACs: a model under 0.1 G (mobilenet_v3_small, 0.057) agrees when
# our count rounds to the same figure, as 0.5 % of it is below that rounding
OPS_DECIMALS = 3

# classifier -> why our primary count differs from torchvision's documented `_ops` by more than the tolerance
EXCEPTIONS: dict[str, str] = {}


def _weights(name: str):
    import torchvision

    return list(torchvision.models.get_model_weights(name))[0]


def _is_vit(name: str) -> bool:
    import torchvision

    return torchvision.models.get_model_builder(name).__module__ == "torchvision.models.vision_transformer"


def builder_kwargs(name: str, image_size: int) -> dict:
    """What the builder needs to be the model torchvision measured: a ViT's position embeddings fix its input
    size when it is built (torchvision's builder sets it from the weights it loads; with weights=None we
    must); GoogLeNet's weights drop its two auxiliary classifiers (training-only heads, never run in eval),
    which weights=None keeps."""
    if _is_vit(name):
        return {"image_size": image_size}
    return {"aux_logits": False, "init_weights": False} if name == "googlenet" else {}


def torchvision_reference(name: str) -> dict | None:
    """{"params", "macs", "image_size", "weights"} as torchvision documents them for `name`, or None when
    `name` has no weights entry with those figures."""
    try:
        w = _weights(name)
    except (ValueError, KeyError, IndexError):
        return None
    ops, params = w.meta.get("_ops"), w.meta.get("num_params")
    crop = w.transforms.keywords.get("crop_size") if hasattr(w.transforms, "keywords") else None
    if ops is None or params is None or crop is None:
        return None
    return {"params": int(params), "macs": round(float(ops) * 1e9), "image_size": int(crop), "weights": str(w)}


@contextmanager
def _weights_on_meta():
    """Every parameter and buffer a module registers goes to the meta device as it is registered. Unlike
    `with torch.device("meta")` this leaves the builder's own arithmetic on the CPU: RegNet computes its
    block widths with tensors and reads them back with .tolist(), which a meta tensor cannot do."""
    register_parameter, register_buffer = nn.Module.register_parameter, nn.Module.register_buffer

    def parameter(self, name, param):
        if param is not None:
            param = nn.Parameter(param.to("meta"), requires_grad=param.requires_grad)
        register_parameter(self, name, param)

    def buffer(self, name, tensor, persistent=True):
        register_buffer(self, name, None if tensor is None else tensor.to("meta"), persistent)

    nn.Module.register_parameter, nn.Module.register_buffer = parameter, buffer
    try:
        yield
    finally:
        nn.Module.register_parameter, nn.Module.register_buffer = register_parameter, register_buffer


def count_on_meta(name: str, image_size: int) -> dict:
    """Parameters and primary-counter MACs of one `image_size` image, the model built on the meta device."""
    import torchvision

    with _weights_on_meta():
        model = torchvision.models.get_model(name, weights=None, **builder_kwargs(name, image_size)).eval()
    with torch.device("meta"):     # tensors the forward makes without a device (masks, indices) too
        x = torch.empty(1, 3, image_size, image_size)
    return {"params": counters.params(model)["total"], "macs": counters.aten_macs(model, (x,))["macs"],
            "image_size": image_size}


def check(name: str) -> dict:
    """Our count at torchvision's size beside its figures: params_equal, macs_rel_diff, within_tolerance,
    and the listed reason when there is one."""
    ref = torchvision_reference(name)
    if ref is None:
        return {"model": name, "reference": None}
    ours = count_on_meta(name, ref["image_size"])
    return {"model": name, "reference": ref, "ours": ours, "params_equal": ours["params"] == ref["params"],
            **agreement(ours["macs"], ref["macs"]), "reason": EXCEPTIONS.get(name)}


def agreement(ours: int, documented: int) -> dict:
    """macs_rel_diff (ours against the documented figure) and within_tolerance: within MACS_TOLERANCE, or the
    same figure once rounded as torchvision rounds it."""
    rel = (ours - documented) / documented
    same_rounded = round(ours / 1e9, OPS_DECIMALS) == round(documented / 1e9, OPS_DECIMALS)
    return {"macs_rel_diff": rel, "within_tolerance": abs(rel) <= MACS_TOLERANCE or same_rounded}
