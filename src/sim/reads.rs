//! `GET` endpoints with Xero's query semantics: `where`, `order`, `IDs`,
//! `InvoiceNumbers`, `ContactIDs`, `Statuses`, `If-Modified-Since`,
//! `page`/`pageSize`, `summaryOnly`.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::error::ApiError;
use super::ledger::Ledger;
use super::query::{DEFAULT_PAGE_SIZE, Filter, MAX_PAGE_SIZE, Order, QValue, Queryable};
use crate::xero::*;

/// Most invoices one unpaged `GET /Invoices` may match.
pub const MAX_UNPAGED: usize = 100_000;

impl Queryable for Invoice {
    fn field(&self, n: &str) -> QValue {
        match n {
            "type" => self.invoice_type.map(|t| t.as_str()).into(),
            "status" => self.status.map(|s| s.as_str()).into(),
            "invoiceid" => self.invoice_id.into(),
            "invoicenumber" => self.invoice_number.as_deref().into(),
            "reference" => self.reference.as_deref().filter(|r| !r.is_empty()).into(),
            "date" => self.date.into(),
            "duedate" => self.due_date.into(),
            "updateddateutc" => self.updated_date_utc.into(),
            "fullypaidondate" => self.fully_paid_on_date.into(),
            "contact.contactid" | "contactid" => {
                self.contact.as_ref().and_then(|c| c.contact_id).into()
            }
            "contact.name" => self.contact.as_ref().and_then(|c| c.name.as_deref()).into(),
            "currencycode" => self.currency_code.map(|c| c.to_string()).into(),
            "currencyrate" => self.currency_rate.into(),
            "total" => self.total.into(),
            "subtotal" => self.sub_total.into(),
            "totaltax" => self.total_tax.into(),
            "amountdue" => self.amount_due.into(),
            "amountpaid" => self.amount_paid.into(),
            "amountcredited" => self.amount_credited.into(),
            "lineamounttypes" => self.line_amount_types.map(|t| t.as_str()).into(),
            "hasattachments" => self.has_attachments.into(),
            "senttocontact" => self.sent_to_contact.into(),
            "isdiscounted" => self.is_discounted.into(),
            _ => QValue::Null,
        }
    }
}

impl Queryable for Contact {
    fn field(&self, n: &str) -> QValue {
        match n {
            "contactid" => self.contact_id.into(),
            "name" => self.name.as_deref().into(),
            "contactstatus" => self.contact_status.as_deref().into(),
            "contactnumber" => self.contact_number.as_deref().into(),
            "accountnumber" => self.account_number.as_deref().into(),
            "firstname" => self.first_name.as_deref().into(),
            "lastname" => self.last_name.as_deref().into(),
            "emailaddress" => self.email_address.as_deref().into(),
            "taxnumber" => self.tax_number.as_deref().into(),
            "iscustomer" => self.is_customer.into(),
            "issupplier" => self.is_supplier.into(),
            "defaultcurrency" => self.default_currency.map(|c| c.to_string()).into(),
            "updateddateutc" => self.updated_date_utc.into(),
            _ => QValue::Null,
        }
    }
}

impl Queryable for Account {
    fn field(&self, n: &str) -> QValue {
        match n {
            "accountid" => self.account_id.into(),
            "code" => self.code.as_deref().into(),
            "name" => self.name.as_deref().into(),
            "status" => self.status.as_deref().into(),
            "type" => self.account_type.as_deref().into(),
            "class" => self.class.as_deref().into(),
            "taxtype" => self.tax_type.as_deref().into(),
            "systemaccount" => self.system_account.as_deref().into(),
            "reportingcode" => self.reporting_code.as_deref().into(),
            "bankaccountnumber" => self.bank_account_number.as_deref().into(),
            "enablepaymentstoaccount" => self.enable_payments_to_account.into(),
            "showinexpenseclaims" => self.show_in_expense_claims.into(),
            "currencycode" => self.currency_code.map(|c| c.to_string()).into(),
            "updateddateutc" => self.updated_date_utc.into(),
            _ => QValue::Null,
        }
    }
}

