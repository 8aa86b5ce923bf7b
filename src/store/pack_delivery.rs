//! Month-end pack schedules (one per group) and the delivery log. A
//! delivery row is created once per schedule, month, version and kind (a
//! unique key): whichever worker inserts it owns it, so a pack is sent once
//! however many schedulers tick. Its status moves draft -> queued ->
//! sending -> sent; `sending` is committed before the SMTP conversation, so
//! a worker that finds its own delivery still `sending` knows a crash cut
//! the send short and marks it `uncertain` instead of sending again.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::types::Dec;

use super::audit::{AuditEntry, insert_audit};
use super::{BeginWrite, Store, StoreResult, on_pool};
use crate::domain::Month;

/// A group's schedule, as stored (validated by `month_end::schedule`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PackSchedule {
    pub id: i64,
    pub group_id: i64,
    pub business_day: i32,
    /// `HH:MM`, local to `time_zone` when set, else to `utc_offset_minutes`.
    pub send_at: String,
    pub utc_offset_minutes: i32,
    /// An IANA zone (`Pacific/Auckland`); None for schedules with a fixed
    /// offset only (those written before migration 0020).
    pub time_zone: Option<String>,
    /// Addresses, one per line.
    pub recipients: String,
    /// Formats, comma-separated (`xlsx`, `json`, `pdf`).
    pub formats: String,
    pub approval_required: bool,
    pub owner_id: Option<i64>,
    pub owner_email: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl PackSchedule {
    pub fn recipient_list(&self) -> Vec<String> {
        self.recipients
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    }

    pub fn format_list(&self) -> Vec<String> {
        self.formats
            .split(',')
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .map(str::to_string)
            .collect()
    }
}

/// The fields a schedule is written with.
#[derive(Debug, Clone)]
pub struct ScheduleWrite {
    pub business_day: i32,
    pub send_at: String,
    pub utc_offset_minutes: i32,
    pub time_zone: Option<String>,
    pub recipients: Vec<String>,
    pub formats: Vec<String>,
    pub approval_required: bool,
}

/// One line of the delivery log.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Delivery {
    pub id: i64,
    pub schedule_id: i64,
    pub group_id: i64,
    pub month: Month,
    /// The pack's version; 0 for a "held" notice.
    pub version: i32,
    /// `pack`, `held` or `restated`.
    pub kind: String,
    /// `draft`, `queued`, `sending`, `sent`, `failed` or `uncertain`.
    pub status: String,
    /// Addresses, one per line.
    pub recipients: String,
    /// Why it is held, or what was restated.
    pub detail: String,
    pub attempts: i32,
    /// The SMTP server's last reply (or the outbox file written).
    pub last_reply: Option<String>,
    pub approved_by_email: Option<String>,
    pub approved_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
}

impl Delivery {
    pub fn recipient_list(&self) -> Vec<String> {
        self.recipients
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    }
}

/// A delivery to create (`ON CONFLICT DO NOTHING` on its key).
#[derive(Debug, Clone)]
pub struct NewDelivery<'a> {
    pub schedule_id: i64,
    pub group_id: i64,
    pub month: Month,
    pub version: i32,
    pub kind: &'a str,
    pub status: &'a str,
    pub recipients: &'a [String],
    pub detail: &'a str,
}

/// What taking a delivery for sending found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Take {
    /// Now `sending`: send it.
    Send(Box<Delivery>),
    /// It was already `sending`: a send was cut short (crash); it is now
    /// `uncertain` and must not be sent again by itself.
    WasSending,
    /// Sent, uncertain, a draft or gone: nothing to do.
    Nothing,
}

const SCHEDULE_COLUMNS: &str = "s.id, s.group_id, s.business_day, s.send_at, s.utc_offset_minutes, \
     s.time_zone, s.recipients, s.formats, s.approval_required, s.owner_id, u.email AS owner_email, \
     s.created_at, s.updated_at FROM pack_schedules s LEFT JOIN users u ON u.id = s.owner_id";

const DELIVERY_COLUMNS: &str = "d.id, d.schedule_id, d.group_id, d.month, d.version, d.kind, \
     d.status, d.recipients, d.detail, d.attempts, d.last_reply, a.email AS approved_by_email, \
     d.approved_at, d.created_at, d.updated_at, d.sent_at FROM pack_deliveries d \
     LEFT JOIN users a ON a.id = d.approved_by";

