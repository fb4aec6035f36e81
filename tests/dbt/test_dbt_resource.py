"""The dbt resource's start-up shortcuts and the parse state kept per warehouse."""

import os
import shutil
import subprocess
from functools import cached_property

import dbt.version
from dagster_dbt import DbtCliResource
from packaging import version

from dagster_project.defs.dbt.resources import (
    PARTIAL_PARSE_FILE,
    VenvDbtCliResource,
    _dbt_executable,
    dbt_resource,
    environment,
    run_target,
    save_partial_parse,
)


def test_the_private_members_overridden_still_exist_in_dagster_dbt():
    # An upgrade that renames them would silently bring the 3 s back (or break the step).
    assert isinstance(DbtCliResource.__dict__["_cli_version"], cached_property)
    assert callable(DbtCliResource.__dict__["_initialize_dbt_core_adapter"])


def test_the_version_handed_to_dagster_dbt_is_what_the_dbt_executable_reports():
    reported = subprocess.run([_dbt_executable(), "--version"], capture_output=True, text=True, check=True).stdout
    assert isinstance(dbt_resource, VenvDbtCliResource)
    assert dbt_resource._cli_version == version.parse(dbt.version.__version__)
    assert f"installed: {dbt.version.__version__}" in reported


def test_a_dbt_step_starts_from_the_parse_state_its_warehouse_saved(tmp_path):
    saved = tmp_path / "home" / "dbt" / PARTIAL_PARSE_FILE
    targets = [run_target("zhongcao_dbt_models", "0123456789", saved)]
    try:
        first = targets[0]
        assert first.name.startswith("zhongcao_dbt_models-0123456-")  # what prune_run_targets finds
        assert not (first / PARTIAL_PARSE_FILE).exists()  # nothing saved yet: dagster-dbt copies its own
        (first / PARTIAL_PARSE_FILE).write_bytes(b"state of the first step")
        save_partial_parse(first, saved)
        assert saved.read_bytes() == b"state of the first step"
        assert [p.name for p in saved.parent.iterdir()] == [PARTIAL_PARSE_FILE]  # no temporary left

        targets.append(run_target("zhongcao_dbt_models", "0123456789", saved))
        assert targets[1] != first
        assert (targets[1] / PARTIAL_PARSE_FILE).read_bytes() == b"state of the first step"
    finally:
        for target in targets:
            shutil.rmtree(target)


def test_a_step_that_left_no_parse_state_keeps_the_saved_one(tmp_path):
    saved = tmp_path / PARTIAL_PARSE_FILE
    saved.write_bytes(b"kept")
    (tmp_path / "target").mkdir()
    save_partial_parse(tmp_path / "target", saved)  # dbt failed before parsing
    assert saved.read_bytes() == b"kept"


def test_the_partition_environment_is_set_for_the_call_and_restored(monkeypatch):
    monkeypatch.setenv("ZHONGCAO_PARTITION_START", "2026-01-01")  # left over in the caller's shell
    monkeypatch.delenv("ZHONGCAO_PARTITION_END", raising=False)
    with environment({"ZHONGCAO_PARTITION_START": None, "ZHONGCAO_PARTITION_END": "2026-11-04"}):
        assert "ZHONGCAO_PARTITION_START" not in os.environ
        assert os.environ["ZHONGCAO_PARTITION_END"] == "2026-11-04"
    assert os.environ["ZHONGCAO_PARTITION_START"] == "2026-01-01"
    assert "ZHONGCAO_PARTITION_END" not in os.environ
