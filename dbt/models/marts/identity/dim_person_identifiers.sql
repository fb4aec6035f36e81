-- Every identifier we know a consumer by, mapped to one person key, with the rule that made
-- the link. Deterministic: the same inputs always give the same person keys.
with databank as (
    select distinct oneid from {{ ref('stg_databank__touchpoints') }}
),

buyers as (
    select distinct buyer_oneid from {{ ref('stg_tmall__orders') }}
),

click_links as (
    select * from {{ ref('int_identity__click_links') }}
),

-- A buyer id reachable through unambiguous clicks of exactly one oneid links to it; a buyer
-- whose clicks lead to several oneids is a conflict and stays on its own.
buyer_click_targets as (
    select
        buyer_oneid,
        count(distinct oneid) as oneids,
        min(oneid) as oneid,
        count(*) as click_evidence
    from click_links
    where not is_ambiguous_click
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
            when targets.oneids = 1 then targets.oneid
            else 'tmall:' || buyers.buyer_oneid
        end as person_key,
        case
            when databank.oneid is not null then 'buyer_id_is_oneid'
            when targets.oneids = 1 then 'click_id'
            when targets.oneids > 1 then 'conflicting_click_ids'
            else 'unlinked_buyer'
        end as link_rule,
        coalesce(databank.oneid is null and targets.oneids > 1, false) as is_conflict
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
