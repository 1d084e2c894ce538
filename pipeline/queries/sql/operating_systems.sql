-- grain: one row per current operating system
with final as (
    select os_id, name, arch, family, is_windows, updated_at
    from operating_systems
)
select * from final
order by family, name, os_id
