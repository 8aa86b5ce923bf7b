-- Later capital contributions to a subsidiary (rules section 3a), kept with
-- its ownership row: a JSON array of {"month": "YYYY-MM", "amount": "...",
-- "historical_rate": "..."}, decimals as strings so nothing passes through
-- a float. Contributed equity is translated at each one's own rate.
ALTER TABLE entity_ownership ADD COLUMN contributions TEXT NOT NULL DEFAULT '[]';
