{#- A rate as DECIMAL(18, scale), rounded half away from zero; null when the denominator is 0. -#}
{% macro safe_ratio(numerator, denominator, scale=6) -%}
    cast(round(cast({{ numerator }} as decimal(38, 10)) / nullif({{ denominator }}, 0), {{ scale }}) as decimal(18, {{ scale }}))
{%- endmacro %}
