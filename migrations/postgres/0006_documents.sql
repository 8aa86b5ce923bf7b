-- Issue 11: the rest of the books. Credit notes, bank transactions (spend
-- and receive money), payments, overpayments and prepayments, keyed by
-- Xero's ids under their organisation as invoices are; amounts in the
-- document's currency with its rate, so intercompany balances can be
-- rebuilt at any month end.
--
-- Invoices stop inventing numbers: a foreign invoice without CurrencyRate
-- keeps NULL (it used to be stored as 1), and a line without LineAmount or
-- TaxAmount keeps NULL (it used to be 0).

ALTER TABLE invoices ALTER COLUMN currency_rate DROP NOT NULL;
ALTER TABLE invoices ALTER COLUMN sub_total DROP NOT NULL;
ALTER TABLE invoices ALTER COLUMN total_tax DROP NOT NULL;
ALTER TABLE invoice_lines ALTER COLUMN tax_amount DROP NOT NULL;
ALTER TABLE invoice_lines ALTER COLUMN line_amount DROP NOT NULL;

CREATE TABLE credit_notes (
    organisation_id   BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    credit_note_id    TEXT NOT NULL,
    credit_note_type  TEXT NOT NULL,
    reference         TEXT,
    contact_id        TEXT NOT NULL,
    contact_name      TEXT,
    credit_note_date  DATE NOT NULL,
    status            TEXT NOT NULL,
    line_amount_types TEXT NOT NULL,
    currency_code     TEXT NOT NULL,
    currency_rate     NUMERIC,
    sub_total         NUMERIC,
    total_tax         NUMERIC,
    total             NUMERIC NOT NULL,
    credit_note_number TEXT,
    remaining_credit  NUMERIC,
    updated_at_xero   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (organisation_id, credit_note_id)
);
CREATE INDEX credit_notes_date_idx ON credit_notes (organisation_id, credit_note_date);
CREATE INDEX credit_notes_contact_idx ON credit_notes (organisation_id, contact_id);

CREATE TABLE bank_transactions (
    organisation_id   BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    bank_transaction_id TEXT NOT NULL,
    bank_transaction_type TEXT NOT NULL,
    reference         TEXT,
    contact_id        TEXT,
    contact_name      TEXT,
    transaction_date  DATE NOT NULL,
    status            TEXT NOT NULL,
    line_amount_types TEXT NOT NULL,
    currency_code     TEXT NOT NULL,
    currency_rate     NUMERIC,
    sub_total         NUMERIC,
    total_tax         NUMERIC,
    total             NUMERIC NOT NULL,
    bank_account_id   TEXT,
    bank_account_code TEXT,
    is_reconciled     BOOLEAN,
    overpayment_id    TEXT,
    prepayment_id     TEXT,
    updated_at_xero   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (organisation_id, bank_transaction_id)
);
CREATE INDEX bank_transactions_date_idx ON bank_transactions (organisation_id, transaction_date);
CREATE INDEX bank_transactions_contact_idx ON bank_transactions (organisation_id, contact_id);

CREATE TABLE overpayments (
    organisation_id   BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    overpayment_id    TEXT NOT NULL,
    overpayment_type  TEXT NOT NULL,
    reference         TEXT,
    contact_id        TEXT NOT NULL,
    contact_name      TEXT,
    overpayment_date  DATE NOT NULL,
    status            TEXT NOT NULL,
    line_amount_types TEXT NOT NULL,
    currency_code     TEXT NOT NULL,
    currency_rate     NUMERIC,
    sub_total         NUMERIC,
    total_tax         NUMERIC,
    total             NUMERIC NOT NULL,
    remaining_credit  NUMERIC,
    updated_at_xero   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (organisation_id, overpayment_id)
);
CREATE INDEX overpayments_date_idx ON overpayments (organisation_id, overpayment_date);
CREATE INDEX overpayments_contact_idx ON overpayments (organisation_id, contact_id);

CREATE TABLE prepayments (
    organisation_id   BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    prepayment_id     TEXT NOT NULL,
    prepayment_type   TEXT NOT NULL,
    reference         TEXT,
    contact_id        TEXT NOT NULL,
    contact_name      TEXT,
    prepayment_date   DATE NOT NULL,
    status            TEXT NOT NULL,
    line_amount_types TEXT NOT NULL,
    currency_code     TEXT NOT NULL,
    currency_rate     NUMERIC,
    sub_total         NUMERIC,
    total_tax         NUMERIC,
    total             NUMERIC NOT NULL,
    remaining_credit  NUMERIC,
    updated_at_xero   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (organisation_id, prepayment_id)
);
CREATE INDEX prepayments_date_idx ON prepayments (organisation_id, prepayment_date);
CREATE INDEX prepayments_contact_idx ON prepayments (organisation_id, contact_id);

-- Payments: money applied to exactly one invoice, credit note, overpayment
-- or prepayment, at the payment's own rate (units of the document's
-- currency per unit of base currency; NULL when Xero sent none).
CREATE TABLE payments (
    organisation_id    BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    payment_id         TEXT NOT NULL,
    payment_type       TEXT,
    status             TEXT NOT NULL,
    payment_date       DATE NOT NULL,
    amount             NUMERIC NOT NULL,
    bank_amount        NUMERIC,
    currency_rate      NUMERIC,
    reference          TEXT,
    account_id         TEXT,
    account_code       TEXT,
    invoice_id         TEXT,
    invoice_number     TEXT,
    credit_note_id     TEXT,
    credit_note_number TEXT,
    overpayment_id     TEXT,
    prepayment_id      TEXT,
    updated_at_xero    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (organisation_id, payment_id),
    CHECK ((invoice_id IS NOT NULL) OR (credit_note_id IS NOT NULL)
        OR (overpayment_id IS NOT NULL) OR (prepayment_id IS NOT NULL))
);
CREATE INDEX payments_date_idx ON payments (organisation_id, payment_date);

-- The lines of credit notes, bank transactions, overpayments and
-- prepayments. A missing amount stays NULL (never 0): Consol cannot value
-- such a line and says so instead of guessing.
CREATE TABLE document_lines (
    organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    document_kind   TEXT NOT NULL
        CHECK (document_kind IN ('credit_note', 'bank_transaction', 'overpayment', 'prepayment')),
    document_id     TEXT NOT NULL,
    position        INTEGER NOT NULL,
    line_item_id    TEXT,
    description     TEXT,
    quantity        NUMERIC,
    unit_amount     NUMERIC,
    account_code    TEXT,
    account_id      TEXT,
    tax_type        TEXT,
    tax_amount      NUMERIC,
    line_amount     NUMERIC,
    tracking        TEXT,
    PRIMARY KEY (organisation_id, document_kind, document_id, position)
);

-- What a credit note, overpayment or prepayment was applied to, when and
-- for how much (in the document's currency): the intercompany balance at a
-- month end needs each allocation dated. Deleted allocations are kept,
-- marked.
CREATE TABLE allocations (
    organisation_id BIGINT NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    document_kind   TEXT NOT NULL
        CHECK (document_kind IN ('credit_note', 'overpayment', 'prepayment')),
    document_id     TEXT NOT NULL,
    position        INTEGER NOT NULL,
    allocation_id   TEXT,
    invoice_id      TEXT,
    invoice_number  TEXT,
    amount          NUMERIC NOT NULL,
    allocation_date DATE NOT NULL,
    is_deleted      BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (organisation_id, document_kind, document_id, position)
);
CREATE INDEX allocations_invoice_idx ON allocations (organisation_id, invoice_id);
