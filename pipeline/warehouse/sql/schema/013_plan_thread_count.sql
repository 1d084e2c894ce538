-- grain: plans_history's hardware threads under the contract's one name, cpu_thread_count (issue 10);
-- the plans view showed it twice (cpu_threads, its older name, beside the alias; issue 23)
alter table plans_history rename column cpu_threads to cpu_thread_count;
