//! Excel workbooks of the consolidated P&L and of the intercompany
//! reconciliation.
//!
//! Amounts stay [`Decimal`] until a cell is written. An xlsx number cell
//! can only hold an IEEE double, so [`write_amount`] hands the `Decimal` to
//! rust_xlsxwriter, whose `rust_decimal` feature writes it as a number.
//! That is the one place where Consol's money becomes a float. It is only
//! for display: totals are worked out in `Decimal` and written as values,
//! not as Excel formulas.

use std::collections::HashMap;

use rust_decimal::Decimal;
use rust_xlsxwriter::{
    ColNum, Format, FormatAlign, FormatBorder, RowNum, Workbook, Worksheet, XlsxError,
};

use crate::domain::{CurrencyCode, MonthRange};
use crate::engine::{
    self, ColumnKind, ELIMINATIONS, EliminatedLine, EngineError, EntityId, GroupData,
    IntercompanyPair, IntercompanyReconciliation, InvoiceType, LineKind, MatchStatus, MatchedBy,
    ProfitAndLossReport, ReportLine, Section, Side,
};

/// The media type of an xlsx file.
pub const XLSX_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Sheet names of the P&L workbook.
pub const PNL_SHEET: &str = "Consolidated P&L";
pub const ELIMINATIONS_SHEET: &str = "Eliminations";
pub const RATES_SHEET: &str = "Rates";
/// Sheet names of the intercompany workbook.
pub const PAIRS_SHEET: &str = "Pairs";
pub const SUMMARY_SHEET: &str = "Summary";

/// The row of the P&L sheet's column headings (zero-based): below three
/// title rows and a blank one. It and the rows above it are frozen, and so
/// are the code and name columns.
pub const PNL_HEADER_ROW: RowNum = 4;
const PNL_FROZEN_COLUMNS: ColNum = 2;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("the spreadsheet could not be written: {0}")]
    Xlsx(#[from] XlsxError),
}

/// The accountant's number format for amounts with `minor_units` decimals:
/// thousands separators, negatives in brackets, zero as a dash.
pub fn accounting_format(minor_units: u32) -> String {
    let number = if minor_units == 0 {
        "#,##0".to_string()
    } else {
        format!("#,##0.{}", "0".repeat(minor_units as usize))
    };
    format!("{number};({number});\"-\"")
}

/// Decimals of the formats made up front; ISO 4217 has none above three.
const MAX_MINOR_UNITS: u32 = 4;

struct Styles {
    title: Format,
    bold: Format,
    header: Format,
    header_amount: Format,
    date: Format,
    rate: Format,
    /// Unrounded amounts (a foreign line in base currency).
    precise: Format,
    amounts: Vec<Format>,
    bold_amounts: Vec<Format>,
    /// Minor units of the presentation currency.
    minor_units: u32,
}

impl Styles {
    fn new(presentation: CurrencyCode) -> Self {
        let amounts: Vec<Format> = (0..=MAX_MINOR_UNITS)
            .map(|dp| Format::new().set_num_format(accounting_format(dp)))
            .collect();
        let bold_amounts = amounts.iter().map(|f| f.clone().set_bold()).collect();
        Self {
            title: Format::new().set_bold().set_font_size(14),
            bold: Format::new().set_bold(),
            header: Format::new()
                .set_bold()
                .set_border_bottom(FormatBorder::Thin)
                .set_text_wrap(),
            header_amount: Format::new()
                .set_bold()
                .set_border_bottom(FormatBorder::Thin)
                .set_text_wrap()
                .set_align(FormatAlign::Right),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            rate: Format::new().set_num_format("0.0000######"),
            precise: Format::new().set_num_format("#,##0.00####;(#,##0.00####);\"-\""),
            amounts,
            bold_amounts,
            minor_units: presentation.minor_units(),
        }
    }

    /// The amount format of a currency.
    fn money(&self, currency: CurrencyCode) -> &Format {
        &self.amounts[currency.minor_units().min(MAX_MINOR_UNITS) as usize]
    }

    /// The amount format of the presentation currency, bold or not.
    fn presented(&self, bold: bool) -> &Format {
        let i = self.minor_units.min(MAX_MINOR_UNITS) as usize;
        if bold {
            &self.bold_amounts[i]
        } else {
            &self.amounts[i]
        }
    }
}

