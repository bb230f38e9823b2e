-- The summary aggregates a district's weeks straight from this index: one ordered range
-- scan per (school, weeks) window, without touching the table's rows.
CREATE INDEX person_stats_summary ON person_stats(
    org_id, period_start, person_id, group_messages, calls, group_chats_created, ejd_linked, registered
);
