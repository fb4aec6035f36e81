"""GX suites from JSON: error-level failures fail, warn-level ones are reported but pass."""

import json
import subprocess
import sys
import textwrap
from datetime import date

import duckdb
import pandas as pd

from zhongcao.quality import Session, Suite, discover_suites, validate, validate_table


def suite_file(tmp_path, expectations):
    path = tmp_path / "marts" / "t.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"name": "t", "expectations": expectations}))
    return Suite(path=path, layer="marts", table="t")


def table_with_suite(tmp_path, qualified: str, definition: dict, rows_sql: str):
    """A DuckDB table `qualified` (schema.table) made by `rows_sql` and its suite file."""
    layer, table = qualified.split(".")
    path = tmp_path / layer / f"{table}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"name": qualified, **definition}))
    con = duckdb.connect()
    con.execute(f"create schema {layer}")
    con.execute(f"create table {qualified} as {rows_sql}")
    return con, Suite(path=path, layer=layer, table=table)


def test_error_failure_names_table_expectation_and_example(tmp_path):
    suite = suite_file(
        tmp_path,
        [
            {"type": "expect_column_values_to_be_between", "kwargs": {"column": "spend", "min_value": 0}},
        ],
    )
    result = validate(pd.DataFrame({"spend": [1.5, -2.25, 3.0]}), suite)
    assert not result.passed
    assert result.summary() == (
        "marts.t.spend: expect_column_values_to_be_between failed on 1 row(s), e.g. -2.25 [error]"
    )


def test_batches_are_not_fingerprinted(tmp_path):
    # GX hashes every value of a pandas batch for a marker nobody reads (most of a big table's
    # validation time); Session turns that off through GX's module constant.
    from great_expectations.execution_engine import pandas_execution_engine

    session = Session()
    assert pandas_execution_engine.HASH_THRESHOLD == 0
    suite = suite_file(tmp_path, [{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "spend"}}])
    frame = pd.DataFrame({"spend": [1.5, 2.25]})
    result = session.validate(frame, suite.definition())
    assert result.success
    assert "pandas_data_fingerprint" not in result.meta["batch_markers"]
    assert "ge_load_time" in result.meta["batch_markers"]  # the markers GX still sets


def test_warn_failure_passes_with_a_warning(tmp_path):
    suite = suite_file(
        tmp_path,
        [
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "ctr", "max_value": 0.2},
                "meta": {"severity": "warn"},
            },
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "ctr"}},
        ],
    )
    result = validate(pd.DataFrame({"ctr": [0.1, 0.5]}), suite)
    assert result.passed
    assert [f.expectation for f in result.warnings] == ["expect_column_values_to_be_between"]
    assert result.errors == []


def test_every_committed_suite_loads():
    suites = discover_suites()
    assert {f"{s.layer}/{s.table}" for s in suites} >= {
        "raw/tmall__orders",
        "raw/xiaohongshu__juguang_ads",
        "marts/mart_funnel_daily",
    }
    for suite in suites:
        assert suite.definition()["expectations"], suite.path


def test_scaffolded_suite_passes_on_clean_rows_and_fails_on_a_bad_one(tmp_path):
    from zhongcao.ingest.contracts import load_contracts
    from zhongcao.quality import scaffold_suite

    contract = load_contracts()[("weibo", "ads")]
    path = tmp_path / "raw" / "weibo__ads.json"
    path.parent.mkdir()
    path.write_text(json.dumps(scaffold_suite(contract)))
    suite = Suite(path=path, layer="raw", table="weibo__ads")
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-03-26", "2025-03-27"]),
            "campaign_id": ["1", "1"],
            "campaign_name": ["a", "a"],
            "spend": [1.0, 2.0],
            "impressions": [10, 20],
            "clicks": [1, 2],
            "engagements": [0, 1],
        }
    )
    assert validate(frame, suite).passed
    frame.loc[1, "campaign_id"] = None
    result = validate(frame, suite)
    assert not result.passed
    assert "weibo__ads.campaign_id: expect_column_values_to_not_be_null failed on 1 row(s)" in result.summary()


