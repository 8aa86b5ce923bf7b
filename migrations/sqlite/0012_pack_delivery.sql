-- Month-end packs by e-mail. A group has at most one schedule: "business
-- day N after month end at HH:MM" at a fixed UTC offset (no time-zone
-- database in the build), its recipients (addresses, one per line), the
-- formats attached, and whether an admin approves each pack first.
CREATE TABLE pack_schedules (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id           INTEGER NOT NULL UNIQUE REFERENCES groups (id) ON DELETE CASCADE,
    business_day       INTEGER NOT NULL CHECK (business_day BETWEEN 1 AND 20),
    send_at            TEXT NOT NULL,
    utc_offset_minutes INTEGER NOT NULL CHECK (utc_offset_minutes BETWEEN -840 AND 840),
    recipients         TEXT NOT NULL,
    formats            TEXT NOT NULL,
    approval_required  INTEGER NOT NULL CHECK (approval_required IN (0, 1)),
    owner_id           INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);

-- Every message the scheduler means to send: a pack (per schedule, month
-- and version), a "held, because ..." notice (version 0) or a restatement
-- notice. The unique key is what makes a pack go out once per schedule and
-- version, whichever worker gets there first. `status` moves draft ->
-- queued -> sending -> sent; failed is retried; a send interrupted by a
-- crash becomes `uncertain` and is never retried by itself.
CREATE TABLE pack_deliveries (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    schedule_id INTEGER NOT NULL REFERENCES pack_schedules (id) ON DELETE CASCADE,
    group_id    INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    month       TEXT NOT NULL,
    version     INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('pack', 'held', 'restated')),
    status      TEXT NOT NULL CHECK (status IN ('draft', 'queued', 'sending', 'sent', 'failed', 'uncertain')),
    recipients  TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_reply  TEXT,
    approved_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    approved_at TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    sent_at     TEXT,
    CONSTRAINT pack_deliveries_once UNIQUE (schedule_id, month, version, kind)
);
CREATE INDEX pack_deliveries_group_idx ON pack_deliveries (group_id, created_at);
