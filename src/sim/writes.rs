//! Writes other than invoices: Accounts, Contacts, ManualJournals,
//! Currencies and TrackingCategories.

use rust_decimal::Decimal;
use uuid::Uuid;

use super::chart;
use super::error::ApiError;
use super::invoices::MAX_PER_REQUEST;
use super::ledger::{Ledger, Method, Replay, WriteOptions, currency_name, lower};
use crate::domain::CurrencyCode;
use crate::xero::*;

impl Ledger {
    /// `PUT /Accounts`: creates one account. `Code` (up to 10 characters)
    /// and `Name` must be unique; `Type` must be one of Xero's types; the
    /// `Class` follows from the type.
    pub fn put_account(&mut self, a: Account, opts: &WriteOptions) -> Result<Accounts, ApiError> {
        self.idempotent(
            opts.idempotency_key.as_deref(),
            Replay::Accounts,
            |r| match r {
                Replay::Accounts(x) => Some(x.clone()),
                _ => None,
            },
            |l| l.write_account(None, a),
        )
    }

    /// `POST /Accounts/{AccountID}`: updates name, code, description, tax
    /// type, status (ACTIVE or ARCHIVED) or reporting code.
    pub fn post_account(
        &mut self,
        id: Uuid,
        a: Account,
        opts: &WriteOptions,
    ) -> Result<Accounts, ApiError> {
        if !self.account_by_id.contains_key(&id) {
            return Err(ApiError::NotFound);
        }
        self.idempotent(
            opts.idempotency_key.as_deref(),
            Replay::Accounts,
            |r| match r {
                Replay::Accounts(x) => Some(x.clone()),
                _ => None,
            },
            |l| l.write_account(Some(id), a),
        )
    }

    fn write_account(&mut self, id: Option<Uuid>, a: Account) -> Result<Accounts, ApiError> {
        let existing = id.and_then(|id| self.account_by_id.get(&id).copied());
        let mut m = match existing {
            Some(i) => self.accounts[i].clone(),
            None => Account::default(),
        };
        macro_rules! take {
            ($($f:ident),*) => { $( if a.$f.is_some() { m.$f = a.$f.clone(); } )* };
        }
        take!(
            code,
            name,
            description,
            tax_type,
            status,
            reporting_code,
            bank_account_number,
            enable_payments_to_account,
            show_in_expense_claims,
            add_to_watchlist,
            currency_code
        );
        if existing.is_none() {
            m.account_type = a.account_type.clone();
        }
        let mut errors = Vec::new();
        let code = m.code.clone().unwrap_or_default();
        let name = m.name.clone().unwrap_or_default();
        let ty = m.account_type.clone().unwrap_or_default().to_uppercase();
        if code.trim().is_empty() {
            errors.push("Please enter a Code.".to_string());
        } else if code.chars().count() > 10 {
            errors.push("The Code must be no longer than 10 characters.".into());
        } else if let Some(&i) = self.account_by_code.get(&lower(&code))
            && Some(i) != existing
        {
            errors.push("Please enter a unique Code.".into());
        }
        if name.trim().is_empty() {
            errors.push("Please enter a Name.".into());
        } else if self.accounts.iter().enumerate().any(|(i, x)| {
            Some(i) != existing && x.name.as_deref().is_some_and(|n| lower(n) == lower(&name))
        }) {
            errors.push("Please enter a unique Name.".into());
        }
        let class = chart::classify(&ty).map(|(c, _)| c);
        if class.is_none() {
            errors.push(format!("Account Type '{ty}' is not valid."));
        }
        if let Some(t) = m.tax_type.as_deref()
            && self.tax_rate(t).is_none()
        {
            errors.push(format!("The TaxType code '{t}' does not exist or cannot be used for this type of transaction."));
        }
        if let Some(s) = m.status.as_deref()
            && !matches!(s, "ACTIVE" | "ARCHIVED")
        {
            errors.push(format!("Account status '{s}' is not valid."));
        }
        if !errors.is_empty() {
            let mut echo = a;
            echo.validation_errors = Some(errors.into_iter().map(ValidationError::new).collect());
            return Err(ApiError::BadRequest(ApiException::validation(vec![
                serde_json::to_value(echo).unwrap_or_default(),
            ])));
        }
        m.account_type = Some(ty.clone());
        m.class = class.map(Into::into);
        m.status = Some(m.status.unwrap_or_else(|| "ACTIVE".into()));
        m.tax_type = Some(m.tax_type.unwrap_or_else(|| "NONE".into()));
        m.enable_payments_to_account = Some(m.enable_payments_to_account.unwrap_or(false));
        m.show_in_expense_claims = Some(m.show_in_expense_claims.unwrap_or(false));
        m.has_attachments = Some(false);
        m.add_to_watchlist = Some(m.add_to_watchlist.unwrap_or(false));
        m.updated_date_utc = Some(self.now());
        if ty == "BANK" {
            m.bank_account_type = Some("BANK".into());
            m.currency_code = Some(m.currency_code.unwrap_or(self.base));
        }
        let out = match existing {
            Some(i) => {
                if let Some(old) = self.accounts[i].code.clone() {
                    self.account_by_code.remove(&lower(&old));
                }
                self.account_by_code.insert(lower(&code), i);
                self.accounts[i] = m;
                self.accounts[i].clone()
            }
            None => {
                m.account_id = Some(self.rng.uuid());
                let i = self.insert_account(m);
                self.accounts[i].clone()
            }
        };
        Ok(Accounts::ok(
            Uuid::new_v4(),
            "Xero Simulator",
            self.now(),
            vec![out],
        ))
    }

