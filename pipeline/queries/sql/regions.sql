-- grain: one row per current region
with final as (
    select region_id, city, country, continent, options, state, dcid, updated_at
    from regions
)
select * from final
order by region_id
