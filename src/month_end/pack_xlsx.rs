//! The pack as an Excel workbook: one sheet per section, each with its
//! commentary under the title. Amounts are written from the pack's
//! `Decimal`s as number cells (the only float is Excel's own cell), with
//! the accountant's format; a period without an amount is a blank cell.

use rust_decimal::Decimal;
use rust_xlsxwriter::{Format, FormatAlign, RowNum, Workbook, Worksheet, XlsxError};

use super::outputs::KpiFigures;
use super::pack::{Pack, PackSection, SectionContent};
use crate::export::xlsx::accounting_format;

/// The row of each sheet's column headings (zero-based), below the title,
/// the commentary and a blank row. Data starts on the next row.
pub const HEADER_ROW: RowNum = 3;

/// Sheet names, by section key.
pub fn sheet_name(section: &str) -> &'static str {
    match section {
        "cover" => "Cover",
        "kpis" => "Key figures",
        "profit_and_loss" => "Profit and loss",
        "intercompany" => "Intercompany",
        _ => "Warnings",
    }
}

struct Styles {
    title: Format,
    header: Format,
    amount: Format,
    bold_amount: Format,
    bold: Format,
    wrap: Format,
}

fn head(
    ws: &mut Worksheet,
    section: &PackSection,
    headers: &[(&str, f64)],
    st: &Styles,
) -> Result<(), XlsxError> {
    ws.write_with_format(0, 0, section.title, &st.title)?;
    if let Some(c) = &section.commentary {
        ws.write_with_format(1, 0, c.as_str(), &st.wrap)?;
    }
    for (col, (text, width)) in (0u16..).zip(headers) {
        ws.write_with_format(HEADER_ROW, col, *text, &st.header)?;
        ws.set_column_width(col, *width)?;
    }
    Ok(())
}

fn amount(
    ws: &mut Worksheet,
    row: RowNum,
    col: u16,
    v: Option<Decimal>,
    f: &Format,
) -> Result<(), XlsxError> {
    match v {
        Some(d) => ws.write_with_format(row, col, d, f)?,
        None => ws.write_blank(row, col, f)?,
    };
    Ok(())
}

fn kpi_cells(
    ws: &mut Worksheet,
    row: RowNum,
    first: u16,
    k: &KpiFigures,
    st: &Styles,
) -> Result<(), XlsxError> {
    let f = &st.amount;
    amount(ws, row, first, Some(k.revenue), f)?;
    amount(ws, row, first + 1, Some(k.gross_profit), f)?;
    match k.gross_margin_percent {
        Some(p) => ws.write(row, first + 2, p)?,
        None => ws.write(row, first + 2, "-")?,
    };
    amount(ws, row, first + 3, Some(k.operating_expenses), f)?;
    amount(ws, row, first + 4, Some(k.net_profit), f)?;
    Ok(())
}

