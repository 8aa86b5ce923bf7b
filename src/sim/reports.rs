//! Reports computed from the ledger on request (never stored), in Xero's
//! Rows/Cells shape: ProfitAndLoss, BalanceSheet and TrialBalance.

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::chart::Section;
use super::error::ApiError;
use super::ledger::Ledger;
use super::postings::{FX_GROUP_ID, FxGroup};
use crate::xero::num::round2;
use crate::xero::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timeframe {
    Month,
    Quarter,
    Year,
}

impl Timeframe {
    fn months(&self) -> u32 {
        match self {
            Self::Month => 1,
            Self::Quarter => 3,
            Self::Year => 12,
        }
    }
}

/// Report query parameters (`fromDate`, `toDate`, `date`, `periods`,
/// `timeframe`, `standardLayout`, `paymentsOnly`, `trackingCategoryID`,
/// `trackingOptionID`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReportParams {
    pub from_date: Option<NaiveDate>,
    pub to_date: Option<NaiveDate>,
    pub date: Option<NaiveDate>,
    /// Extra earlier periods, 1 to 11.
    pub periods: Option<u32>,
    pub timeframe: Option<Timeframe>,
    pub standard_layout: bool,
    /// Accepted and ignored: reports are on the accrual basis.
    pub payments_only: bool,
    /// Accepted; without `tracking_option_id` the report is not split
    /// into a column per option (Xero does that; the simulator does not yet).
    pub tracking_category_id: Option<Uuid>,
    /// Profit and loss only for lines tagged with this option.
    pub tracking_option_id: Option<Uuid>,
}

fn parse_date(v: &str) -> Result<NaiveDate, ApiError> {
    XeroDate::parse(v)
        .map(|d| d.date())
        .map_err(|_| ApiError::message(format!("'{v}' is not a valid date")))
}

impl ReportParams {
    /// Parses the raw query pairs (names case-insensitive).
    pub fn from_params(pairs: &[(String, String)]) -> Result<Self, ApiError> {
        let mut p = ReportParams::default();
        for (k, v) in pairs {
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            match k.to_ascii_lowercase().as_str() {
                "fromdate" => p.from_date = Some(parse_date(v)?),
                "todate" => p.to_date = Some(parse_date(v)?),
                "date" => p.date = Some(parse_date(v)?),
                "periods" => {
                    let n: u32 = v.parse().map_err(|_| {
                        ApiError::message(format!("'{v}' is not a valid number of periods"))
                    })?;
                    p.periods = Some(n);
                }
                "timeframe" => {
                    p.timeframe = Some(match v.to_ascii_uppercase().as_str() {
                        "MONTH" => Timeframe::Month,
                        "QUARTER" => Timeframe::Quarter,
                        "YEAR" => Timeframe::Year,
                        _ => {
                            return Err(ApiError::message(format!(
                                "'{v}' is not a valid timeframe"
                            )));
                        }
                    })
                }
                "standardlayout" => p.standard_layout = v.eq_ignore_ascii_case("true"),
                "paymentsonly" => p.payments_only = v.eq_ignore_ascii_case("true"),
                "trackingcategoryid" => p.tracking_category_id = Uuid::parse_str(v).ok(),
                "trackingoptionid" => p.tracking_option_id = Uuid::parse_str(v).ok(),
                _ => {}
            }
        }
        Ok(p)
    }

    fn periods(&self) -> Result<u32, ApiError> {
        match self.periods {
            None | Some(0) => Ok(0),
            Some(n @ 1..=11) => Ok(n),
            Some(_) => Err(ApiError::message("periods must be between 1 and 11")),
        }
    }
}

/// `d` moved by `months` (negative: earlier), keeping the day of the month
/// but cut to the length of the target month. This is how Xero repeats a
/// range for earlier periods: 1 to 30 June becomes 1 to 30 May.
pub fn shift_months(d: NaiveDate, months: i32) -> NaiveDate {
    let total = d.year() * 12 + d.month0() as i32 + months;
    let (y, m) = (total.div_euclid(12), total.rem_euclid(12) as u32 + 1);
    let last = crate::domain::Month::new(y, m)
        .map(|x| x.days())
        .unwrap_or(28);
    NaiveDate::from_ymd_opt(y, m, d.day().min(last)).unwrap_or(d)
}

