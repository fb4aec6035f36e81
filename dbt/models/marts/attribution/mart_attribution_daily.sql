-- Attributed orders and money per payment day, channel, campaign, note and creator, for every
-- model and window. Summing a day over channels gives that day's paid orders and money.
with credits as (
    select * from {{ ref('fct_attribution_credits') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

final as (
    select
        credits.paid_date as date_day,
        credits.channel,
        credits.campaign_id,
        credits.note_id,
        credits.creator_id,
        credits.attribution_model,
        credits.window_days,
        credits.is_default_window,
        cast(sum(credits.credit) as decimal(18, 12)) as attributed_orders,
        cast(sum(credits.credit) filter (where orders.conversion_number = 1) as decimal(18, 12))
            as attributed_new_buyers,
        cast(sum(credits.attributed_gmv) as decimal(18, 2)) as attributed_gmv,
        cast(sum(credits.attributed_paid_amount) as decimal(18, 2)) as attributed_paid_amount,
        cast(sum(credits.attributed_net_revenue) as decimal(18, 2)) as attributed_net_revenue
    from credits
    inner join orders on credits.store = orders.store and credits.order_id = orders.order_id
    group by all
)

select * from final