    /// `PUT`/`POST /Contacts`: creates (and with POST updates by
    /// `ContactID`) contacts. Names must be unique among active contacts.
    pub fn write_contacts(
        &mut self,
        method: Method,
        items: Vec<Contact>,
        opts: &WriteOptions,
    ) -> Result<Contacts, ApiError> {
        self.idempotent(
            opts.idempotency_key.as_deref(),
            Replay::Contacts,
            |r| match r {
                Replay::Contacts(x) => Some(x.clone()),
                _ => None,
            },
            |l| l.write_contacts_now(method, items, opts.summarize_errors),
        )
    }

    fn write_contacts_now(
        &mut self,
        method: Method,
        items: Vec<Contact>,
        summarize: bool,
    ) -> Result<Contacts, ApiError> {
        if items.is_empty() || items.len() > MAX_PER_REQUEST {
            return Err(ApiError::message(format!(
                "Between 1 and {MAX_PER_REQUEST} contacts can be submitted in one request"
            )));
        }
        let mut out = Vec::new();
        let mut any_error = false;
        for c in items {
            match self.apply_contact(method, c.clone()) {
                Ok(mut stored) => {
                    if !summarize {
                        stored.status_attribute_string = Some("OK".into());
                    }
                    out.push(stored);
                }
                Err(m) => {
                    any_error = true;
                    let mut echo = c;
                    echo.has_validation_errors = Some(true);
                    echo.validation_errors = Some(vec![ValidationError::new(m)]);
                    if !summarize {
                        echo.status_attribute_string = Some("ERROR".into());
                    }
                    out.push(echo);
                }
            }
        }
        if any_error && summarize {
            let elements = out
                .iter()
                .map(|x| serde_json::to_value(x).unwrap_or_default())
                .collect();
            return Err(ApiError::BadRequest(ApiException::validation(elements)));
        }
        Ok(Contacts::ok(
            Uuid::new_v4(),
            "Xero Simulator",
            self.now(),
            out,
        ))
    }

