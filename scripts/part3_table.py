"""Snakemake script (rule part3_table): Part 3 JSON records -> one tidy CSV per report table.

Raw numbers, units in the column names (_s seconds, _bytes, _per_s per second); the functions in
mlalab/part3/tables.py document each column in full. Tables and columns:

part3_resnet18_latency.csv  one row per (precision, batch size)
    model, precision (fp32 | bf16), batch_size, image_size, n, median_s, p10_s, p90_s, mean_s, std_s, min_s,
    max_s, throughput_per_s (images/s = batch / median), throughput_p10_per_s, throughput_p90_per_s,
    device, device_name, threads, dtype, torch, status, error
part3_bert_latency.csv      same, with seq_len and attn_implementation instead of image_size, throughput in
    sequences/s and tokens_per_s
part3_resnet18_q1.csv       one row: model, images, image_size, one_at_a_time_s, one_at_a_time_p10_s,
    one_at_a_time_p90_s, one_batch_s, one_batch_p10_s, one_batch_p90_s, ratio_one_at_a_time_over_batch,
    per_image_one_at_a_time_s, per_image_one_batch_s, repeats, device, device_name, threads, dtype, torch
part3_counts.csv            one row per (model, counter): model, counter (analytic | flop_counter | thop for
    resnet18; analytic | gemm_trace | flop_counter_eager | flop_counter_sdpa | thop for bert-base), params,
    macs (one image / one sequence), batch_size, input_shape, reference, macs_diff, macs_rel_diff,
    params_diff, note (what the counter counts, why it differs)
part3_counts_breakdown.csv  one row per (model, counter, component): model, counter, component (module type,
    aten op or GEMM role), macs, params (thop only)
part3_resnet18_memory.csv   one row per batch size: model, batch_size, image_size, params, weight_bytes,
    buffer_bytes, input_bytes, activation_bytes_analytic, saved_activation_bytes, saved_input_bytes,
    saved_weight_bytes, cuda_peak_inference_bytes, cuda_peak_grad_bytes, cuda_retained_grad_bytes (CUDA
    only), activations_over_weights_analytic, activations_over_weights_saved, dominant_analytic,
    dominant_saved, crossover_batch_analytic, crossover_batch_saved, device, threads, dtype, status, error
part3_resnet18_layers.csv   one row per (batch size, leaf-layer call): model, batch_size, layer, type, call,
    weight_shape, bias_shape, activation_shape ('AxBxC'), activation_dtype, activation_bytes, param_count,
    param_bytes, buffer_bytes, order
part3_bert_gemms.csv        one row per GEMM of encoder.layer[0]: model, batch_size, seq_len, block, role,
    module, op, input_shape, second_operand_shape, weight_shape, output_shape, groups, M, N, K, macs,
    macs_analytic, order
part3_bert_config.csv       one row: model, class, head, num_layers, d_model, num_heads, head_dim, ffn_dim,
    vocab_size, max_position_embeddings, type_vocab_size, hidden_act, attn_implementation, params,
    params_embeddings, params_per_layer, params_pooler
"""

from mlalab.io import write_csv
from mlalab.joblog import JobLog
from mlalab.stages.part3_tables import build

sm = snakemake  # noqa: F821 - injected by Snakemake
log = JobLog(sm.log[0])
frame = build(sm.params.table, dict(sm.input.items()))
write_csv(sm.output[0], frame)
log(f"{sm.params.table}: {len(frame)} rows, columns {list(frame.columns)}")
