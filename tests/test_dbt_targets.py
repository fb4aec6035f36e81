"""dagster-dbt leaves a target folder per dbt step; a nightly schedule must not fill the disk."""

import os
import time

from dagster_project.defs.dbt.resources import prune_run_targets

OP = "zhongcao_dbt_models"


def run_targets(parent, count: int, newest_at: float) -> list:
    """`count` target folders of past dbt steps, newest first, a minute apart."""
    folders = []
    for age in range(count):
        folder = parent / f"{OP}-{age:07x}-abcdef0"
        (folder / "compiled").mkdir(parents=True)
        (folder / "run_results.json").write_text("{}")
        os.utime(folder, (newest_at - 60 * age, newest_at - 60 * age))
        folders.append(folder)
    return folders


def test_only_the_newest_run_targets_stay(tmp_path):
    runs = run_targets(tmp_path, 13, newest_at=1_000_000)
    other_op = tmp_path / "another_op-1234567-abcdef0"
    other_op.mkdir()
    (tmp_path / "manifest.json").write_text("{}")

    deleted = prune_run_targets(tmp_path, OP, keep=10)

    assert sorted(deleted) == sorted(runs[10:])
    assert [folder.exists() for folder in runs] == [True] * 10 + [False] * 3
    assert other_op.exists() and (tmp_path / "manifest.json").exists()
    assert prune_run_targets(tmp_path, OP, keep=10) == []


def test_targets_of_the_last_hour_stay_however_many(tmp_path):
    # Runs of parallel test workers: one of them may still be writing its folder.
    runs = run_targets(tmp_path, 13, newest_at=time.time() - 60)
    assert prune_run_targets(tmp_path, OP, keep=10) == []
    assert all(folder.exists() for folder in runs)
