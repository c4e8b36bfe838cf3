"""The glossary's terms and where the report first uses each: a term's first mention in the body text becomes a
link to its entry (templates/glossary.html.j2 holds the definitions, by the ids below)."""

from __future__ import annotations

import re

# id -> how the term is written in the text (the first match after the contents is linked)
TERMS = {
    "p10-p90": r"p10–p90",
    "mac": r"\bMACs?\b",
    "flop": r"\bFLOPs?\b",
    "gemm": r"\bGEMMs?\b",
    "aten": r"\baten\b",
    "thop": r"\bthop\b",
    "addmm": r"\baddmm\b|\bbmm\b",
    "ci95": r"95 % confidence intervals?",
    "wilson": r"\bWilson\b",
    "roofline": r"\b[Rr]oofline\b",
    "intensity": r"\b[Aa]rithmetic intensity\b",
    "ridge": r"\bridge\b",
    "autocast": r"\bautocast\b",
    "d-model": r"\bd_model\b",
    "onnx": r"\bONNX\b",
}

# text inside these elements is never linked: headings, links, the contents, the glossary itself, styles
_SKIP = {"a", "h1", "h2", "h3", "h4", "h5", "title", "style", "nav", "dt", "dd", "code", "th",
         "script"}
_TAG = re.compile(r"<(/?)([a-zA-Z0-9]+)[^>]*?(/?)>")


def link_first_uses(html: str, terms: dict[str, str] = TERMS, start_at: str = 'id="part1"') -> str:
    """Each term's first mention in body text (from `start_at` on) wrapped in a link to `#g-{id}`."""
    begin = html.find(start_at)
    if begin < 0 or 'id="glossary"' not in html:
        return html
    head, body = html[:begin], html[begin:]
    todo = {k: re.compile(p) for k, p in terms.items()}
    out, depth, pos = [], {}, 0
    for m in _TAG.finditer(body):
        out.append(_link(body[pos:m.start()], todo) if not any(depth.get(t) for t in _SKIP) else body[pos:m.start()])
        closing, name, selfclosing = m.group(1), m.group(2).lower(), m.group(3)
        if name in _SKIP and not selfclosing:
            depth[name] = depth.get(name, 0) + (-1 if closing else 1)
        if 'id="glossary"' in m.group(0):
            todo.clear()
        out.append(m.group(0))
        pos = m.end()
    out.append(body[pos:])
    return head + "".join(out)


def _link(text: str, todo: dict) -> str:
    hits = []
    for key in list(todo):
        m = todo[key].search(text)
        if m and not any(m.start() < e and s < m.end() for s, e, _ in hits):
            hits.append((m.start(), m.end(), key))
            del todo[key]
    for s, e, key in sorted(hits, reverse=True):
        text = text[:s] + f'<a class="gloss" href="#g-{key}">{text[s:e]}</a>' + text[e:]
    return text
