-- Jobs: de-duplicate only queued jobs, so that a change arriving while a
-- sync runs queues one more sync after it; heartbeats show live workers.

DROP INDEX jobs_dedup_idx;
CREATE UNIQUE INDEX jobs_dedup_queued_idx ON jobs (dedup_key) WHERE state = 'queued';
ALTER TABLE jobs ADD COLUMN heartbeat_at TIMESTAMPTZ;
