-- grain: one row per region in the latest applied snapshot
create or replace view regions as
with current_versions as (
    select * from regions_history where valid_to is null
),
final as (
    select region_id, city, country, continent, options, state, dcid, valid_from as updated_at
    from current_versions
)
select * from final;
