# Several results folders side by side: `snakemake --cores 2 compare --config 'compare=[path/a,path/b]'`.
# Not part of the default target. The folders' machine.json and tables/*.csv are read as plain paths, never
# declared as inputs: declared, the ones of this workflow's own results folder would make Snakemake rebuild
# them (and the lab jobs under them) whenever they are out of date, and compare must not run a lab job.
# A stamp of those files (size, mtime) is a param instead, so a changed table reruns the comparison.
import os

COMPARE = [str(p) for p in config.get("compare") or []]


def compare_stamp(wildcards):
    """Size and mtime of every file the comparison reads; refuses (before any job runs) fewer than two
    folders or a folder without machine.json, naming it."""
    from mlalab.report.compare import CompareError, load_folders

    try:
        load_folders(COMPARE)
    except CompareError as e:
        raise WorkflowError(str(e)) from None
    stamp = {}
    for folder in COMPARE:
        tables = os.path.join(folder, "tables")
        csvs = sorted(n for n in os.listdir(tables) if n.endswith(".csv")) if os.path.isdir(tables) else []
        for name in ["machine.json", *(os.path.join("tables", n) for n in csvs)]:
            st = os.stat(os.path.join(folder, name))
            stamp[os.path.join(folder, name)] = f"{st.st_size}:{st.st_mtime_ns}"
    return stamp


rule compare:
    """The results folders listed under `compare:` side by side: tables, speed-ups against the first folder,
    figures; one HTML file and its PDF."""
    input:
        templates=["templates/compare.html.j2", "templates/report.css"],
        code=code("compare"),
    output:
        **targets.compare(config),
    params:
        folders=COMPARE,
        sources=compare_stamp,
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/compare.log",
    benchmark:
        f"{BENCH}/compare.tsv"
    script:
        "../../scripts/compare.py"
