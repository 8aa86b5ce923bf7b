-- One sync per organisation at a time, whatever the path: at most one
-- running job per key. The worker's claim already skips a key with a
-- running job; this index makes a race between two claims fail instead of
-- running both. Older duplicates (from before the rule) are closed first.
UPDATE jobs SET state = 'failed', last_error = 'closed: another job of the same key was running'
WHERE state = 'running' AND dedup_key IS NOT NULL
  AND id NOT IN (SELECT MAX(id) FROM jobs WHERE state = 'running' AND dedup_key IS NOT NULL GROUP BY dedup_key);
CREATE UNIQUE INDEX jobs_running_key_idx ON jobs (dedup_key) WHERE state = 'running';

-- While a run waits to try again (a call's retry, or its job's backoff),
-- this says until when; readers see its state as 'retrying'.
ALTER TABLE sync_runs ADD COLUMN retry_at TIMESTAMPTZ;
