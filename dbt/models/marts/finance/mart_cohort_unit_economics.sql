-- CAC, LTV and payback per first-purchase cohort (month) and acquisition channel. LTV at N days
-- is the cumulative CM2 of the cohort's orders paid within N days of each buyer's first
-- purchase, per buyer. CAC is the channel's spend in the cohort month per new buyer it
-- acquired (a buyer's first order carries the channel of its jump link).
with buyers as (
    select * from {{ ref('dim_buyers') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where is_conversion and person_key is not null
),

order_margins as (
    select
        store,
        order_id,
        sum(cm2) as cm2
    from {{ ref('fct_order_lines') }}
    group by all
),

spend as (
    select * from {{ ref('int_marketing__monthly_spend') }}
),

last_day as (
    select max(paid_date) as data_through from {{ ref('fct_orders') }}
),

buyer_value as (
    select
        buyers.person_key,
        buyers.cohort_month,
        buyers.acquisition_platform,
        buyers.first_purchase_at,
    {%- for days in [30, 90, 180, 365] %}
        sum(order_margins.cm2) filter (
            where orders.paid_at <= buyers.first_purchase_at + interval {{ days }} day
        ) as cm2_{{ days }}d{{ "," if not loop.last }}
    {%- endfor %}
    from buyers
    inner join orders on buyers.person_key = orders.person_key
    inner join order_margins on orders.store = order_margins.store and orders.order_id = order_margins.order_id
    group by all
),

cohorts as (
    select
        cohort_month,
        acquisition_platform,
        count(*) as new_buyers,
        max(first_purchase_at) as last_first_purchase_at,
    {%- for days in [30, 90, 180, 365] %}
        sum(cm2_{{ days }}d) as cm2_{{ days }}d{{ "," if not loop.last }}
    {%- endfor %}
    from buyer_value
    group by all
),

final as (
    select
        cohorts.cohort_month,
        cohorts.acquisition_platform,
        cohorts.new_buyers,
        cast(coalesce(spend.spend, 0) as decimal(18, 2)) as spend,
        {{ safe_ratio('spend.spend', 'cohorts.new_buyers', 2) }} as cac,
        {%- for days in [30, 90, 180, 365] %}
            {{ safe_ratio('cohorts.cm2_' ~ days ~ 'd', 'cohorts.new_buyers', 2) }} as ltv_{{ days }}d,
            cast(cohorts.last_first_purchase_at + interval {{ days }} day <= last_day.data_through as boolean)
                as ltv_{{ days }}d_complete,
        {%- endfor %}
        case
            when coalesce(spend.spend, 0) = 0 then null
            {%- for days in [30, 90, 180, 365] %}
                when cohorts.cm2_{{ days }}d / cohorts.new_buyers >= coalesce(spend.spend, 0) / cohorts.new_buyers
                    then {{ days }}
            {%- endfor %}
        end as payback_days
    from cohorts
    cross join last_day
    left join spend
        on cohorts.cohort_month = spend.month_start and cohorts.acquisition_platform = spend.channel
)

select * from final
