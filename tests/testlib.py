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


def mostly_empty_pages(pages, filled: float = 0.4) -> list[int]:
    """Pages (1-based) whose text ends above `filled` of the page height, leaving most of it blank; the title
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


@pytest.fixture(scope="module")
def one_thread():
    """Count on one torch thread (module scope), restoring the count after: the counting tests build many models."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
