{#- numerator / denominator as a DOUBLE, null when the denominator is 0. Both engines divide
    the same IEEE doubles (DuckDB turns a DECIMAL division into one anyway; Spark would keep a
    DECIMAL with fewer digits), so a ratio is the same number wherever it is computed. The
    operands go through DECIMAL(38, 6) first: a DECIMAL with more digits than a double holds
    is converted with one rounding by Spark and two by DuckDB. -#}
{% macro ratio(numerator, denominator) -%}
    cast(cast({{ numerator }} as decimal(38, 6)) as double)
    / cast(cast(nullif({{ denominator }}, 0) as decimal(38, 6)) as double)
{%- endmacro %}

{#- A share (part / whole) as DECIMAL(13, 12), rounded half up: what allocate() spreads by. -#}
{% macro share(part, whole) -%}
    {{ round_half_up(ratio(part, whole), 12, 13) }}
{%- endmacro %}

{#- A DOUBLE rounded to `scale` decimals, half up, in arithmetic both engines do identically
    (their round() functions differ on halves a double cannot hold exactly), as DECIMAL. -#}
{% macro round_half_up(value, scale, precision=18) -%}
    cast({{ units_half_up(value, scale) }} / {{ decimal_factor(scale) }} as decimal({{ precision }}, {{ scale }}))
{%- endmacro %}

{#- The same rounding as a whole number of units of 10^-scale (a DOUBLE holding an integer). -#}
{% macro units_half_up(value, scale) -%}
    floor({{ value }} * {{ decimal_factor(scale) }} + 0.5)
{%- endmacro %}

{% macro decimal_factor(scale) %}cast({{ 10 ** scale }} as double){% endmacro %}

{#- A rate as DECIMAL(18, scale), rounded half up; null when the denominator is 0. -#}
{% macro safe_ratio(numerator, denominator, scale=6) -%}
    {{ round_half_up(ratio(numerator, denominator), scale) }}
{%- endmacro %}
