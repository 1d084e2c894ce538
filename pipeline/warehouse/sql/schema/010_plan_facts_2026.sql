-- grain: plan columns for the live API's irregular shapes (issue 21): where GPU facts came from, CPU
-- allocation, network link, IPv6-only and free plans; and the JSON type of each API field seen
alter table plans_history add column gpu_source varchar;          -- api | table | plan_id
alter table plans_history add column cpu_allocation varchar;      -- shared | dedicated
alter table plans_history add column link_speed_gbps decimal(18, 3);
alter table plans_history add column link_type varchar;
alter table plans_history add column is_ipv6_only boolean;
alter table plans_history add column is_for_sale boolean;
