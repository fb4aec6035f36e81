{#- The funnel's additive measures, in one fixed order: every source of the funnel selects
    all of them, giving the expressions it knows and 0 for the rest, so the sources stack
    with a plain UNION ALL and the final model sums them per grain. -#}
{% macro funnel_measure_names() -%}
    {{ return([
        'spend', 'reported_impressions', 'reported_engagements', 'reported_clicks',
        'reported_store_visitors', 'reported_cart_adders', 'reported_orders', 'reported_gmv',
        'reported_search_backs',
        'impressions', 'engagements', 'clicks', 'store_visits', 'store_visitors', 'add_to_carts',
        'brand_searches',
        'orders_placed', 'gmv_placed', 'orders_paid', 'paying_buyers', 'paid_amount', 'orders_delivered',
        'refunded_orders', 'refund_amount', 'net_revenue', 'buyers', 'repurchase_orders', 'repurchasers'
    ]) }}
{%- endmacro %}

{% macro funnel_measures(known) -%}
    {%- for name in funnel_measure_names() %}
        {{ known.get(name, '0') }} as {{ name }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}
