-- grain: the business rules staging applies, once for v1 and v2 (temp macros, defined before staging).
-- CPU allocation follows the plan type (Vultr's pricing page; no API field says it): shared vCPUs on
-- vc2, vhf and vhp; dedicated on every other type (voc-*, vx1, vdc, vcg, vdm, bare metal vbm).
create or replace temp macro cpu_allocation(plan_type) as
    case when plan_type is null then null
         when plan_type in ('vc2', 'vhf', 'vhp') then 'shared'
         else 'dedicated' end;

-- A plan priced 0 (the free tier, vc2-1c-0.5gb-free, granted on application) is not for sale: never a
-- cheapest answer. NULL = no price known.
create or replace temp macro is_for_sale(monthly_cost_usd) as monthly_cost_usd > 0;
