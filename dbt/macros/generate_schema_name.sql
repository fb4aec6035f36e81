{#- Schemas are named exactly as configured (staging, marts), not <target>_<custom>,
    so BI queries and the publish step see stable names. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
