"""Snakemake script (rule precision): the lab's Q4 measured -- FP32 vs BF16 autocast vs INT8 dynamic.

{R}/tables/precision.csv, one row per (model, mode, inference batch size):
  model (MNIST model id or bert-base), kind (mnist | bert), source (experiment), run (trained run id),
  mode (fp32 | bf16 | int8), batch_size, device (int8 always cpu), threads,
  latency_median_s, latency_p10_s, latency_p90_s, latency_repeats, throughput_per_s,
  state_dict_bytes (torch.save of the state dict), tensor_bytes (raw tensor data, int8 = 1 byte),
  accuracy (fraction of the MNIST test set; NaN for BERT, random weights), test_samples,
  agreement_with_fp32 (fraction of argmax predictions equal to fp32's), rel_error_vs_fp32 (relative L2 of
  the outputs), input_dtype, output_dtype, weight_dtypes (stored, per layer type), activation_dtypes
  (leaf-layer outputs, per layer type), quantized_layers, status (ok | failed), error, seq_len (BERT).
{R}/report/figures/precision.svg and .png: size, throughput at the largest batch, accuracy per model x mode.
Sentences: mlalab.stages.precision.precision_sentence(frame).
"""

from pathlib import Path

from mlalab.joblog import JobLog
from mlalab.stages.precision import run_job

sm = snakemake  # noqa: F821 - injected by Snakemake
models = [{**m, "path": p} for m, p in zip(sm.params.models, sm.input.models)]
run_job(sm.params.precision, models, sm.params.data, sm.params.timing, sm.params.device,
        Path(sm.input.data[0]).parent, sm.threads, sm.output.table, [sm.output.svg, sm.output.png],
        JobLog(sm.log[0]))
