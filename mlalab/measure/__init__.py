"""Measurement: the timing harness and its record, the counters, the layer walker, the GEMM trace and every
model builder. The lab's stages compose these; nothing here knows about the lab's sections."""
