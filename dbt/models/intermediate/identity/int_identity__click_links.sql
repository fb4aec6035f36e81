-- One row per Tmall buyer id and jump-link click id whose click the data bank saw: the click
-- (点击) in the data bank and the order carrying the same click_id in Tmall's order report.
with clicks as (
    select
        click_id,
        smallest_oneid as oneid,
        smallest_oneid <> largest_oneid as has_several_oneids
    from {{ ref('int_identity__databank_clicks') }}
),

orders as (
    select distinct
        click_id,
        buyer_oneid
    from {{ ref('stg_tmall__orders') }}
    where click_id is not null
),

-- A click id seen on orders of two buyers (or clicks of two oneids) cannot say who clicked.
ambiguous_clicks as (
    select click_id from orders
    group by click_id
    having count(distinct buyer_oneid) > 1
    union
    select click_id from clicks
    where has_several_oneids
),

final as (
    select
        orders.buyer_oneid,
        clicks.oneid,
        orders.click_id,
        orders.click_id in (select ambiguous_clicks.click_id from ambiguous_clicks) as is_ambiguous_click
    from orders
    inner join clicks on orders.click_id = clicks.click_id
)

select * from final
