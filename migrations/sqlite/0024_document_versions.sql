-- Restatements (issue 13): a closed month's line opens to the Xero
-- records that moved it, old account and new. Xero sends a changed
-- invoice, credit note or bank transaction whole and the sync replaces the
-- stored one, so the state it replaces is kept here: one row per line
-- (position NULL for a document without lines), written when a sync
-- replaces a document whose UpdatedDateUTC moved. The state a closed month
-- saw is the earliest one replaced after the close.
CREATE TABLE document_versions (
    organisation_id   INTEGER NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    document_kind     TEXT NOT NULL
        CHECK (document_kind IN ('invoice', 'credit_note', 'bank_transaction')),
    document_id       TEXT NOT NULL,
    replaced_at       TEXT NOT NULL,
    status            TEXT NOT NULL,
    document_date     TEXT NOT NULL,
    line_amount_types TEXT NOT NULL,
    position          INTEGER,
    account_code      TEXT,
    line_amount       TEXT,
    tax_amount        TEXT
);
CREATE INDEX document_versions_document_idx
    ON document_versions (organisation_id, document_kind, document_id, replaced_at);
