"""Project macros rendered from dbt/macros with Jinja and run on DuckDB: the money they split."""

import re
from decimal import Decimal
from types import SimpleNamespace

import duckdb
import jinja2

from zhongcao.config import DBT_PROJECT_DIR


def macro(name: str):
    source = (DBT_PROJECT_DIR / "macros" / f"{name}.sql").read_text(encoding="utf-8")
    return getattr(jinja2.Environment().from_string(source).module, name)


def allocated(rows: list[tuple[str, str, Decimal, Decimal]]) -> dict[tuple[str, str], Decimal]:
    """rows: (partition, key, amount, weight) -> each row's allocation."""
    sql = macro("allocate")("amount", "weight", "part", "row_key")
    con = duckdb.connect()
    con.execute("create table t (part varchar, row_key varchar, amount decimal(18, 2), weight decimal(38, 18))")
    con.executemany("insert into t values (?, ?, ?, ?)", rows)
    return {(p, k): v for p, k, v in con.execute(f"select part, row_key, {sql} from t").fetchall()}


def test_thirds_of_a_hundred():
    third = Decimal(1) / Decimal(3)
    shares = allocated([("m", k, Decimal("100.00"), third) for k in ("a", "b", "c")])
    # 33.33 each and one cent left, to the largest remainder; all three tie, so to the first key.
    assert shares == {("m", "a"): Decimal("33.34"), ("m", "b"): Decimal("33.33"), ("m", "c"): Decimal("33.33")}


def test_thousands_of_small_shares_never_go_negative_and_add_up():
    # 3,000 orders at 0.0333% of 47.31 each (0.0158, rounded up to 0.02) and one at almost nothing:
    # giving the last row what the others' roundings left made it -12.69; largest remainders keep
    # every row within a cent of its share.
    rows = [("m", f"{k:05d}", Decimal("47.31"), Decimal("0.000333322")) for k in range(3000)]
    rows.append(("m", "99999", Decimal("47.31"), Decimal(1) - Decimal("0.000333322") * 3000))
    shares = allocated(rows)
    assert sum(shares.values()) == Decimal("47.31")
    assert min(shares.values()) >= 0
    for (_, key), value in shares.items():
        weight = next(w for p, k, _, w in rows if k == key)
        assert abs(value - Decimal("47.31") * weight) < Decimal("0.01")


class MacroReturn(Exception):
    pass


def dbt_macros(file_name: str, context: dict) -> dict:
    """The macros of a dbt/macros file called as dbt calls them: each compiled on its own, reaching
    the others through the shared `context`, and `return(x)` ending the macro it is in."""
    source = (DBT_PROJECT_DIR / "macros" / file_name).read_text(encoding="utf-8")
    environment = jinja2.Environment(extensions=["jinja2.ext.do"])

    def give(value):
        raise MacroReturn(value)

    def callable_macro(name: str, block: str):
        def call(*args, **kwargs):
            # Compiled at the call, once `context` holds every macro of the file.
            compiled = getattr(environment.from_string(block).make_module(context), name)
            try:
                return compiled(*args, **kwargs)
            except MacroReturn as returned:
                return returned.args[0]

        return call

    context["return"] = give
    for block in re.findall(r"{%-?\s*macro\s.*?{%-?\s*endmacro\s*-?%}", source, re.DOTALL):
        name = re.match(r"{%-?\s*macro\s+(\w+)", block).group(1)
        context[name] = callable_macro(name, block)
    return context


def partition_macros(
    partition: tuple[str, str] | None = None,
    full_refresh: bool = False,
    environment: tuple[str, str] | None = None,
    executing: bool = True,
    **context,
) -> dict:
    """partitions.sql's macros as an incremental model renders them, the partition given as vars
    or as Dagster's environment variables; `context` adds to what dbt provides."""
    variables = {"partition_start": partition[0], "partition_end": partition[1]} if partition else {}
    env = {"ZHONGCAO_PARTITION_START": environment[0], "ZHONGCAO_PARTITION_END": environment[1]} if environment else {}
    return dbt_macros(
        "partitions.sql",
        {
            "var": lambda name, default=None: variables.get(name, default),
            "env_var": lambda name, default=None: env.get(name, default),
            "execute": executing,
            "flags": SimpleNamespace(FULL_REFRESH=full_refresh),
            "is_incremental": lambda: True,
            **context,
        },
    )


