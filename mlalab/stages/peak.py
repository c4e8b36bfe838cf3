"""The machine's attainable throughput, measured with the same harness as every latency in the report.

Two ceilings for the roofline:

* compute: a dense square matmul `a @ b` (n x n by n x n) in fp32, and in bf16 where the device supports
  it. It performs 2 * n**3 floating-point operations (n**3 multiply-adds), so GFLOP/s = 2 n^3 / latency
  / 1e9 (each row has it at the median, p10, p90 and fastest repeat). The ceiling is the best over the
  configured sizes of the fastest repeat (see `summarize`): it is *attainable* (what PyTorch's BLAS
  reaches here with this many threads), not the vendor's datasheet peak.
* conv: a 3x3 convolution of the shape ResNet's first stage runs (config `peak.conv`: batch, channels, spatial
  size, kernel), 2 x MACs FLOPs. oneDNN's convolution kernels can beat the BLAS matmul on the same cores, and the
  lab's CNNs and ResNet18 run convolutions: the fp32 compute ceiling (`compute_fp32_gflops`, the roofline's
  roof) is the best of the matmuls and the convolution, so a model cannot beat it merely by running a better
  kernel than the one that set the roof.
* The ceilings run as the models' latencies do: the peak job holds the machine like a latency job and measures
  every ceiling at each thread count a latency record of the build uses (`thread_counts`: `timing.threads` for
  the MNIST models, `part3.timing.threads` for Part 3's), so "% of peak" compares like with like (`peaks`,
  keyed by threads; `peak` is the ceiling of the fewest threads).
* tf32 (CUDA, Ampere and later): the fp32 matmul with `torch.backends.cuda.matmul.allow_tf32` on, i.e. on
  tensor cores with 10-bit mantissas. PyTorch leaves it off for matmuls but *on* for cuDNN convolutions
  (`torch.backends.cudnn.allow_tf32`), so a CNN's fp32 convs on a GPU can exceed the fp32 matmul ceiling;
  the tf32 ceiling is the one that bounds them. Recorded in the environment.
* memory: `dst.copy_(src)` of one large fp32 buffer. It reads `nbytes` and writes `nbytes`, so we count
  2 * nbytes moved (GB/s = 2 * nbytes / median / 1e9). A CPU with write-allocate caches also reads the
  destination line before writing it, so the true DRAM traffic can be up to 3 * nbytes; counting 2x makes
  this ceiling conservative (lower), the convention of STREAM's "copy".
"""

from __future__ import annotations

import torch

from mlalab.isolation import running_jobs
from mlalab.measure.precision import bf16_supported
from mlalab.measure.timing import environment, fixed, measure_with

DTYPES = {"fp32": torch.float32, "tf32": torch.float32, "bf16": torch.bfloat16}


def tf32_supported(device: torch.device) -> bool:
    """TF32 tensor-core matmuls: CUDA devices of compute capability 8.0 (Ampere) and later."""
    return device.type == "cuda" and torch.cuda.get_device_capability(device) >= (8, 0)


def supported(dtype: str, device: torch.device) -> bool:
    return {"fp32": True, "bf16": bf16_supported(device), "tf32": tf32_supported(device)}[dtype]


class _Tf32:
    """Within the block, CUDA matmuls use TF32 iff `on` (fp32 rows force it off: true fp32)."""

    def __init__(self, on: bool):
        self.on = on

    def __enter__(self):
        self.saved = torch.backends.cuda.matmul.allow_tf32
        torch.backends.cuda.matmul.allow_tf32 = self.on

    def __exit__(self, *exc):
        torch.backends.cuda.matmul.allow_tf32 = self.saved


def matmul_flops(n: int) -> int:
    """Floating-point operations of an (n x n) @ (n x n) matmul: n^3 multiply-adds = 2 n^3 FLOPs."""
    return 2 * n ** 3


def gflops(flops: float, seconds: float) -> float:
    return flops / seconds / 1e9


def matmul(n: int, dtype: str, device: torch.device, warmup: int, repeats: int, seed: int = 0) -> dict:
    """Time one dense n x n matmul; return the harness's statistics plus GFLOP/s at the median."""
    g = torch.Generator().manual_seed(seed)
    a = torch.randn(n, n, generator=g).to(device=device, dtype=DTYPES[dtype])
    b = torch.randn(n, n, generator=g).to(device=device, dtype=DTYPES[dtype])
    out = torch.empty(n, n, device=device, dtype=DTYPES[dtype])
    with _Tf32(dtype == "tf32"):
        stats = measure_with(lambda: torch.mm(a, b, out=out), device, fixed(warmup, repeats), watch=running_jobs)
    flops = matmul_flops(n)
    return {"measure": "matmul", "precision": dtype, "size": n, "bytes": None, "flops": flops, **_timing(stats),
            "gflops": gflops(flops, stats["latency_median_s"]),
            "gflops_p10": gflops(flops, stats["latency_p90_s"]), "gflops_p90": gflops(flops, stats["latency_p10_s"]),
            "gflops_best": gflops(flops, stats["latency_min_s"]), "gbs": None, "gbs_best": None}


