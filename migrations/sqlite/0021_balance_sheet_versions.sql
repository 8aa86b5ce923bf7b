-- The balance sheet joins the report service (issue 14): its data version
-- must also move with what only the balance sheet reads. Migration 0015
-- covered the P&L's tables; the intercompany balances also read payments,
-- allocations, overpayments, prepayments (synced, per organisation) and
-- the accounts a user marks intercompany (set-up, per group). Same rule:
-- triggers move the version in the transaction of the change.

CREATE TRIGGER payments_version_insert AFTER INSERT ON payments
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = NEW.organisation_id;
END;

CREATE TRIGGER payments_version_update AFTER UPDATE ON payments
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = NEW.organisation_id;
END;

CREATE TRIGGER payments_version_delete AFTER DELETE ON payments
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = OLD.organisation_id;
END;

CREATE TRIGGER allocations_version_insert AFTER INSERT ON allocations
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = NEW.organisation_id;
END;

CREATE TRIGGER allocations_version_update AFTER UPDATE ON allocations
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = NEW.organisation_id;
END;

CREATE TRIGGER allocations_version_delete AFTER DELETE ON allocations
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = OLD.organisation_id;
END;

CREATE TRIGGER overpayments_version_insert AFTER INSERT ON overpayments
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = NEW.organisation_id;
END;

CREATE TRIGGER overpayments_version_update AFTER UPDATE ON overpayments
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = NEW.organisation_id;
END;

CREATE TRIGGER overpayments_version_delete AFTER DELETE ON overpayments
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = OLD.organisation_id;
END;

CREATE TRIGGER prepayments_version_insert AFTER INSERT ON prepayments
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = NEW.organisation_id;
END;

CREATE TRIGGER prepayments_version_update AFTER UPDATE ON prepayments
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = NEW.organisation_id;
END;

CREATE TRIGGER prepayments_version_delete AFTER DELETE ON prepayments
BEGIN
    UPDATE organisations SET data_version = data_version + 1 WHERE id = OLD.organisation_id;
END;

CREATE TRIGGER intercompany_accounts_version_insert AFTER INSERT ON intercompany_accounts
BEGIN
    UPDATE groups SET data_version = data_version + 1 WHERE id = NEW.group_id;
END;

CREATE TRIGGER intercompany_accounts_version_update AFTER UPDATE ON intercompany_accounts
BEGIN
    UPDATE groups SET data_version = data_version + 1 WHERE id = NEW.group_id;
END;

CREATE TRIGGER intercompany_accounts_version_delete AFTER DELETE ON intercompany_accounts
BEGIN
    UPDATE groups SET data_version = data_version + 1 WHERE id = OLD.group_id;
END;