impl Store {
    pub async fn pack_schedule(&self, group_id: i64) -> StoreResult<Option<PackSchedule>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_as::<_, PackSchedule>(sqlx::AssertSqlSafe(format!(
                "SELECT {SCHEDULE_COLUMNS} WHERE s.group_id = $1"
            )))
            .bind(group_id)
            .fetch_optional(pool)
            .await?)
        })
    }

    /// Every group's schedule, for the scheduler.
    pub async fn pack_schedules(&self) -> StoreResult<Vec<PackSchedule>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_as::<_, PackSchedule>(sqlx::AssertSqlSafe(format!(
                "SELECT {SCHEDULE_COLUMNS} ORDER BY s.id"
            )))
            .fetch_all(pool)
            .await?)
        })
    }

    /// Writes the group's schedule (the writer becomes its owner), audited
    /// in the same transaction.
    pub async fn put_pack_schedule(
        &self,
        group_id: i64,
        s: &ScheduleWrite,
        by: Option<i64>,
        now: DateTime<Utc>,
    ) -> StoreResult<PackSchedule> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "INSERT INTO pack_schedules (group_id, business_day, send_at, utc_offset_minutes, \
                 recipients, formats, approval_required, owner_id, created_at, updated_at, time_zone) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10) ON CONFLICT (group_id) DO UPDATE SET \
                 business_day = excluded.business_day, send_at = excluded.send_at, \
                 utc_offset_minutes = excluded.utc_offset_minutes, time_zone = excluded.time_zone, \
                 recipients = excluded.recipients, \
                 formats = excluded.formats, approval_required = excluded.approval_required, \
                 owner_id = excluded.owner_id, updated_at = excluded.updated_at",
            )
            .bind(group_id)
            .bind(s.business_day)
            .bind(&s.send_at)
            .bind(s.utc_offset_minutes)
            .bind(s.recipients.join("\n"))
            .bind(s.formats.join(","))
            .bind(s.approval_required)
            .bind(by)
            .bind(now)
            .bind(&s.time_zone)
            .execute(&mut *tx)
            .await?;
            let zone = match &s.time_zone {
                Some(z) => z.clone(),
                None => format!(
                    "UTC{:+03}:{:02}",
                    s.utc_offset_minutes / 60,
                    (s.utc_offset_minutes % 60).abs()
                ),
            };
            let entry = AuditEntry::new("month_end.schedule", by).group(group_id).detail(format!(
                "pack schedule: business day {} at {} ({zone}), {} recipient(s), formats {}, approval {}",
                s.business_day,
                s.send_at,
                s.recipients.len(),
                s.formats.join(","),
                if s.approval_required { "required" } else { "not required" }
            ));
            insert_audit!(&mut *tx, entry, now).await?;
            tx.commit().await?;
        });
        self.pack_schedule(group_id)
            .await?
            .ok_or_else(|| super::StoreError::Database(sqlx::Error::RowNotFound))
    }

    /// Creates a delivery unless one with its key exists; its id when this
    /// call created it.
    pub async fn create_delivery(
        &self,
        d: &NewDelivery<'_>,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<i64>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_scalar::<_, i64>(
                "INSERT INTO pack_deliveries (schedule_id, group_id, month, version, kind, status, \
                 recipients, detail, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
                 ON CONFLICT (schedule_id, month, version, kind) DO NOTHING RETURNING id",
            )
            .bind(d.schedule_id)
            .bind(d.group_id)
            .bind(d.month)
            .bind(d.version)
            .bind(d.kind)
            .bind(d.status)
            .bind(d.recipients.join("\n"))
            .bind(d.detail)
            .bind(now)
            .fetch_optional(pool)
            .await?)
        })
    }

    pub async fn delivery(&self, id: i64) -> StoreResult<Option<Delivery>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_as::<_, Delivery>(sqlx::AssertSqlSafe(format!(
                "SELECT {DELIVERY_COLUMNS} WHERE d.id = $1"
            )))
            .bind(id)
            .fetch_optional(pool)
            .await?)
        })
    }

    /// A group's delivery log, newest first.
    pub async fn deliveries(&self, group_id: i64) -> StoreResult<Vec<Delivery>> {
        on_pool!(self, pool => {
            Ok(sqlx::query_as::<_, Delivery>(sqlx::AssertSqlSafe(format!(
                "SELECT {DELIVERY_COLUMNS} WHERE d.group_id = $1 ORDER BY d.created_at DESC, d.id DESC"
            )))
            .bind(group_id)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Approves a draft pack: `queued`. False when it was not a draft.
    pub async fn approve_delivery(
        &self,
        group_id: i64,
        id: i64,
        by: i64,
        now: DateTime<Utc>,
    ) -> StoreResult<bool> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let row: Option<(String, i32)> = sqlx::query_as(
                "UPDATE pack_deliveries SET status = 'queued', approved_by = $1, approved_at = $2, \
                 updated_at = $2 WHERE id = $3 AND group_id = $4 AND status = 'draft' RETURNING month, version",
            )
            .bind(by)
            .bind(now)
            .bind(id)
            .bind(group_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((month, version)) = row else {
                return Ok(false);
            };
            let entry = AuditEntry::new("month_end.approve", Some(by))
                .group(group_id)
                .detail(format!("{month} version {version}: pack approved for sending"));
            insert_audit!(&mut *tx, entry, now).await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Takes a delivery for sending (see [`Take`]). One statement, so two
    /// workers cannot both move it to `sending`.
    pub async fn take_delivery(&self, id: i64, now: DateTime<Utc>) -> StoreResult<Take> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let taken: Option<i64> = sqlx::query_scalar(
                "UPDATE pack_deliveries SET status = 'sending', attempts = attempts + 1, updated_at = $1 \
                 WHERE id = $2 AND status IN ('queued', 'failed') RETURNING id",
            )
            .bind(now)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            if taken.is_none() {
                let cut: Option<i64> = sqlx::query_scalar(
                    "UPDATE pack_deliveries SET status = 'uncertain', updated_at = $1, last_reply = \
                     'The worker stopped while sending: the server may have accepted the message, \
                     so it is not sent again by itself.' WHERE id = $2 AND status = 'sending' RETURNING id",
                )
                .bind(now)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
                tx.commit().await?;
                return Ok(if cut.is_some() { Take::WasSending } else { Take::Nothing });
            }
            tx.commit().await?;
        });
        Ok(match self.delivery(id).await? {
            Some(d) => Take::Send(Box::new(d)),
            None => Take::Nothing,
        })
    }

    /// Records a send's outcome: `sent` with the server's reply, or
    /// `failed` with it.
    pub async fn finish_delivery(
        &self,
        id: i64,
        sent: bool,
        reply: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        on_pool!(self, pool => {
            sqlx::query(
                "UPDATE pack_deliveries SET status = $1, last_reply = $2, updated_at = $3, \
                 sent_at = CASE WHEN $1 = 'sent' THEN $3 ELSE sent_at END WHERE id = $4",
            )
            .bind(if sent { "sent" } else { "failed" })
            .bind(reply)
            .bind(now)
            .bind(id)
            .execute(pool)
            .await?;
        });
        Ok(())
    }
}

/// A synced invoice, credit note or bank transaction dated in a period,
/// for a restatement's "what changed".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthDocument {
    /// `invoice`, `credit_note` or `bank_transaction`.
    pub kind: String,
    pub entity_id: i64,
    pub entity: String,
    pub organisation_id: i64,
    /// Xero's InvoiceID, CreditNoteID or BankTransactionID.
    pub xero_id: String,
    /// The invoice or credit note number; a bank transaction's reference.
    pub number: Option<String>,
    /// Xero's type (`ACCREC`, `ACCPAYCREDIT`, `SPEND`, ...).
    pub xero_type: String,
    pub contact_id: Option<String>,
    pub contact_name: Option<String>,
    pub status: String,
    pub date: NaiveDate,
    pub line_amount_types: String,
    pub total: Decimal,
    pub currency_code: String,
    pub updated_at_xero: DateTime<Utc>,
    /// Xero's clock at the start of the entity's last successful sync that
    /// finished by the time asked for (None: no such sync).
    pub synced_xero_time: Option<DateTime<Utc>>,
}

