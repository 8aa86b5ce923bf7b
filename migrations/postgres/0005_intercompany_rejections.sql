-- A contact a user has marked "not intercompany": it is no longer
-- suggested, and neither a new sync nor applying the suggestions brings it
-- back. A rejected row is never confirmed.
ALTER TABLE intercompany_contacts ADD COLUMN rejected BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE intercompany_contacts ADD CONSTRAINT intercompany_contacts_rejected_check
    CHECK (NOT (rejected AND confirmed));
