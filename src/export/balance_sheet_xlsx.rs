//! The consolidated balance sheet as an Excel workbook: the report itself
//! (entity columns, eliminations, consolidated), the translation reserve's
//! roll-forward per foreign entity, and the intercompany balances.
//!
//! As in `xlsx.rs`, amounts stay `Decimal` until rust_xlsxwriter writes
//! the cell (its `rust_decimal` feature), and totals are the engine's
//! values, not Excel formulas, so the workbook says what the JSON says.

use rust_xlsxwriter::{Format, FormatBorder, RowNum, Workbook, Worksheet, XlsxError};

use super::xlsx::{ExportError, accounting_format};
use crate::consolidation::bs_compare::Comparison;
use crate::engine::balance_sheet::BalanceSheetReport;

/// Sheet names of the balance-sheet workbook.
pub const BS_SHEET: &str = "Balance sheet";
pub const CTA_SHEET: &str = "Translation reserve";
pub const IC_BALANCES_SHEET: &str = "Intercompany balances";

/// The row of the balance sheet's column headings (zero-based), below two
/// title rows and a blank one; it and the rows above it are frozen.
pub const BS_HEADER_ROW: RowNum = 3;

/// The columns of the roll-forward sheet, in order.
pub const CTA_HEADERS: [&str; 8] = [
    "Entity",
    "From",
    "Opening",
    "On opening net assets",
    "On profit",
    "On contributions",
    "Rounding",
    "Closing",
];

struct Styles {
    title: Format,
    header: Format,
    bold: Format,
    amount: Format,
    bold_amount: Format,
}

impl Styles {
    fn new(minor_units: u32) -> Self {
        let amount = Format::new().set_num_format(accounting_format(minor_units));
        Self {
            title: Format::new().set_bold().set_font_size(14),
            header: Format::new()
                .set_bold()
                .set_border_bottom(FormatBorder::Thin)
                .set_text_wrap(),
            bold: Format::new().set_bold(),
            bold_amount: amount.clone().set_bold(),
            amount,
        }
    }
}

/// The workbook of `report`. `comparison`, when given, is the consolidated
/// column at an earlier month end, added last.
pub fn balance_sheet_xlsx(
    report: &BalanceSheetReport,
    comparison: Option<&Comparison>,
    group_name: &str,
) -> Result<Vec<u8>, ExportError> {
    let styles = Styles::new(report.currency.minor_units());
    let mut wb = Workbook::new();
    bs_sheet(wb.add_worksheet(), report, comparison, group_name, &styles)?;
    cta_sheet(wb.add_worksheet(), report, &styles)?;
    ic_sheet(wb.add_worksheet(), report, &styles)?;
    Ok(wb.save_to_buffer()?)
}

fn bs_sheet(
    ws: &mut Worksheet,
    report: &BalanceSheetReport,
    comparison: Option<&Comparison>,
    group_name: &str,
    styles: &Styles,
) -> Result<(), XlsxError> {
    ws.set_name(BS_SHEET)?;
    ws.write_string_with_format(
        0,
        0,
        format!("{group_name}: consolidated balance sheet"),
        &styles.title,
    )?;
    ws.write_string(
        1,
        0,
        format!("At the end of {} in {}", report.at, report.currency),
    )?;
    let h = BS_HEADER_ROW;
    for (col, text) in [(0, "Section"), (1, "Code"), (2, "Account")] {
        ws.write_string_with_format(h, col, text, &styles.header)?;
    }
    ws.set_column_width(0, 22)?;
    ws.set_column_width(2, 40)?;
    let mut col = 3;
    for c in &report.columns {
        ws.write_string_with_format(h, col, &c.name, &styles.header)?;
        ws.set_column_width(col, 16)?;
        col += 1;
    }
    if let Some(cmp) = comparison {
        ws.write_string_with_format(h, col, format!("Consolidated {}", cmp.at), &styles.header)?;
        ws.set_column_width(col, 16)?;
    }
    ws.set_freeze_panes(h + 1, 3)?;
    for (row, line) in (h + 1..).zip(&report.lines) {
        let total = line.section == "Totals" || line.key.starts_with("total:");
        ws.write_string(row, 0, &line.section)?;
        ws.write_string(row, 1, line.account_code.as_deref().unwrap_or_default())?;
        let (text, amount) = if total {
            (&styles.bold, &styles.bold_amount)
        } else {
            (&Format::new(), &styles.amount)
        };
        ws.write_string_with_format(row, 2, &line.account_name, text)?;
        let mut col = 3;
        for c in &report.columns {
            let v = line.values.get(&c.key).copied().unwrap_or_default();
            ws.write_with_format(row, col, v, amount)?;
            col += 1;
        }
        if let Some(cmp) = comparison {
            // A line the earlier month did not have stays blank.
            match cmp.consolidated.get(&line.key) {
                Some(v) => ws.write_with_format(row, col, *v, amount)?,
                None => ws.write_blank(row, col, amount)?,
            };
        }
    }
    Ok(())
}

