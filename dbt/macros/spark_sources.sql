{#- On Spark, every dbt source is a table over the Parquet the loaders wrote
    (<ZHONGCAO_RAW_PARQUET_DIR>/<schema>/<table>/, zhongcao/rawparquet.py). Re-created each run:
    dropping a table over a LOCATION leaves its files alone, and a re-created table picks up
    columns a newer export added. Nothing to do on DuckDB, where the loaders write the tables. -#}
{% macro register_source_tables() -%}
    {%- if execute and target.type == 'spark' -%}
        {%- set root = env_var('ZHONGCAO_RAW_PARQUET_DIR') -%}
        {%- set schemas = [] -%}
        {%- for source in graph.sources.values() -%}
            {%- if source.schema not in schemas -%}
                {%- do schemas.append(source.schema) -%}
                {%- do run_query('create database if not exists ' ~ source.schema) -%}
            {%- endif -%}
            {%- set table = source.schema ~ '.' ~ source.identifier -%}
            {%- do run_query('drop table if exists ' ~ table) -%}
            {%- do run_query(
                'create table ' ~ table ~ " using parquet location '" ~ root ~ '/' ~ source.schema ~ '/' ~ source.identifier ~ "'"
            ) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
