-- A data version per group (issue 14): the report service keys what it
-- has consolidated by it. It moves in the same transaction as the change
-- that moves it, because triggers do the moving: every writer of the rows a
-- report reads is covered, present and future, without each store function
-- remembering to. A group's version is its own counter and its entities'
-- organisations' counters (synced data hangs off the organisation, which
-- several groups may share).

ALTER TABLE groups ADD COLUMN data_version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE organisations ADD COLUMN data_version INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER accounts_version_insert AFTER INSERT ON accounts
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = NEW.organisation_id;
END;
CREATE TRIGGER accounts_version_update AFTER UPDATE ON accounts
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = NEW.organisation_id;
END;
CREATE TRIGGER accounts_version_delete AFTER DELETE ON accounts
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = OLD.organisation_id;
END;
CREATE TRIGGER contacts_version_insert AFTER INSERT ON contacts
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = NEW.organisation_id;
END;
CREATE TRIGGER contacts_version_update AFTER UPDATE ON contacts
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = NEW.organisation_id;
END;
CREATE TRIGGER contacts_version_delete AFTER DELETE ON contacts
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = OLD.organisation_id;
END;
CREATE TRIGGER invoices_version_insert AFTER INSERT ON invoices
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = NEW.organisation_id;
END;
CREATE TRIGGER invoices_version_update AFTER UPDATE ON invoices
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = NEW.organisation_id;
END;
CREATE TRIGGER invoices_version_delete AFTER DELETE ON invoices
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = OLD.organisation_id;
END;
CREATE TRIGGER invoice_lines_version_insert AFTER INSERT ON invoice_lines
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = NEW.organisation_id;
END;
CREATE TRIGGER invoice_lines_version_update AFTER UPDATE ON invoice_lines
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = NEW.organisation_id;
END;
CREATE TRIGGER invoice_lines_version_delete AFTER DELETE ON invoice_lines
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = OLD.organisation_id;
END;
CREATE TRIGGER report_amounts_version_insert AFTER INSERT ON report_amounts
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = NEW.organisation_id;
END;
CREATE TRIGGER report_amounts_version_update AFTER UPDATE ON report_amounts
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = NEW.organisation_id;
END;
CREATE TRIGGER report_amounts_version_delete AFTER DELETE ON report_amounts
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = OLD.organisation_id;
END;
CREATE TRIGGER credit_notes_version_insert AFTER INSERT ON credit_notes
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = NEW.organisation_id;
END;
CREATE TRIGGER credit_notes_version_update AFTER UPDATE ON credit_notes
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = NEW.organisation_id;
END;
CREATE TRIGGER credit_notes_version_delete AFTER DELETE ON credit_notes
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = OLD.organisation_id;
END;
CREATE TRIGGER bank_transactions_version_insert AFTER INSERT ON bank_transactions
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = NEW.organisation_id;
END;
CREATE TRIGGER bank_transactions_version_update AFTER UPDATE ON bank_transactions
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = NEW.organisation_id;
END;
CREATE TRIGGER bank_transactions_version_delete AFTER DELETE ON bank_transactions
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = OLD.organisation_id;
END;
CREATE TRIGGER document_lines_version_insert AFTER INSERT ON document_lines
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = NEW.organisation_id;
END;
CREATE TRIGGER document_lines_version_update AFTER UPDATE ON document_lines
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = NEW.organisation_id;
END;
CREATE TRIGGER document_lines_version_delete AFTER DELETE ON document_lines
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = OLD.organisation_id;
END;
CREATE TRIGGER fx_rates_version_insert AFTER INSERT ON fx_rates
BEGIN
    UPDATE groups SET data_version = data_version + 1 WHERE id = NEW.group_id;
END;
CREATE TRIGGER fx_rates_version_update AFTER UPDATE ON fx_rates
BEGIN
    UPDATE groups SET data_version = data_version + 1 WHERE id = NEW.group_id;
END;
CREATE TRIGGER fx_rates_version_delete AFTER DELETE ON fx_rates
BEGIN
    UPDATE groups SET data_version = data_version + 1 WHERE id = OLD.group_id;
END;
CREATE TRIGGER group_accounts_version_insert AFTER INSERT ON group_accounts
BEGIN
    UPDATE groups SET data_version = data_version + 1 WHERE id = NEW.group_id;
END;
CREATE TRIGGER group_accounts_version_update AFTER UPDATE ON group_accounts
BEGIN
    UPDATE groups SET data_version = data_version + 1 WHERE id = NEW.group_id;
END;
CREATE TRIGGER group_accounts_version_delete AFTER DELETE ON group_accounts
BEGIN
    UPDATE groups SET data_version = data_version + 1 WHERE id = OLD.group_id;
END;
CREATE TRIGGER account_mappings_version_insert AFTER INSERT ON account_mappings
BEGIN
    UPDATE groups SET data_version = data_version + 1 WHERE id = NEW.group_id;
END;
CREATE TRIGGER account_mappings_version_update AFTER UPDATE ON account_mappings
BEGIN
    UPDATE groups SET data_version = data_version + 1 WHERE id = NEW.group_id;
END;
CREATE TRIGGER account_mappings_version_delete AFTER DELETE ON account_mappings
BEGIN
    UPDATE groups SET data_version = data_version + 1 WHERE id = OLD.group_id;
END;
CREATE TRIGGER intercompany_contacts_version_insert AFTER INSERT ON intercompany_contacts
BEGIN
    UPDATE groups SET data_version = data_version + 1 WHERE id = NEW.group_id;
END;
CREATE TRIGGER intercompany_contacts_version_update AFTER UPDATE ON intercompany_contacts
BEGIN
    UPDATE groups SET data_version = data_version + 1 WHERE id = NEW.group_id;
END;
CREATE TRIGGER intercompany_contacts_version_delete AFTER DELETE ON intercompany_contacts
BEGIN
    UPDATE groups SET data_version = data_version + 1 WHERE id = OLD.group_id;
END;
CREATE TRIGGER entities_version_insert AFTER INSERT ON entities
BEGIN
    UPDATE groups SET data_version = data_version + 1 WHERE id = NEW.group_id;
END;
CREATE TRIGGER entities_version_update AFTER UPDATE ON entities
BEGIN
    UPDATE groups SET data_version = data_version + 1 WHERE id = NEW.group_id;
END;
CREATE TRIGGER entities_version_delete AFTER DELETE ON entities
BEGIN
    UPDATE groups SET data_version = data_version + 1 WHERE id = OLD.group_id;
END;
CREATE TRIGGER entity_ownership_version_insert AFTER INSERT ON entity_ownership
BEGIN
    UPDATE groups SET data_version = data_version + 1 WHERE id = NEW.group_id;
END;
CREATE TRIGGER entity_ownership_version_update AFTER UPDATE ON entity_ownership
BEGIN
    UPDATE groups SET data_version = data_version + 1 WHERE id = NEW.group_id;
END;
CREATE TRIGGER entity_ownership_version_delete AFTER DELETE ON entity_ownership
BEGIN
    UPDATE groups SET data_version = data_version + 1 WHERE id = OLD.group_id;
END;
CREATE TRIGGER groups_version_update AFTER UPDATE OF name, presentation_currency, financial_year_end_month ON groups
BEGIN
    UPDATE groups SET data_version = data_version + 1 WHERE id = NEW.id;
END;
CREATE TRIGGER organisations_version_update AFTER UPDATE OF name, legal_name, base_currency ON organisations
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = NEW.id;
END;