def rows_a_test_reads(
    where: str | None,
    partition: tuple[str, str] | None = None,
    full_refresh: bool = False,
    environment: tuple[str, str] | None = None,
    executing: bool = True,
) -> str:
    """What a data test of marts.t reads (dbt's get_where_subquery, overridden in partitions.sql)."""
    macros = partition_macros(
        partition,
        full_refresh,
        environment,
        executing,
        config={"where": where},
        # changed_orders.sql's, as dbt renders it for invocation inv-2
        dbt_invocation_id=lambda: "cast('inv-2' as varchar)",
    )
    return macros["get_where_subquery"]("marts.t")


def test_tests_of_a_by_day_mart_read_the_days_a_night_rewrote():
    where = "run_days(event_date)"
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        "create table marts.t as select * from (values (date '2026-11-02'), (date '2026-11-03'), "
        "(date '2026-11-04'), (date '2026-11-05')) v(event_date)"
    )
    night = rows_a_test_reads(where, ("2026-11-03", "2026-11-04"))
    assert con.execute(f"select count(*) from {night}").fetchone()[0] == 2
    # Dagster hands the partition over in the environment, read while executing only.
    assert rows_a_test_reads(where, environment=("2026-11-03", "2026-11-04")) == night
    assert rows_a_test_reads(where, environment=("2026-11-03", "2026-11-04"), executing=False) == "marts.t"
    # Without partition vars, or rebuilt from nothing, every row is tested.
    assert rows_a_test_reads(where) == "marts.t"
    assert rows_a_test_reads(where, ("2026-11-03", "2026-11-04"), full_refresh=True) == "marts.t"
    # Any other filter is dbt's own behaviour.
    assert (
        rows_a_test_reads("event_date > '2026-11-04'")
        == "(select * from marts.t where event_date > '2026-11-04') dbt_subquery"
    )
    assert rows_a_test_reads(None) == "marts.t"


def test_tests_of_a_by_order_mart_read_the_rows_the_night_wrote():
    # Orders a and b were rewritten by this invocation (inv-2, which first deleted every row of
    # their keys), c was left as inv-1 wrote it: a night's uniqueness test reads a and b only.
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        "create table marts.t as select * from (values ('a', 1, 'inv-2'), ('a', 2, 'inv-2'), ('b', 1, 'inv-2'), "
        "('c', 1, 'inv-1'), ('c', 1, 'inv-1')) v(order_id, line_number, dbt_invocation_id)"
    )
    night = rows_a_test_reads("rows_of_this_run", ("2026-11-03", "2026-11-04"))
    assert con.execute(f"select distinct order_id from {night} order by 1").fetchall() == [("a",), ("b",)]
    assert rows_a_test_reads("rows_of_this_run", environment=("2026-11-03", "2026-11-04")) == night
    # A full build tests every row (here it finds c's duplicate line).
    assert rows_a_test_reads("rows_of_this_run") == "marts.t"
    assert rows_a_test_reads("rows_of_this_run", ("2026-11-03", "2026-11-04"), full_refresh=True) == "marts.t"


def test_time_order_key_orders_by_time_then_unsigned_hash():
    portable = jinja2.Environment().from_string((DBT_PROJECT_DIR / "macros" / "portable.sql").read_text()).module
    key = portable.default__time_order_key("ts", "tiebreak")
    rows = [
        ("late", "2026-10-01 00:00:36", 1),
        ("big hash", "2026-10-01 00:00:35", 2**64 - 1),  # above 2^63: compared unsigned
        ("small hash", "2026-10-01 00:00:35", 2**63),
        ("a microsecond earlier", "2026-10-01 00:00:34.999999", 2**64 - 2),
        ("the day before", "2026-09-30 23:59:59", 0),
    ]
    con = duckdb.connect()
    con.execute("create table t (name varchar, ts timestamp, tiebreak ubigint)")
    con.executemany("insert into t values (?, ?, ?)", rows)
    ordered = [name for (name,) in con.execute(f"select name from t order by {key}").fetchall()]
    assert ordered == ["the day before", "a microsecond earlier", "small hash", "big hash", "late"]
    assert con.execute(f"select min_by(name, {key}) from t where ts >= '2026-10-01'").fetchone() == (
        "a microsecond earlier",
    )


def test_a_day_of_a_timestamp_is_kept_by_the_timestamp_range_too():
    macros = partition_macros(("2026-11-03", "2026-11-04"))
    night = macros["in_partition_of_time"]("cast(ts as date)", "ts")
    assert "ts >=" in night and "ts <" in night  # the stored column, for DuckDB's row-group skipping
    con = duckdb.connect()
    con.execute(
        "create table t as select * from (values (timestamp '2026-11-02 23:59:59.999999'), "
        "(timestamp '2026-11-03 00:00:00'), (timestamp '2026-11-04 23:59:59.999999'), "
        "(timestamp '2026-11-05 00:00:00'), (null)) v(ts)"
    )
    kept = con.execute(f"select ts from t where {night} order by ts").fetchall()
    by_day = con.execute(f"select ts from t where {macros['in_partition']('cast(ts as date)')} order by ts").fetchall()
    assert kept == by_day
    assert [str(ts) for (ts,) in kept] == ["2026-11-03 00:00:00", "2026-11-04 23:59:59.999999"]
    assert partition_macros()["in_partition_of_time"]("cast(ts as date)", "ts") == "true"  # a full build