    fn apply_contact(&mut self, method: Method, c: Contact) -> Result<Contact, String> {
        let existing = match (c.contact_id, method) {
            (Some(id), Method::Post) => Some(
                *self
                    .contact_by_id
                    .get(&id)
                    .ok_or(format!("Contact with ContactID {id} could not be found"))?,
            ),
            (Some(id), Method::Put) if self.contact_by_id.contains_key(&id) => {
                return Err(format!(
                    "A contact with ContactID {id} already exists; use POST to update it"
                ));
            }
            _ => None,
        };
        let mut m = match existing {
            Some(i) => self.contacts[i].clone(),
            None => Contact::default(),
        };
        macro_rules! take {
            ($($f:ident),*) => { $( if c.$f.is_some() { m.$f = c.$f.clone(); } )* };
        }
        take!(
            contact_number,
            account_number,
            contact_status,
            name,
            first_name,
            last_name,
            email_address,
            tax_number,
            default_currency,
            addresses,
            phones,
            contact_groups,
            contact_persons,
            is_customer,
            is_supplier
        );
        let name = m.name.clone().unwrap_or_default();
        if name.trim().is_empty() {
            return Err("The contact name must be specified.".into());
        }
        let status = m.contact_status.clone().unwrap_or_else(|| "ACTIVE".into());
        if !matches!(status.as_str(), "ACTIVE" | "ARCHIVED" | "GDPRREQUEST") {
            return Err(format!("Contact status '{status}' is not valid."));
        }
        if status == "ACTIVE"
            && let Some(&i) = self.contact_by_name.get(&lower(&name))
            && Some(i) != existing
        {
            return Err(format!(
                "The contact name {name} is already assigned to another contact. The contact name must be unique across all active contacts."
            ));
        }
        if let Some(cur) = m.default_currency
            && !self.is_subscribed(cur)
        {
            return Err(format!("Organisation is not subscribed to currency {cur}"));
        }
        m.contact_status = Some(status);
        let i = match existing {
            Some(i) => {
                if let Some(old) = self.contacts[i].name.clone()
                    && self.contact_by_name.get(&lower(&old)) == Some(&i)
                {
                    self.contact_by_name.remove(&lower(&old));
                }
                self.contacts[i] = m;
                self.contacts[i].updated_date_utc = Some(self.now());
                if self.contacts[i].contact_status.as_deref() == Some("ACTIVE") {
                    self.contact_by_name.insert(lower(&name), i);
                }
                i
            }
            None => self.create_contact_record(m),
        };
        Ok(self.contacts[i].clone())
    }

    /// Stores a new contact (already validated) and returns its index.
    pub(crate) fn create_contact_record(&mut self, mut m: Contact) -> usize {
        let id = self.rng.uuid();
        m.contact_id = Some(id);
        m.contact_status = Some(m.contact_status.unwrap_or_else(|| "ACTIVE".into()));
        m.is_customer = Some(m.is_customer.unwrap_or(false));
        m.is_supplier = Some(m.is_supplier.unwrap_or(false));
        m.addresses = Some(m.addresses.unwrap_or_default());
        m.phones = Some(m.phones.unwrap_or_default());
        m.contact_groups = Some(m.contact_groups.unwrap_or_default());
        m.contact_persons = Some(m.contact_persons.unwrap_or_default());
        m.has_validation_errors = Some(false);
        m.updated_date_utc = Some(self.now());
        let i = self.contacts.len();
        if m.contact_status.as_deref() == Some("ACTIVE")
            && let Some(n) = &m.name
        {
            self.contact_by_name.insert(lower(n), i);
        }
        self.contacts.push(m);
        self.contact_by_id.insert(id, i);
        i
    }

    /// `PUT`/`POST /ManualJournals`. Lines are in base currency, debit
    /// positive; they must balance. POSTED journals post to the ledger.
    /// Transitions: DRAFT to DRAFT, POSTED or DELETED; POSTED to POSTED or
    /// VOIDED.
    pub fn write_manual_journals(
        &mut self,
        method: Method,
        items: Vec<ManualJournal>,
        opts: &WriteOptions,
    ) -> Result<ManualJournals, ApiError> {
        self.idempotent(
            opts.idempotency_key.as_deref(),
            Replay::ManualJournals,
            |r| match r {
                Replay::ManualJournals(x) => Some(x.clone()),
                _ => None,
            },
            |l| l.write_journals_now(method, items, opts.summarize_errors),
        )
    }

