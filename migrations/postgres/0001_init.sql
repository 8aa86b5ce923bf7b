-- Consol's schema, PostgreSQL dialect. Append-only: change it with a new
-- migration. Money and rates are NUMERIC; months are 'YYYY-MM' text; Xero ids
-- are kept as Xero writes them (text).

CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         TEXT NOT NULL,
    name          TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    is_admin      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMPTZ NOT NULL,
    disabled_at   TIMESTAMPTZ,
    CONSTRAINT users_email_key UNIQUE (email)
);

-- Marks that the first-run admin exists, so two first visitors cannot both
-- create one.
CREATE TABLE instance_flags (
    name   TEXT PRIMARY KEY,
    set_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE login_attempts (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email      TEXT NOT NULL,
    client_ip  TEXT NOT NULL,
    succeeded  BOOLEAN NOT NULL,
    at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_attempts_email_idx ON login_attempts (email, at);
CREATE INDEX login_attempts_ip_idx ON login_attempts (client_ip, at);

CREATE TABLE api_tokens (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);

CREATE TABLE groups (
    id                      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name                    TEXT NOT NULL,
    presentation_currency   TEXT NOT NULL,
    financial_year_end_month INTEGER NOT NULL CHECK (financial_year_end_month BETWEEN 1 AND 12),
    history_months          INTEGER NOT NULL DEFAULT 24,
    created_at              TIMESTAMPTZ NOT NULL
);

CREATE TABLE group_members (
    group_id   BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'viewer')),
    added_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user_idx ON group_members (user_id);

-- One OAuth consent (or Custom Connection): the token pair, encrypted.
CREATE TABLE xero_token_sets (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind              TEXT NOT NULL CHECK (kind IN ('oauth', 'custom')),
    auth_event_id     TEXT,
    ciphertext        BYTEA NOT NULL,
    access_expires_at TIMESTAMPTZ NOT NULL,
    -- Bumped on every refresh: a compare-and-swap guard so that two
    -- processes never both refresh one token set.
    version           BIGINT NOT NULL DEFAULT 0,
    state             TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'needs_reconnect', 'revoked')),
    created_by        BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);

-- A Xero organisation (tenant). Synced data hangs off it, so that one
-- organisation in several groups is fetched once.
CREATE TABLE organisations (
    id                       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant_id                TEXT NOT NULL UNIQUE,
    connection_id            TEXT,
    token_set_id             BIGINT REFERENCES xero_token_sets (id) ON DELETE SET NULL,
    name                     TEXT NOT NULL,
    legal_name               TEXT,
    short_code               TEXT,
    base_currency            TEXT NOT NULL,
    country_code             TEXT,
    financial_year_end_day   INTEGER,
    financial_year_end_month INTEGER,
    period_lock_date         DATE,
    connection_state         TEXT NOT NULL DEFAULT 'connected' CHECK (connection_state IN ('connected', 'needs_reconnect', 'disconnected')),
    last_synced_at           TIMESTAMPTZ,
    day_calls_remaining      INTEGER,
    created_at               TIMESTAMPTZ NOT NULL,
    updated_at               TIMESTAMPTZ NOT NULL
);

CREATE TABLE entities (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    group_id        BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    is_parent       BOOLEAN NOT NULL DEFAULT FALSE,
    added_at        TIMESTAMPTZ NOT NULL,
    CONSTRAINT entities_group_organisation_key UNIQUE (group_id, organisation_id)
);

CREATE TABLE accounts (
    organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    account_id      TEXT NOT NULL,
    code            TEXT,
    name            TEXT NOT NULL,
    account_type    TEXT NOT NULL,
    class           TEXT,
    status          TEXT,
    reporting_code  TEXT,
    system_account  TEXT,
    updated_at_xero TIMESTAMPTZ,
    PRIMARY KEY (organisation_id, account_id)
);

CREATE TABLE contacts (
    organisation_id  BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    contact_id       TEXT NOT NULL,
    name             TEXT NOT NULL,
    contact_status   TEXT,
    is_customer      BOOLEAN NOT NULL DEFAULT FALSE,
    is_supplier      BOOLEAN NOT NULL DEFAULT FALSE,
    default_currency TEXT,
    updated_at_xero  TIMESTAMPTZ,
    PRIMARY KEY (organisation_id, contact_id)
);

CREATE TABLE invoices (
    organisation_id   BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    invoice_id        TEXT NOT NULL,
    invoice_type      TEXT NOT NULL,
    invoice_number    TEXT,
    reference         TEXT,
    contact_id        TEXT NOT NULL,
    contact_name      TEXT,
    invoice_date      DATE NOT NULL,
    due_date          DATE,
    status            TEXT NOT NULL,
    line_amount_types TEXT NOT NULL,
    currency_code     TEXT NOT NULL,
    currency_rate     NUMERIC NOT NULL,
    sub_total         NUMERIC NOT NULL,
    total_tax         NUMERIC NOT NULL,
    total             NUMERIC NOT NULL,
    amount_due        NUMERIC,
    amount_paid       NUMERIC,
    updated_at_xero   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (organisation_id, invoice_id)
);
CREATE INDEX invoices_date_idx ON invoices (organisation_id, invoice_date);
CREATE INDEX invoices_contact_idx ON invoices (organisation_id, contact_id);

