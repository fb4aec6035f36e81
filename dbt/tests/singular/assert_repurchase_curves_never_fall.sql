-- A cohort's repurchasers can only grow with the horizon.
select *
from (
    select
        *,
        lag(repurchasers) over (
            partition by cohort_grain, cohort_start, acquisition_platform order by days_after_first_purchase
        ) as repurchasers_at_shorter_horizon
    from {{ ref('mart_repurchase_curves') }}
) as curves
where repurchasers < repurchasers_at_shorter_horizon