    fn write_journals_now(
        &mut self,
        method: Method,
        items: Vec<ManualJournal>,
        summarize: bool,
    ) -> Result<ManualJournals, ApiError> {
        if items.is_empty() || items.len() > MAX_PER_REQUEST {
            return Err(ApiError::message(format!(
                "Between 1 and {MAX_PER_REQUEST} manual journals can be submitted in one request"
            )));
        }
        let mut out = Vec::new();
        let mut any_error = false;
        for j in items {
            match self.apply_journal(method, j.clone()) {
                Ok(mut stored) => {
                    if !summarize {
                        stored.status_attribute_string = Some("OK".into());
                    }
                    out.push(stored);
                }
                Err(errors) => {
                    any_error = true;
                    let mut echo = j;
                    echo.validation_errors =
                        Some(errors.into_iter().map(ValidationError::new).collect());
                    if !summarize {
                        echo.status_attribute_string = Some("ERROR".into());
                    }
                    out.push(echo);
                }
            }
        }
        if any_error && summarize {
            let elements = out
                .iter()
                .map(|x| serde_json::to_value(x).unwrap_or_default())
                .collect();
            return Err(ApiError::BadRequest(ApiException::validation(elements)));
        }
        Ok(ManualJournals::ok(
            Uuid::new_v4(),
            "Xero Simulator",
            self.now(),
            out,
        ))
    }

    fn apply_journal(
        &mut self,
        method: Method,
        j: ManualJournal,
    ) -> Result<ManualJournal, Vec<String>> {
        let existing = match (j.manual_journal_id, method) {
            (Some(id), Method::Post) => Some(*self.journal_by_id.get(&id).ok_or(vec![format!(
                "Manual journal with ManualJournalID {id} could not be found"
            )])?),
            (Some(id), Method::Put) if self.journal_by_id.contains_key(&id) => {
                return Err(vec![format!(
                    "A manual journal with ManualJournalID {id} already exists; use POST to update it"
                )]);
            }
            _ => None,
        };
        use ManualJournalStatus::*;
        let from = existing.and_then(|i| self.journals[i].status);
        let mut m = match existing {
            Some(i) => self.journals[i].clone(),
            None => ManualJournal::default(),
        };
        let to = j.status.or(from).unwrap_or(Draft);
        let ok = match from {
            None => matches!(to, Draft | Posted),
            Some(Draft) => matches!(to, Draft | Posted | Deleted),
            Some(Posted) => matches!(to, Posted | Voided),
            _ => false,
        };
        if !ok {
            return Err(vec![
                "Manual journal not of valid status for modification".into(),
            ]);
        }
        macro_rules! take {
            ($($f:ident),*) => { $( if j.$f.is_some() { m.$f = j.$f.clone(); } )* };
        }
        take!(
            narration,
            journal_lines,
            date,
            line_amount_types,
            url,
            show_on_cash_basis_reports
        );
        m.status = Some(to);
        let mut errors = Vec::new();
        if m.narration.as_deref().is_none_or(|n| n.trim().is_empty()) {
            errors.push("Narration must not be empty".to_string());
        }
        let mut lines = m.journal_lines.take().unwrap_or_default();
        // Lines on unknown accounts are dropped with a warning, as Xero does.
        let mut warnings = Vec::new();
        lines.retain(|l| {
            let known = self
                .account_index(l.account_id, l.account_code.as_deref())
                .is_some();
            if !known {
                warnings.push(ValidationError::new(format!(
                    "Account code '{}' has been removed as it does not match a recognised account.",
                    l.account_code.clone().unwrap_or_default()
                )));
            }
            known
        });
        if lines.len() < 2 && to == Posted {
            errors.push("At least two journal lines must be specified".into());
        }
        let (mut dr, mut cr) = (Decimal::ZERO, Decimal::ZERO);
        for l in lines.iter_mut() {
            let amount = num::round2(l.line_amount.unwrap_or_default());
            l.line_amount = Some(amount);
            if amount > Decimal::ZERO {
                dr += amount;
            } else {
                cr += amount;
            }
            if let Some(i) = self.account_index(l.account_id, l.account_code.as_deref()) {
                l.account_code = self.accounts[i].code.clone();
                l.account_id = self.accounts[i].account_id;
            }
            l.tax_type = Some("NONE".into());
            l.tax_amount = Some(num::round2(Decimal::ZERO));
            let mut tracking = l.tracking.take().unwrap_or_default();
            self.resolve_tracking(&mut tracking, &mut errors);
            l.tracking = Some(tracking);
            l.is_blank = Some(amount.is_zero());
        }
        if dr != -cr {
            // Xero writes the credits as a negative number.
            errors.push(format!(
                "The total debits ({}) must equal total credits ({})",
                num::round2(dr),
                num::round2(cr)
            ));
        }
        m.warnings = (!warnings.is_empty()).then_some(warnings);
        if !errors.is_empty() {
            return Err(errors);
        }
        m.journal_lines = Some(lines);
        m.date = Some(
            m.date
                .map(|d| XeroDate::from_date(d.date()))
                .unwrap_or(XeroDate::from_date(self.today())),
        );
        m.line_amount_types = Some(LineAmountTypes::NoTax);
        m.show_on_cash_basis_reports = Some(m.show_on_cash_basis_reports.unwrap_or(true));
        m.has_attachments = Some(false);
        m.updated_date_utc = Some(self.now());
        m.validation_errors = None;
        m.status_attribute_string = None;
        let i = match existing {
            Some(i) => {
                self.journals[i] = m;
                i
            }
            None => {
                let id = self.rng.uuid();
                m.manual_journal_id = Some(id);
                let i = self.journals.len();
                self.journals.push(m);
                self.journal_by_id.insert(id, i);
                i
            }
        };
        Ok(self.journals[i].clone())
    }