fn cta_sheet(
    ws: &mut Worksheet,
    report: &BalanceSheetReport,
    styles: &Styles,
) -> Result<(), XlsxError> {
    ws.set_name(CTA_SHEET)?;
    for (col, text) in (0..).zip(CTA_HEADERS) {
        ws.write_string_with_format(0, col, text, &styles.header)?;
        ws.set_column_width(col, if col == 0 { 28 } else { 16 })?;
    }
    ws.set_freeze_panes(1, 1)?;
    for (row, r) in (1..).zip(&report.translation_reserve) {
        let name = report
            .columns
            .iter()
            .find(|c| c.entity == Some(r.entity))
            .map(|c| c.name.clone())
            .unwrap_or_else(|| format!("entity {}", r.entity.0));
        ws.write_string(row, 0, name)?;
        ws.write_string(row, 1, r.from.to_string())?;
        for (col, v) in (2..).zip([
            r.opening,
            r.on_opening_net_assets,
            r.on_profit,
            r.on_contributions,
            r.rounding,
            r.closing,
        ]) {
            ws.write_with_format(row, col, v, &styles.amount)?;
        }
    }
    Ok(())
}

/// The columns of the intercompany balances sheet, in order.
pub const IC_HEADERS: [&str; 5] = [
    "Entity",
    "Counterpart",
    "Entity's claim",
    "Counterpart's claim",
    "Difference",
];

/// One row per pair of entities: each side's claim on the other at the
/// closing rate, and what they leave on the intercompany difference line.
/// A group with no intercompany balances gets a sentence, not an empty
/// table that could read as "not computed".
fn ic_sheet(
    ws: &mut Worksheet,
    report: &BalanceSheetReport,
    styles: &Styles,
) -> Result<(), XlsxError> {
    ws.set_name(IC_BALANCES_SHEET)?;
    for (col, text) in (0..).zip(IC_HEADERS) {
        ws.write_string_with_format(0, col, text, &styles.header)?;
        ws.set_column_width(col, if col < 2 { 28 } else { 18 })?;
    }
    ws.set_freeze_panes(1, 2)?;
    let name = |e: crate::engine::EntityId| {
        report
            .columns
            .iter()
            .find(|c| c.entity == Some(e))
            .map(|c| c.name.clone())
            .unwrap_or_else(|| format!("entity {}", e.0))
    };
    if report.intercompany_balances.is_empty() {
        ws.write_string(1, 0, "No intercompany balances at this month end.")?;
        return Ok(());
    }
    for (row, p) in (1..).zip(&report.intercompany_balances) {
        ws.write_string(row, 0, name(p.entity))?;
        ws.write_string(row, 1, name(p.counterpart))?;
        ws.write_with_format(row, 2, p.entity_side, &styles.amount)?;
        ws.write_with_format(row, 3, p.counterpart_side, &styles.amount)?;
        ws.write_with_format(row, 4, p.difference, &styles.bold_amount)?;
    }
    Ok(())
}