/// Writes an amount as a real number cell. rust_xlsxwriter's `rust_decimal`
/// feature takes the `Decimal` itself and stores it as the double an xlsx
/// number is: the only place money meets a float, for display only.
fn write_amount(
    ws: &mut Worksheet,
    row: RowNum,
    col: ColNum,
    value: Decimal,
    format: &Format,
) -> Result<(), XlsxError> {
    ws.write_with_format(row, col, value, format)?;
    Ok(())
}

/// An amount that may be unknown (a missing rate): blank when it is.
fn write_opt_amount(
    ws: &mut Worksheet,
    row: RowNum,
    col: ColNum,
    value: Option<Decimal>,
    format: &Format,
) -> Result<(), XlsxError> {
    match value {
        Some(v) => write_amount(ws, row, col, v, format),
        None => {
            ws.write_blank(row, col, format)?;
            Ok(())
        }
    }
}

fn write_headers(
    ws: &mut Worksheet,
    row: RowNum,
    headers: &[(&str, bool, f64)],
    styles: &Styles,
) -> Result<(), XlsxError> {
    for (col, (text, amount, width)) in (0..).zip(headers) {
        let format = if *amount {
            &styles.header_amount
        } else {
            &styles.header
        };
        ws.write_string_with_format(row, col, *text, format)?;
        ws.set_column_width(col, *width)?;
    }
    Ok(())
}

fn entity_names(data: &GroupData) -> HashMap<EntityId, String> {
    data.entities
        .iter()
        .map(|e| (e.id, e.name.clone()))
        .collect()
}

fn name_of(names: &HashMap<EntityId, String>, id: EntityId) -> String {
    names
        .get(&id)
        .cloned()
        .unwrap_or_else(|| format!("entity {}", id.0))
}

/// The consolidated P&L of `data` for `period` as a workbook: the report,
/// the eliminated invoice lines behind its eliminations column (from the
/// same engine run's provenance), and the rates it used.
pub fn profit_and_loss_xlsx(
    data: &GroupData,
    period: MonthRange,
    group_name: &str,
) -> Result<Vec<u8>, ExportError> {
    let run = engine::consolidate(data, period)?;
    let report = &run.report;
    let names = entity_names(data);
    let eliminated = eliminated_lines(report, &run.provenance, &names);
    let styles = Styles::new(report.currency);

    let mut wb = Workbook::new();
    pnl_sheet(wb.add_worksheet(), report, &names, group_name, &styles)?;
    eliminations_sheet(wb.add_worksheet(), report, data, &eliminated, &styles)?;
    rates_sheet(wb.add_worksheet(), report, &styles)?;
    Ok(wb.save_to_buffer()?)
}

fn pnl_sheet(
    ws: &mut Worksheet,
    report: &ProfitAndLossReport,
    names: &HashMap<EntityId, String>,
    group_name: &str,
    styles: &Styles,
) -> Result<(), XlsxError> {
    ws.set_name(PNL_SHEET)?;
    ws.write_string_with_format(0, 0, group_name, &styles.title)?;
    ws.write_string(
        1,
        0,
        format!(
            "Consolidated profit and loss, {} to {}",
            report.period.from, report.period.to
        ),
    )?;
    ws.write_string(
        2,
        0,
        format!(
            "Amounts in {}. Foreign entities are translated at each month's average rate; \
             intercompany invoices are removed in full.",
            report.currency
        ),
    )?;

    let mut headers: Vec<(&str, bool, f64)> = vec![("Code", false, 10.0), ("Account", false, 42.0)];
    headers.extend(report.columns.iter().map(|c| {
        let width = if c.kind == ColumnKind::Entity {
            16.0
        } else {
            15.0
        };
        (c.name.as_str(), true, width)
    }));
    write_headers(ws, PNL_HEADER_ROW, &headers, styles)?;
    ws.set_freeze_panes(PNL_HEADER_ROW + 1, PNL_FROZEN_COLUMNS)?;

    let mut row = PNL_HEADER_ROW + 1;
    let mut section: Option<Section> = None;
    for line in &report.lines {
        if line.kind == LineKind::Account && section != Some(line.section) {
            ws.write_string_with_format(row, 0, line.section.title(), &styles.bold)?;
            row += 1;
        }
        section = Some(line.section);
        let bold = line.kind != LineKind::Account;
        if let Some(code) = &line.account_code {
            ws.write_string(row, 0, code)?;
        }
        let name = match line.entity {
            Some(e) => format!("{} ({})", line.account_name, name_of(names, e)),
            None => line.account_name.clone(),
        };
        if bold {
            ws.write_string_with_format(row, 1, name, &styles.bold)?;
        } else {
            ws.write_string(row, 1, name)?;
        }
        for (col, i) in (PNL_FROZEN_COLUMNS..).zip(0..report.columns.len()) {
            write_amount(ws, row, col, line.values.at(i), styles.presented(bold))?;
        }
        row += 1;
        // A blank row after each total, as on paper.
        if line.kind != LineKind::Account {
            row += 1;
        }
    }
    Ok(())
}

