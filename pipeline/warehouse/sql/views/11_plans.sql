-- grain: one row per plan (bare metal included) in the latest applied snapshot: every column of
-- plans_history (a new one with it, no list kept here), valid_from as updated_at
create or replace view plans as
with final as (
    select * exclude (valid_to) rename (valid_from as updated_at)
    from plans_history
    where valid_to is null
)
select * from final;