fn month_end(d: NaiveDate) -> NaiveDate {
    crate::domain::Month::of(d).last_day()
}

fn money(v: Decimal) -> String {
    round2(v).to_string()
}

fn account_attr(key: Option<String>) -> Option<Vec<ReportAttribute>> {
    key.map(|value| {
        vec![ReportAttribute {
            id: "account".into(),
            value,
        }]
    })
}

/// The key Xero puts on "Current Year Earnings" (it is no account).
pub const CURRENT_YEAR_EARNINGS_ID: &str = "00000000-0000-0000-0000-000000000000";

fn cell(v: String, attrs: &Option<Vec<ReportAttribute>>) -> ReportCell {
    ReportCell {
        value: v,
        attributes: attrs.clone(),
    }
}

fn row(row_type: RowType, label: &str, values: &[Decimal], key: Option<String>) -> ReportRow {
    let attrs = account_attr(key);
    let mut cells = vec![cell(label.to_string(), &attrs)];
    cells.extend(values.iter().map(|v| cell(money(*v), &attrs)));
    ReportRow {
        row_type,
        title: None,
        cells: Some(cells),
        rows: None,
    }
}

fn section(title: &str, rows: Vec<ReportRow>) -> ReportRow {
    ReportRow {
        row_type: RowType::Section,
        title: Some(title.to_string()),
        cells: None,
        rows: Some(rows),
    }
}

fn header(cells: Vec<String>) -> ReportRow {
    ReportRow {
        row_type: RowType::Header,
        title: None,
        cells: Some(
            cells
                .into_iter()
                .map(|v| ReportCell {
                    value: v,
                    attributes: None,
                })
                .collect(),
        ),
        rows: None,
    }
}

fn add(a: &mut [Decimal], b: &[Decimal]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x += *y;
    }
}

impl Ledger {
    /// Per account, the sum of postings in each inclusive date range.
    pub(crate) fn sums(&self, ranges: &[(NaiveDate, NaiveDate)]) -> Vec<Vec<Decimal>> {
        self.sums_tracked(ranges, None)
    }

    /// As [`Ledger::sums`], counting only postings from lines tagged with
    /// the tracking option when one is given.
    pub(crate) fn sums_tracked(
        &self,
        ranges: &[(NaiveDate, NaiveDate)],
        option: Option<Uuid>,
    ) -> Vec<Vec<Decimal>> {
        let mut out = vec![vec![Decimal::ZERO; ranges.len()]; self.slot_count()];
        self.for_each_posting(|p| {
            if option.is_some() && !p.tracking.contains(&option) {
                return;
            }
            for (k, (from, to)) in ranges.iter().enumerate() {
                if *from <= p.date && p.date <= *to {
                    out[p.account][k] += p.amount;
                }
            }
        });
        out
    }

    /// A posting slot's report label and `account` attribute: the account's
    /// name and AccountID, or a currency gain group's title and
    /// `FXGROUPID`.
    fn slot_label(&self, i: usize) -> (String, Option<String>) {
        match self.fx_group_of(i) {
            Some(g) => (g.title().to_string(), Some(FX_GROUP_ID.to_string())),
            None => {
                let a = &self.accounts[i];
                (
                    a.name.clone().unwrap_or_default(),
                    a.account_id.map(|id| id.to_string()),
                )
            }
        }
    }

