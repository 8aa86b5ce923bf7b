-- Webhook deliveries already acted on: the SHA-256 of the signature (which
-- is an HMAC of the whole body), so a replay of the same delivery within
-- 24 hours queues nothing. Rows older than that are pruned.
CREATE TABLE webhook_deliveries (
    signature_hash TEXT PRIMARY KEY,
    received_at    TEXT NOT NULL
);
CREATE INDEX webhook_deliveries_received_idx ON webhook_deliveries (received_at);

-- API tokens may end on a date and may be limited to reading.
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
ALTER TABLE api_tokens ADD COLUMN read_only INTEGER NOT NULL DEFAULT 0;

-- One-time set-up codes: `consol serve` prints one at start while no user
-- exists; /setup makes an administrator only with it. Only the SHA-256 is
-- kept; the codes are deleted when the first administrator is made.
CREATE TABLE setup_codes (
    code_hash  TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
);
