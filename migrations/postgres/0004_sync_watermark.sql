-- Xero's own clock at the start of a sync run (the envelope's DateTimeUTC),
-- used for the next run's If-Modified-Since so that clock skew between
-- Consol and Xero cannot hide a change.
ALTER TABLE sync_runs ADD COLUMN xero_time TIMESTAMPTZ;
