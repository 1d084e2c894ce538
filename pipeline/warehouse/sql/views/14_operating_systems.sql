-- grain: one row per operating system in the latest applied snapshot
create or replace view operating_systems as
with final as (
    select os_id, name, arch, family, is_windows, valid_from as updated_at
    from operating_systems_history
    where valid_to is null
)
select * from final;
