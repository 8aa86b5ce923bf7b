-- Consol's schema, SQLite dialect. Append-only: change it with a new
-- migration. Money and rates are TEXT holding exact decimal strings (NUMERIC
-- affinity would turn them into floats; never SUM them in SQL). Months are
-- 'YYYY-MM' text; Xero ids are kept as Xero writes them (text). Timestamps
-- are RFC 3339 text in UTC, so they compare in time order.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    email         TEXT NOT NULL,
    name          TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    is_admin      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    disabled_at   TEXT,
    CONSTRAINT users_email_key UNIQUE (email)
);

-- Marks that the first-run admin exists, so two first visitors cannot both
-- create one.
CREATE TABLE instance_flags (
    name   TEXT PRIMARY KEY,
    set_at TEXT NOT NULL
);

CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE login_attempts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    email      TEXT NOT NULL,
    client_ip  TEXT NOT NULL,
    succeeded  INTEGER NOT NULL,
    at         TEXT NOT NULL
);
CREATE INDEX login_attempts_email_idx ON login_attempts (email, at);
CREATE INDEX login_attempts_ip_idx ON login_attempts (client_ip, at);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);

CREATE TABLE groups (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    name                    TEXT NOT NULL,
    presentation_currency   TEXT NOT NULL,
    financial_year_end_month INTEGER NOT NULL CHECK (financial_year_end_month BETWEEN 1 AND 12),
    history_months          INTEGER NOT NULL DEFAULT 24,
    created_at              TEXT NOT NULL
);

CREATE TABLE group_members (
    group_id   INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
    added_at   TEXT NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user_idx ON group_members (user_id);

-- One OAuth consent (or Custom Connection): the token pair, encrypted.
CREATE TABLE xero_token_sets (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    kind              TEXT NOT NULL CHECK (kind IN ('oauth', 'custom')),
    auth_event_id     TEXT,
    ciphertext        BLOB NOT NULL,
    access_expires_at TEXT NOT NULL,
    -- Bumped on every refresh: a compare-and-swap guard so that two
    -- processes never both refresh one token set.
    version           INTEGER NOT NULL DEFAULT 0,
    state             TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'needs_reconnect', 'revoked')),
    created_by        INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);

-- A Xero organisation (tenant). Synced data hangs off it, so that one
-- organisation in several groups is fetched once.
CREATE TABLE organisations (
    id                       INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id                TEXT NOT NULL UNIQUE,
    connection_id            TEXT,
    token_set_id             INTEGER REFERENCES xero_token_sets (id) ON DELETE SET NULL,
    name                     TEXT NOT NULL,
    legal_name               TEXT,
    short_code               TEXT,
    base_currency            TEXT NOT NULL,
    country_code             TEXT,
    financial_year_end_day   INTEGER,
    financial_year_end_month INTEGER,
    period_lock_date         TEXT,
    connection_state         TEXT NOT NULL DEFAULT 'connected' CHECK (connection_state IN ('connected', 'needs_reconnect', 'disconnected')),
    last_synced_at           TEXT,
    day_calls_remaining      INTEGER,
    created_at               TEXT NOT NULL,
    updated_at               TEXT NOT NULL
);

CREATE TABLE entities (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id        INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    organisation_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    is_parent       INTEGER NOT NULL DEFAULT 0,
    added_at        TEXT NOT NULL,
    CONSTRAINT entities_group_organisation_key UNIQUE (group_id, organisation_id)
);

CREATE TABLE accounts (
    organisation_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    account_id      TEXT NOT NULL,
    code            TEXT,
    name            TEXT NOT NULL,
    account_type    TEXT NOT NULL,
    class           TEXT,
    status          TEXT,
    reporting_code  TEXT,
    system_account  TEXT,
    updated_at_xero TEXT,
    PRIMARY KEY (organisation_id, account_id)
);

CREATE TABLE contacts (
    organisation_id  INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    contact_id       TEXT NOT NULL,
    name             TEXT NOT NULL,
    contact_status   TEXT,
    is_customer      INTEGER NOT NULL DEFAULT 0,
    is_supplier      INTEGER NOT NULL DEFAULT 0,
    default_currency TEXT,
    updated_at_xero  TEXT,
    PRIMARY KEY (organisation_id, contact_id)
);

CREATE TABLE invoices (
    organisation_id   INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    invoice_id        TEXT NOT NULL,
    invoice_type      TEXT NOT NULL,
    invoice_number    TEXT,
    reference         TEXT,
    contact_id        TEXT NOT NULL,
    contact_name      TEXT,
    invoice_date      TEXT NOT NULL,
    due_date          TEXT,
    status            TEXT NOT NULL,
    line_amount_types TEXT NOT NULL,
    currency_code     TEXT NOT NULL,
    currency_rate     TEXT NOT NULL,
    sub_total         TEXT NOT NULL,
    total_tax         TEXT NOT NULL,
    total             TEXT NOT NULL,
    amount_due        TEXT,
    amount_paid       TEXT,
    updated_at_xero   TEXT NOT NULL,
    PRIMARY KEY (organisation_id, invoice_id)
);
CREATE INDEX invoices_date_idx ON invoices (organisation_id, invoice_date);
CREATE INDEX invoices_contact_idx ON invoices (organisation_id, contact_id);

