"""Plan-time checks of the lab (mlalab.plan.checks): refused before any job, each naming its key and the files."""

import copy
import subprocess
import sys

import pytest
import yaml
from snakemake.utils import update_config

from mlalab.plan.checks import check, errors, sources
from mlalab.plan.config import expand
from mlalab.plan.schema import ConfigError, validate
from tests.conftest import ROOT

BASE = yaml.safe_load((ROOT / "config.yaml").read_text())


def quick():
    config = copy.deepcopy(BASE)
    update_config(config, yaml.safe_load((ROOT / "config.quick.yaml").read_text()))
    return config


def problems(config):
    config = validate(copy.deepcopy(config))   # the plan reads a config whose defaults are filled
    return errors(config, expand(config))


def test_shipped_configs_pass():
    assert problems(copy.deepcopy(BASE)) == [] and problems(quick()) == []


def test_a_repeated_variant_is_refused_naming_experiment_and_index():
    config = quick()
    variants = config["experiments"]["part1b"]["variants"]
    variants.append({"label": "256x3 again", "hidden": [256, 256, 256]})
    [line] = problems(config)
    assert line.startswith("experiments.part1b.variants[3] repeats variants[1]") and "mlp-h256x3" in line


def test_an_unlabelled_repeat_of_the_base_model_is_refused():
    config = quick()
    config["experiments"]["part1a"]["variants"] = [{"label": "256x3"}, {}]
    [line] = problems(config)
    assert line.startswith("experiments.part1a.variants[1] repeats variants[0]")


def test_a_repeated_label_is_refused_naming_the_label():
    config = quick()
    config["experiments"]["part2b"]["variants"][2]["label"] = "5x5"
    [line] = problems(config)
    assert line.startswith("experiments.part2b.variants[2]: label '5x5' is already used by variants[1]")


def test_a_batch_larger_than_the_training_subset_is_refused_naming_both_keys():
    config = quick()
    config["experiments"]["part2c"]["batch_sizes"] = [1, 2001]
    [line] = problems(config)
    assert line == ("experiments.part2c.batch_sizes[1]: 2001 is larger than the 2,000 training images "
                    "(data.train_subset: 2000)")
    config["experiments"]["part2c"]["batch_sizes"] = [2000]           # exactly the subset: one step, fine
    assert problems(config) == []


def test_without_a_subset_the_limit_is_mnists_60000():
    config = copy.deepcopy(BASE)
    config["experiments"]["part2c"]["batch_sizes"] = [60_000, 60_001]
    [line] = problems(config)
    assert line.startswith("experiments.part2c.batch_sizes[1]: 60001 is larger than the 60,000 training")


def test_precision_models_must_name_a_trained_run():
    config = quick()
    config["experiments"]["part1a"]["batch_sizes"] = [1, 128]        # part1a no longer trains batch 64
    [line] = problems(config)
    assert line.startswith("precision.models[0]: experiment 'part1a' trains no run with batch size 64")
    assert "experiments.part1a.batch_sizes: [1, 128]" in line
    config = quick()
    config["precision"]["models"][1]["experiment"] = "part9"
    [line] = problems(config)
    assert line.startswith("precision.models[1].experiment: no experiment 'part9'")


def test_check_names_the_merged_files():
    config = quick()
    config["experiments"]["part2a"]["batch_sizes"] = [5000]
    validate(config)
    with pytest.raises(ConfigError, match=r"^config.yaml \+ my.yaml is invalid:\n  experiments.part2a"):
        check(config, expand(config), "config.yaml + my.yaml")


class _Settings:
    config = {"results": "/tmp/r"}


class _Workflow:
    """What Snakemake 9 offers: configfiles (the command line's, then the Snakefile's) and the CLI's own."""
    configfiles = ["/abs/config.quick.yaml", "/abs/my.yaml", "config.yaml"]
    overwrite_configfiles = ["/abs/config.quick.yaml", "/abs/my.yaml"]
    config_settings = _Settings()


def test_sources_lists_files_in_merge_order():
    assert sources(_Workflow()) == "config.yaml + /abs/config.quick.yaml + /abs/my.yaml + --config results=/tmp/r"


