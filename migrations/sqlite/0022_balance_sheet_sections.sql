-- Group accounts of class ASSET, LIABILITY and EQUITY carry the section of
-- Xero's balance sheet they show under (issue 12), not the single
-- "Balance Sheet" of earlier versions. Each such account takes the section
-- Xero gives the type of an entity account mapped to it (a confirmed
-- mapping first; an account copied from an entity's chart is mapped,
-- confirmed, from its original), if that type fits the account's class;
-- otherwise its class's default: Current Assets, Current Liabilities or
-- Equity. The type-to-section table is docs/consolidation-choices.md's
-- (and engine::AccountSection::of_balance_sheet_type's). Each group whose
-- accounts changed gets an audit entry saying so.

INSERT INTO audit_log (at, user_id, group_id, action, detail)
SELECT strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now'), NULL, group_id, 'chart.sections',
       'upgrade: ' || COUNT(*) || ' balance-sheet group account(s) given the section of Xero''s balance sheet that the type of an entity account mapped to them has (else Current Assets, Current Liabilities or Equity by class), instead of the single "Balance Sheet"'
FROM group_accounts
WHERE section = 'Balance Sheet' AND class IN ('ASSET', 'LIABILITY', 'EQUITY')
GROUP BY group_id;

UPDATE group_accounts
SET section = COALESCE(
    (SELECT CASE
                WHEN group_accounts.class = 'EQUITY' THEN 'Equity'
                WHEN a.account_type = 'BANK' THEN 'Bank'
                WHEN a.account_type IN ('CURRENT', 'INVENTORY', 'PREPAYMENT') THEN 'Current Assets'
                WHEN a.account_type = 'FIXED' THEN 'Fixed Assets'
                WHEN a.account_type = 'NONCURRENT' THEN 'Non-current Assets'
                WHEN a.account_type = 'TERMLIAB' THEN 'Non-current Liabilities'
                ELSE 'Current Liabilities'
            END
     FROM account_mappings m
     JOIN accounts a ON a.organisation_id = m.organisation_id AND a.account_id = m.account_id
     WHERE m.group_account_id = group_accounts.id
       AND ((group_accounts.class = 'ASSET'
             AND a.account_type IN ('BANK', 'CURRENT', 'INVENTORY', 'PREPAYMENT', 'FIXED', 'NONCURRENT'))
         OR (group_accounts.class = 'LIABILITY'
             AND a.account_type IN ('CURRLIAB', 'LIABILITY', 'PAYGLIABILITY', 'SUPERANNUATIONLIABILITY', 'TERMLIAB'))
         OR (group_accounts.class = 'EQUITY' AND a.account_type = 'EQUITY'))
     ORDER BY m.confirmed DESC, m.organisation_id, m.account_id
     LIMIT 1),
    CASE class
        WHEN 'ASSET' THEN 'Current Assets'
        WHEN 'LIABILITY' THEN 'Current Liabilities'
        ELSE 'Equity'
    END)
WHERE section = 'Balance Sheet' AND class IN ('ASSET', 'LIABILITY', 'EQUITY');
