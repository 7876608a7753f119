"""Tritium: an FPGA co-design compiler for pruned, ternarized neural networks."""
__version__ = "0.1.0"