impl Queryable for ManualJournal {
    fn field(&self, n: &str) -> QValue {
        match n {
            "manualjournalid" => self.manual_journal_id.into(),
            "narration" => self.narration.as_deref().into(),
            "date" => self.date.into(),
            "status" => self.status.map(|s| s.as_str()).into(),
            "lineamounttypes" => self.line_amount_types.map(|t| t.as_str()).into(),
            "updateddateutc" => self.updated_date_utc.into(),
            _ => QValue::Null,
        }
    }
}

impl Queryable for Payment {
    fn field(&self, n: &str) -> QValue {
        match n {
            "paymentid" => self.payment_id.into(),
            "date" => self.date.into(),
            "status" => self.status.as_deref().into(),
            "paymenttype" => self.payment_type.as_deref().into(),
            "amount" => self.amount.into(),
            "bankamount" => self.bank_amount.into(),
            "currencyrate" => self.currency_rate.into(),
            "reference" => self.reference.as_deref().into(),
            "invoice.invoiceid" | "invoiceid" => {
                self.invoice.as_ref().and_then(|i| i.invoice_id).into()
            }
            "invoice.invoicenumber" | "invoicenumber" => self
                .invoice
                .as_ref()
                .and_then(|i| i.invoice_number.as_deref())
                .into(),
            "account.accountid" => self.account.as_ref().and_then(|a| a.account_id).into(),
            "account.code" => self.account.as_ref().and_then(|a| a.code.as_deref()).into(),
            "updateddateutc" => self.updated_date_utc.into(),
            _ => QValue::Null,
        }
    }
}

/// Query parameters shared by the list endpoints. Build it with
/// [`ListQuery::from_params`] from the raw query string pairs and the
/// `If-Modified-Since` header.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub filter: Option<Filter>,
    pub order: Option<Order>,
    pub ids: Vec<Uuid>,
    pub invoice_numbers: Vec<String>,
    pub contact_ids: Vec<Uuid>,
    pub statuses: Vec<String>,
    pub if_modified_since: Option<DateTime<Utc>>,
    pub page: Option<u32>,
    pub page_size: Option<u32>,
    pub summary_only: bool,
    pub include_archived: bool,
    pub search_term: Option<String>,
}

fn split_list(v: &str) -> impl Iterator<Item = &str> {
    v.split(',').map(str::trim).filter(|s| !s.is_empty())
}

fn uuid_list(v: &str, what: &str) -> Result<Vec<Uuid>, ApiError> {
    split_list(v)
        .map(|s| {
            Uuid::parse_str(s)
                .map_err(|_| ApiError::message(format!("'{s}' is not a valid {what}")))
        })
        .collect()
}

impl ListQuery {
    /// Parses query pairs (names case-insensitive: `where`, `order`, `IDs`,
    /// `InvoiceNumbers`, `ContactIDs`, `Statuses`, `page`, `pageSize`,
    /// `summaryOnly`, `includeArchived`, `searchTerm`; others ignored) and
    /// the `If-Modified-Since` header (HTTP date, ISO or Xero date).
    pub fn from_params(
        pairs: &[(String, String)],
        if_modified_since: Option<&str>,
    ) -> Result<Self, ApiError> {
        let mut q = ListQuery::default();
        for (k, v) in pairs {
            match k.to_ascii_lowercase().as_str() {
                "where" if !v.trim().is_empty() => {
                    q.filter = Some(Filter::parse(v).map_err(|e| ApiError::query(e.0))?)
                }
                "order" if !v.trim().is_empty() => {
                    q.order = Some(Order::parse(v).map_err(|e| ApiError::query(e.0))?)
                }
                "ids" => q.ids = uuid_list(v, "ID")?,
                "contactids" => q.contact_ids = uuid_list(v, "ContactID")?,
                "invoicenumbers" => q.invoice_numbers = split_list(v).map(String::from).collect(),
                "statuses" => q.statuses = split_list(v).map(|s| s.to_ascii_uppercase()).collect(),
                "page" => {
                    q.page = Some(
                        v.trim()
                            .parse::<u32>()
                            .map_err(|_| ApiError::message(format!("'{v}' is not a valid page")))?
                            .max(1),
                    )
                }
                "pagesize" => {
                    q.page_size = Some(
                        v.trim()
                            .parse::<u32>()
                            .map_err(|_| {
                                ApiError::message(format!("'{v}' is not a valid pageSize"))
                            })?
                            .clamp(1, MAX_PAGE_SIZE),
                    )
                }
                "summaryonly" => q.summary_only = v.trim().eq_ignore_ascii_case("true"),
                "includearchived" => q.include_archived = v.trim().eq_ignore_ascii_case("true"),
                "searchterm" if !v.trim().is_empty() => {
                    q.search_term = Some(v.trim().to_lowercase())
                }
                _ => {}
            }
        }
        if let Some(h) = if_modified_since {
            q.if_modified_since = Some(parse_http_date(h)?);
        }
        Ok(q)
    }