/// An eliminated invoice line and the report line it was taken from.
struct Eliminated<'r> {
    line: &'r ReportLine,
    item: EliminatedLine,
    entity_name: String,
}

impl Eliminated<'_> {
    /// What the elimination did to group profit: the cell amount as shown,
    /// turned back by the line's display sign (costs show positive).
    fn profit_effect(&self) -> Decimal {
        self.item.cell_amount * self.line.section.display_sign()
    }
}

/// Every eliminated invoice line of the report, by month, entity and
/// invoice (lines of one invoice stay together, in the engine's order).
fn eliminated_lines<'r>(
    report: &'r ProfitAndLossReport,
    provenance: &engine::Provenance<'_>,
    names: &HashMap<EntityId, String>,
) -> Vec<Eliminated<'r>> {
    let mut out: Vec<Eliminated<'r>> = report
        .lines
        .iter()
        .filter(|l| l.kind == LineKind::Account)
        .filter_map(|l| provenance.cell(&l.key, ELIMINATIONS).map(|c| (l, c)))
        .flat_map(|(line, cell)| {
            cell.eliminations.into_iter().map(move |item| Eliminated {
                line,
                entity_name: name_of(names, item.entity),
                item,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        (
            a.item.month,
            &a.entity_name,
            &a.item.invoice_number,
            &a.item.invoice_id,
        )
            .cmp(&(
                b.item.month,
                &b.entity_name,
                &b.item.invoice_number,
                &b.item.invoice_id,
            ))
    });
    out
}

fn invoice_type_name(t: InvoiceType) -> &'static str {
    match t {
        InvoiceType::Accrec => "Invoice",
        InvoiceType::Accpay => "Bill",
        InvoiceType::Accreccredit => "Credit note (sales)",
        InvoiceType::Accpaycredit => "Credit note (purchases)",
        InvoiceType::Receive => "Receive money",
        InvoiceType::Spend => "Spend money",
    }
}