    /// The start of the financial year that contains `d`.
    pub fn financial_year_start(&self, d: NaiveDate) -> NaiveDate {
        let (day, month) = self.financial_year_end();
        let end_in = |y: i32| {
            let last = crate::domain::Month::new(y, month)
                .map(|m| m.days())
                .unwrap_or(31);
            NaiveDate::from_ymd_opt(y, month, day.min(last)).unwrap_or(d)
        };
        let this = end_in(d.year());
        let fy_end = if d <= this {
            this
        } else {
            end_in(d.year() + 1)
        };
        let prev_end = end_in(fy_end.year() - 1);
        prev_end.succ_opt().unwrap_or(prev_end)
    }

    fn report(&self, id: &str, name: &str, subtitle: String, rows: Vec<ReportRow>) -> Reports {
        let now = self.now();
        let report = Report {
            report_id: Some(id.into()),
            report_name: Some(name.into()),
            report_type: Some(id.into()),
            report_titles: Some(vec![
                if id == "ProfitAndLoss" {
                    "Profit & Loss".into()
                } else {
                    name.into()
                },
                self.name().to_string(),
                subtitle,
            ]),
            report_date: Some(now.date().format("%-d %B %Y").to_string()),
            updated_date_utc: Some(now),
            fields: Some(vec![]),
            rows,
        };
        Reports::ok(Uuid::new_v4(), "Xero Simulator", now, vec![report])
    }

    /// `GET /Reports/ProfitAndLoss`. Columns are the from/to range and, with
    /// `periods`, that range repeated `periods` times earlier by `timeframe`
    /// (day of month kept, cut to the month's length), latest first.
    pub fn profit_and_loss(&self, p: &ReportParams) -> Result<Reports, ApiError> {
        let today = self.today();
        let from = p
            .from_date
            .unwrap_or_else(|| crate::domain::Month::of(today).first_day());
        let to = p.to_date.unwrap_or_else(|| month_end(from));
        if to < from {
            return Err(ApiError::message("The toDate must be after the fromDate"));
        }
        let step = p.timeframe.unwrap_or(Timeframe::Month).months() as i32;
        let n = p.periods()? as i32;
        let ranges: Vec<(NaiveDate, NaiveDate)> = (0..=n)
            .map(|k| (shift_months(from, -k * step), shift_months(to, -k * step)))
            .collect();
        let sums = self.sums_tracked(&ranges, p.tracking_option_id);
        let mut head = vec![String::new()];
        head.extend(
            ranges
                .iter()
                .map(|(_, t)| t.format("%-d %b %y").to_string()),
        );
        let cols = ranges.len();
        let mut rows = vec![header(head)];

        let totals = |sec: Section, sign: Decimal| -> (Vec<ReportRow>, Vec<Decimal>) {
            let mut idx: Vec<(String, Option<String>, usize)> = (0..self.slot_count())
                .filter(|&i| self.section(i) == sec && sums[i].iter().any(|v| !v.is_zero()))
                .map(|i| {
                    let (name, key) = self.slot_label(i);
                    (name, key, i)
                })
                .collect();
            idx.sort_by(|a, b| a.0.cmp(&b.0));
            let mut total = vec![Decimal::ZERO; cols];
            let mut out = Vec::new();
            for (name, key, i) in idx {
                let vals: Vec<Decimal> = sums[i].iter().map(|v| sign * v).collect();
                add(&mut total, &vals);
                out.push(row(RowType::Row, &name, &vals, key));
            }
            (out, total)
        };
        let neg = Decimal::NEGATIVE_ONE;
        let (income, t_income) = totals(Section::Income, neg);
        let (cos, t_cos) = totals(Section::CostOfSales, Decimal::ONE);
        let (other, t_other) = totals(Section::OtherIncome, neg);
        let (opex, t_opex) = totals(Section::OperatingExpenses, Decimal::ONE);

        let mut income_rows = income;
        income_rows.push(row(RowType::SummaryRow, "Total Income", &t_income, None));
        rows.push(section("Income", income_rows));
        let gross: Vec<Decimal> = t_income.iter().zip(&t_cos).map(|(a, b)| a - b).collect();
        if !cos.is_empty() {
            let mut r = cos;
            r.push(row(
                RowType::SummaryRow,
                "Total Cost of Sales",
                &t_cos,
                None,
            ));
            rows.push(section("Less Cost of Sales", r));
            rows.push(section(
                "",
                vec![row(RowType::Row, "Gross Profit", &gross, None)],
            ));
        }
        if !other.is_empty() {
            let mut r = other;
            r.push(row(
                RowType::SummaryRow,
                "Total Other Income",
                &t_other,
                None,
            ));
            rows.push(section("Plus Other Income", r));
        }
        let mut r = opex;
        r.push(row(
            RowType::SummaryRow,
            "Total Operating Expenses",
            &t_opex,
            None,
        ));
        rows.push(section("Less Operating Expenses", r));
        let net: Vec<Decimal> = (0..cols)
            .map(|k| gross[k] + t_other[k] - t_opex[k])
            .collect();
        rows.push(section(
            "",
            vec![row(RowType::Row, "Net Profit", &net, None)],
        ));

        let subtitle = format!("{} to {}", from.format("%-d %B %Y"), to.format("%-d %B %Y"));
        Ok(self.report("ProfitAndLoss", "Profit and Loss", subtitle, rows))
    }

