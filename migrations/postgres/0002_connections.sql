-- Connecting Xero: a refresh lease on token sets (so that only one process
-- refreshes a token set at a time) and the short-lived OAuth states.

ALTER TABLE xero_token_sets ADD COLUMN refresh_lease_owner TEXT;
ALTER TABLE xero_token_sets ADD COLUMN refresh_lease_until TIMESTAMPTZ;

CREATE TABLE oauth_states (
    state_hash    TEXT PRIMARY KEY,
    session_hash  TEXT NOT NULL,
    user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    group_id      BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    -- The PKCE verifier, encrypted like the tokens.
    pkce_verifier BYTEA NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL
);
