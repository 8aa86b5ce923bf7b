-- The P&L loader reads a group's intercompany documents in one query per
-- kind: each confirmed contact's documents within a date window. With
-- only (organisation, contact) and (organisation, date) to choose from,
-- SQLite walked every document of the window once per contact (about
-- 2.8 s at 100 entities and 280 contacts); with the date after the
-- contact each contact's window is one range. The two-column contact
-- indexes are a prefix of the new ones, so they go.
CREATE INDEX invoices_contact_date_idx ON invoices (organisation_id, contact_id, invoice_date);
DROP INDEX invoices_contact_idx;
CREATE INDEX credit_notes_contact_date_idx
    ON credit_notes (organisation_id, contact_id, credit_note_date);
DROP INDEX credit_notes_contact_idx;
CREATE INDEX bank_transactions_contact_date_idx
    ON bank_transactions (organisation_id, contact_id, transaction_date);
DROP INDEX bank_transactions_contact_idx;
