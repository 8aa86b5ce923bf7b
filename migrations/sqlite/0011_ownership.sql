-- How each subsidiary came into a group (rules section 3a): its owner,
-- percentage, acquisition date, equity at acquisition with its historical
-- rate, and the owner's investment accounts (a JSON array of AccountIDs).
CREATE TABLE entity_ownership (
    entity_id             INTEGER PRIMARY KEY REFERENCES entities (id) ON DELETE CASCADE,
    group_id              INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    owner_entity_id       INTEGER NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    percent               TEXT NOT NULL,
    acquired              TEXT NOT NULL,
    equity_at_acquisition TEXT NOT NULL,
    historical_rate       TEXT NOT NULL,
    investment_accounts   TEXT NOT NULL DEFAULT '[]',
    updated_by            INTEGER REFERENCES users (id) ON DELETE SET NULL,
    updated_at            TEXT NOT NULL
);
CREATE INDEX entity_ownership_group ON entity_ownership (group_id);
