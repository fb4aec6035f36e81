"""Project macros rendered from dbt/macros with Jinja and run on DuckDB: the money they split."""

from decimal import Decimal

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