    /// `GET /Reports/BalanceSheet` as at `date` (default: the end of this
    /// month) and `periods` earlier dates by `timeframe`.
    pub fn balance_sheet(&self, p: &ReportParams) -> Result<Reports, ApiError> {
        let date = p.date.unwrap_or_else(|| month_end(self.today()));
        let step = p.timeframe.unwrap_or(Timeframe::Month).months() as i32;
        let n = p.periods()? as i32;
        let dates: Vec<NaiveDate> = (0..=n).map(|k| shift_months(date, -k * step)).collect();
        let cols = dates.len();
        let mut ranges: Vec<(NaiveDate, NaiveDate)> =
            dates.iter().map(|d| (NaiveDate::MIN, *d)).collect();
        // Profit since each date's financial year start: current year earnings.
        ranges.extend(dates.iter().map(|d| (self.financial_year_start(*d), *d)));
        let sums = self.sums(&ranges);
        let re = self.system_account("RETAINEDEARNINGS");

        let mut head = vec![String::new()];
        head.extend(dates.iter().map(|d| d.format("%-d %b %Y").to_string()));
        let mut rows = vec![header(head)];
        let mut cye = vec![Decimal::ZERO; cols];
        let mut prior = vec![Decimal::ZERO; cols];
        for (i, s) in sums.iter().enumerate() {
            if self.section(i).is_profit_and_loss() {
                for k in 0..cols {
                    cye[k] -= s[cols + k];
                    prior[k] -= s[k] - s[cols + k];
                }
            }
        }

        let block =
            |secs: &[Section], sign: Decimal| -> Vec<(Section, Vec<ReportRow>, Vec<Decimal>)> {
                secs.iter()
                    .map(|sec| {
                        let mut idx: Vec<usize> = (0..self.accounts.len())
                            .filter(|&i| self.section(i) == *sec)
                            .filter(|&i| {
                                i == re && *sec == Section::Equity
                                    || sums[i][..cols].iter().any(|v| !v.is_zero())
                            })
                            .collect();
                        idx.sort_by(|a, b| self.accounts[*a].name.cmp(&self.accounts[*b].name));
                        let mut total = vec![Decimal::ZERO; cols];
                        let mut out = Vec::new();
                        for i in idx {
                            let mut vals: Vec<Decimal> =
                                sums[i][..cols].iter().map(|v| sign * v).collect();
                            if i == re {
                                add(&mut vals, &prior);
                            }
                            add(&mut total, &vals);
                            let a = &self.accounts[i];
                            out.push(row(
                                RowType::Row,
                                a.name.as_deref().unwrap_or(""),
                                &vals,
                                a.account_id.map(|id| id.to_string()),
                            ));
                        }
                        (*sec, out, total)
                    })
                    .collect()
            };
        let title = |s: Section| match s {
            Section::Bank => "Bank",
            Section::CurrentAssets => "Current Assets",
            Section::FixedAssets => "Fixed Assets",
            Section::NonCurrentAssets => "Non-current Assets",
            Section::CurrentLiabilities => "Current Liabilities",
            Section::NonCurrentLiabilities => "Non-Current Liabilities",
            _ => "Equity",
        };
        let mut total_assets = vec![Decimal::ZERO; cols];
        rows.push(section("Assets", vec![]));
        for (sec, r, t) in block(
            &[
                Section::Bank,
                Section::CurrentAssets,
                Section::FixedAssets,
                Section::NonCurrentAssets,
            ],
            Decimal::ONE,
        ) {
            if r.is_empty() {
                continue;
            }
            add(&mut total_assets, &t);
            let mut r = r;
            r.push(row(
                RowType::SummaryRow,
                &format!("Total {}", title(sec)),
                &t,
                None,
            ));
            rows.push(section(title(sec), r));
        }
        rows.push(section(
            "",
            vec![row(
                RowType::SummaryRow,
                "Total Assets",
                &total_assets,
                None,
            )],
        ));
        let mut total_liab = vec![Decimal::ZERO; cols];
        rows.push(section("Liabilities", vec![]));
        for (sec, r, t) in block(
            &[Section::CurrentLiabilities, Section::NonCurrentLiabilities],
            Decimal::NEGATIVE_ONE,
        ) {
            if r.is_empty() {
                continue;
            }
            add(&mut total_liab, &t);
            let mut r = r;
            r.push(row(
                RowType::SummaryRow,
                &format!("Total {}", title(sec)),
                &t,
                None,
            ));
            rows.push(section(title(sec), r));
        }
        rows.push(section(
            "",
            vec![row(
                RowType::SummaryRow,
                "Total Liabilities",
                &total_liab,
                None,
            )],
        ));
        let net_assets: Vec<Decimal> = (0..cols).map(|k| total_assets[k] - total_liab[k]).collect();
        rows.push(section(
            "",
            vec![row(RowType::Row, "Net Assets", &net_assets, None)],
        ));
        let (_, eq_rows, eq_total) = block(&[Section::Equity], Decimal::NEGATIVE_ONE).remove(0);
        let mut r = vec![row(
            RowType::Row,
            "Current Year Earnings",
            &cye,
            Some(CURRENT_YEAR_EARNINGS_ID.to_string()),
        )];
        r.extend(eq_rows);
        let mut total_eq = eq_total;
        add(&mut total_eq, &cye);
        r.push(row(RowType::SummaryRow, "Total Equity", &total_eq, None));
        rows.push(section("Equity", r));
        let subtitle = format!("As at {}", date.format("%-d %B %Y"));
        Ok(self.report("BalanceSheet", "Balance Sheet", subtitle, rows))
    }