    pub(crate) fn modified(&self, d: Option<XeroDate>) -> bool {
        match (self.if_modified_since, d) {
            (Some(since), Some(d)) => d.utc() >= since,
            (Some(_), None) => false,
            (None, _) => true,
        }
    }
}

/// `If-Modified-Since`: RFC 2822/HTTP dates, ISO date-times or Xero dates.
pub fn parse_http_date(h: &str) -> Result<DateTime<Utc>, ApiError> {
    let t = h.trim();
    if let Ok(d) = DateTime::parse_from_rfc2822(t) {
        return Ok(d.with_timezone(&Utc));
    }
    if let Ok(d) = chrono::NaiveDateTime::parse_from_str(t, "%a, %d %b %Y %H:%M:%S GMT") {
        return Ok(d.and_utc());
    }
    XeroDate::parse(t)
        .map(|d| d.utc())
        .map_err(|_| ApiError::message(format!("'{t}' is not a valid If-Modified-Since date")))
}

/// Sorts, then pages when `page` is given; returns the page and its
/// `pagination`.
pub(crate) fn page_of<T: Queryable + Clone>(
    mut rows: Vec<&T>,
    q: &ListQuery,
    default_order: &Order,
    id_field: &str,
) -> (Vec<T>, Option<Pagination>) {
    let order = q.order.as_ref().unwrap_or(default_order);
    let tie = Order(vec![(id_field.to_string(), false)]);
    rows.sort_by(|a, b| order.compare(*a, *b).then_with(|| tie.compare(*a, *b)));
    match q.page {
        None => (rows.into_iter().cloned().collect(), None),
        Some(page) => {
            let size = q.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
            let count = rows.len() as u64;
            let start = ((page - 1) as u64 * size as u64).min(count) as usize;
            let end = (start + size as usize).min(rows.len());
            let items = rows[start..end].iter().map(|r| (*r).clone()).collect();
            let pagination = Pagination {
                page,
                page_size: size,
                page_count: count.div_ceil(size as u64) as u32,
                item_count: count,
            };
            (items, Some(pagination))
        }
    }
}

impl Ledger {
    /// `GET /Organisation`.
    pub fn get_organisation(&self) -> Organisations {
        Organisations::ok(
            Uuid::new_v4(),
            "Xero Simulator",
            self.now(),
            vec![self.org.clone()],
        )
    }

    /// `GET /Currencies`.
    pub fn get_currencies(&self) -> Currencies {
        Currencies::ok(
            Uuid::new_v4(),
            "Xero Simulator",
            self.now(),
            self.currencies.clone(),
        )
    }

    /// `GET /TrackingCategories` (active ones unless `include_archived`).
    pub fn get_tracking_categories(&self, include_archived: bool) -> TrackingCategories {
        let items = self
            .tracking
            .iter()
            .filter(|t| include_archived || t.status.as_deref() == Some("ACTIVE"))
            .cloned()
            .collect();
        TrackingCategories::ok(Uuid::new_v4(), "Xero Simulator", self.now(), items)
    }

    /// `GET /Accounts` (`where`, `order`, `If-Modified-Since`). Default order:
    /// Code.
    pub fn get_accounts(&self, q: &ListQuery) -> Accounts {
        let rows: Vec<&Account> = self
            .accounts
            .iter()
            .filter(|a| q.modified(a.updated_date_utc))
            .filter(|a| q.filter.as_ref().is_none_or(|f| f.matches(*a)))
            .collect();
        let (items, _) = page_of(
            rows,
            &ListQuery {
                page: None,
                ..q.clone()
            },
            &Order(vec![("code".into(), false)]),
            "accountid",
        );
        Accounts::ok(Uuid::new_v4(), "Xero Simulator", self.now(), items)
    }

