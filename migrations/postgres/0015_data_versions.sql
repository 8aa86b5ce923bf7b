-- A data version per group (issue 14): the report service keys what it
-- has consolidated by it. It moves in the same transaction as the change
-- that moves it, because triggers do the moving (per statement, so a
-- sync's page of a thousand rows moves it once): every writer of the rows a
-- report reads is covered, present and future, without each store function
-- remembering to. A group's version is its own counter and its entities'
-- organisations' counters (synced data hangs off the organisation, which
-- several groups may share).

ALTER TABLE groups ADD COLUMN data_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE organisations ADD COLUMN data_version BIGINT NOT NULL DEFAULT 0;
-- The transaction that last moved the version: a transaction moves it once,
-- however many statements it runs (each update of the same row would
-- otherwise add a row version that later updates in the transaction walk).
ALTER TABLE groups ADD COLUMN data_version_txid BIGINT;
ALTER TABLE organisations ADD COLUMN data_version_txid BIGINT;

CREATE FUNCTION consol_bump_organisation_version() RETURNS trigger AS $$
BEGIN
    UPDATE organisations SET data_version = data_version + 1, data_version_txid = txid_current()
    WHERE id IN (SELECT DISTINCT organisation_id FROM changed)
      AND data_version_txid IS DISTINCT FROM txid_current();
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION consol_bump_group_version() RETURNS trigger AS $$
BEGIN
    UPDATE groups SET data_version = data_version + 1, data_version_txid = txid_current()
    WHERE id IN (SELECT DISTINCT group_id FROM changed)
      AND data_version_txid IS DISTINCT FROM txid_current();
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE FUNCTION consol_bump_own_version() RETURNS trigger AS $$
BEGIN
    NEW.data_version := OLD.data_version + 1;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER accounts_version_insert AFTER INSERT ON accounts
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();
CREATE TRIGGER accounts_version_update AFTER UPDATE ON accounts
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();
CREATE TRIGGER accounts_version_delete AFTER DELETE ON accounts
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();
CREATE TRIGGER contacts_version_insert AFTER INSERT ON contacts
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();
CREATE TRIGGER contacts_version_update AFTER UPDATE ON contacts
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();
CREATE TRIGGER contacts_version_delete AFTER DELETE ON contacts
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();
CREATE TRIGGER invoices_version_insert AFTER INSERT ON invoices
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();
CREATE TRIGGER invoices_version_update AFTER UPDATE ON invoices
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();
CREATE TRIGGER invoices_version_delete AFTER DELETE ON invoices
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();
CREATE TRIGGER invoice_lines_version_insert AFTER INSERT ON invoice_lines
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();
CREATE TRIGGER invoice_lines_version_update AFTER UPDATE ON invoice_lines
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();
CREATE TRIGGER invoice_lines_version_delete AFTER DELETE ON invoice_lines
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();
CREATE TRIGGER report_amounts_version_insert AFTER INSERT ON report_amounts
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();
CREATE TRIGGER report_amounts_version_update AFTER UPDATE ON report_amounts
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();
CREATE TRIGGER report_amounts_version_delete AFTER DELETE ON report_amounts
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();
CREATE TRIGGER credit_notes_version_insert AFTER INSERT ON credit_notes
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();
CREATE TRIGGER credit_notes_version_update AFTER UPDATE ON credit_notes
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();
CREATE TRIGGER credit_notes_version_delete AFTER DELETE ON credit_notes
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();
CREATE TRIGGER bank_transactions_version_insert AFTER INSERT ON bank_transactions
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();
CREATE TRIGGER bank_transactions_version_update AFTER UPDATE ON bank_transactions
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();
CREATE TRIGGER bank_transactions_version_delete AFTER DELETE ON bank_transactions
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();
CREATE TRIGGER document_lines_version_insert AFTER INSERT ON document_lines
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();
CREATE TRIGGER document_lines_version_update AFTER UPDATE ON document_lines
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();
CREATE TRIGGER document_lines_version_delete AFTER DELETE ON document_lines
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();
CREATE TRIGGER fx_rates_version_insert AFTER INSERT ON fx_rates
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_group_version();
CREATE TRIGGER fx_rates_version_update AFTER UPDATE ON fx_rates
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_group_version();
CREATE TRIGGER fx_rates_version_delete AFTER DELETE ON fx_rates
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_group_version();
CREATE TRIGGER group_accounts_version_insert AFTER INSERT ON group_accounts
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_group_version();
CREATE TRIGGER group_accounts_version_update AFTER UPDATE ON group_accounts
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_group_version();
CREATE TRIGGER group_accounts_version_delete AFTER DELETE ON group_accounts
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_group_version();
CREATE TRIGGER account_mappings_version_insert AFTER INSERT ON account_mappings
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_group_version();
CREATE TRIGGER account_mappings_version_update AFTER UPDATE ON account_mappings
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_group_version();
CREATE TRIGGER account_mappings_version_delete AFTER DELETE ON account_mappings
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_group_version();
CREATE TRIGGER intercompany_contacts_version_insert AFTER INSERT ON intercompany_contacts
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_group_version();
CREATE TRIGGER intercompany_contacts_version_update AFTER UPDATE ON intercompany_contacts
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_group_version();
CREATE TRIGGER intercompany_contacts_version_delete AFTER DELETE ON intercompany_contacts
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_group_version();
CREATE TRIGGER entities_version_insert AFTER INSERT ON entities
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_group_version();
CREATE TRIGGER entities_version_update AFTER UPDATE ON entities
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_group_version();
CREATE TRIGGER entities_version_delete AFTER DELETE ON entities
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_group_version();
CREATE TRIGGER entity_ownership_version_insert AFTER INSERT ON entity_ownership
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_group_version();
CREATE TRIGGER entity_ownership_version_update AFTER UPDATE ON entity_ownership
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_group_version();
CREATE TRIGGER entity_ownership_version_delete AFTER DELETE ON entity_ownership
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_group_version();
CREATE TRIGGER groups_version_update BEFORE UPDATE OF name, presentation_currency, financial_year_end_month ON groups
    FOR EACH ROW EXECUTE FUNCTION consol_bump_own_version();
CREATE TRIGGER organisations_version_update BEFORE UPDATE OF name, legal_name, base_currency ON organisations
    FOR EACH ROW EXECUTE FUNCTION consol_bump_own_version();