    /// `GET /Reports/TrialBalance` as at `date` (default today). `Debit` and
    /// `Credit` are the net movement in the month of `date` up to `date`;
    /// `YTD Debit` and `YTD Credit` are the balance for balance sheet
    /// accounts and the financial-year-to-date movement for profit and loss
    /// accounts, with earlier years' profit in Retained Earnings.
    pub fn trial_balance(&self, p: &ReportParams) -> Result<Reports, ApiError> {
        let date = p.date.unwrap_or_else(|| self.today());
        let month_start = crate::domain::Month::of(date).first_day();
        let fy_start = self.financial_year_start(date);
        let sums = self.sums(&[
            (month_start, date),
            (fy_start, date),
            (NaiveDate::MIN, date),
        ]);
        let re = self.system_account("RETAINEDEARNINGS");
        let prior: Decimal = sums
            .iter()
            .enumerate()
            .filter(|(i, _)| self.section(*i).is_profit_and_loss())
            .map(|(_, s)| s[2] - s[1])
            .sum();
        let mut rows = vec![header(
            ["Account", "Debit", "Credit", "YTD Debit", "YTD Credit"]
                .map(String::from)
                .to_vec(),
        )];
        let mut totals = [Decimal::ZERO; 4];
        for (title, class) in [
            ("Revenue", "REVENUE"),
            ("Expenses", "EXPENSE"),
            ("Assets", "ASSET"),
            ("Liabilities", "LIABILITY"),
            ("Equity", "EQUITY"),
        ] {
            let mut idx: Vec<usize> = (0..self.accounts.len())
                .filter(|&i| self.accounts[i].class.as_deref() == Some(class))
                .collect();
            idx.sort_by(|a, b| self.accounts[*a].code.cmp(&self.accounts[*b].code));
            if class == "EXPENSE" {
                // Xero's currency gain accounts are expenses.
                idx.extend(FxGroup::ALL.map(|g| self.fx_slot(g)));
            }
            let mut out = Vec::new();
            for i in idx {
                let pl = self.section(i).is_profit_and_loss();
                let month = sums[i][0];
                let mut ytd = if pl { sums[i][1] } else { sums[i][2] };
                if i == re {
                    ytd += prior;
                }
                if month.is_zero() && ytd.is_zero() {
                    continue;
                }
                let split = |v: Decimal| -> (String, String, Decimal, Decimal) {
                    if v > Decimal::ZERO {
                        (money(v), String::new(), v, Decimal::ZERO)
                    } else if v < Decimal::ZERO {
                        (String::new(), money(-v), Decimal::ZERO, -v)
                    } else {
                        (String::new(), String::new(), Decimal::ZERO, Decimal::ZERO)
                    }
                };
                let (d, c, dv, cv) = split(month);
                let (yd, yc, ydv, ycv) = split(ytd);
                totals[0] += dv;
                totals[1] += cv;
                totals[2] += ydv;
                totals[3] += ycv;
                let (label, key) = self.slot_label(i);
                let attrs = account_attr(key);
                let label = match self.accounts.get(i) {
                    Some(a) => format!("{label} ({})", a.code.as_deref().unwrap_or("")),
                    None => label,
                };
                out.push(ReportRow {
                    row_type: RowType::Row,
                    title: None,
                    cells: Some(vec![
                        cell(label, &attrs),
                        cell(d, &attrs),
                        cell(c, &attrs),
                        cell(yd, &attrs),
                        cell(yc, &attrs),
                    ]),
                    rows: None,
                });
            }
            rows.push(section(title, out));
        }
        rows.push(section(
            "",
            vec![row(RowType::SummaryRow, "Total", &totals, None)],
        ));
        let subtitle = format!("As at {}", date.format("%-d %B %Y"));
        Ok(self.report("TrialBalance", "Trial Balance", subtitle, rows))
    }
}

