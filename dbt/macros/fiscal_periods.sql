{#- Fiscal year and quarter of a date for a fiscal year starting in `fiscal_year_start_month`.
    A fiscal year is named by the calendar year it ends in (Alibaba: FY2025 = Apr 2024 – Mar 2025). -#}
{% macro fiscal_year(date_expr) -%}
    {%- set start = var('fiscal_year_start_month') | int -%}
    {%- if start == 1 -%}
        year({{ date_expr }})
    {%- else -%}
        (year({{ date_expr }}) + case when month({{ date_expr }}) >= {{ start }} then 1 else 0 end)
    {%- endif -%}
{%- endmacro %}

{% macro fiscal_quarter(date_expr) -%}
    {%- set start = var('fiscal_year_start_month') | int -%}
    cast(floor(((month({{ date_expr }}) - {{ start }} + 12) % 12) / 3) as integer) + 1
{%- endmacro %}
