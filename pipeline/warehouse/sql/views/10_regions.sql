-- grain: one row per region in the latest applied snapshot: every column of regions_history (a new one
-- with it, no list kept here), valid_from as updated_at
create or replace view regions as
with final as (
    select * exclude (valid_to) rename (valid_from as updated_at)
    from regions_history
    where valid_to is null
)
select * from final;