/// Reads a report's values back: for each row whose first cell is `label`,
/// the decimal values of the other cells (empty cells as zero).
pub fn find_row(report: &Report, label: &str) -> Option<Vec<Decimal>> {
    fn walk(rows: &[ReportRow], label: &str) -> Option<Vec<Decimal>> {
        for r in rows {
            if let Some(cells) = &r.cells
                && r.row_type != RowType::Header
                && cells.first().is_some_and(|c| c.value == label)
            {
                return Some(
                    cells[1..]
                        .iter()
                        .map(|c| c.value.parse().unwrap_or(Decimal::ZERO))
                        .collect(),
                );
            }
            if let Some(sub) = &r.rows
                && let Some(v) = walk(sub, label)
            {
                return Some(v);
            }
        }
        None
    }
    walk(&report.rows, label)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn shifting_cuts_to_month_length() {
        assert_eq!(shift_months(d("2026-06-30"), -1), d("2026-05-30"));
        assert_eq!(shift_months(d("2026-03-31"), -1), d("2026-02-28"));
        assert_eq!(shift_months(d("2026-03-31"), -2), d("2026-01-31"));
        assert_eq!(shift_months(d("2026-01-15"), -3), d("2025-10-15"));
        assert_eq!(shift_months(d("2024-02-29"), -12), d("2023-02-28"));
    }
}
