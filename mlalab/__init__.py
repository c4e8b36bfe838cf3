"""mla-lab: the logic behind the Snakemake pipeline that rebuilds the ML-accelerators lab 1 report."""

__version__ = "0.1.0"
