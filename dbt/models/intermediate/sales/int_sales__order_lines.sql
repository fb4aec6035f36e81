-- The lines of both stores' orders in one shape: Tmall's item report and the Douyin shop's
-- sub-orders, with the SKU, its category and the line's GMV (list price × quantity for the
-- Douyin shop, whose export has no unit price). The Douyin shop also states each line's paid
-- amount and discounts; Tmall only has them per order.
{{ config(materialized='incremental', incremental_strategy=by_key_strategy(), unique_key=['store', 'order_id']) }}
-- depends_on: {{ ref('int_sales__changed_orders') }}
-- Stored, not a view: two models read it, and numbering lines is a sort of every line.
-- Incremental by order: a partitioned run rebuilds the orders int_sales__changed_orders lists as exported.
with products as (
    select * from {{ ref('stg_merchant__products') }}
),

tmall_lines as (
    select
        'tmall' as store,
        items.order_id,
        row_number() over (partition by items.order_id order by items.sku_id, items.product_id) as line_number,
        items.sku_id,
        coalesce(products.category, 'unknown') as category,
        items.quantity,
        items.unit_price * items.quantity as line_gmv,
        null as line_paid,
        null as line_platform_discount,
        null as line_merchant_discount
    from {{ ref('stg_tmall__order_items') }} as items
    left join products on items.sku_id = products.sku_id
    where {{ in_changed_orders('items.order_id', store='tmall', reasons=['exported']) }}
),

douyin_lines as (
    select
        'douyin_shop' as store,
        shop_lines.order_id,
        row_number() over (partition by shop_lines.order_id order by shop_lines.sub_order_id) as line_number,
        products.sku_id,
        coalesce(products.category, 'unknown') as category,
        shop_lines.quantity,
        products.list_price * shop_lines.quantity as line_gmv,
        shop_lines.payable_amount as line_paid,
        shop_lines.platform_discount as line_platform_discount,
        shop_lines.merchant_discount as line_merchant_discount
    from {{ ref('stg_douyin__shop_orders') }} as shop_lines
    left join products on shop_lines.product_id = products.product_id
    where {{ in_changed_orders('shop_lines.order_id', store='douyin_shop', reasons=['exported']) }}
)

select * from tmall_lines
union all
select * from douyin_lines