CREATE TABLE invoice_lines (
    organisation_id BIGINT NOT NULL,
    invoice_id      TEXT NOT NULL,
    position        INTEGER NOT NULL,
    line_item_id    TEXT,
    description     TEXT,
    quantity        NUMERIC,
    unit_amount     NUMERIC,
    account_code    TEXT,
    account_id      TEXT,
    tax_type        TEXT,
    tax_amount      NUMERIC NOT NULL,
    line_amount     NUMERIC NOT NULL,
    tracking        TEXT,
    PRIMARY KEY (organisation_id, invoice_id, position),
    FOREIGN KEY (organisation_id, invoice_id) REFERENCES invoices (organisation_id, invoice_id) ON DELETE CASCADE
);

-- Monthly report amounts exactly as Xero reported them. row_key is the
-- AccountID, or for rows without one (FXGROUPID groups, summary rows) a key
-- built from the section and label, so nothing is dropped.
CREATE TABLE report_amounts (
    organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    report          TEXT NOT NULL CHECK (report IN ('profit_and_loss', 'balance_sheet')),
    month           TEXT NOT NULL,
    row_key         TEXT NOT NULL,
    account_id      TEXT,
    section         TEXT NOT NULL,
    label           TEXT NOT NULL,
    row_kind        TEXT NOT NULL CHECK (row_kind IN ('account', 'other', 'summary')),
    amount          NUMERIC NOT NULL,
    sync_run_id     BIGINT,
    PRIMARY KEY (organisation_id, report, month, row_key)
);

CREATE TABLE sync_runs (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id   BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    kind              TEXT NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed')),
    progress_done     INTEGER NOT NULL DEFAULT 0,
    progress_total    INTEGER NOT NULL DEFAULT 0,
    calls             INTEGER NOT NULL DEFAULT 0,
    calls_by_endpoint TEXT NOT NULL DEFAULT '{}',
    rows_inserted     INTEGER NOT NULL DEFAULT 0,
    rows_updated      INTEGER NOT NULL DEFAULT 0,
    error             TEXT,
    modified_since    TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL,
    started_at        TIMESTAMPTZ,
    finished_at       TIMESTAMPTZ
);
CREATE INDEX sync_runs_org_idx ON sync_runs (organisation_id, created_at);

CREATE TABLE jobs (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    dedup_key    TEXT,
    priority     INTEGER NOT NULL DEFAULT 0,
    state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 5,
    run_at       TIMESTAMPTZ NOT NULL,
    locked_by    TEXT,
    locked_at    TIMESTAMPTZ,
    last_error   TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ
);
CREATE INDEX jobs_ready_idx ON jobs (state, run_at, priority);
-- At most one pending job per de-duplication key.
CREATE UNIQUE INDEX jobs_dedup_idx ON jobs (dedup_key) WHERE state IN ('queued', 'running');

CREATE TABLE fx_rates (
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    currency TEXT NOT NULL,
    month    TEXT NOT NULL,
    average  NUMERIC NOT NULL CHECK (average > 0),
    closing  NUMERIC NOT NULL CHECK (closing > 0),
    PRIMARY KEY (group_id, currency, month)
);

CREATE TABLE group_accounts (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    group_id BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    code     TEXT NOT NULL,
    name     TEXT NOT NULL,
    class    TEXT NOT NULL CHECK (class IN ('REVENUE', 'EXPENSE', 'ASSET', 'LIABILITY', 'EQUITY')),
    section  TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT group_accounts_code_key UNIQUE (group_id, code)
);

CREATE TABLE account_mappings (
    group_id         BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    organisation_id  BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    account_id       TEXT NOT NULL,
    group_account_id BIGINT NOT NULL REFERENCES group_accounts (id) ON DELETE CASCADE,
    confirmed        BOOLEAN NOT NULL DEFAULT FALSE,
    updated_by       BIGINT REFERENCES users (id) ON DELETE SET NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (group_id, organisation_id, account_id)
);

CREATE TABLE intercompany_contacts (
    group_id             BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    organisation_id      BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    contact_id           TEXT NOT NULL,
    counterpart_entity_id BIGINT NOT NULL REFERENCES entities (id) ON DELETE CASCADE,
    confirmed            BOOLEAN NOT NULL DEFAULT FALSE,
    updated_by           BIGINT REFERENCES users (id) ON DELETE SET NULL,
    updated_at           TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (group_id, organisation_id, contact_id)
);

CREATE TABLE webhook_events (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    received_at    TIMESTAMPTZ NOT NULL,
    tenant_id      TEXT NOT NULL,
    event_category TEXT NOT NULL,
    event_type     TEXT NOT NULL,
    resource_id    TEXT NOT NULL,
    event_date     TEXT
);

CREATE TABLE audit_log (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at       TIMESTAMPTZ NOT NULL,
    user_id  BIGINT REFERENCES users (id) ON DELETE SET NULL,
    group_id BIGINT REFERENCES groups (id) ON DELETE CASCADE,
    action   TEXT NOT NULL,
    detail   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_group_idx ON audit_log (group_id, at);