/// The workbook's bytes.
pub fn pack_xlsx(pack: &Pack) -> Result<Vec<u8>, XlsxError> {
    let places = pack.group.presentation_currency.minor_units();
    let number = accounting_format(places);
    let st = Styles {
        title: Format::new().set_bold().set_font_size(14),
        header: Format::new()
            .set_bold()
            .set_align(FormatAlign::Center)
            .set_text_wrap(),
        amount: Format::new().set_num_format(&number),
        bold_amount: Format::new().set_bold().set_num_format(&number),
        bold: Format::new().set_bold(),
        wrap: Format::new().set_text_wrap(),
    };
    let mut wb = Workbook::new();
    for section in &pack.sections {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name(section.key))?;
        let mut row = HEADER_ROW + 1;
        match &section.content {
            SectionContent::Cover(c) => {
                head(ws, section, &[("", 24.0), ("", 60.0)], &st)?;
                let rows: [(&str, String); 8] = [
                    ("Group", c.group_name.clone()),
                    ("Month", c.month.to_string()),
                    ("Version", c.version.to_string()),
                    ("Closed by", c.closed_by.clone().unwrap_or_default()),
                    (
                        "Closed at",
                        c.closed_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                    ),
                    ("Currency", c.presentation_currency.to_string()),
                    (
                        "Reopened",
                        match (&c.reopened_at, &c.reopen_reason) {
                            (Some(at), Some(r)) => {
                                format!("{}: {r}", at.format("%Y-%m-%d %H:%M UTC"))
                            }
                            _ => String::new(),
                        },
                    ),
                    ("Snapshot SHA-256", c.snapshot_hash.clone()),
                ];
                for (label, value) in rows {
                    ws.write_with_format(row, 0, label, &st.bold)?;
                    ws.write(row, 1, value)?;
                    row += 1;
                }
            }
            SectionContent::Kpis(k) => {
                head(
                    ws,
                    section,
                    &[
                        ("", 28.0),
                        ("Revenue (month)", 16.0),
                        ("Gross profit (month)", 16.0),
                        ("Gross margin % (month)", 12.0),
                        ("Operating expenses (month)", 16.0),
                        ("Net profit (month)", 16.0),
                        ("Revenue (YTD)", 16.0),
                        ("Gross profit (YTD)", 16.0),
                        ("Gross margin % (YTD)", 12.0),
                        ("Operating expenses (YTD)", 16.0),
                        ("Net profit (YTD)", 16.0),
                    ],
                    &st,
                )?;
                for c in &k.columns {
                    ws.write(row, 0, c.name.as_str())?;
                    kpi_cells(ws, row, 1, &c.month, &st)?;
                    kpi_cells(ws, row, 6, &c.year_to_date, &st)?;
                    row += 1;
                }
            }
            SectionContent::Statement(s) => {
                let mut headers = vec![("Code", 10.0), ("Account", 36.0)];
                headers.extend(s.columns.iter().map(|c| (c.title.as_str(), 18.0)));
                head(ws, section, &headers, &st)?;
                for l in &s.lines {
                    let total = l.kind != "account";
                    ws.write(row, 0, l.account_code.as_deref().unwrap_or(""))?;
                    if total {
                        ws.write_with_format(row, 1, l.account_name.as_str(), &st.bold)?;
                    } else {
                        ws.write(row, 1, l.account_name.as_str())?;
                    }
                    let f = if total { &st.bold_amount } else { &st.amount };
                    for (col, c) in (2u16..).zip(&s.columns) {
                        amount(ws, row, col, l.values.get(c.key).copied().flatten(), f)?;
                    }
                    row += 1;
                }
                ws.set_freeze_panes(HEADER_ROW + 1, 2)?;
            }
            SectionContent::Intercompany(i) => {
                head(
                    ws,
                    section,
                    &[
                        ("Seller", 24.0),
                        ("Buyer", 24.0),
                        ("Matched", 10.0),
                        ("Amount differs", 10.0),
                        ("Counterpart missing", 10.0),
                        ("Seller amount", 16.0),
                        ("Buyer amount", 16.0),
                        ("Net effect on profit", 16.0),
                        ("Complete", 10.0),
                    ],
                    &st,
                )?;
                for r in &i.rows {
                    ws.write(row, 0, r.seller.as_str())?;
                    ws.write(row, 1, r.buyer.as_str())?;
                    ws.write(row, 2, u32::try_from(r.matched).unwrap_or(u32::MAX))?;
                    ws.write(row, 3, u32::try_from(r.amount_differs).unwrap_or(u32::MAX))?;
                    ws.write(
                        row,
                        4,
                        u32::try_from(r.counterpart_missing).unwrap_or(u32::MAX),
                    )?;
                    amount(ws, row, 5, Some(r.seller_amount), &st.amount)?;
                    amount(ws, row, 6, Some(r.buyer_amount), &st.amount)?;
                    amount(ws, row, 7, Some(r.net_effect), &st.amount)?;
                    ws.write(row, 8, if r.complete { "yes" } else { "no" })?;
                    row += 1;
                }
            }
            SectionContent::Warnings(w) => {
                head(
                    ws,
                    section,
                    &[("Severity", 10.0), ("Kind", 22.0), ("Warning", 90.0)],
                    &st,
                )?;
                for r in &w.rows {
                    ws.write(row, 0, r.severity.as_str())?;
                    ws.write(row, 1, r.kind.as_str())?;
                    ws.write(row, 2, r.message.as_str())?;
                    row += 1;
                }
            }
        }
    }
    wb.save_to_buffer()
}
