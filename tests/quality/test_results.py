"""Where the checks record their outcomes, and how publication reads them back."""

import duckdb

from dagster_project.defs.quality.checks import SUITES
from zhongcao.config import Settings
from zhongcao.quality import Failure, SuiteResult
from zhongcao.suite_runs import passed_suites, record_result, results_path


def test_a_suite_passes_when_every_result_the_run_recorded_for_it_passed(tmp_path, monkeypatch):
    monkeypatch.setenv("ZHONGCAO_HOME", str(tmp_path))
    settings = Settings.from_env()
    first, second, third = SUITES[0], SUITES[1], SUITES[2]  # any three suites
    failed = SuiteResult(suite=second, rows=3, evaluated=2)
    failed.failures.append(Failure("expect_column_values_to_not_be_null", "x", "error", 1, [None]))
    record_result(settings, "run-1", first, SuiteResult(suite=first, rows=5, evaluated=4))
    record_result(settings, "run-1", second, SuiteResult(suite=second, rows=3, evaluated=2))
    record_result(settings, "run-1", second, failed)  # validated again (a retry): it failed this time
    record_result(settings, "run-2", third, SuiteResult(suite=third, rows=1, evaluated=1))
    with results_path(settings, "run-1").open("a", encoding="utf-8") as out:
        out.write('{"run_id": "run-1", "suite": "' + third.path.name + '", "pass')  # killed mid-line

    assert passed_suites(settings, "run-1") == {first.path.name}
    assert passed_suites(settings, "run-2") == {third.path.name}
    assert passed_suites(settings, "run-3") == set()  # nothing recorded
    # Every run's results, as the docstring of results_path tells users to read them.
    rows = duckdb.execute(
        "select run_id, suite, passed, errors from read_json(?, ignore_errors = true) "
        "where suite is not null and passed is not null order by all",
        [str(results_path(settings, "run-1").parent / "*.jsonl")],
    ).fetchall()
    assert rows == sorted(
        [
            ("run-1", first.path.name, True, 0),
            ("run-1", second.path.name, True, 0),
            ("run-1", second.path.name, False, 1),
            ("run-2", third.path.name, True, 0),
        ]
    )