    /// `PUT /Currencies`: subscribes the organisation to a currency.
    pub fn put_currency(&mut self, c: Currency) -> Result<Currencies, ApiError> {
        let code: CurrencyCode = c
            .code
            .ok_or_else(|| ApiError::message("Currency code must be specified"))?;
        if !self.is_subscribed(code) {
            self.currencies.push(Currency {
                code: Some(code),
                description: Some(c.description.unwrap_or_else(|| currency_name(code).into())),
            });
        }
        let out = self
            .currencies
            .iter()
            .filter(|x| x.code == Some(code))
            .cloned()
            .collect();
        Ok(Currencies::ok(
            Uuid::new_v4(),
            "Xero Simulator",
            self.now(),
            out,
        ))
    }

    /// `PUT /TrackingCategories`: a new category (names unique).
    pub fn put_tracking_category(&mut self, name: &str) -> Result<TrackingCategories, ApiError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(ApiError::message(
                "Tracking category name must be specified",
            ));
        }
        if self
            .tracking
            .iter()
            .any(|t| t.name.as_deref().is_some_and(|n| lower(n) == lower(name)))
        {
            return Err(ApiError::message(
                "For each specified tracking category name must be unique",
            ));
        }
        let active = self
            .tracking
            .iter()
            .filter(|t| t.status.as_deref() == Some("ACTIVE"))
            .count();
        if active >= 2 {
            return Err(ApiError::message(
                "You can only have 2 active tracking categories",
            ));
        }
        let cat = TrackingCategory {
            tracking_category_id: Some(self.rng.uuid()),
            name: Some(name.into()),
            status: Some("ACTIVE".into()),
            options: Some(vec![]),
            ..Default::default()
        };
        self.tracking.push(cat.clone());
        Ok(TrackingCategories::ok(
            Uuid::new_v4(),
            "Xero Simulator",
            self.now(),
            vec![cat],
        ))
    }

    /// `PUT /TrackingCategories/{id}/Options`: adds an option.
    pub fn put_tracking_option(
        &mut self,
        category: Uuid,
        name: &str,
    ) -> Result<TrackingCategories, ApiError> {
        let id = self.rng.uuid();
        let t = self
            .tracking
            .iter_mut()
            .find(|t| t.tracking_category_id == Some(category))
            .ok_or(ApiError::NotFound)?;
        let opts = t.options.get_or_insert_with(Vec::new);
        if opts
            .iter()
            .any(|o| o.name.as_deref().is_some_and(|n| lower(n) == lower(name)))
        {
            return Err(ApiError::message(
                "For each specified tracking option name must be unique",
            ));
        }
        opts.push(TrackingOption {
            tracking_option_id: Some(id),
            name: Some(name.trim().into()),
            status: Some("ACTIVE".into()),
            tracking_category_id: Some(category),
        });
        let cat = t.clone();
        Ok(TrackingCategories::ok(
            Uuid::new_v4(),
            "Xero Simulator",
            self.now(),
            vec![cat],
        ))
    }
}