def test_snakemake_names_the_overlay_and_the_key(tmp_path):
    """A bad key in an overlay is reported against every merged file, not as 'config.yaml is invalid'."""
    overlay = tmp_path / "my.yaml"
    overlay.write_text("experiments: {part1c: {variants: [{label: a, hidden: [8]}, {label: a, hidden: [9]}]}}\n")
    out = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--configfile", "config.quick.yaml",
                          str(overlay)], cwd=ROOT, capture_output=True, text=True)
    text = out.stdout + out.stderr
    assert out.returncode != 0
    assert f"config.yaml + config.quick.yaml + {overlay} is invalid" in text, text[-2000:]
    assert "experiments.part1c.variants[1]: label 'a' is already used by variants[0]" in text


def test_adaptive_min_repeats_above_max_repeats_is_refused_naming_both_keys():
    config = quick()
    config["timing"].update(mode="adaptive", min_repeats=50, max_repeats=10)
    [line] = problems(config)
    assert line.startswith("timing.min_repeats: 50 is more than timing.max_repeats: 10")
    config = quick()   # part3.timing overrides timing: its merged values are checked, named where they come from
    config["timing"].update(mode="adaptive")
    config["part3"]["timing"].update(min_repeats=20, max_repeats=7)
    assert problems(config) == ["part3.timing.min_repeats: 20 is more than part3.timing.max_repeats: 7 (defaults "
                                "10 and 1000): adaptive timing needs min_repeats <= max_repeats"]


def _with_model(config, mid, entry):
    config["part3"]["models"] = {mid: entry}
    config["part3"].pop("scenarios", None)   # their own checks want a bound per model (tests/unit/test_scenarios.py)
    return config


def test_a_transformers_seq_len_beyond_its_position_table_is_refused():
    config = _with_model(quick(), "bert-long", {"source": "transformers", "name": "BertConfig", "seq_len": 100000,
                                                "batch_sizes": [1]})
    [line] = problems(config)
    assert line.startswith("part3.models.bert-long.seq_len: 100000 is longer than BertConfig allows "
                           "(max_position_embeddings: 512)")
    config["part3"]["models"]["bert-long"]["config"] = {"max_position_embeddings": 100000}
    assert problems(config) == []   # a bigger table of its own is the user's to ask for


def test_the_position_tables_are_transformers_defaults():
    import transformers

    from mlalab.plan.checks import POSITIONS

    for name, (key, default, _reserved) in POSITIONS.items():
        assert getattr(getattr(transformers, name)(), key) == default, name


@pytest.mark.parametrize("key, value", [("num_hidden_layers", -1), ("hidden_size", 0), ("n_head", 2.5),
                                        ("vocab_size", 10**9), ("num_attention_heads", True)])
def test_a_size_in_the_config_overrides_must_be_a_positive_whole_number(key, value):
    config = _with_model(quick(), "tiny", {"source": "transformers", "name": "BertConfig", "seq_len": 16,
                                           "batch_sizes": [1], "config": {key: value, "hidden_act": "gelu"}})
    [line] = problems(config)
    assert line.startswith(f"part3.models.tiny.config.{key}: {value!r} is not a size")


def test_a_part3_model_id_equal_to_an_mnist_model_id_is_refused():
    config = _with_model(quick(), "mlp-h256x3", {"source": "torchvision", "name": "resnet18", "image_size": 64,
                                                 "batch_sizes": [1]})
    [line] = problems(config)
    assert line.startswith("part3.models.mlp-h256x3: 'mlp-h256x3' is also the id of an MNIST model")


@pytest.mark.parametrize("results", ["/", ".", "./", "..", "results/.."])
def test_a_results_folder_that_holds_the_workflow_is_refused(results, tmp_path):
    config = validate(quick())
    config["results"] = results
    [line] = errors(config, expand(config), workdir=tmp_path)
    assert line.startswith(f"results: {results!r} is ")
    config["results"] = "results/quick"
    assert errors(config, expand(config), workdir=tmp_path) == []
