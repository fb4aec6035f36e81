-- A check of mart_aipl_daily in Dagster (a test reading several models needs its asset named).
{{ config(meta={'dagster': {'ref': {'name': 'mart_aipl_daily'}}}) }}
-- On the last day, the brand's P + L consumers are exactly the identified buyers.
with last_day as (
    select sum(consumers) as buyers
    from {{ ref('mart_aipl_daily') }}
    where
        category = 'all' and state in ('P', 'L')
        and date_day = (select max(date_day) from {{ ref('mart_aipl_daily') }})
),

buyers as (
    select count(*) as buyers from {{ ref('dim_buyers') }}
)

select
    last_day.buyers as aipl_buyers,
    buyers.buyers as dim_buyers
from last_day cross join buyers
where last_day.buyers <> buyers.buyers