def attribution_macros() -> dict:
    """attribution.sql's macros and the portable ones they call, as dbt renders them on DuckDB."""
    context: dict = {"var": lambda name, default=None: {"time_decay_half_life_days": 7}.get(name, default)}
    context["adapter"] = SimpleNamespace(dispatch=lambda name, package=None: context[f"default__{name}"])
    for file_name in ("portable.sql", "safe_ratio.sql", "attribution.sql"):
        dbt_macros(file_name, context)
    return context


def test_channel_counts_of_short_and_long_paths():
    # Under 256 touches the counts are packed 8 bits per channel, from 256 on 16 bits in two
    # HUGEINTs: both must give every channel's count, the last channel (15) included.
    macros = attribution_macros()
    paths = {
        "short": [1, 15, 15, 3, 1, 7, 8, 15],
        "255 touches": [15] * 200 + [1] * 55,
        "256 touches of one channel": [2] * 256,  # would carry into channel 3's byte
        "long": [15] * 300 + [8] * 257 + [7] * 2 + [1],
    }
    con = duckdb.connect()
    con.execute("create table paths (name varchar, channel_indexes integer[])")
    con.executemany("insert into paths values (?, ?)", list(paths.items()))
    counted = f"select name, {macros['channel_count_columns']('channel_indexes', 'len(channel_indexes)')} from paths"
    rows = con.execute(f"select name, {macros['channel_touch_counts']()} from ({counted})").fetchall()
    assert {name: counts for name, counts in rows} == {
        name: [indexes.count(channel) for channel in range(1, 16)] for name, indexes in paths.items()
    }


def test_repeats_collapse_into_steps_and_no_path_is_the_empty_path():
    collapsed = attribution_macros()["collapse_repeats"]("path")
    con = duckdb.connect()
    con.execute("create table t (n integer, path integer[])")
    con.executemany("insert into t values (?, ?)", [(1, [1, 1, 2, 1, 1, 3]), (2, [4]), (3, []), (4, None)])
    assert con.execute(f"select n, {collapsed} from t order by n").fetchall() == [
        (1, [1, 2, 1, 3]),
        (2, [4]),
        (3, []),
        (4, []),
    ]


def test_credits_summed_as_units_equal_the_rounded_credits_summed():
    # The time-decay head of a path is summed as BIGINT units; it must equal the sum of the
    # DECIMAL credits each touch gets, or the last touch's remainder would not close to 1.
    macros = attribution_macros()
    con = duckdb.connect()
    con.execute("create table t as select 1.0 / (1 + (i * 7919) % 997) as share from range(5000) r(i)")
    units = macros["credit_from_units"](f"sum({macros['credit_units']('share')})")
    decimals = f"sum({macros['credit_decimal']('share')})"
    as_units, as_decimals = con.execute(f"select {units}, {decimals} from t").fetchone()
    assert as_units == as_decimals
    assert as_units > 1  # many shares, far from a trivially equal sum


def test_a_touch_counts_up_to_the_second_of_the_payment():
    macros = attribution_macros()
    element = macros["touch_element"]("event_at", "3", "17", "touchpoint_key")
    not_before = macros["element_not_before"]("touch_element", "timestamp '2026-10-05 12:00:00'")
    not_after = macros["element_not_after"]("touch_element", "timestamp '2026-10-20 12:00:00'")
    con = duckdb.connect()
    con.execute("create table touches (name varchar, event_at timestamp, touchpoint_key ubigint)")
    con.executemany(
        "insert into touches values (?, ?, ?)",
        [
            ("a second before the window", "2026-10-05 11:59:59", 2**64 - 1),
            ("at the window's start", "2026-10-05 12:00:00", 0),
            ("at the payment", "2026-10-20 12:00:00", 2**64 - 1),
            ("a second after the payment", "2026-10-20 12:00:01", 0),
        ],
    )
    kept = con.execute(
        f"select name from (select name, {element} as touch_element from touches) "
        f"where {not_before} and {not_after} order by touch_element"
    ).fetchall()
    assert kept == [("at the window's start",), ("at the payment",)]
