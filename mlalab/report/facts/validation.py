"""Facts of the Methods section's validation: MACs per sample by the three counters, per model, and what each
counter cannot see. A counter that knows it misses products (`unseen_macs` > 0: the primary aten counter saw
them issued by modules it has no rule for) is blind for that model: the counters do not agree there, even if
their numbers happen to."""

from __future__ import annotations

import math

from mlalab.report.facts.common import num, ok_rows


def validation_rows(tables: dict, config: dict) -> list[dict]:
    """Per model (one row per distinct model over all experiments, then Part 3's models): MACs per sample
    by thop, aten and analytic, and the relative gaps (counter / analytic - 1). Part 3's counts table is long
    (one row per model x counter); its aten counter is `flop_counter`."""
    out, seen = [], set()
    for name in config["experiments"]:
        t = tables.get(name)
        if t is None or not len(t):
            continue
        for _, r in ok_rows(t).iterrows():
            if r["model"] in seen:
                continue
            seen.add(r["model"])
            out.append(_validation_row(str(r["model"]), r.get("kind", ""), r.get("macs_per_sample_thop"),
                                       r.get("macs_per_sample_aten"), r.get("macs_per_sample_analytic"),
                                       experiment=name, label=str(r.get("label", ""))))
    counts = tables.get("part3_counts")
    if counts is not None and len(counts):
        for model, g in counts.groupby("model", sort=False):
            by = {str(c): m for c, m in zip(g["counter"], g["macs"])}
            notes = {str(c): n for c, n in zip(g["counter"], g["note"])}
            out.append(_validation_row(str(model), "part3", by.get("thop"),
                                       by.get("flop_counter", by.get("flop_counter_eager")),
                                       by.get("analytic"), experiment="part3", label=str(model), notes=notes))
    added = tables.get("part3_models_counts")
    if added is not None and len(added):
        for model, g in added.groupby("model", sort=False):
            g = g[g["input_shape"] == g["input_shape"].iloc[0]]       # the configured input, not torchvision's
            by = {str(c): r for c, r in zip(g["counter"], g.to_dict("records"))}
            blind = {c: {"macs": num(by[c].get("unseen_macs")), "in": by[c].get("unseen_in")}
                     for c in ("thop", "analytic") if c in by and num(by[c].get("unseen_macs")) > 0}
            out.append(_validation_row(str(model), "part3", *(by.get(c, {}).get("macs") for c in
                                                               ("thop", "flop_counter", "analytic")),
                                       experiment="part3.models", label=str(model), blind=blind))
    return out


def _validation_row(model, kind, thop, aten, analytic, blind=None, **extra) -> dict:
    thop, aten, analytic = num(thop), num(aten), num(analytic)

    def gap(v):
        return ((v / analytic - 1) if analytic and not math.isnan(v) and not math.isnan(analytic) else math.nan)
    g_thop, g_aten = gap(thop), gap(aten)
    return {"model": model, "kind": kind, "thop": thop, "aten": aten, "analytic": analytic,
            "gap_thop": g_thop, "gap_aten": g_aten,
            "thop_above": (not math.isnan(g_thop)) and g_thop > 1e-6,
            "thop_below": (not math.isnan(g_thop)) and g_thop < -1e-6,
            "aten_above": (not math.isnan(g_aten)) and g_aten > 1e-6,
            "aten_below": (not math.isnan(g_aten)) and g_aten < -1e-6,
            "blind": blind or {},
            "agree": not blind and all(abs(g) <= 1e-6 for g in (g_thop, g_aten) if not math.isnan(g)), **extra}
