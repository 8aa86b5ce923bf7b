-- Intercompany decisions kept while their counterpart entity is
-- disconnected (issue 15). `intercompany_contacts` points at its counterpart
-- by entity, and removing an entity cascades those rows away; disconnecting
-- moves the confirmed and rejected ones here, by the counterpart's
-- organisation, in the same transaction, and connecting that organisation
-- to the group again moves them back under the new entity.
CREATE TABLE kept_intercompany_contacts (
    group_id                    BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    organisation_id             BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    contact_id                  TEXT NOT NULL,
    counterpart_organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    confirmed                   BOOLEAN NOT NULL DEFAULT FALSE,
    rejected                    BOOLEAN NOT NULL DEFAULT FALSE,
    updated_by                  BIGINT REFERENCES users (id) ON DELETE SET NULL,
    updated_at                  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (group_id, organisation_id, contact_id)
);
CREATE INDEX kept_intercompany_contacts_counterpart_idx
    ON kept_intercompany_contacts (group_id, counterpart_organisation_id);
