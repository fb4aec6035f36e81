"""Markov and Shapley channel weights per lookback window and channel set.

DuckDB counts what the models learn from - the Markov chain's transitions and the paths of
each exact channel set, converted or not - so a few hundred rows reach Python whatever the
number of paths. A full build fits the weights; a partitioned (nightly) run keeps the stored
fit unless attribution_refit is set, so every order of every night is credited with one and
the same fit and rebuilding a day never changes its credits. Weights are given for every set
of the channels seen, not only the sets that converted: a later night's orders can hold any."""

import pandas as pd

from zhongcao.attribution import CONVERSION, NULL, START, every_channel_set, weights_from_counts

PATHS = """
    select window_days, true as converted, channel_path, channel_set_mask from zc_paths
    union all
    select window_days, false, channel_path, channel_set_mask from zc_non_converting
    where not is_converted and len(channel_path) > 0
"""

# Codes of the chain's states: 0 = start, channel_index 1..15, -1 = conversion, -2 = null.
TRANSITIONS = f"""
    select window_days, step[1] as from_state, step[2] as to_state, count(*) as steps
    from (
        select window_days, unnest(list_zip(
            list_prepend(0, channel_path), list_append(channel_path, case when converted then -1 else -2 end)
        )) as step
        from ({PATHS})
    )
    group by all
"""

SETS = f"select window_days, channel_set_mask, converted, count(*) as paths from ({PATHS}) group by all"

# The same counts in Spark SQL (the `spark` target): the engine counts, the fit stays in Python.
SPARK_PATHS = PATHS.replace("len(channel_path)", "size(channel_path)")
SPARK_TRANSITIONS = f"""
    select window_days, step.from_state, step.to_state, count(*) as steps
    from (
        select window_days, explode(zip_with(
            concat(array(0), channel_path),
            concat(channel_path, array(case when converted then -1 else -2 end)),
            (from_state, to_state) -> named_struct('from_state', from_state, 'to_state', to_state)
        )) as step
        from ({SPARK_PATHS})
    )
    group by all
"""
SPARK_SETS = f"select window_days, channel_set_mask, converted, count(*) as paths from ({SPARK_PATHS}) group by all"


def _exists(session, relation) -> bool:
    found = session.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [relation.schema, relation.identifier],
    ).fetchall()
    return found[0][0] > 0


def _inputs(dbt) -> dict:
    """The models read, under the names the SQL above uses (dbt.ref() arguments must be literals)."""
    return {
        "zc_paths": dbt.ref("int_attribution__paths"),
        "zc_non_converting": dbt.ref("int_attribution__non_converting_paths"),
        "zc_channels": dbt.ref("attribution_channels"),
    }


def _spark_counts(dbt, session):
    """Transitions, channel-set rows and channel names from Spark (dbt.ref gives DataFrames)."""
    for name, frame in _inputs(dbt).items():
        frame.createOrReplaceTempView(name)
    transitions = [tuple(row) for row in session.sql(SPARK_TRANSITIONS).collect()]
    set_rows = [tuple(row) for row in session.sql(SPARK_SETS).collect()]
    channel_of = {row[0]: row[1] for row in session.sql("select channel_index, channel from zc_channels").collect()}
    return transitions, set_rows, channel_of


def _duckdb_counts(dbt, session):
    # Views give the SQL above stable names and are dropped again (create_view makes real
    # views, which would stay in the warehouse).
    views = _inputs(dbt)
    try:
        for name, relation in views.items():
            relation.create_view(name, replace=True)
        transitions = session.sql(TRANSITIONS).fetchall()
        set_rows = session.sql(SETS).fetchall()
        channel_of = dict(session.sql("select channel_index, channel from zc_channels").fetchall())
    finally:
        for name in views:
            session.execute(f"drop view if exists {name}")
    return transitions, set_rows, channel_of


def model(dbt, session):
    dbt.config(materialized="table")
    on_spark = hasattr(session, "sparkContext")
    # keep_fit is rendered from the partition (var or environment) in the model's YAML: python
    # models cannot read vars.
    # The spark target always builds in full (macros/portable.sql), so only DuckDB keeps a fit.
    if not on_spark and str(dbt.config.get("keep_fit")) == "True" and _exists(session, dbt.this):
        return session.sql(f"select * from {dbt.this}").df()
    transitions, set_rows, channel_of = (_spark_counts if on_spark else _duckdb_counts)(dbt, session)
    state_of = {**channel_of, 0: START, -1: CONVERSION, -2: NULL}
    index_of = {channel: index for index, channel in channel_of.items()}

    def channels_in(mask: int) -> frozenset[str]:
        return frozenset(channel for index, channel in channel_of.items() if mask & (1 << index))

    by_window: dict[int, tuple[dict, dict]] = {}
    for window, from_state, to_state, steps in transitions:
        by_window.setdefault(int(window), ({}, {}))[0][(state_of[from_state], state_of[to_state])] = int(steps)
    for window, mask, converted, paths in set_rows:
        by_window.setdefault(int(window), ({}, {}))[1][(channels_in(mask), bool(converted))] = int(paths)

    rows = []
    for window, (window_transitions, window_sets) in sorted(by_window.items()):
        seen = set().union(*(channels for channels, _ in window_sets)) if window_sets else set()
        weights = weights_from_counts(window_transitions, window_sets, every_channel_set(seen))
        for model_name, by_set in weights.items():
            for channel_set, channel_weights in by_set.items():
                mask = sum(1 << index_of[channel] for channel in channel_set)
                for channel, weight in sorted(channel_weights.items()):
                    rows.append(
                        (window, model_name, "|".join(sorted(channel_set)), mask, index_of[channel], channel, weight)
                    )
    columns = {
        "window_days": "int32",
        "attribution_model": "string",
        "channel_set": "string",
        "channel_set_mask": "int32",
        "channel_index": "int32",
        "channel": "string",
        "weight": "float64",
    }
    if on_spark:
        spark_types = {"int32": "int", "string": "string", "float64": "double"}
        schema = ", ".join(f"{name} {spark_types[kind]}" for name, kind in columns.items())
        return session.createDataFrame(rows, schema=schema)
    return pd.DataFrame(rows, columns=list(columns)).astype(columns)