CREATE TABLE invoice_lines (
    organisation_id INTEGER NOT NULL,
    invoice_id      TEXT NOT NULL,
    position        INTEGER NOT NULL,
    line_item_id    TEXT,
    description     TEXT,
    quantity        TEXT,
    unit_amount     TEXT,
    account_code    TEXT,
    account_id      TEXT,
    tax_type        TEXT,
    tax_amount      TEXT NOT NULL,
    line_amount     TEXT NOT NULL,
    tracking        TEXT,
    PRIMARY KEY (organisation_id, invoice_id, position),
    FOREIGN KEY (organisation_id, invoice_id) REFERENCES invoices (organisation_id, invoice_id) ON DELETE CASCADE
);

-- Monthly report amounts exactly as Xero reported them. row_key is the
-- AccountID, or for rows without one (FXGROUPID groups, summary rows) a key
-- built from the section and label, so nothing is dropped.
CREATE TABLE report_amounts (
    organisation_id INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    report          TEXT NOT NULL CHECK (report IN ('profit_and_loss', 'balance_sheet')),
    month           TEXT NOT NULL,
    row_key         TEXT NOT NULL,
    account_id      TEXT,
    section         TEXT NOT NULL,
    label           TEXT NOT NULL,
    row_kind        TEXT NOT NULL CHECK (row_kind IN ('account', 'other', 'summary')),
    amount          TEXT NOT NULL,
    sync_run_id     INTEGER,
    PRIMARY KEY (organisation_id, report, month, row_key)
);

CREATE TABLE sync_runs (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id   INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    kind              TEXT NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed')),
    progress_done     INTEGER NOT NULL DEFAULT 0,
    progress_total    INTEGER NOT NULL DEFAULT 0,
    calls             INTEGER NOT NULL DEFAULT 0,
    calls_by_endpoint TEXT NOT NULL DEFAULT '{}',
    rows_inserted     INTEGER NOT NULL DEFAULT 0,
    rows_updated      INTEGER NOT NULL DEFAULT 0,
    error             TEXT,
    modified_since    TEXT,
    created_at        TEXT NOT NULL,
    started_at        TEXT,
    finished_at       TEXT
);
CREATE INDEX sync_runs_org_idx ON sync_runs (organisation_id, created_at);

CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    dedup_key    TEXT,
    priority     INTEGER NOT NULL DEFAULT 0,
    state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 5,
    run_at       TEXT NOT NULL,
    locked_by    TEXT,
    locked_at    TEXT,
    last_error   TEXT,
    created_at   TEXT NOT NULL,
    finished_at  TEXT
);
CREATE INDEX jobs_ready_idx ON jobs (state, run_at, priority);
-- At most one pending job per de-duplication key.
CREATE UNIQUE INDEX jobs_dedup_idx ON jobs (dedup_key) WHERE state IN ('queued', 'running');

CREATE TABLE fx_rates (
    group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    currency TEXT NOT NULL,
    month    TEXT NOT NULL,
    average  TEXT NOT NULL,
    closing  TEXT NOT NULL,
    PRIMARY KEY (group_id, currency, month)
);

CREATE TABLE group_accounts (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    code     TEXT NOT NULL,
    name     TEXT NOT NULL,
    class    TEXT NOT NULL CHECK (class IN ('REVENUE', 'EXPENSE', 'ASSET', 'LIABILITY', 'EQUITY')),
    section  TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT group_accounts_code_key UNIQUE (group_id, code)
);

CREATE TABLE account_mappings (
    group_id         INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    organisation_id  INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    account_id       TEXT NOT NULL,
    group_account_id INTEGER NOT NULL REFERENCES group_accounts (id) ON DELETE CASCADE,
    confirmed        INTEGER NOT NULL DEFAULT 0,
    updated_by       INTEGER REFERENCES users (id) ON DELETE SET NULL,
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (group_id, organisation_id, account_id)
);

CREATE TABLE intercompany_contacts (
    group_id             INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    organisation_id      INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    contact_id           TEXT NOT NULL,
    counterpart_entity_id INTEGER NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    confirmed            INTEGER NOT NULL DEFAULT 0,
    updated_by           INTEGER REFERENCES users (id) ON DELETE SET NULL,
    updated_at           TEXT NOT NULL,
    PRIMARY KEY (group_id, organisation_id, contact_id)
);

CREATE TABLE webhook_events (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at    TEXT NOT NULL,
    tenant_id      TEXT NOT NULL,
    event_category TEXT NOT NULL,
    event_type     TEXT NOT NULL,
    resource_id    TEXT NOT NULL,
    event_date     TEXT
);

CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       TEXT NOT NULL,
    user_id  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    group_id INTEGER REFERENCES groups (id) ON DELETE CASCADE,
    action   TEXT NOT NULL,
    detail   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_group_idx ON audit_log (group_id, at);
