-- How each subsidiary came into a group (rules section 3a): its owner,
-- percentage, acquisition date, equity at acquisition with its historical
-- rate, and the owner's investment accounts (a JSON array of AccountIDs).
CREATE TABLE entity_ownership (
    entity_id             BIGINT PRIMARY KEY REFERENCES entities (id) ON DELETE CASCADE,
    group_id              BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    owner_entity_id       BIGINT NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    percent               NUMERIC NOT NULL CHECK (percent > 0 AND percent <= 100),
    acquired              TEXT NOT NULL,
    equity_at_acquisition NUMERIC NOT NULL,
    historical_rate       NUMERIC NOT NULL CHECK (historical_rate > 0),
    investment_accounts   TEXT NOT NULL DEFAULT '[]',
    updated_by            BIGINT REFERENCES users (id) ON DELETE SET NULL,
    updated_at            TIMESTAMPTZ NOT NULL
);
CREATE INDEX entity_ownership_group ON entity_ownership (group_id);