    /// `GET /Accounts/{AccountID}`.
    pub fn get_account(&self, id: Uuid) -> Result<Accounts, ApiError> {
        let i = self.account_by_id.get(&id).ok_or(ApiError::NotFound)?;
        Ok(Accounts::ok(
            Uuid::new_v4(),
            "Xero Simulator",
            self.now(),
            vec![self.accounts[*i].clone()],
        ))
    }

    /// `GET /Invoices`. Without `page` every match comes back without line
    /// items (a 400 above 100,000 matches); with `page` (100 a page, up to
    /// `pageSize` 1000) line items are included unless `summaryOnly`. Default
    /// order: `UpdatedDateUTC ASC, InvoiceID ASC`.
    pub fn get_invoices(&self, q: &ListQuery) -> Result<Invoices, ApiError> {
        let statuses: Vec<InvoiceStatus> = q
            .statuses
            .iter()
            .filter_map(|s| InvoiceStatus::parse(s))
            .collect();
        let numbers: Vec<String> = q.invoice_numbers.iter().map(|n| n.to_lowercase()).collect();
        let rows: Vec<&Invoice> = self
            .invoices
            .iter()
            .filter(|i| q.ids.is_empty() || i.invoice_id.is_some_and(|id| q.ids.contains(&id)))
            .filter(|i| {
                numbers.is_empty()
                    || i.invoice_number
                        .as_deref()
                        .is_some_and(|n| numbers.contains(&n.to_lowercase()))
            })
            .filter(|i| {
                q.contact_ids.is_empty()
                    || i.contact
                        .as_ref()
                        .and_then(|c| c.contact_id)
                        .is_some_and(|c| q.contact_ids.contains(&c))
            })
            .filter(|i| q.statuses.is_empty() || i.status.is_some_and(|s| statuses.contains(&s)))
            .filter(|i| q.modified(i.updated_date_utc))
            .filter(|i| {
                q.search_term.as_deref().is_none_or(|t| {
                    i.invoice_number
                        .as_deref()
                        .is_some_and(|n| n.to_lowercase().contains(t))
                        || i.reference
                            .as_deref()
                            .is_some_and(|n| n.to_lowercase().contains(t))
                })
            })
            .filter(|i| q.filter.as_ref().is_none_or(|f| f.matches(*i)))
            .collect();
        if q.page.is_none() && rows.len() > MAX_UNPAGED {
            return Err(ApiError::message(
                "More than 100,000 invoices match this request; use paging (the page parameter) or filter further",
            ));
        }
        let default = Order(vec![
            ("updateddateutc".into(), false),
            ("invoiceid".into(), false),
        ]);
        let (mut items, pagination) = page_of(rows, q, &default, "invoiceid");
        if q.summary_only || q.page.is_none() {
            for i in items.iter_mut() {
                i.line_items = None;
            }
        }
        let mut env = Invoices::ok(Uuid::new_v4(), "Xero Simulator", self.now(), items);
        env.pagination = pagination;
        Ok(env)
    }

    /// `GET /Invoices/{InvoiceID or InvoiceNumber}`, with line items.
    pub fn get_invoice(&self, id_or_number: &str) -> Result<Invoices, ApiError> {
        let t = id_or_number.trim();
        let idx = match Uuid::parse_str(t) {
            Ok(id) => self.invoice_by_id.get(&id).copied(),
            Err(_) => self
                .accrec_numbers
                .get(&t.to_lowercase())
                .copied()
                .or_else(|| {
                    self.invoices
                        .iter()
                        .position(|i| i.invoice_number.as_deref() == Some(t))
                }),
        }
        .ok_or(ApiError::NotFound)?;
        Ok(Invoices::ok(
            Uuid::new_v4(),
            "Xero Simulator",
            self.now(),
            vec![self.invoices[idx].clone()],
        ))
    }