fn eliminations_sheet(
    ws: &mut Worksheet,
    report: &ProfitAndLossReport,
    data: &GroupData,
    eliminated: &[Eliminated<'_>],
    styles: &Styles,
) -> Result<(), XlsxError> {
    ws.set_name(ELIMINATIONS_SHEET)?;
    let p = report.currency;
    let translated = format!("Translated ({p})");
    let effect = format!("Effect on profit ({p})");
    write_headers(
        ws,
        0,
        &[
            ("Month", false, 9.0),
            ("Entity", false, 22.0),
            ("Type", false, 9.0),
            ("Invoice number", false, 16.0),
            ("InvoiceID", false, 38.0),
            ("Date", false, 11.0),
            ("Account", false, 30.0),
            ("Group line", false, 30.0),
            ("Currency", false, 9.0),
            ("Line amount", true, 14.0),
            ("Base currency", false, 9.0),
            ("Base amount", true, 14.0),
            ("Rate", true, 12.0),
            (&translated, true, 14.0),
            (&effect, true, 16.0),
        ],
        styles,
    )?;
    ws.set_freeze_panes(1, 0)?;

    let dates: HashMap<(EntityId, &str), chrono::NaiveDate> = data
        .invoices
        .iter()
        .map(|i| ((i.entity, i.invoice_id.as_str()), i.date))
        .collect();
    let accounts: HashMap<(EntityId, &str), &engine::EntityAccount> = data
        .entity_accounts
        .iter()
        .map(|a| ((a.entity, a.account_id.as_str()), a))
        .collect();
    let base_currency: HashMap<EntityId, CurrencyCode> = data
        .entities
        .iter()
        .map(|e| (e.id, e.base_currency))
        .collect();

    let mut total = Decimal::ZERO;
    let mut row: RowNum = 1;
    for e in eliminated {
        let it = &e.item;
        ws.write_string(row, 0, it.month.to_string())?;
        ws.write_string(row, 1, &e.entity_name)?;
        ws.write_string(row, 2, invoice_type_name(it.invoice_type))?;
        ws.write_string(row, 3, it.invoice_number.as_deref().unwrap_or(""))?;
        ws.write_string(row, 4, &it.invoice_id)?;
        if let Some(date) = dates.get(&(it.entity, it.invoice_id.as_str())) {
            ws.write_with_format(row, 5, date, &styles.date)?;
        }
        let account = match accounts.get(&(it.entity, it.account_id.as_str())) {
            Some(a) => match &a.code {
                Some(code) => format!("{code} {}", a.name),
                None => a.name.clone(),
            },
            None => it
                .account_code
                .clone()
                .unwrap_or_else(|| it.account_id.clone()),
        };
        ws.write_string(row, 6, account)?;
        let group_line = match &e.line.account_code {
            Some(code) => format!("{code} {}", e.line.account_name),
            None => e.line.account_name.clone(),
        };
        ws.write_string(row, 7, group_line)?;
        ws.write_string(row, 8, it.currency.as_str())?;
        write_amount(ws, row, 9, it.net_amount, styles.money(it.currency))?;
        if let Some(base) = base_currency.get(&it.entity) {
            ws.write_string(row, 10, base.as_str())?;
        }
        write_amount(ws, row, 11, it.base_amount, &styles.precise)?;
        write_amount(ws, row, 12, it.rate, &styles.rate)?;
        write_amount(ws, row, 13, it.translated, styles.presented(false))?;
        let effect = e.profit_effect();
        total += effect;
        write_amount(ws, row, 14, effect, styles.presented(false))?;
        row += 1;
    }
    ws.write_string_with_format(row, 0, "Total", &styles.bold)?;
    write_amount(ws, row, 14, total, styles.presented(true))?;
    Ok(())
}

fn rates_sheet(
    ws: &mut Worksheet,
    report: &ProfitAndLossReport,
    styles: &Styles,
) -> Result<(), XlsxError> {
    ws.set_name(RATES_SHEET)?;
    let head = format!("Average rate (1 unit in {})", report.currency);
    write_headers(
        ws,
        0,
        &[
            ("Currency", false, 10.0),
            ("Month", false, 10.0),
            (&head, true, 26.0),
        ],
        styles,
    )?;
    ws.set_freeze_panes(1, 0)?;
    for (row, r) in (1..).zip(&report.rates) {
        ws.write_string(row, 0, r.currency.as_str())?;
        ws.write_string(row, 1, r.month.to_string())?;
        write_amount(ws, row, 2, r.average, &styles.rate)?;
    }
    Ok(())
}

/// The intercompany reconciliation as a workbook: every pair (or single
/// side), and the totals per seller, buyer and month. `entity_names` gives
/// the column names of the group's entities.
pub fn intercompany_xlsx(
    rec: &IntercompanyReconciliation,
    entity_names: &HashMap<EntityId, String>,
) -> Result<Vec<u8>, ExportError> {
    let styles = Styles::new(rec.currency);
    let mut wb = Workbook::new();
    pairs_sheet(wb.add_worksheet(), rec, entity_names, &styles)?;
    summary_sheet(wb.add_worksheet(), rec, entity_names, &styles)?;
    Ok(wb.save_to_buffer()?)
}

fn status_name(s: MatchStatus) -> &'static str {
    match s {
        MatchStatus::Matched => "Matched",
        MatchStatus::AmountDiffers => "Amount differs",
        MatchStatus::CounterpartMissing => "Counterpart missing",
    }
}

fn matched_by_name(m: Option<MatchedBy>) -> &'static str {
    match m {
        Some(MatchedBy::InvoiceNumber) => "Invoice number",
        Some(MatchedBy::AmountAndDate) => "Amount and date",
        None => "",
    }
}

