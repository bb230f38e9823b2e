-- Whose account decided a binding request (issue 15): `decided_by` is an account in `decided_by_messenger`,
-- so that forgetting a person clears exactly their decisions (a MAX user 5 is not VK user 5).
-- Decisions recorded before: a MAX deputy's is known by its audit line (actor_max_id since 0025, the
-- decided_by_max detail before it); the others were VK's, as the code then assumed.
ALTER TABLE binding_requests ADD COLUMN decided_by_messenger TEXT CHECK (decided_by_messenger IN ('vk', 'max'));
UPDATE binding_requests SET decided_by_messenger = CASE WHEN EXISTS (
        SELECT 1 FROM audit_log a
        WHERE a.action IN ('approve_binding', 'reject_binding') AND a.target = CAST(binding_requests.id AS TEXT)
          AND (a.actor_max_id IS NOT NULL OR a.details LIKE '%"decided_by_max":%'))
    THEN 'max' ELSE 'vk' END
WHERE decided_by IS NOT NULL;

-- The VK community and the MAX bot (names from [[vk.communities]] / [[max.bots]]) a table school names,
-- as a config school does with vk_community / max_bot; NULL: the first one.
ALTER TABLE table_schools ADD COLUMN vk_community TEXT;
ALTER TABLE table_schools ADD COLUMN max_bot TEXT;
