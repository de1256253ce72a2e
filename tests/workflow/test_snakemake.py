"""Real Snakemake runs of the workflow: lint, config schema, profiles, folds."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from bioseq.workflow import REPO_ROOT, snakemake_command

from .helpers import TINY_CONFIG, make_project, output_of, run_bioseq, run_snakemake

pytestmark = pytest.mark.workflow


def test_lint_has_no_findings():
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--lint", "--snakefile", str(REPO_ROOT / "Snakefile")],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, output_of(result)
    assert "Congratulations, your workflow is in a good condition" in output_of(result)
    assert "Lints for" not in output_of(result)


def test_config_unknown_key_rejected(tmp_path):
    make_project(tmp_path, {**TINY_CONFIG, "epochs": 3})
    result = run_snakemake(tmp_path, dry_run=True)
    assert result.returncode != 0
    assert "Additional properties are not allowed ('epochs' was unexpected)" in output_of(result)


def test_config_unknown_model_key_rejected(tmp_path):
    config = {**TINY_CONFIG, "models": {"cnn": {"preset": "cnn", "epoch": 2}}}
    make_project(tmp_path, config)
    result = run_snakemake(tmp_path, dry_run=True)
    assert result.returncode != 0
    assert "'epoch' was unexpected" in output_of(result)


def test_config_missing_test_files_rejected(tmp_path):
    dataset = {key: value for key, value in TINY_CONFIG["datasets"]["sim"].items() if key != "test"}
    make_project(tmp_path, {**TINY_CONFIG, "datasets": {"sim": dataset}})
    result = run_snakemake(tmp_path, dry_run=True)
    assert result.returncode != 0
    assert "data set 'sim' has no 'test' files" in output_of(result)


def test_run_command_puts_targets_first():
    command = snakemake_command(profile="slurm", targets=["results/comparison.csv"])
    assert command[1:4] == ["-m", "snakemake", "results/comparison.csv"]
    assert command.index("--profile") > command.index("results/comparison.csv")


def test_profile_with_target_dry_run(project):
    # A profile with options that take several values, then one target.
    target = "results/evaluations/sim.kmer.holdout.seed0/metrics.json"
    result = run_bioseq(
        "workflow", "run", "--profile", "slurm", "--configfile", "config.yaml",
        "--directory", ".", "--dry-run", target, cwd=project,
    )
    output = output_of(result)
    assert result.returncode == 0, output
    assert "No rule to produce" not in output
    assert "rule evaluate:" in output
    assert "rule train:" in output
    assert "rule report:" not in output
    assert "sim.cnn.holdout.seed0" not in output


def test_check_profile_slurm_requests_gpu(project):
    result = run_bioseq("workflow", "check-profile", "slurm", "--configfile", "config.yaml",
                        "--directory", ".", cwd=project)
    assert result.returncode == 0, output_of(result)
    sbatch = {line.split("\t")[0]: line for line in result.stdout.splitlines() if "\tsbatch " in line}
    assert "--gpus=1" in sbatch["train"]
    assert "--gpus" not in sbatch["evaluate"]
    assert "--gpus" not in sbatch["report"]


def _profile_with_train_resource(tmp_path, name, value):
    settings = yaml.safe_load((REPO_ROOT / "workflows/profiles/slurm/config.yaml").read_text())
    settings["set-resources"]["train"] = {"gpu": 0, name: value}
    folder = tmp_path / "profile"
    folder.mkdir()
    (folder / "config.yaml").write_text(yaml.safe_dump(settings))
    return folder


@pytest.mark.parametrize("gres", ["gpu:1", "'gpu:1'"])
def test_check_profile_gres_quoting_accepted(project, gres):
    profile = _profile_with_train_resource(project, "gres", gres)
    result = run_bioseq("workflow", "check-profile", str(profile), "--configfile", "config.yaml",
                        "--directory", ".", cwd=project)
    assert result.returncode == 0, output_of(result)
    train = [line for line in result.stdout.splitlines() if line.startswith("train\tsbatch")]
    assert "--gres=gpu:1" in train[0]
    assert "--gpus" not in train[0]


def test_check_profile_nested_gres_rejected(project):
    profile = _profile_with_train_resource(project, "gres", "\"'gpu:1'\"")
    result = run_bioseq("workflow", "check-profile", str(profile), "--configfile", "config.yaml",
                        "--directory", ".", cwd=project)
    assert result.returncode == 1
    assert "rule train" in result.stderr
    assert "nested string" in result.stderr


def test_check_profile_unknown_key_rejected(project):
    folder = project / "profile"
    folder.mkdir()
    (folder / "config.yaml").write_text("executor: slurm\ndefault-resource:\n  mem_mb: 100\n")
    result = run_bioseq("workflow", "check-profile", str(folder), cwd=project)
    assert result.returncode == 1
    assert "unknown key 'default-resource'" in result.stderr
    assert "did you mean 'default-resources'" in result.stderr


def test_deleted_fold_regenerated(tmp_path):
    config = {**TINY_CONFIG, "grid": {"seeds": [0], "folds": 3}}
    make_project(tmp_path, config)
    targets = tuple(f"results/sim/folds/fold{k}.{part}.csv" for k in range(3)
                    for part in ("train", "test"))
    first = run_snakemake(tmp_path, targets=targets)
    assert first.returncode == 0, output_of(first)
    deleted = tmp_path / "results/sim/folds/fold1.test.csv"
    original = deleted.read_bytes()
    deleted.unlink()

    plan = run_snakemake(tmp_path, dry_run=True)
    assert plan.returncode == 0, output_of(plan)
    assert "checkpoint split_folds:" in plan.stdout
    assert "Missing output files: results/sim/folds/fold1.test.csv" in plan.stdout

    rerun = run_snakemake(tmp_path, targets=targets)
    assert rerun.returncode == 0, output_of(rerun)
    assert deleted.read_bytes() == original


def test_fold_files_partition_records(tmp_path):
    config = {**TINY_CONFIG, "grid": {"seeds": [0], "folds": 3}}
    make_project(tmp_path, config)
    targets = tuple(f"results/sim/folds/fold{k}.test.csv" for k in range(3))
    result = run_snakemake(tmp_path, targets=targets)
    assert result.returncode == 0, output_of(result)
    ids = []
    for k in range(3):
        lines = (tmp_path / f"results/sim/folds/fold{k}.test.csv").read_text().splitlines()
        assert lines[0] == "id,sequence,label"
        ids += [line.split(",")[0] for line in lines[1:]]
    # train.csv and valid.csv hold 216 of the 240 simulated records.
    assert len(ids) == 216
    assert len(set(ids)) == 216
