-- A sync run (and its job) closed because its worker stopped or died while
-- a newer sync of the same organisation was already queued is
-- 'superseded': the newer sync does its work, and nothing failed.

ALTER TABLE sync_runs DROP CONSTRAINT sync_runs_state_check;
ALTER TABLE sync_runs ADD CONSTRAINT sync_runs_state_check
    CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'superseded'));
ALTER TABLE jobs DROP CONSTRAINT jobs_state_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_state_check
    CHECK (state IN ('queued', 'running', 'done', 'failed', 'superseded'));

-- Runs and jobs closed this way before, recorded as failed.
UPDATE sync_runs SET state = 'superseded'
WHERE state = 'failed' AND error = 'interrupted; the newer sync queued for this organisation takes over';
UPDATE jobs SET state = 'superseded'
WHERE state = 'failed' AND last_error IN (
    'its worker stopped; a newer job of the same key is queued',
    'stopped with its worker; a newer job of the same key is queued');