fn pairs_sheet(
    ws: &mut Worksheet,
    rec: &IntercompanyReconciliation,
    names: &HashMap<EntityId, String>,
    styles: &Styles,
) -> Result<(), XlsxError> {
    ws.set_name(PAIRS_SHEET)?;
    let p = rec.currency;
    let seller_amount = format!("Seller amount ({p})");
    let buyer_amount = format!("Buyer amount ({p})");
    let net = format!("Net effect ({p})");
    write_headers(
        ws,
        0,
        &[
            ("Seller", false, 20.0),
            ("Buyer", false, 20.0),
            ("Month", false, 9.0),
            ("Status", false, 19.0),
            ("Matched by", false, 16.0),
            ("Invoice number", false, 15.0),
            ("Invoice date", false, 11.0),
            ("Invoice currency", false, 9.0),
            ("Invoice total", true, 14.0),
            (&seller_amount, true, 15.0),
            ("Bill number", false, 15.0),
            ("Bill date", false, 11.0),
            ("Bill currency", false, 9.0),
            ("Bill total", true, 14.0),
            (&buyer_amount, true, 15.0),
            (&net, true, 15.0),
        ],
        styles,
    )?;
    ws.set_freeze_panes(1, 0)?;
    for (row, pair) in (1..).zip(&rec.pairs) {
        write_pair(ws, row, pair, names, styles)?;
    }
    Ok(())
}

fn write_pair(
    ws: &mut Worksheet,
    row: RowNum,
    pair: &IntercompanyPair,
    names: &HashMap<EntityId, String>,
    styles: &Styles,
) -> Result<(), XlsxError> {
    ws.write_string(row, 0, name_of(names, pair.seller))?;
    ws.write_string(row, 1, name_of(names, pair.buyer))?;
    ws.write_string(row, 2, pair.month.to_string())?;
    ws.write_string(row, 3, status_name(pair.status))?;
    ws.write_string(row, 4, matched_by_name(pair.matched_by))?;
    write_side(ws, row, 5, pair.seller_invoice.as_ref(), styles)?;
    write_side(ws, row, 10, pair.buyer_bill.as_ref(), styles)?;
    write_opt_amount(ws, row, 15, pair.net_effect, styles.presented(false))
}

/// Five cells from `col`: number, date, currency, total, presented amount.
fn write_side(
    ws: &mut Worksheet,
    row: RowNum,
    col: ColNum,
    side: Option<&Side>,
    styles: &Styles,
) -> Result<(), XlsxError> {
    let Some(s) = side else {
        return Ok(());
    };
    let number = s.invoice_number.as_deref().unwrap_or(&s.invoice_id);
    ws.write_string(row, col, number)?;
    ws.write_with_format(row, col + 1, &s.date, &styles.date)?;
    ws.write_string(row, col + 2, s.currency.as_str())?;
    write_amount(ws, row, col + 3, s.total, styles.money(s.currency))?;
    write_opt_amount(
        ws,
        row,
        col + 4,
        s.presentation_amount,
        styles.presented(false),
    )
}