    /// `GET /Contacts`: ARCHIVED ones only with `includeArchived`; paged like
    /// invoices (100 a page) when `page` is given. Default order: Name.
    pub fn get_contacts(&self, q: &ListQuery) -> Result<Contacts, ApiError> {
        let rows: Vec<&Contact> = self
            .contacts
            .iter()
            .filter(|c| q.include_archived || c.contact_status.as_deref() != Some("ARCHIVED"))
            .filter(|c| q.ids.is_empty() || c.contact_id.is_some_and(|id| q.ids.contains(&id)))
            .filter(|c| q.modified(c.updated_date_utc))
            .filter(|c| {
                q.search_term.as_deref().is_none_or(|t| {
                    [
                        &c.name,
                        &c.first_name,
                        &c.last_name,
                        &c.email_address,
                        &c.contact_number,
                        &c.account_number,
                    ]
                    .iter()
                    .any(|f| f.as_deref().is_some_and(|v| v.to_lowercase().contains(t)))
                })
            })
            .filter(|c| q.filter.as_ref().is_none_or(|f| f.matches(*c)))
            .collect();
        let default = Order(vec![("name".into(), false)]);
        let (items, pagination) = page_of(rows, q, &default, "contactid");
        let mut env = Contacts::ok(Uuid::new_v4(), "Xero Simulator", self.now(), items);
        env.pagination = pagination;
        Ok(env)
    }

    /// `GET /Contacts/{ContactID}`.
    pub fn get_contact(&self, id: Uuid) -> Result<Contacts, ApiError> {
        let i = self.contact_by_id.get(&id).ok_or(ApiError::NotFound)?;
        Ok(Contacts::ok(
            Uuid::new_v4(),
            "Xero Simulator",
            self.now(),
            vec![self.contacts[*i].clone()],
        ))
    }

    /// `GET /ManualJournals`: paged (100 a page) when `page` is given.
    /// Default order: `UpdatedDateUTC ASC`.
    pub fn get_manual_journals(&self, q: &ListQuery) -> Result<ManualJournals, ApiError> {
        let rows: Vec<&ManualJournal> = self
            .journals
            .iter()
            .filter(|j| q.modified(j.updated_date_utc))
            .filter(|j| q.filter.as_ref().is_none_or(|f| f.matches(*j)))
            .collect();
        let default = Order(vec![("updateddateutc".into(), false)]);
        let (items, pagination) = page_of(rows, q, &default, "manualjournalid");
        let mut env = ManualJournals::ok(Uuid::new_v4(), "Xero Simulator", self.now(), items);
        env.pagination = pagination;
        Ok(env)
    }

    /// `GET /Payments`: every payment on an invoice, paged (100 a page, up
    /// to `pageSize` 1000) when `page` is given; `where`, `order`,
    /// `If-Modified-Since`. Default order: `UpdatedDateUTC ASC`.
    pub fn get_payments(&self, q: &ListQuery) -> Result<Payments, ApiError> {
        let rows: Vec<&Payment> = self
            .invoices
            .iter()
            .flat_map(|i| i.payments.iter().flatten())
            .filter(|p| q.ids.is_empty() || p.payment_id.is_some_and(|id| q.ids.contains(&id)))
            .filter(|p| q.modified(p.updated_date_utc))
            .filter(|p| q.filter.as_ref().is_none_or(|f| f.matches(*p)))
            .collect();
        let default = Order(vec![("updateddateutc".into(), false)]);
        let (items, pagination) = page_of(rows, q, &default, "paymentid");
        let mut env = Payments::ok(Uuid::new_v4(), "Xero Simulator", self.now(), items);
        env.pagination = pagination;
        Ok(env)
    }

    /// `GET /Payments/{PaymentID}`.
    pub fn get_payment(&self, id: Uuid) -> Result<Payments, ApiError> {
        let p = self
            .invoices
            .iter()
            .flat_map(|i| i.payments.iter().flatten())
            .find(|p| p.payment_id == Some(id))
            .ok_or(ApiError::NotFound)?;
        Ok(Payments::ok(
            Uuid::new_v4(),
            "Xero Simulator",
            self.now(),
            vec![p.clone()],
        ))
    }

    /// `GET /ManualJournals/{ManualJournalID}`.
    pub fn get_manual_journal(&self, id: Uuid) -> Result<ManualJournals, ApiError> {
        let i = self.journal_by_id.get(&id).ok_or(ApiError::NotFound)?;
        Ok(ManualJournals::ok(
            Uuid::new_v4(),
            "Xero Simulator",
            self.now(),
            vec![self.journals[*i].clone()],
        ))
    }
}
