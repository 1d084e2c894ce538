-- The catalog's business rules, each written once, here, as a DuckDB macro: every view, derived table and
-- query calls them, and a test (tests/test_rules.py) fails if one is spelled out anywhere else.
-- Defined in each published catalog (before its views, which call them: pipeline.warehouse.publish) and
-- again, as temporary macros, on every reader's connection and on the warehouse's (pipeline.sql.define_rules),
-- so a query of this release finds them even in a catalog published before they existed.
-- Macros are expanded where they are called: the plans are those of the expressions written out.

-- The as-of predicate: a history row (valid_from, valid_to; valid_to NULL = still current) holds at ts.
create or replace macro is_valid_at(valid_from, valid_to, ts) as
    valid_from <= ts and (valid_to is null or valid_to > ts);

-- The on-demand rule: a plan is an on-demand answer (cheapest, fleet's suggestions) unless the API says it
-- cannot be deployed on demand (deploy_ondemand false: a preemptible-only plan) or it is not for sale (the
-- free tier, priced 0); NULL (an API or a catalog older than the field) = yes.
create or replace macro is_on_demand(is_deployable_ondemand, is_for_sale) as
    coalesce(is_deployable_ondemand, true) and coalesce(is_for_sale, true);

-- A plan type asked for: that type, or each type of a family (`voc` means voc-c, voc-g, voc-m, voc-s).
create or replace macro is_of_type(plan_type, wanted) as
    plan_type = wanted or starts_with(plan_type, wanted || '-');

-- Staging: CPU allocation follows the plan type (Vultr's pricing page; no API field says it): shared vCPUs
-- on vc2, vhf and vhp; dedicated on every other type (voc-*, vx1, vdc, vcg, vdm, bare metal vbm).
create or replace macro cpu_allocation(plan_type) as
    case when plan_type is null then null
         when plan_type in ('vc2', 'vhf', 'vhp') then 'shared'
         else 'dedicated' end;

-- Staging: a plan priced 0 (the free tier, vc2-1c-0.5gb-free, granted on application) is not for sale.
-- NULL = no price known.
create or replace macro is_for_sale(monthly_cost_usd) as
    monthly_cost_usd > 0;

-- The effective regional price, for each of the four prices (monthly, hourly, monthly preemptible, hourly
-- preemptible): the region's override (v2 plans[].location_cost, a row of plan_prices_history) where it
-- gives that price, else the plan's base price; but an override that gives a monthly price and not this one
-- leaves it unknown (NULL: never the base's, which belongs to another price list). Called with the
-- override's and the base's value of one price and the override's monthly price; for the monthly price
-- itself that is coalesce(override, base). The override holds wherever the pair is sold, offered (the
-- plan's locations name the region) or not: location_cost is the price list of the region, not of the
-- locations list.
create or replace macro regional_cost(region_cost, base_cost, region_monthly_cost_usd) as
    case when region_cost is not null then region_cost
         when region_monthly_cost_usd is null then base_cost end;

-- The four prices of a (plan, region) at once, each by regional_cost: called with the region's override
-- row (of plan_prices_history; NULL where the region has none) and the plan's row (of plans_history),
-- whole; unnest() spreads the answer into monthly_cost_usd, hourly_cost_usd, monthly_cost_preemptible_usd
-- and hourly_cost_preemptible_usd.
create or replace macro regional_prices(override, base) as {
    'monthly_cost_usd': regional_cost(override.monthly_cost_usd, base.monthly_cost_usd, override.monthly_cost_usd),
    'hourly_cost_usd': regional_cost(override.hourly_cost_usd, base.hourly_cost_usd, override.monthly_cost_usd),
    'monthly_cost_preemptible_usd': regional_cost(override.monthly_cost_preemptible_usd,
                                                  base.monthly_cost_preemptible_usd, override.monthly_cost_usd),
    'hourly_cost_preemptible_usd': regional_cost(override.hourly_cost_preemptible_usd,
                                                 base.hourly_cost_preemptible_usd, override.monthly_cost_usd)
};
