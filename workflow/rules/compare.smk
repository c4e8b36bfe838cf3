# Several results folders side by side: `snakemake --cores 2 compare --config 'compare=[path/a,path/b]'`.
# Not part of the default target. The folders' machine.json and tables/*.csv are read as plain paths, never
# declared as inputs: declared, the ones of this workflow's own results folder would make Snakemake rebuild
# them (and the lab jobs under them) whenever they are out of date, and compare must not run a lab job.
# A stamp of those files (size, mtime) is a param instead, so a changed table reruns the comparison.
from mlalab.report.compare import sources as compare_sources

COMPARE = [str(p) for p in config["compare"]] if config["compare"] else []  # null: none


rule compare:
    """The results folders listed under `compare:` side by side: tables, speed-ups against the first folder,
    figures; one HTML file and its PDF."""
    input:
        templates=[here(f"templates/{t}") for t in ("compare.html.j2", "_compare_scenarios.html.j2", "report.css")],
        code=code("compare"),
    output:
        **targets.compare(config),
    params:
        folders=COMPARE,
        sources=lambda wildcards: compare_sources(COMPARE),   # refuses a folder without machine.json
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/compare.log",
    benchmark:
        f"{BENCH}/compare.tsv"
    script:
        "../../scripts/compare.py"
