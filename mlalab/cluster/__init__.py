"""Cluster tooling: what SLURM jobs ask against what the partition offers (the preflight), and the one reader of
Snakemake's dry-run listing that the preflight and the workflow tests share."""
