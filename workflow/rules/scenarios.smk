# Part 3 under MLPerf Inference's scenarios, measured by LoadGen (docs/scenarios.md): one timed job per
# (model, runtime, scenario) of `part3.scenarios`, its LoadGen logs kept beside its record; then the tables and,
# per model, latency percentiles against the offered rate. Paths from mlalab.plan.paths.
from mlalab.plan import scenarios as scenario_plan

SCENARIO_SETTINGS = scenario_plan.settings(config)
SCENARIO_MODELS = SCENARIO_SETTINGS["models"] if SCENARIO_SETTINGS else []


rule part3_scenario:
    """One (model, runtime, scenario) under LoadGen: its record, and LoadGen's own logs in the folder beside it.
    Timed like `latency`: it owns the machine while LoadGen drives the model."""
    input:
        onnx=lambda wc: [paths.model_onnx(config, wc.model)] if latency_plan.needs_onnx(latency_plan.RUNTIMES[wc.runtime][0]) else [],
        code=code("part3_scenario"),
    output:
        record=paths.scenario_record(config, "{model}", "{runtime}", "{scenario}"),
        logs=directory(paths.scenario_logs(config, "{model}", "{runtime}", "{scenario}")),
    wildcard_constraints:
        model=_alternatives(SCENARIO_MODELS),
        runtime="|".join(latency_plan.RUNTIMES),
        scenario="|".join(scenario_plan.SCENARIOS),
    params:
        model=lambda wc: wc.model,
        spec=lambda wc: SPECS[wc.model].as_dict(),
        runtime=lambda wc: wc.runtime,
        scenario=lambda wc: wc.scenario,
        job=lambda wc: scenario_plan.job(config, wc.model, wc.runtime, wc.scenario),
        device=config["device"],
        isolation=model_timed_job,   # the threads of its latency records (part3.timing.threads)
    resources:
        mem_mb=lambda wc: SPECS[wc.model].resources["mem_mb"],
        runtime=lambda wc: SPECS[wc.model].resources["runtime"],
    threads: timing_threads(whole_machine=True)
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/part3/scenarios/{{model}}/{{runtime}}/{{scenario}}.log",
    benchmark:
        f"{BENCH}/part3/scenarios/{{model}}/{{runtime}}/{{scenario}}.tsv"
    script:
        "../../scripts/part3_scenario.py"


rule part3_scenario_tables:
    """Every scenario record as one row (part3_scenarios) and every LoadGen run as one row (part3_scenario_runs)."""
    input:
        records=targets.scenario_records(config),
        code=code("part3_scenario_tables"),
    output:
        scenarios=paths.table(config, "part3_scenarios"),
        runs=paths.table(config, "part3_scenario_runs"),
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/part3/scenarios/tables.log",
    benchmark:
        f"{BENCH}/part3/scenarios/tables.tsv"
    script:
        "../../scripts/part3_scenario_tables.py"


rule part3_scenario_figure:
    """One model's Server tries: latency percentiles against the offered rate, the bound drawn."""
    input:
        runs=rules.part3_scenario_tables.output.runs,
        code=code("part3_scenario_figure"),
    output:
        paths.figure(config, "part3_scenarios_{model}"),
    wildcard_constraints:
        model=_alternatives(SCENARIO_MODELS),
    params:
        model=lambda wc: wc.model,
    conda:
        "../envs/mlalab.yaml"
    log:
        f"{LOGS}/part3/scenarios/figures/{{model}}.log",
    benchmark:
        f"{BENCH}/part3/scenarios/figures/{{model}}.tsv"
    script:
        "../../scripts/part3_scenario_figure.py"
