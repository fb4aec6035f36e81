-- Every parcel the carriers billed, JD Logistics and Cainiao in one shape.
select
    'jd_logistics' as carrier_bill,
    waybill_no,
    order_id,
    picked_up_at,
    signed_at,
    freight
from {{ ref('stg_jd_logistics__bill') }}
union all
select
    'cainiao' as carrier_bill,
    waybill_no,
    order_id,
    picked_up_at,
    signed_at,
    freight
from {{ ref('stg_cainiao__bill') }}
