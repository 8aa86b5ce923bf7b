-- The balance sheet joins the report service (issue 14): its data version
-- must also move with what only the balance sheet reads. Migration 0015
-- covered the P&L's tables; the intercompany balances also read payments,
-- allocations, overpayments, prepayments (synced, per organisation) and
-- the accounts a user marks intercompany (set-up, per group). Same rule:
-- triggers move the version in the transaction of the change.

CREATE TRIGGER payments_version_insert AFTER INSERT ON payments
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();

CREATE TRIGGER payments_version_update AFTER UPDATE ON payments
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();

CREATE TRIGGER payments_version_delete AFTER DELETE ON payments
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();

CREATE TRIGGER allocations_version_insert AFTER INSERT ON allocations
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();

CREATE TRIGGER allocations_version_update AFTER UPDATE ON allocations
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();

CREATE TRIGGER allocations_version_delete AFTER DELETE ON allocations
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();

CREATE TRIGGER overpayments_version_insert AFTER INSERT ON overpayments
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();

CREATE TRIGGER overpayments_version_update AFTER UPDATE ON overpayments
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();

CREATE TRIGGER overpayments_version_delete AFTER DELETE ON overpayments
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();

CREATE TRIGGER prepayments_version_insert AFTER INSERT ON prepayments
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();

CREATE TRIGGER prepayments_version_update AFTER UPDATE ON prepayments
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();

CREATE TRIGGER prepayments_version_delete AFTER DELETE ON prepayments
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_organisation_version();

CREATE TRIGGER intercompany_accounts_version_insert AFTER INSERT ON intercompany_accounts
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_group_version();

CREATE TRIGGER intercompany_accounts_version_update AFTER UPDATE ON intercompany_accounts
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_group_version();

CREATE TRIGGER intercompany_accounts_version_delete AFTER DELETE ON intercompany_accounts
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION consol_bump_group_version();
