# Rules for ONNX export (issue 4).
