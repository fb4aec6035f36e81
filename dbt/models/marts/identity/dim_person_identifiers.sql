-- Every identifier we know a consumer by, mapped to one person key, with the rule that made
-- the link. Deterministic: the same inputs always give the same person keys.
with databank as (
    select oneid from {{ ref('int_identity__databank_oneids') }}
),

buyers as (
    select distinct buyer_oneid from {{ ref('stg_tmall__orders') }}
),

click_links as (
    select * from {{ ref('int_identity__click_links') }}
),

-- A buyer reachable through clicks of exactly one oneid links to it. A buyer with an
-- ambiguous click id (shared with another buyer) or clicks of several oneids is a conflict:
-- flagged and left on its own, never merged.
buyer_click_targets as (
    select
        buyer_oneid,
        count(distinct oneid) filter (where not is_ambiguous_click) as oneids,
        min(oneid) filter (where not is_ambiguous_click) as oneid,
        bool_or(is_ambiguous_click) as has_ambiguous_click
    from click_links
    group by buyer_oneid
),

databank_rows as (
    select
        'databank_oneid' as identifier_type,
        oneid as identifier,
        oneid as person_key,
        'databank_oneid' as link_rule,
        false as is_conflict
    from databank
),

buyer_rows as (
    select
        'tmall_buyer_id' as identifier_type,
        buyers.buyer_oneid as identifier,
        case
            when databank.oneid is not null then databank.oneid
            when targets.oneids = 1 and not targets.has_ambiguous_click then targets.oneid
            else 'tmall:' || buyers.buyer_oneid
        end as person_key,
        case
            when databank.oneid is not null then 'buyer_id_is_oneid'
            when targets.oneids = 1 and not targets.has_ambiguous_click then 'click_id'
            when targets.oneids > 1 or targets.has_ambiguous_click then 'conflicting_click_ids'
            else 'unlinked_buyer'
        end as link_rule,
        coalesce(databank.oneid is null and (targets.oneids > 1 or targets.has_ambiguous_click), false)
            as is_conflict
    from buyers
    left join databank on buyers.buyer_oneid = databank.oneid
    left join buyer_click_targets as targets on buyers.buyer_oneid = targets.buyer_oneid
),

final as (
    select * from databank_rows
    union all
    select * from buyer_rows
)

select * from final
