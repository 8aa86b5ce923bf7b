-- Connecting Xero: a refresh lease on token sets (so that only one process
-- refreshes a token set at a time) and the short-lived OAuth states.

ALTER TABLE xero_token_sets ADD COLUMN refresh_lease_owner TEXT;
ALTER TABLE xero_token_sets ADD COLUMN refresh_lease_until TEXT;

CREATE TABLE oauth_states (
    state_hash    TEXT PRIMARY KEY,
    session_hash  TEXT NOT NULL,
    user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_id      INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    -- The PKCE verifier, encrypted like the tokens.
    pkce_verifier BLOB NOT NULL,
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL
);
