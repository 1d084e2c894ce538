-- grain: whether a plan can run Windows (v1 plans/list `windows`; v2 does not say)
alter table plans_history add column is_windows_capable boolean;