def _timing(stats: dict) -> dict:
    return {k: stats.get(k) for k in ("latency_median_s", "latency_p10_s", "latency_p90_s", "latency_repeats",
                                      "latency_drift", "beside_jobs")}


def conv_macs(batch: int, channels: int, size: int, kernel: int) -> int:
    """MACs of a same-padded kernel x kernel convolution, channels -> channels, on size x size maps."""
    return batch * channels * size * size * channels * kernel * kernel


def conv(cfg: dict, dtype: str, device: torch.device, warmup: int, repeats: int, watch=None, seed: int = 0) -> dict:
    """Time one convolution (module doc); GFLOP/s at the median, p10/p90 and fastest repeat."""
    b, c, n, k = (int(cfg[key]) for key in ("batch", "channels", "size", "kernel"))
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(b, c, n, n, generator=g).to(device=device, dtype=DTYPES[dtype])
    layer = torch.nn.Conv2d(c, c, k, padding=k // 2, bias=False).to(device=device, dtype=DTYPES[dtype]).eval()
    with torch.inference_mode(), _Tf32(dtype == "tf32"):
        stats = measure_with(lambda: layer(x), device, fixed(warmup, repeats), watch=watch)
    flops = 2 * conv_macs(b, c, n, k)
    return {"measure": "conv", "precision": dtype, "size": n, "bytes": None, "flops": flops, **_timing(stats),
            "gflops": gflops(flops, stats["latency_median_s"]),
            "gflops_p10": gflops(flops, stats["latency_p90_s"]), "gflops_p90": gflops(flops, stats["latency_p10_s"]),
            "gflops_best": gflops(flops, stats["latency_min_s"]), "gbs": None, "gbs_best": None,
            "shape": f"{b}x{c}x{n}x{n}, {k}x{k} kernel"}


def copy(nbytes: int, device: torch.device, warmup: int, repeats: int) -> dict:
    """Time `dst.copy_(src)` of an fp32 buffer of `nbytes`; bandwidth counts read + write = 2 * nbytes."""
    numel = max(1, nbytes // 4)
    src = torch.ones(numel, device=device, dtype=torch.float32)
    dst = torch.empty_like(src)
    stats = measure_with(lambda: dst.copy_(src), device, fixed(warmup, repeats), watch=running_jobs)
    moved = 2 * numel * 4
    return {"measure": "copy", "precision": "fp32", "size": numel, "bytes": moved, "flops": None, **_timing(stats),
            "gflops": None, "gflops_p10": None, "gflops_p90": None, "gflops_best": None,
            "gbs": moved / stats["latency_median_s"] / 1e9, "gbs_best": moved / stats["latency_min_s"] / 1e9}


def measure_peak(cfg: dict, device: torch.device, log=print) -> dict:
    """Run every configured matmul and the copy; return {'rows': [...], 'peak': {...}, 'environment': ...}.

    `cfg` is the config's `peak:` block, its defaults filled (mlalab.plan.schema): matmul_sizes, copy_mib, warmup,
    repeats, dtypes, conv (optional).
    """
    warmup, repeats = int(cfg["warmup"]), int(cfg["repeats"])
    dtypes = list(cfg["dtypes"])
    rows, skipped = [], []
    for dtype in dtypes:
        if not supported(dtype, device):
            skipped.append(f"{dtype}: not supported on this {device.type}")
            log(skipped[-1])
            continue
        for n in cfg["matmul_sizes"]:
            row = matmul(int(n), dtype, device, warmup, repeats)
            log(f"matmul {dtype} n={n}: median {row['latency_median_s'] * 1e3:.3f} ms, {row['gflops']:.1f} GFLOP/s")
            rows.append(row)
        if "conv" in cfg:   # optional: absent, no convolution ceiling
            row = conv(cfg["conv"], dtype, device, warmup, repeats, watch=running_jobs)
            log(f"conv {dtype} {row['shape']}: median {row['latency_median_s'] * 1e3:.3f} ms, {row['gflops']:.1f} GFLOP/s")
            rows.append(row)
    row = copy(int(cfg["copy_mib"]) * 2 ** 20, device, warmup, repeats)
    log(f"copy {cfg['copy_mib']} MiB: median {row['latency_median_s'] * 1e3:.3f} ms, {row['gbs']:.1f} GB/s")
    rows.append(row)
    env = environment(device)
    if device.type == "cuda":  # what the timed models run with: matmuls fp32 unless allowed, convs per cuDNN
        env["cuda_matmul_allow_tf32"] = torch.backends.cuda.matmul.allow_tf32
        env["cudnn_allow_tf32"] = torch.backends.cudnn.allow_tf32
    for r in rows:
        r.update(device=env["device"], device_name=env["device_name"], threads=env["threads"])
    return {"rows": rows, "peak": summarize(rows), "skipped": skipped, "environment": env}


def summarize(rows: list[dict], key: str = "best") -> dict:
    """The ceilings: per dtype, the highest GFLOP/s over the sizes (None if not measured), and copy GB/s.

    A ceiling is what the machine can do at best, so by default it is taken from each size's fastest
    repeat (`gflops_best`, `gbs_best`): a call slowed down by another process on a shared machine then
    does not lower the roof. key="median" uses the medians instead (both are in the rows).
    """
    gk, bk = ("gflops_best", "gbs_best") if key == "best" else ("gflops", "gbs")

    def val(r, k):
        return r.get(k) if r.get(k) is not None else r.get(k.replace("_best", ""))

    def best_row(dtype, measures=("matmul",)):
        xs = [r for r in rows if r["measure"] in measures and r["precision"] == dtype]
        return max(xs, key=lambda r: val(r, gk)) if xs else None

    def best(dtype):
        r = best_row(dtype)
        return val(r, gk) if r else None

    def best_size(dtype):
        r = best_row(dtype)
        return r["size"] if r else None

    bw = [val(r, bk) for r in rows if r["measure"] == "copy"]
    top = best_row("fp32", ("matmul", "conv"))
    fp32 = val(top, gk) if top else None
    bandwidth = max(bw) if bw else None
    return {"compute_fp32_gflops": fp32, "compute_fp32_measure": top["measure"] if top else None,
            "matmul_fp32_gflops": best("fp32"), "matmul_fp32_size": best_size("fp32"),
            "matmul_tf32_gflops": best("tf32"), "matmul_tf32_size": best_size("tf32"),
            "matmul_bf16_gflops": best("bf16"), "matmul_bf16_size": best_size("bf16"),
            "copy_gbs": bandwidth, "ceiling_from": "fastest repeat" if key == "best" else "median",
            # the arithmetic intensity (FLOP/byte) where the fp32 roof meets the bandwidth slope
            "ridge_fp32_flop_per_byte": (fp32 / bandwidth) if fp32 and bandwidth else None}


def measure_peaks(cfg: dict, device: torch.device, thread_counts: list[int], log=print) -> dict:
    """`measure_peak` at each thread count: every row says its threads; `peaks` maps threads -> ceilings, `peak`
    (and `environment`) are those of the fewest threads. The cores were claimed for the most of them."""
    counts = sorted({max(1, int(t)) for t in thread_counts}) or [torch.get_num_threads()]
    before, rows, peaks, first = torch.get_num_threads(), [], {}, None
    try:
        for n in counts:
            torch.set_num_threads(n)
            log(f"ceilings on {n} thread(s)")
            rec = measure_peak(cfg, device, log)
            rows += rec["rows"]
            peaks[str(n)] = rec["peak"]
            first = first or rec
    finally:
        torch.set_num_threads(before)
    return {**first, "rows": rows, "peaks": peaks, "thread_counts": counts}


def ceiling_for(record: dict, threads) -> dict:
    """The ceilings a figure timed on `threads` is compared with: those measured on as many threads, else (a
    record written before `peaks`, or a thread count not measured) the record's `peak`."""
    try:
        return (record.get("peaks") or {}).get(str(int(threads))) or record["peak"]
    except (TypeError, ValueError):
        return record["peak"]


def peak(outputs, peak: dict, device, log, thread_counts: list[int] | None = None, threads: int = 1) -> None:
    """The peak rule: measure, then write the full record (JSON) and one row per measurement (CSV)."""
    import pandas as pd

    from mlalab.io import write_csv, write_json

    # settings as written (1, `all`): `all` is every core this job computes on
    counts = [threads if t == "all" else min(int(t), threads) for t in (thread_counts or [threads])]
    log(f"device {device}, threads {counts}")
    record = measure_peaks(peak, device, counts, log)
    write_json(outputs.json, {**record, "config": peak,
                              "method": "median of `repeats` timed calls (mlalab.measure.timing.measure_with) per "
                                        "size; matmul FLOPs = 2 n^3; copy bytes = read + write"})
    write_csv(outputs.table, pd.DataFrame(record["rows"]))
