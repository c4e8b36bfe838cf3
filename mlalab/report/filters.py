"""The report's Jinja filters: a raw number (or shape, or dtype) in, display text out.

Every number the report prints goes through one of these; `column_unit` picks the filter for a raw CSV
column from the naming convention of docs/columns.md (the unit is in the name).
"""

from __future__ import annotations

import math

from mlalab.io import shape_text

DASH = "—"


def missing(x) -> bool:
    if x is None:
        return True
    if isinstance(x, str):
        return x.strip() == "" or x.strip().lower() == "nan"
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return False


def _sig(x: float, digits: int = 3) -> str:
    """`digits` significant digits, no scientific notation for ordinary magnitudes."""
    if x == 0:
        return "0"
    mag = math.floor(math.log10(abs(x)))
    decimals = max(0, digits - 1 - mag)
    return f"{x:,.{decimals}f}"


def f_bytes(n) -> str:
    """Bytes -> B / KiB / MiB / GiB (binary prefixes, 3 significant digits)."""
    if missing(n):
        return DASH
    n = float(n)
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if abs(n) >= scale:
            return f"{_sig(n / scale)} {unit}"
    return f"{int(n)} B"


def f_ms(seconds, digits: int = 3) -> str:
    """Seconds -> milliseconds (µs below 0.1 ms)."""
    if missing(seconds):
        return DASH
    s = float(seconds)
    if 0 < abs(s) < 1e-4:
        return f"{_sig(s * 1e6, digits)} µs"
    return f"{_sig(s * 1e3, digits)} ms"


def f_secs(seconds, digits: int = 3) -> str:
    """Seconds for long durations (training): s, or min above 10 minutes."""
    if missing(seconds):
        return DASH
    s = float(seconds)
    if abs(s) < 1:
        return f_ms(s, digits)
    if abs(s) >= 600:
        return f"{_sig(s / 60, digits)} min"
    return f"{_sig(s, digits)} s"


def f_si(n, digits: int = 3, unit: str = "") -> str:
    """Counts -> k / M / G / T (decimal prefixes): params, MACs, images per second."""
    if missing(n):
        return DASH
    n = float(n)
    for prefix, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= scale:
            return f"{_sig(n / scale, digits)} {prefix}{unit}"
    text = f"{int(n):,}" if float(n).is_integer() else _sig(n, digits)
    return f"{text} {unit}".rstrip() if unit else text


def f_int(n) -> str:
    """Exact integer with thousands separators (params in the layer tables)."""
    if missing(n):
        return DASH
    return f"{int(round(float(n))):,}"


def _honest(value: float, digits: int) -> str:
    """`value` to `digits` decimals, with more decimals (up to 6) where the rounding would print an exact
    100 or 0 that the value is not: 802,944 of 805,066 is 99.7 %, never 100 %."""
    text = f"{value:.{digits}f}"
    while digits < 6 and value not in (0.0, 100.0, -100.0) and float(text) in (0.0, 100.0, -100.0):
        digits += 1
        text = f"{value:.{digits}f}"
    return text


def f_pct(x, digits: int = 2) -> str:
    """A fraction (0..1: accuracy, a share) -> percent; never a rounded 100 % or 0 % that is not exact."""
    if missing(x):
        return DASH
    return f"{_honest(float(x) * 100, digits)} %"


def f_pp(x, digits: int = 2) -> str:
    """A difference of two fractions -> percentage points (a non-zero difference never prints as 0)."""
    if missing(x):
        return DASH
    return f"{_honest(float(x) * 100, digits)} points"


def f_num(x, digits: int = 3) -> str:
    if missing(x):
        return DASH
    if isinstance(x, str):
        return x
    x = float(x)
    return f_int(x) if x.is_integer() and abs(x) < 1e6 else _sig(x, digits)


def f_times(ratio, digits: int = 3) -> str:
    """A ratio -> '2.5×'."""
    if missing(ratio):
        return DASH
    return f"{_sig(float(ratio), digits)}×"


def f_shape(value) -> str:
    """A shape -> '64×1×28×28': the tables' 'AxBxC' text (mlalab.io.shape_text) or a list, with a
    multiplication sign for display; a 1-D shape read back as a number (32 or 32.0) -> '32'."""
    if isinstance(value, (list, tuple)):
        return shape_text(value).replace("x", "×") if value else "scalar"
    if missing(value):
        return DASH
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).replace("x", "×")


def f_dtype(value) -> str:
    if missing(value):
        return DASH
    return str(value).replace("torch.", "")


def f_plain(value) -> str:
    return DASH if missing(value) else str(value)


FILTERS = {
    "bytes": f_bytes, "ms": f_ms, "secs": f_secs, "si": f_si, "int": f_int, "pct": f_pct, "pp": f_pp,
    "num": f_num, "times": f_times, "shape": f_shape, "dtype": f_dtype, "plain": f_plain,
}


def fmt(value, unit: str | None) -> str:
    """Dispatch on a unit name (used by the answer macros, whose facts carry their unit)."""
    if unit == "relpct":
        return DASH if missing(value) else f"{'+' if float(value) >= 0 else ''}{_honest(float(value) * 100, 3)} %"
    if unit == "per_s":
        return f_si(value, unit="/s")
    return FILTERS.get(unit or "plain", f_plain)(value)


def column_unit(column: str) -> str:
    """The filter for a raw CSV column, from the naming convention (units in names)."""
    c = column.lower()
    if "shape" in c:
        return "shape"
    if "rel_diff" in c or "rel_error" in c:
        return "relpct"
    if "dtype" in c:
        return "dtype"
    if "bytes" in c:
        return "bytes"
    if "throughput" in c or c.endswith("_per_s"):
        return "per_s"
    if c.endswith("_s") or c.endswith("_s_mean") or c.endswith("_s_std") or "_s_" in c:
        return "secs" if ("train" in c or "wall" in c or "test_set" in c) else "ms"
    if "accuracy" in c:
        return "pct"
    if "macs" in c or "flops" in c or c.startswith("params") or c.endswith("params"):
        return "si"
    if "speedup" in c or "ratio" in c:
        return "times"
    return "num"


def is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def f_col(value, column: str) -> str:
    """A raw CSV cell formatted by its column's unit; text in a numeric-looking column is shown as it is."""
    unit = column_unit(column)
    if isinstance(value, str) and not is_number(value) and unit not in ("shape", "dtype"):
        return value
    return fmt(value, unit)
