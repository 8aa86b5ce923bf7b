-- A contact a user has marked "not intercompany": it is no longer
-- suggested, and neither a new sync nor applying the suggestions brings it
-- back. A rejected row is never confirmed.
ALTER TABLE intercompany_contacts ADD COLUMN rejected INTEGER NOT NULL DEFAULT 0
    CHECK (rejected IN (0, 1) AND NOT (rejected = 1 AND confirmed = 1));
