"""Snakemake script (rule roofline): every timed inference against the measured ceilings.

{R}/tables/roofline.csv, one row per timed call (MNIST experiment rows, then Part 3 fp32 rows):
  source (experiment name or part3), experiment, label, model, batch_size,
  latency_median_s, latency_p10_s, latency_p90_s, latency_repeats, latency_per_sample_s,
  macs_per_batch, macs_source (which MAC column it came from), flops_per_batch (= 2 x MACs),
  achieved_gflops (= flops / median latency / 1e9), achieved_gflops_p10, achieved_gflops_p90
  (from the p90 and p10 latencies), peak_fp32_gflops, pct_of_peak_fp32,
  param_bytes, input_bytes_per_sample, activation_bytes_per_sample, bytes_per_batch (estimate, see
  mlalab/roofline.py), arithmetic_intensity_flop_per_byte, ridge_flop_per_byte, bound (memory | compute),
  roof_gflops (attainable at that intensity), pct_of_roof, roofline_time_s (= max(flops/peak, bytes/bw)),
  latency_over_roofline_time (>> 1: latency-bound), bandwidth_gbs, device, threads.
{R}/report/figures/roofline.svg and .png: the plot (the experiments in peak.plot_experiments + Part 3).
Sentences: mlalab.stages.roofline.roofline_sentence(frame).
"""

from mlalab.joblog import JobLog
from mlalab.stages.roofline import run_job

sm = snakemake  # noqa: F821 - injected by Snakemake
part3 = {"latency": list(sm.input.part3_latency), "counts": sm.input.part3_counts} if sm.params.part3 else None
run_job(sm.input.peak, list(sm.input.tables), part3, sm.params.specs, sm.params.plot_experiments,
        sm.output.table, [sm.output.svg, sm.output.png], JobLog(sm.log[0]))
