"""Snakemake script (rule peak): the machine's measured ceilings for the roofline.

{R}/peak/peak.json: {"rows": [...], "peak": {matmul_fp32_gflops, matmul_fp32_size, matmul_tf32_gflops,
matmul_tf32_size, matmul_bf16_gflops, matmul_bf16_size (null where unsupported), copy_gbs, ceiling_from
("fastest repeat"), ridge_fp32_flop_per_byte}, "skipped": [...], "environment": {... on CUDA also
cuda_matmul_allow_tf32, cudnn_allow_tf32}, "config": {...}, "method": "..."}

{R}/tables/peak.csv, one row per measurement:
  measure (matmul | copy), dtype (fp32 | tf32 | bf16), size (matmul: n of n x n; copy: fp32 elements),
  bytes (copy: bytes moved = 2 x buffer, read + write), flops (matmul: 2 n^3),
  median_s, p10_s, p90_s (one call), repeats,
  gflops, gflops_p10, gflops_p90 (matmul, at the median / p90 / p10 latency), gflops_best (fastest repeat),
  gbs, gbs_best (copy, GB/s at the median / fastest repeat),
  device, device_name, threads.
"""

from mlalab.joblog import JobLog
from mlalab.stages.peak import run_job

sm = snakemake  # noqa: F821 - injected by Snakemake
run_job(sm.params.peak, sm.params.device, sm.threads, sm.output.json, sm.output.table, JobLog(sm.log[0]))
