-- grain: snapshots gain `warnings`: what an applied snapshot's staging dropped or resolved (duplicate
-- ids across pages, availability naming unknown plans), one line per kind, ' | '-separated
alter table snapshots add column if not exists warnings varchar;
