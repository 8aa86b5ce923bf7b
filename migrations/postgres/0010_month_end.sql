-- Month-end close. Each close of a group's month writes a version: the
-- snapshot (canonical JSON of every input the reports used and the outputs
-- built from them, kept as TEXT so its bytes are exactly those hashed) and
-- its SHA-256. A snapshot never changes: reopening only stamps who reopened
-- it, when and why; the next close writes the next version. Commentary is
-- written per section of the pack, per version.
CREATE TABLE month_end_versions (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    group_id      BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    month         TEXT NOT NULL,
    version       INTEGER NOT NULL CHECK (version >= 1),
    snapshot      TEXT NOT NULL,
    snapshot_hash TEXT NOT NULL,
    closed_by     BIGINT REFERENCES users (id) ON DELETE SET NULL,
    closed_at     TIMESTAMPTZ NOT NULL,
    reopened_by   BIGINT REFERENCES users (id) ON DELETE SET NULL,
    reopened_at   TIMESTAMPTZ,
    reopen_reason TEXT,
    CONSTRAINT month_end_versions_key UNIQUE (group_id, month, version),
    CHECK ((reopened_at IS NULL) = (reopen_reason IS NULL))
);
-- At most one version of a month is closed (not reopened) at a time.
CREATE UNIQUE INDEX month_end_versions_open_idx
    ON month_end_versions (group_id, month) WHERE reopened_at IS NULL;

CREATE FUNCTION month_end_snapshot_immutable() RETURNS trigger AS $$
BEGIN
    IF NEW.snapshot IS DISTINCT FROM OLD.snapshot
       OR NEW.snapshot_hash IS DISTINCT FROM OLD.snapshot_hash
       OR NEW.group_id IS DISTINCT FROM OLD.group_id
       OR NEW.month IS DISTINCT FROM OLD.month
       OR NEW.version IS DISTINCT FROM OLD.version
       OR NEW.closed_at IS DISTINCT FROM OLD.closed_at THEN
        RAISE EXCEPTION 'a month-end snapshot is immutable';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER month_end_snapshot_immutable
BEFORE UPDATE ON month_end_versions
FOR EACH ROW EXECUTE FUNCTION month_end_snapshot_immutable();

CREATE TABLE month_end_commentary (
    version_id BIGINT NOT NULL REFERENCES month_end_versions (id) ON DELETE CASCADE,
    section    TEXT NOT NULL,
    body       TEXT NOT NULL,
    updated_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (version_id, section)
);
