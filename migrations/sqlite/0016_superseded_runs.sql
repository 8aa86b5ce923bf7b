-- A sync run (and its job) closed because its worker stopped or died while
-- a newer sync of the same organisation was already queued is
-- 'superseded': the newer sync does its work, and nothing failed. SQLite
-- cannot change a CHECK constraint, so both tables are rebuilt as they
-- stand, with the new state allowed. Nothing references either table.

CREATE TABLE sync_runs_new (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    organisation_id   INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    kind              TEXT NOT NULL,
    state             TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'superseded')),
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
    finished_at       TEXT,
    xero_time         TEXT,
    retry_at          TEXT
);
INSERT INTO sync_runs_new (id, organisation_id, kind, state, progress_done, progress_total, calls,
    calls_by_endpoint, rows_inserted, rows_updated, error, modified_since, created_at, started_at,
    finished_at, xero_time, retry_at)
SELECT id, organisation_id, kind, state, progress_done, progress_total, calls,
    calls_by_endpoint, rows_inserted, rows_updated, error, modified_since, created_at, started_at,
    finished_at, xero_time, retry_at
FROM sync_runs;
DROP TABLE sync_runs;
ALTER TABLE sync_runs_new RENAME TO sync_runs;
CREATE INDEX sync_runs_org_idx ON sync_runs (organisation_id, created_at);

CREATE TABLE jobs_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    dedup_key    TEXT,
    priority     INTEGER NOT NULL DEFAULT 0,
    state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed', 'superseded')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL DEFAULT 5,
    run_at       TEXT NOT NULL,
    locked_by    TEXT,
    locked_at    TEXT,
    last_error   TEXT,
    created_at   TEXT NOT NULL,
    finished_at  TEXT,
    heartbeat_at TEXT
);
INSERT INTO jobs_new (id, kind, payload, dedup_key, priority, state, attempts, max_attempts, run_at,
    locked_by, locked_at, last_error, created_at, finished_at, heartbeat_at)
SELECT id, kind, payload, dedup_key, priority, state, attempts, max_attempts, run_at,
    locked_by, locked_at, last_error, created_at, finished_at, heartbeat_at
FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;
CREATE INDEX jobs_ready_idx ON jobs (state, run_at, priority);
CREATE UNIQUE INDEX jobs_dedup_queued_idx ON jobs (dedup_key) WHERE state = 'queued';
CREATE UNIQUE INDEX jobs_running_key_idx ON jobs (dedup_key) WHERE state = 'running';

-- Runs and jobs closed this way before, recorded as failed.
UPDATE sync_runs SET state = 'superseded'
WHERE state = 'failed' AND error = 'interrupted; the newer sync queued for this organisation takes over';
UPDATE jobs SET state = 'superseded'
WHERE state = 'failed' AND last_error IN (
    'its worker stopped; a newer job of the same key is queued',
    'stopped with its worker; a newer job of the same key is queued');
