-- Marketing spend per day, channel, campaign, note and creator: ad spend by report day and
-- 蒲公英 creator fees on the note's publication day, from the funnel's measures.
select
    date_day,
    platform as channel,
    campaign_id,
    note_id,
    creator_id,
    sum(spend) as spend
from {{ ref('int_funnel__daily_measures') }}
where spend <> 0
group by all
