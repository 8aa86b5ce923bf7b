-- Month-end close. Each close of a group's month writes a version: the
-- snapshot (canonical JSON of every input the reports used and the outputs
-- built from them) and its SHA-256. A snapshot never changes: reopening
-- only stamps who reopened it, when and why; the next close writes the next
-- version. Commentary is written per section of the pack, per version.
CREATE TABLE month_end_versions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id      INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    month         TEXT NOT NULL,
    version       INTEGER NOT NULL CHECK (version >= 1),
    snapshot      TEXT NOT NULL,
    snapshot_hash TEXT NOT NULL,
    closed_by     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    closed_at     TEXT NOT NULL,
    reopened_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    reopened_at   TEXT,
    reopen_reason TEXT,
    CONSTRAINT month_end_versions_key UNIQUE (group_id, month, version),
    CHECK ((reopened_at IS NULL) = (reopen_reason IS NULL))
);
-- At most one version of a month is closed (not reopened) at a time.
CREATE UNIQUE INDEX month_end_versions_open_idx
    ON month_end_versions (group_id, month) WHERE reopened_at IS NULL;

CREATE TRIGGER month_end_snapshot_immutable
BEFORE UPDATE OF snapshot, snapshot_hash, group_id, month, version, closed_at
ON month_end_versions
BEGIN
    SELECT RAISE(ABORT, 'a month-end snapshot is immutable');
END;

CREATE TABLE month_end_commentary (
    version_id INTEGER NOT NULL REFERENCES month_end_versions (id) ON DELETE CASCADE,
    section    TEXT NOT NULL,
    body       TEXT NOT NULL,
    updated_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (version_id, section)
);
