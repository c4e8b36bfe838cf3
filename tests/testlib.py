"""Helpers shared by the unit and workflow tests (tests/ is on sys.path: its conftest.py lives there)."""

import gzip
import html as _html
import re
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest


def write_idx(path: str | Path, array: np.ndarray, gz: bool = False) -> None:
    """Write a uint8 array as IDX (tiny datasets for the tests)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    content = header + array.tobytes()
    opener = gzip.open if gz else open
    with opener(path, "wb") as f:
        f.write(content)


def pdf_words(pdf):
    """(page width, page height, [(xmin, ymin, xmax, ymax, word)]) per page, from pdftotext -bbox."""
    text = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = []
    for page in re.findall(r"<page (.*?)</page>", text, flags=re.S):
        w, h = (float(v) for v in re.findall(r'(?:width|height)="([\d.]+)"', page)[:2])
        words = [(float(a), float(b), float(c), float(d), _html.unescape(t)) for a, b, c, d, t in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', page)]
        pages.append((w, h, words))
    return pages


def mostly_empty_pages(pages, filled: float = 0.55) -> list[int]:
    """Pages (1-based) whose text ends above `filled` of the page height, leaving nearly half of it blank or more
    (the full default report of stop 25 left 45 % of page 24 empty: a Part 3 graph moved whole); the title
    page, the last page and the page before one that opens a Part (`Part N —`) may end early. Running header and
    footer (inside the 16/18 mm page margins) do not count."""
    margin = 18 / 25.4 * 72
    bodies = [[(y0, y1, x0, t) for x0, y0, x1, y1, t in words if margin < y0 < h - margin] for _, h, words in pages]
    short = []
    for n, ((_, h, _), body) in enumerate(zip(pages, bodies), 1):
        if n == 1 or n == len(pages):
            continue
        nxt = [t for *_, t in sorted(bodies[n])[:2]]
        if nxt[:1] == ["Part"] and nxt[1:2] and nxt[1].isdigit():
            continue
        if max((y1 for _, y1, _, _ in body), default=0) < filled * h:
            short.append(n)
    return short



def text_of(html: str) -> str:
    """The words of an HTML fragment, tags dropped, whitespace collapsed."""
    return " ".join(_html.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def repeated_sentences(html: str) -> list[str]:
    """Sentences said twice within one subsection (between two headings) of the rendered report."""
    out = []
    for part in re.split(r"<h[2-4][ >]", html):
        body = re.sub(r"<(table|figure)\b.*?</\1>", " ", part, flags=re.S)     # tables repeat words by design
        seen = set()
        for s in re.split(r"(?<=[.!?])\s+", text_of(body)):
            if len(s) > 30 and s in seen:
                out.append(s)
            seen.add(s)
    return out


@pytest.fixture(scope="module")
def one_thread():
    """Count on one torch thread (module scope), restoring the count after: the counting tests build many models."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def _corners(text, renderer):
    """The four corners (display units) of a drawn text's own rectangle, rotated as it is drawn: the axis-aligned
    window extent of a rotated label is much larger than its glyphs, so neighbours would seem to overlap."""
    import numpy as np
    from matplotlib.text import Text

    if hasattr(text, "update_positions"):   # an annotation offset in points: placed for this renderer's dpi
        text.update_positions(renderer)
    box = Text.get_window_extent(text, renderer)     # an annotation's own text, without its leader line
    angle = np.deg2rad(text.get_rotation())
    rotation = text.get_rotation()
    text.set_rotation(0)
    flat = Text.get_window_extent(text, renderer)
    text.set_rotation(rotation)
    w, h = max(flat.width - 2, 0) / 2, max(flat.height - 2, 0) / 2   # 1 px each side: touching is not overlapping
    c, s = np.cos(angle), np.sin(angle)
    centre = np.array([(box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2])
    return [centre + [c * dx - s * dy, s * dx + c * dy] for dx, dy in ((-w, -h), (w, -h), (w, h), (-w, h))]


def _convex_overlap(p, q) -> bool:
    """Separating-axis test of two convex polygons (lists of 2-D points)."""
    import numpy as np

    for poly in (p, q):
        for a, b in zip(poly, poly[1:] + poly[:1]):
            normal = np.array([a[1] - b[1], b[0] - a[0]])
            pa, qa = [normal @ v for v in p], [normal @ v for v in q]
            if max(pa) <= min(qa) or max(qa) <= min(pa):
                return False
    return True


def overlapping_texts(fig) -> list[tuple[str, str]]:
    """Pairs of texts drawn on `fig` whose boxes overlap (tick labels, titles, annotations; a legend counts as
    one box, its own entries are not compared with each other)."""
    from matplotlib.legend import Legend
    from matplotlib.text import Text

    fig.canvas.draw()      # every position for this canvas (a saved SVG laid them out at 72 dpi)
    renderer = fig.canvas.get_renderer()
    legends = [a for a in fig.findobj(Legend)]
    inside = {id(t) for leg in legends for t in leg.findobj(Text)}
    # a tick outside the axis' view keeps its label object but is not drawn (matplotlib's own _update_ticks)
    axes = [a for ax in fig.axes for a in (ax.xaxis, ax.yaxis)]
    every = {id(lab) for a in axes for t in a.get_major_ticks() + a.get_minor_ticks() for lab in (t.label1, t.label2)}
    drawn = {id(lab) for a in axes for t in a._update_ticks() for lab in (t.label1, t.label2)}
    inside |= every - drawn
    shapes = []
    for t in fig.findobj(Text):
        if id(t) in inside or not t.get_visible() or not t.get_text().strip() or t.figure is None:
            continue
        box = Text.get_window_extent(t, renderer)
        if box.width > 0 and box.height > 0:
            shapes.append((t.get_text(), _corners(t, renderer)))
    for leg in legends:
        b = leg.get_window_extent(renderer)
        shapes.append(("legend", [[b.x0, b.y0], [b.x1, b.y0], [b.x1, b.y1], [b.x0, b.y1]]))
    return [(a, b) for i, (a, p) in enumerate(shapes) for b, q in shapes[i + 1:] if _convex_overlap(p, q)]