def test_a_derived_check_validates_a_query_over_the_table(tmp_path):
    con, suite = table_with_suite(
        tmp_path,
        "marts.credits",
        {
            "expectations": [{"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "credit"}}],
            "meta": {
                "derived": [
                    {
                        "name": "credits of an order sum to 1",
                        "sql": "select order_id, sum(credit) - 1 as excess from {table} group by order_id",
                        "expectations": [
                            {
                                "type": "expect_column_values_to_be_between",
                                "kwargs": {"column": "excess", "min_value": 0, "max_value": 0},
                            }
                        ],
                    }
                ]
            },
        },
        "select * from (values ('a', 0.5), ('a', 0.5), ('b', 0.9)) t(order_id, credit)",
    )
    session = Session(tmp_path / "docs")
    result = validate_table(con, suite, session)
    assert result.evaluated == 2 and not result.passed
    (failure,) = result.failures
    assert failure.check == "credits of an order sum to 1"
    assert failure.describe("marts.credits").startswith(
        "marts.credits [credits of an order sum to 1].excess: expect_column_values_to_be_between failed on 1 row(s)"
    )
    index = session.build_docs()
    assert "marts.credits · credits of an order sum to 1" in index.read_text(encoding="utf-8")


def test_a_partitioned_run_checks_the_rows_of_its_days(tmp_path):
    from zhongcao.windows import Window

    con, suite = table_with_suite(
        tmp_path,
        "marts.daily",
        {
            "expectations": [
                {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 3}},
                {"type": "expect_column_values_to_be_between", "kwargs": {"column": "n", "min_value": 0}},
            ],
            "meta": {
                "partition_column": "day",
                "derived": [
                    {
                        "name": "days seen",
                        "sql": "select (select count(*) from {table}) as window_rows, "
                        "(select count(*) from {all_rows}) as all_rows",
                        "expectations": [
                            {
                                "type": "expect_column_values_to_be_between",
                                "kwargs": {"column": "window_rows", "min_value": 1, "max_value": 1},
                            },
                            {
                                "type": "expect_column_values_to_be_between",
                                "kwargs": {"column": "all_rows", "min_value": 3, "max_value": 3},
                            },
                        ],
                    }
                ],
            },
        },
        "select * from (values (date '2026-11-02', -1), (date '2026-11-03', -2), (date '2026-11-04', 5)) t(day, n)",
    )
    night = validate_table(con, suite, window=Window(date(2026, 11, 4), date(2026, 11, 4), False))
    # Only 11-04's row: its n is fine, the row count bound is a whole-table matter, the derived
    # check sees one row in {table} and all three in {all_rows}.
    assert (night.rows, night.evaluated, night.passed) == (1, 3, True)
    full = validate_table(con, suite, window=Window(None, None, True))
    assert full.rows == 3 and not full.passed
    assert [(f.check, f.column, f.unexpected_count) for f in full.failures] == [
        (None, "n", 2),
        ("days seen", "window_rows", 1),
    ]


def test_a_big_table_is_validated_in_slices_of_whole_days(tmp_path, monkeypatch):
    from zhongcao import quality

    monkeypatch.setattr(quality, "CHUNK_ROWS", 2)
    con, suite = table_with_suite(
        tmp_path,
        "raw.events",
        {
            "meta": {"partition_column": "ts"},
            "expectations": [
                {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 6, "max_value": 6}},
                {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "event_id"}},
                {"type": "expect_column_values_to_be_between", "kwargs": {"column": "n", "min_value": 0}},
                # Shares hold for all rows: 5 of 6 days known passes, though the slice without a
                # day is all nulls; 3 of 6 n below 0 fails, though two slices hold only one of them.
                {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "ts", "mostly": 0.8}},
                {
                    "type": "expect_column_values_to_be_between",
                    "kwargs": {"column": "n", "min_value": 0, "mostly": 0.6},
                },
            ],
        },
        "select * from (values ('a', timestamp '2026-11-01 08:00', -1), ('b', timestamp '2026-11-01 09:00', 1), "
        "('b', timestamp '2026-11-01 10:00', 2), ('c', timestamp '2026-11-02 08:00', -3), "
        "('d', timestamp '2026-11-03 08:00', 4), ('e', null, -5)) t(event_id, ts, n)",
    )
    session = Session(tmp_path / "docs")
    result = validate_table(con, suite, session)
    # Slices 11-01 (3 rows: a day is never split), 11-02 to 11-03, no day; failures add up across them.
    assert result.rows == 6 and result.evaluated == 5
    assert [(f.expectation, f.column, f.unexpected_count) for f in result.failures] == [
        ("expect_column_values_to_be_unique", "event_id", 2),
        ("expect_column_values_to_be_between", "n", 3),
        ("expect_column_values_to_be_between", "n", 3),
    ]
    assert result.failures[2].observed == "50.00% of 6 rows unexpected"
    assert sorted(result.failures[2].examples) == [-5, -3, -1]
    assert sorted(result.failures[1].examples) == [-5, -3, -1]
    index = session.build_docs().read_text(encoding="utf-8")
    for part in ("2026-11-01 to 2026-11-01", "2026-11-02 to 2026-11-03", "no day", "rows"):
        assert f"raw.events · {part}" in index, part


