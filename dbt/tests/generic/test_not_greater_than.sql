{#- Every row must satisfy column <= other column (e.g. clicks <= impressions). -#}
{% test not_greater_than(model, column_name, other_column) %}
select {{ column_name }}, {{ other_column }} from {{ model }} where {{ column_name }} > {{ other_column }}
{% endtest %}
