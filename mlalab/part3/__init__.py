"""Part 3 of the lab: ResNet18 and BERT-base at inference (timing, counts, memory, GEMM inventory).

One concern per module: `nets` builds the models and inputs, `counts` params/MACs by several counters,
`gemms` traces aten matrix products, `memory` weights vs activations and the per-layer table,
`bench` latency and Q1, `tables` JSON records -> the report's tidy CSVs.
"""