def test_a_full_check_of_a_big_table_takes_its_most_recent_days(tmp_path):
    con, suite = table_with_suite(
        tmp_path,
        "raw.events",
        {
            "meta": {"partition_column": "ts"},
            "expectations": [{"type": "expect_column_values_to_be_between", "kwargs": {"column": "n", "min_value": 0}}],
        },
        "select * from (values (timestamp '2026-11-01 08:00', -1), (timestamp '2026-11-02 08:00', 1), "
        "(timestamp '2026-11-03 08:00', 2), (timestamp '2026-11-03 09:00', 3)) t(ts, n)",
    )
    result = validate_table(con, suite, full_check_rows=3)
    # 4 rows, 3 at most: 11-02 and 11-03 (3 rows) are checked; the bad row of 11-01 is not.
    assert (result.rows, result.passed) == (3, True)
    assert result.scope == "the most recent days 2026-11-02 to 2026-11-03, 3 rows at most"
    assert "(the most recent days 2026-11-02 to 2026-11-03, 3 rows at most)" in result.summary()
    assert not validate_table(con, suite, full_check_rows=4).passed  # it fits: every row


def test_a_table_without_a_day_is_sliced_by_the_day_of_another(tmp_path):
    from zhongcao.windows import Window

    con, suite = table_with_suite(
        tmp_path,
        "raw.lines",
        {
            "meta": {"partition_column": "created_at", "partition_via": {"table": "raw.orders", "key": "order_id"}},
            "expectations": [
                {"type": "expect_table_columns_to_match_set", "kwargs": {"column_set": ["order_id", "quantity"]}},
                {"type": "expect_column_values_to_be_between", "kwargs": {"column": "quantity", "min_value": 1}},
            ],
        },
        "select * from (values ('o1', 0), ('o2', 1), ('o2', 2), ('o3', -1)) t(order_id, quantity)",
    )
    con.execute(
        "create table raw.orders as select * from (values ('o1', timestamp '2026-11-03 08:00'), "
        "('o2', timestamp '2026-11-04 09:00')) t(order_id, created_at)"
    )
    # The night of 11-04 checks the lines of o2 only; the frames keep the table's own columns.
    night = validate_table(con, suite, window=Window(date(2026, 11, 4), date(2026, 11, 4), False))
    assert (night.rows, night.passed, night.scope) == (2, True, "the run's days 2026-11-04 to 2026-11-04")
    # A full build sees o1's zero and o3's line, whose order is missing, in the slice without a day.
    full = validate_table(con, suite, window=Window(None, None, True))
    assert full.rows == 4
    assert [(f.expectation, f.unexpected_count, sorted(f.examples)) for f in full.failures] == [
        ("expect_column_values_to_be_between", 2, [-1, 0])
    ]


