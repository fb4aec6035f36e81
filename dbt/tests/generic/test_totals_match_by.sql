{#- Per group (e.g. per day), the mart's total must equal an independent total from a source
    model (a group present on one side only must total 0). -#}
{% test totals_match_by(model, model_group, model_expression, source_model, source_group, source_expression, source_filter="true", model_filter="true") %}
with mart as (
    select {{ model_group }} as grp, {{ model_expression }} as total from {{ model }} where {{ model_filter }} group by 1
),
src as (
    select {{ source_group }} as grp, {{ source_expression }} as total
    from {{ source_model }} where {{ source_filter }} group by 1
)
select coalesce(mart.grp, src.grp) as grp, mart.total as mart_total, src.total as source_total
from mart full outer join src on mart.grp = src.grp
where coalesce(mart.total, 0) <> coalesce(src.total, 0)
{% endtest %}
