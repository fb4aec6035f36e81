"""Markov and Shapley channel weights per lookback window and converting channel set.

Paths are aggregated in DuckDB (one row per distinct channel sequence with its count), so
only a few thousand rows ever reach Python, whatever the number of touches."""

import pandas as pd

from zhongcao.attribution import channel_set_weights

CONVERTING = """
    select window_days, channels, count(*) as paths
    from (
        select store, order_id, window_days, list(channel order by touch_number) as channels
        from zc_paths
        group by all
    ) as per_order
    group by all
"""

# Consumers who never paid: their touches in the window before their last touch.
NON_CONVERTING = """
    with last_touch as (
        select person_key, max(event_at) as last_at
        from zc_touches
        where person_key not in (select person_key from zc_orders where is_paid and person_key is not null)
        group by person_key
    ),
    per_person as (
        select w.window_days, t.person_key, list(t.channel order by t.event_at, t.touchpoint_key) as channels
        from zc_touches as t
        join last_touch as l on t.person_key = l.person_key
        join (select distinct window_days from zc_paths) as w
            on t.event_at >= l.last_at - to_days(w.window_days)
        group by all
    )
    select window_days, channels, count(*) as paths from per_person group by all
"""


def model(dbt, session):
    dbt.config(materialized="table")
    # dbt.ref() arguments must be literals; the views give the SQL above stable names and are
    # dropped again (create_view makes real views, which would stay in the warehouse).
    views = {
        "zc_paths": dbt.ref("int_attribution__paths"),
        "zc_touches": dbt.ref("int_attribution__touches"),
        "zc_orders": dbt.ref("fct_orders"),
    }
    try:
        for name, relation in views.items():
            relation.create_view(name, replace=True)
        converting = session.sql(CONVERTING).df()
        non_converting = session.sql(NON_CONVERTING).df()
    finally:
        for name in views:
            session.execute(f"drop view if exists {name}")
    rows = []
    for window in sorted(set(converting["window_days"])):
        sample = [
            (tuple(channels), True, int(n))
            for channels, n in converting.loc[converting["window_days"] == window, ["channels", "paths"]].itertuples(
                index=False
            )
        ] + [
            (tuple(channels), False, int(n))
            for channels, n in non_converting.loc[
                non_converting["window_days"] == window, ["channels", "paths"]
            ].itertuples(index=False)
        ]
        sample.sort(key=lambda p: (p[0], p[1]))
        for model_name, by_set in channel_set_weights(sample).items():
            for channel_set, weights in by_set.items():
                for channel, weight in weights.items():
                    rows.append((int(window), model_name, "|".join(sorted(channel_set)), channel, weight))
    return pd.DataFrame(rows, columns=["window_days", "attribution_model", "channel_set", "channel", "weight"])
