{#- The mart's column total must equal an independent total computed from a source model. -#}
{% test totals_match(model, model_column, source_model, source_expression) %}
with mart as (select sum({{ model_column }}) as total from {{ model }}),
src as (select {{ source_expression }} as total from {{ source_model }})
select mart.total as mart_total, src.total as source_total
from mart cross join src
where mart.total is distinct from src.total
{% endtest %}