fn summary_sheet(
    ws: &mut Worksheet,
    rec: &IntercompanyReconciliation,
    names: &HashMap<EntityId, String>,
    styles: &Styles,
) -> Result<(), XlsxError> {
    ws.set_name(SUMMARY_SHEET)?;
    let p = rec.currency;
    let seller_amount = format!("Seller amount ({p})");
    let buyer_amount = format!("Buyer amount ({p})");
    let net = format!("Net effect ({p})");
    write_headers(
        ws,
        0,
        &[
            ("Seller", false, 20.0),
            ("Buyer", false, 20.0),
            ("Month", false, 9.0),
            ("Matched", true, 9.0),
            ("Amount differs", true, 9.0),
            ("Counterpart missing", true, 11.0),
            (&seller_amount, true, 15.0),
            (&buyer_amount, true, 15.0),
            (&net, true, 15.0),
            ("Complete", false, 10.0),
        ],
        styles,
    )?;
    ws.set_freeze_panes(1, 0)?;
    for (row, s) in (1..).zip(&rec.summary) {
        ws.write_string(row, 0, name_of(names, s.seller))?;
        ws.write_string(row, 1, name_of(names, s.buyer))?;
        ws.write_string(row, 2, s.month.to_string())?;
        // Counts, not money: exact as doubles.
        for (col, n) in [
            (3, s.matched),
            (4, s.amount_differs),
            (5, s.counterpart_missing),
        ] {
            ws.write_number(row, col, u32::try_from(n).unwrap_or(u32::MAX))?;
        }
        write_amount(ws, row, 6, s.seller_amount, styles.presented(false))?;
        write_amount(ws, row, 7, s.buyer_amount, styles.presented(false))?;
        write_amount(ws, row, 8, s.net_effect, styles.presented(false))?;
        ws.write_string(
            row,
            9,
            if s.complete {
                "Yes"
            } else {
                "No: a rate is missing"
            },
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Read};
    use std::str::FromStr;

    use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

    use super::*;
    use crate::domain::Month;
    use crate::engine::*;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn month() -> Month {
        Month::parse("2026-03").unwrap()
    }

    fn date(day: u32) -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2026, 3, day).unwrap()
    }

    fn nzd() -> CurrencyCode {
        CurrencyCode::parse("NZD").unwrap()
    }

    fn aud() -> CurrencyCode {
        CurrencyCode::parse("AUD").unwrap()
    }

    fn account(
        entity: i64,
        id: &str,
        code: &str,
        name: &str,
        class: AccountClass,
    ) -> EntityAccount {
        EntityAccount {
            entity: EntityId(entity),
            account_id: id.into(),
            code: Some(code.into()),
            name: name.into(),
            class,
            account_type: if class == AccountClass::Revenue {
                XeroAccountType::Revenue
            } else {
                XeroAccountType::Expense
            },
        }
    }

    fn invoice(entity: i64, t: InvoiceType, id: &str, contact: &str, code: &str) -> Invoice {
        Invoice {
            entity: EntityId(entity),
            contact_id: contact.into(),
            date: date(10),
            invoice_type: t,
            status: InvoiceStatus::Authorised,
            line_amount_types: LineAmountTypes::Exclusive,
            currency: aud(),
            invoice_id: id.into(),
            invoice_number: Some("INV-0042".into()),
            contact_name: contact.into(),
            // Units of AUD per NZD, for the NZD seller's foreign invoice.
            currency_rate: (entity == 1).then(|| d("0.90")),
            total: d("1000.00"),
            lines: vec![InvoiceLine {
                line_item_id: format!("{id}-l1"),
                description: "Consulting".into(),
                account_code: Some(code.into()),
                account_id: None,
                line_amount: d("1000.00"),
                tax_amount: Decimal::ZERO,
            }],
            sync_run_id: None,
        }
    }

    /// Kea (NZD) sells 1,000 AUD of services to Tui (AUD) in March 2026;
    /// both also have outside income and costs.
    fn group() -> GroupData {
        let entity = |id: i64, name: &str, c: CurrencyCode| Entity {
            id: EntityId(id),
            name: name.into(),
            tenant_id: format!("t{id}"),
            organisation_name: name.into(),
            legal_name: None,
            base_currency: c,
        };
        let pnl = |e: i64, acc: &str, amount: &str| PnlAmount {
            entity: EntityId(e),
            row: SourceRow::account(acc),
            month: month(),
            amount: d(amount),
            sync_run_id: None,
        };
        let gacc = |id: i64, code: &str, name: &str, class, section| GroupAccount {
            id: GroupAccountId(id),
            code: code.into(),
            name: name.into(),
            class,
            section,
        };
        let map = |e: i64, acc: &str, g: i64| AccountMapping {
            entity: EntityId(e),
            account_id: acc.into(),
            group_account: GroupAccountId(g),
        };
        GroupData {
            group: Group {
                presentation_currency: nzd(),
                financial_year_end_month: 3,
            },
            entities: vec![entity(1, "Kea", nzd()), entity(2, "Tui", aud())],
            entity_accounts: vec![
                account(1, "k-200", "200", "Sales", AccountClass::Revenue),
                account(2, "t-400", "400", "Consulting", AccountClass::Expense),
                account(2, "t-200", "200", "Sales", AccountClass::Revenue),
            ],
            group_accounts: vec![
                gacc(
                    10,
                    "200",
                    "Sales",
                    AccountClass::Revenue,
                    AccountSection::Income,
                ),
                gacc(
                    20,
                    "400",
                    "Consulting",
                    AccountClass::Expense,
                    AccountSection::OperatingExpenses,
                ),
            ],
            mappings: vec![map(1, "k-200", 10), map(2, "t-400", 20)],
            pnl: vec![
                pnl(1, "k-200", "1111.11"),
                pnl(2, "t-400", "1000.00"),
                // Left unmapped on purpose.
                pnl(2, "t-200", "-250.50"),
            ],
            net_profits: vec![],
            rates: vec![FxRate {
                currency: aud(),
                month: month(),
                average: d("1.08"),
                closing: d("1.08"),
            }],
            intercompany_contacts: vec![
                IntercompanyContact {
                    entity: EntityId(1),
                    contact_id: "c-tui".into(),
                    counterpart: EntityId(2),
                },
                IntercompanyContact {
                    entity: EntityId(2),
                    contact_id: "c-kea".into(),
                    counterpart: EntityId(1),
                },
            ],
            invoices: vec![
                invoice(1, InvoiceType::Accrec, "inv-k-42", "c-tui", "200"),
                invoice(2, InvoiceType::Accpay, "bill-t-42", "c-kea", "400"),
            ],
            rejected: Vec::new(),
        }
    }

    fn range(bytes: &[u8], sheet: &str) -> calamine::Range<Data> {
        let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.to_vec())).unwrap();
        wb.worksheet_range(sheet).unwrap()
    }

    /// A number cell read back, rounded to cents as a Decimal.
    fn cents(cell: Option<&Data>) -> Decimal {
        match cell {
            Some(Data::Float(x)) => Decimal::from_str(&format!("{x:.2}")).unwrap(),
            Some(Data::Int(i)) => Decimal::from(*i),
            other => panic!("not a number: {other:?}"),
        }
    }

    fn text(cell: Option<&Data>) -> String {
        match cell {
            Some(Data::String(s)) => s.clone(),
            Some(Data::Empty) | None => String::new(),
            other => panic!("not text: {other:?}"),
        }
    }

    fn sheet_xml(bytes: &[u8], n: usize) -> String {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes.to_vec())).unwrap();
        let mut xml = String::new();
        zip.by_name(&format!("xl/worksheets/sheet{n}.xml"))
            .unwrap()
            .read_to_string(&mut xml)
            .unwrap();
        xml
    }

    #[test]
    fn accounting_formats_follow_minor_units() {
        assert_eq!(accounting_format(2), "#,##0.00;(#,##0.00);\"-\"");
        assert_eq!(accounting_format(0), "#,##0;(#,##0);\"-\"");
        assert_eq!(accounting_format(3), "#,##0.000;(#,##0.000);\"-\"");
    }

    #[test]
    fn the_pnl_workbook_has_the_report_its_eliminations_and_rates() {
        let data = group();
        let period = MonthRange::single(month());
        let report = consolidate(&data, period).unwrap().report;
        let bytes = profit_and_loss_xlsx(&data, period, "Kea Group").unwrap();

        let wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.clone())).unwrap();
        assert_eq!(
            wb.sheet_names(),
            [PNL_SHEET, ELIMINATIONS_SHEET, RATES_SHEET]
        );

        let pnl = range(&bytes, PNL_SHEET);
        assert_eq!(text(pnl.get_value((0, 0))), "Kea Group");
        assert!(text(pnl.get_value((2, 0))).contains("NZD"));
        let header: Vec<String> = (0..6)
            .map(|c| text(pnl.get_value((PNL_HEADER_ROW, c))))
            .collect();
        assert_eq!(
            header,
            [
                "Code",
                "Account",
                "Kea",
                "Tui",
                "Eliminations",
                "Consolidated"
            ]
        );
        // Every report line has its row, with its values to the cent.
        let mut next = PNL_HEADER_ROW + 1;
        for line in &report.lines {
            let row = (next..pnl.end().unwrap().0 + 1)
                .find(|&r| text(pnl.get_value((r, 1))).starts_with(&line.account_name))
                .unwrap_or_else(|| panic!("no row for {}", line.key));
            next = row + 1;
            for (i, col) in report.columns.iter().enumerate() {
                let got = cents(pnl.get_value((row, u32::from(PNL_FROZEN_COLUMNS) + i as u32)));
                assert_eq!(got, line.values.at(i), "{} {}", line.key, col.key);
            }
        }
        let net = report.line("net_profit").unwrap();
        assert_eq!(
            net.values.get(CONSOLIDATED),
            Some(report.net_profit.get(CONSOLIDATED).unwrap())
        );
        // Unmapped lines name their entity.
        assert!(
            (0..30).any(|r| text(pnl.get_value((r, 1))) == "Sales (Tui)"),
            "{pnl:?}"
        );

        // Both sides of the invoice are eliminated; their effects add up
        // to the eliminations column's Net Profit.
        let elim = range(&bytes, ELIMINATIONS_SHEET);
        let rows: Vec<u32> = (1..elim.end().unwrap().0 + 1)
            .filter(|&r| !text(elim.get_value((r, 4))).is_empty())
            .collect();
        assert_eq!(rows.len(), 2);
        let ids: Vec<String> = rows.iter().map(|&r| text(elim.get_value((r, 4)))).collect();
        assert_eq!(ids, ["inv-k-42", "bill-t-42"]);
        let effects: Decimal = rows.iter().map(|&r| cents(elim.get_value((r, 14)))).sum();
        assert_eq!(Some(effects), report.net_profit.get(ELIMINATIONS));
        let total_row = elim.end().unwrap().0;
        assert_eq!(text(elim.get_value((total_row, 0))), "Total");
        assert_eq!(cents(elim.get_value((total_row, 14))), effects);
        // The invoice's date is a real date.
        assert!(matches!(elim.get_value((1, 5)), Some(Data::DateTime(_))));

        let rates = range(&bytes, RATES_SHEET);
        assert_eq!(rates.height(), 1 + report.rates.len());
        assert_eq!(text(rates.get_value((1, 0))), "AUD");
        assert_eq!(text(rates.get_value((1, 1))), "2026-03");
        assert_eq!(cents(rates.get_value((1, 2))), d("1.08"));

        // The heading rows and the code and name columns are frozen.
        let xml = sheet_xml(&bytes, 1);
        assert!(
            xml.contains(r#"<pane xSplit="2" ySplit="5" topLeftCell="C6""#)
                && xml.contains(r#"state="frozen""#),
            "{xml}"
        );
        // Amounts carry the accountant's format.
        let styles = {
            let mut zip = zip::ZipArchive::new(Cursor::new(bytes.clone())).unwrap();
            let mut s = String::new();
            zip.by_name("xl/styles.xml")
                .unwrap()
                .read_to_string(&mut s)
                .unwrap();
            s
        };
        assert!(
            styles.contains("formatCode=\"#,##0.00;(#,##0.00);&quot;-&quot;\""),
            "{styles}"
        );
    }

    #[test]
    fn the_intercompany_workbook_lists_pairs_and_summaries() {
        let mut data = group();
        // Tui's bill is entered at a different amount.
        data.invoices[1].total = d("990.00");
        data.invoices[1].lines[0].line_amount = d("990.00");
        let rec = reconcile_intercompany(&data, MonthRange::single(month())).unwrap();
        let names: HashMap<EntityId, String> = data
            .entities
            .iter()
            .map(|e| (e.id, e.name.clone()))
            .collect();
        let bytes = intercompany_xlsx(&rec, &names).unwrap();
        let wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.clone())).unwrap();
        assert_eq!(wb.sheet_names(), [PAIRS_SHEET, SUMMARY_SHEET]);

        let pairs = range(&bytes, PAIRS_SHEET);
        assert_eq!(pairs.height(), 1 + rec.pairs.len());
        assert_eq!(text(pairs.get_value((1, 0))), "Kea");
        assert_eq!(text(pairs.get_value((1, 1))), "Tui");
        assert_eq!(text(pairs.get_value((1, 3))), "Amount differs");
        assert_eq!(text(pairs.get_value((1, 5))), "INV-0042");
        assert_eq!(cents(pairs.get_value((1, 8))), d("1000.00"));
        assert_eq!(cents(pairs.get_value((1, 13))), d("990.00"));
        assert_eq!(
            Some(cents(pairs.get_value((1, 15)))),
            rec.pairs[0].net_effect
        );

        let summary = range(&bytes, SUMMARY_SHEET);
        assert_eq!(summary.height(), 1 + rec.summary.len());
        assert_eq!(cents(summary.get_value((1, 4))), Decimal::ONE);
        assert_eq!(cents(summary.get_value((1, 8))), rec.summary[0].net_effect);
        assert!(sheet_xml(&bytes, 1).contains(r#"state="frozen""#));
    }
}
