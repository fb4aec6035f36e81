-- Marketing spend per month and channel: the grain at which spend meets attributed results
-- (channel profit, CM3 allocation, CAC).
select
    cast(date_trunc('month', date_day) as date) as month_start,
    channel,
    sum(spend) as spend
from {{ ref('int_marketing__daily_spend') }}
group by all
