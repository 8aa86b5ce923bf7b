-- Entity accounts a user marks as intercompany (loans, current accounts),
-- each with the entity on the other side (rules section 3a). Their balances
-- are eliminated against the counterpart's at each month end.
CREATE TABLE intercompany_accounts (
    group_id              INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    entity_id             INTEGER NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    account_id            TEXT NOT NULL,
    counterpart_entity_id INTEGER NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    updated_by            INTEGER REFERENCES users (id) ON DELETE SET NULL,
    updated_at            TEXT NOT NULL,
    PRIMARY KEY (group_id, entity_id, account_id),
    CHECK (entity_id <> counterpart_entity_id)
);