/// A document's state: as stored now, or as a sync replaced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentState {
    pub status: String,
    pub date: NaiveDate,
    pub line_amount_types: String,
    pub lines: Vec<DocumentLine>,
}

/// A document line's account and amounts (None: Xero sent no amount).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentLine {
    pub account_code: Option<String>,
    pub line_amount: Option<Decimal>,
    pub tax_amount: Option<Decimal>,
}

type MonthDocumentRow = (
    String,
    i64,
    String,
    i64,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    String,
    NaiveDate,
    String,
    Dec,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

type VersionRow = (
    DateTime<Utc>,
    String,
    NaiveDate,
    String,
    Option<String>,
    Option<Dec>,
    Option<Dec>,
);

impl Store {
    /// The invoices, credit notes and bank transactions of a group's
    /// entities dated from the first day of `from` to the last of `to`,
    /// each with its entity's Xero time of the last sync finished by
    /// `synced_by`.
    pub async fn month_documents(
        &self,
        group_id: i64,
        from: Month,
        to: Month,
        synced_by: DateTime<Utc>,
    ) -> StoreResult<Vec<MonthDocument>> {
        let rows: Vec<MonthDocumentRow> = on_pool!(self, pool => {
            // The three document tables as one (`d`), with a column naming
            // the kind.
            sqlx::query_as(
                "SELECT d.kind, e.id, o.name, e.organisation_id, d.xero_id, d.number, d.xero_type, \
                 d.contact_id, d.contact_name, d.status, d.doc_date, d.line_amount_types, d.total, \
                 d.currency_code, d.updated_at_xero, \
                 (SELECT MAX(r.xero_time) FROM sync_runs r WHERE r.organisation_id = e.organisation_id \
                  AND r.state = 'succeeded' AND r.finished_at <= $4) AS synced_xero_time FROM entities e \
                 JOIN organisations o ON o.id = e.organisation_id \
                 JOIN (SELECT 'invoice' AS kind, organisation_id, invoice_id AS xero_id, \
                   invoice_number AS number, invoice_type AS xero_type, contact_id, contact_name, status, \
                   total, currency_code, updated_at_xero, invoice_date AS doc_date, line_amount_types \
                   FROM invoices \
                  UNION ALL SELECT 'credit_note', organisation_id, credit_note_id, credit_note_number, \
                   credit_note_type, contact_id, contact_name, status, total, currency_code, updated_at_xero, \
                   credit_note_date, line_amount_types FROM credit_notes \
                  UNION ALL SELECT 'bank_transaction', organisation_id, bank_transaction_id, reference, \
                   bank_transaction_type, contact_id, contact_name, status, total, currency_code, \
                   updated_at_xero, transaction_date, line_amount_types FROM bank_transactions) d \
                   ON d.organisation_id = e.organisation_id \
                 WHERE e.group_id = $1 AND d.doc_date >= $2 AND d.doc_date <= $3 \
                 ORDER BY o.name, d.kind, d.doc_date, d.xero_id",
            )
                .bind(group_id)
                .bind(from.first_day())
                .bind(to.last_day())
                .bind(synced_by)
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|r| MonthDocument {
                kind: r.0,
                entity_id: r.1,
                entity: r.2,
                organisation_id: r.3,
                xero_id: r.4,
                number: r.5,
                xero_type: r.6,
                contact_id: r.7,
                contact_name: r.8,
                status: r.9,
                date: r.10,
                line_amount_types: r.11,
                total: r.12.0,
                currency_code: r.13,
                updated_at_xero: r.14,
                synced_xero_time: r.15,
            })
            .collect())
    }

    /// A document's lines as stored now, in order.
    pub async fn document_lines_now(&self, d: &MonthDocument) -> StoreResult<Vec<DocumentLine>> {
        type Row = (Option<String>, Option<Dec>, Option<Dec>);
        let rows: Vec<Row> = on_pool!(self, pool => {
            if d.kind == "invoice" {
                sqlx::query_as(
                    "SELECT account_code, line_amount, tax_amount FROM invoice_lines \
                     WHERE organisation_id = $1 AND invoice_id = $2 ORDER BY position",
                )
                .bind(d.organisation_id)
                .bind(&d.xero_id)
                .fetch_all(pool)
                .await?
            } else {
                sqlx::query_as(
                    "SELECT account_code, line_amount, tax_amount FROM document_lines \
                     WHERE organisation_id = $1 AND document_kind = $2 AND document_id = $3 \
                     ORDER BY position",
                )
                .bind(d.organisation_id)
                .bind(&d.kind)
                .bind(&d.xero_id)
                .fetch_all(pool)
                .await?
            }
        });
        Ok(rows
            .into_iter()
            .map(|(account_code, a, t)| DocumentLine {
                account_code,
                line_amount: a.map(|x| x.0),
                tax_amount: t.map(|x| x.0),
            })
            .collect())
    }

    /// The state of a document that the first sync after `after` replaced:
    /// what a month closed at `after` saw. None when no sync replaced it
    /// since (it was added after, or changed before the versions were kept,
    /// migration 0024).
    pub async fn document_state_replaced_after(
        &self,
        d: &MonthDocument,
        after: DateTime<Utc>,
    ) -> StoreResult<Option<DocumentState>> {
        let rows: Vec<VersionRow> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT replaced_at, status, document_date, line_amount_types, account_code, line_amount, \
                 tax_amount FROM document_versions WHERE organisation_id = $1 AND document_kind = $2 \
                 AND document_id = $3 AND replaced_at > $4 ORDER BY replaced_at, position",
            )
            .bind(d.organisation_id)
            .bind(&d.kind)
            .bind(&d.xero_id)
            .bind(after)
            .fetch_all(pool)
            .await?
        });
        let Some(first) = rows.first().map(|r| r.0) else {
            return Ok(None);
        };
        let mut state: Option<DocumentState> = None;
        for (at, status, date, lat, code, amount, tax) in rows {
            if at != first {
                break;
            }
            let s = state.get_or_insert_with(|| DocumentState {
                status,
                date,
                line_amount_types: lat,
                lines: Vec::new(),
            });
            // A document without lines is kept as one row without any.
            if code.is_some() || amount.is_some() || tax.is_some() {
                s.lines.push(DocumentLine {
                    account_code: code,
                    line_amount: amount.map(|x| x.0),
                    tax_amount: tax.map(|x| x.0),
                });
            }
        }
        Ok(state)
    }
}
