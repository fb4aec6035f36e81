{#- The order's amounts on one line: allocated by GMV share to the cent, or kept whole when the
    line is the order's only one (the same result without allocate's windows). Used by
    fct_order_lines, whose CTE `weighted` provides the columns. -#}
{% macro order_line_amounts(alone) %}
        case
            when store = 'douyin_shop' then case when is_paid then line_paid else 0 end
            else {{ allocate_unless_alone('order_paid_amount', 'gmv_share', 'store, order_id', 'line_number', alone) }}
        end as paid_amount,
        case
            when not is_paid then 0
            when store = 'douyin_shop' then line_platform_discount
            else {{ allocate_unless_alone('order_platform_discount', 'gmv_share', 'store, order_id', 'line_number', alone) }}
        end as platform_discount,
        case
            when store = 'douyin_shop' then line_merchant_discount
            else {{ allocate_unless_alone('order_merchant_discount', 'gmv_share', 'store, order_id', 'line_number', alone) }}
        end as merchant_discount,
        case
            when store = 'douyin_shop' then case when order_refund_amount > 0 then line_paid else 0 end
            else {{ allocate_unless_alone('order_refund_amount', 'gmv_share', 'store, order_id', 'line_number', alone) }}
        end as refund_amount,
        {{ allocate_unless_alone('order_payment_fee', 'gmv_share', 'store, order_id', 'line_number', alone) }}
            as payment_fee,
        {{ allocate_unless_alone('order_logistics_cost', 'gmv_share', 'store, order_id', 'line_number', alone) }}
            as logistics_cost,
        {{ allocate_unless_alone('order_marketing_cost', 'gmv_share', 'store, order_id', 'line_number', alone) }}
            as marketing_cost
{%- endmacro %}
