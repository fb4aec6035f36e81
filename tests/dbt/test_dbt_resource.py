"""The dbt resource's start-up shortcuts and the parse state kept per warehouse."""

import json
import os
import shutil
import subprocess
from functools import cached_property

import dbt.version
import duckdb
from dagster_dbt import DbtCliResource
from packaging import version

from dagster_project.defs.dbt.assets import NIGHTLY_SKIPPED_TESTS
from dagster_project.defs.dbt.resources import (
    BUILT_STATE,
    PARTIAL_PARSE_FILE,
    VenvDbtCliResource,
    _dbt_executable,
    dbt_resource,
    environment,
    is_view_or_seed,
    keeping_args,
    kept_objects_exclude,
    prepare_manifest,
    project_manifest,
    run_target,
    save_built_state,
    save_partial_parse,
)
from zhongcao.config import DBT_PROJECT_DIR


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


def warehouse_with_kept_objects(path, manifest) -> duckdb.DuckDBPyConnection:
    """A DuckDB file holding a relation for every view and seed of `manifest` (empty stand-ins)."""
    con = duckdb.connect(str(path))
    for node in manifest["nodes"].values():
        if is_view_or_seed(node):
            con.execute(f'create schema if not exists "{node["schema"]}"')
            kind = "table" if node["resource_type"] == "seed" else "view"
            con.execute(f'create {kind} "{node["schema"]}"."{node["alias"]}" as select 1 as x')
    return con


def test_a_night_keeps_views_and_seeds_only_behind_a_complete_build_of_this_warehouse(tmp_path):
    manifest = project_manifest()
    con = warehouse_with_kept_objects(tmp_path / "warehouse.duckdb", manifest)
    state = tmp_path / "home" / "dbt" / BUILT_STATE
    assert kept_objects_exclude(state, con, manifest) == []  # no build recorded yet

    built = tmp_path / "target"
    built.mkdir()
    shutil.copyfile(prepare_manifest(), built / "manifest.json")
    backup = tmp_path / "backup.duckdb"
    con.execute(f"attach '{backup}' as backup")
    con.execute("copy from database warehouse to backup")  # taken before the build below
    con.execute("detach backup")
    save_built_state(built, state, con)
    selectors = kept_objects_exclude(state, con, manifest)
    assert selectors == ["config.materialized:view,state:unmodified", "resource_type:seed,state:unmodified"]
    assert sorted(p.name for p in state.iterdir()) == ["built_on.json", "manifest.json"]  # no temporary left

    # The backup restored (or any other file): its views may predate the recorded build.
    restored = duckdb.connect(str(backup))
    assert kept_objects_exclude(state, restored, manifest) == []
    restored.close()
    # A view gone from the file (dropped by hand).
    con.execute("drop view staging.stg_weibo__ads")
    assert kept_objects_exclude(state, con, manifest) == []
    con.execute("create view staging.stg_weibo__ads as select 1 as x")
    assert kept_objects_exclude(state, con, manifest) == selectors
    # Built by another dbt: its manifest is not one this dbt compares against.
    stamp = json.loads((state / "built_on.json").read_text(encoding="utf-8"))
    other = "0.0.1:" + stamp["build"].split(":")[1]
    (state / "built_on.json").write_text(json.dumps({"build": other}), encoding="utf-8")
    con.execute("update meta.dbt_built_state set build = ?", [other])
    assert kept_objects_exclude(state, con, manifest) == []
    con.close()


def test_dbt_leaves_out_exactly_the_views_and_seeds_unchanged_since_the_recorded_build(tmp_path):
    """The night's selection through dbt itself (`dbt ls`, which needs no warehouse): after a
    change to one view's code and one seed's file since the recorded build, those two are built
    and no other view or seed, while every test a night runs is still selected (the marts' tests
    that compare with a staging view too)."""
    manifest = project_manifest()
    recorded = json.loads(json.dumps(manifest))
    recorded["nodes"]["model.zhongcao.stg_weibo__ads"]["raw_code"] += "\n-- the code it was built from"
    recorded["nodes"]["seed.zhongcao.market_context"]["checksum"]["checksum"] = "0" * 64
    state = tmp_path / "state"
    state.mkdir()
    (state / "manifest.json").write_text(json.dumps(recorded), encoding="utf-8")

    def listed(*args: str) -> list[str]:
        return subprocess.run(
            [_dbt_executable(), "--quiet", "ls", "--output", "name", "--select", "fqn:*", *args]
            + ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
            + ["--target-path", str(tmp_path / "target")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()

    kept = ["config.materialized:view,state:unmodified", "resource_type:seed,state:unmodified"]
    night = listed("--exclude", " ".join([*NIGHTLY_SKIPPED_TESTS, *kept]), *keeping_args(state))
    before = listed("--exclude", " ".join(NIGHTLY_SKIPPED_TESTS))
    views_and_seeds = {n["name"] for n in manifest["nodes"].values() if is_view_or_seed(n)}
    assert set(night) & views_and_seeds == {"stg_weibo__ads", "market_context"}
    assert set(before) - set(night) == views_and_seeds - {"stg_weibo__ads", "market_context"}
    assert "assert_settlements_tie_to_the_bills" in night  # a mart test reading staging views