def session_seeing_columns() -> tuple[Session, list[tuple[list[str], list[str], int]]]:
    """A Session that records, for every frame it validates in order: its columns, those holding
    a value (the ones fetched), and how many expectations it was validated against."""
    session = Session()
    frames = []
    validate_frame = session.validate

    def validate(frame, definition):
        filled = [c for c in frame.columns if frame[c].notna().any()]
        frames.append((list(frame.columns), filled, len(definition["expectations"])))
        return validate_frame(frame, definition)

    session.validate = validate
    return session, frames


def test_slices_are_fetched_with_the_columns_their_expectations_read(tmp_path):
    con, suite = table_with_suite(
        tmp_path,
        "marts.touches",
        {
            "meta": {"partition_column": "day"},
            "expectations": [
                {
                    "type": "expect_table_columns_to_match_ordered_list",
                    "kwargs": {"column_list": ["day", "stage", "click_id", "n", "unused"]},
                },
                {"type": "expect_column_values_to_be_between", "kwargs": {"column": "n", "min_value": 0}},
                {
                    "type": "expect_column_values_to_not_be_null",
                    "kwargs": {"column": "click_id", "row_condition": "stage == 'click'", "condition_parser": "pandas"},
                },
            ],
        },
        "select * from (values (date '2026-11-01', 'click', null, 1, 'x'), (date '2026-11-01', 'view', null, 2, 'x'), "
        "(date '2026-11-02', 'click', 'c1', -1, 'x')) t(day, stage, click_id, n, unused)",
    )
    session, frames = session_seeing_columns()

    result = validate_table(con, suite, session)

    # Values are read from the columns named and those the row condition mentions; the names of
    # all of them are checked on the same frame (one GX validation), the others left empty.
    assert frames == [(["day", "stage", "click_id", "n", "unused"], ["stage", "click_id", "n"], 3)]
    assert result.evaluated == 3
    assert [(f.expectation, f.column, f.unexpected_count) for f in result.failures] == [
        ("expect_column_values_to_be_between", "n", 1),
        ("expect_column_values_to_not_be_null", "click_id", 1),
    ]
    con.execute("alter table marts.touches drop column unused")
    renamed = validate_table(con, suite, Session())
    assert [f.expectation for f in renamed.failures][-1] == "expect_table_columns_to_match_ordered_list"


def test_a_table_without_a_day_is_one_slice_of_the_columns_read(tmp_path):
    con, suite = table_with_suite(
        tmp_path,
        "marts.people",
        {
            "expectations": [
                {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 4}},
                {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "rule", "mostly": 0.9}},
            ],
        },
        "select * from (values ('p1', 'click'), ('p2', null), ('p3', 'oneid')) t(person_key, rule)",
    )
    session, frames = session_seeing_columns()

    result = validate_table(con, suite, session)

    # One frame, the values of the column read, validated against both (the row count too).
    assert frames == [(["rule"], ["rule"], 2)]
    assert (result.rows, result.evaluated, result.scope) == (3, 2, "every row")
    assert sorted((f.expectation, f.unexpected_count) for f in result.failures) == [
        ("expect_column_values_to_not_be_null", 1),
        ("expect_table_row_count_to_be_between", None),
    ]


def test_great_expectations_is_imported_on_a_background_thread():
    program = textwrap.dedent(
        """
        import sys, threading
        from zhongcao.quality import GX_MODULES, import_gx_in_background
        assert "great_expectations" not in sys.modules  # importing zhongcao.quality does not
        thread = import_gx_in_background()
        assert thread.daemon and thread is not threading.main_thread()
        thread.join()
        print(sorted(module for module in GX_MODULES if module in sys.modules) == sorted(GX_MODULES))
        """
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "True", done.stderr[-2000:]
