//! Default charts of accounts and tax rates per country, modelled on the
//! charts Xero gives a new organisation in New Zealand, Australia, the
//! United Kingdom and the United States.

use rust_decimal::Decimal;

/// Where an account type belongs: its class and, for profit and loss
/// accounts, its section of the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Income,
    CostOfSales,
    OtherIncome,
    OperatingExpenses,
    Bank,
    CurrentAssets,
    FixedAssets,
    NonCurrentAssets,
    CurrentLiabilities,
    NonCurrentLiabilities,
    Equity,
}

impl Section {
    pub fn is_profit_and_loss(&self) -> bool {
        matches!(
            self,
            Self::Income | Self::CostOfSales | Self::OtherIncome | Self::OperatingExpenses
        )
    }
}

/// Xero's account `Type`s with their `Class` and report section.
pub fn classify(account_type: &str) -> Option<(&'static str, Section)> {
    Some(match account_type {
        "REVENUE" | "SALES" => ("REVENUE", Section::Income),
        "OTHERINCOME" => ("REVENUE", Section::OtherIncome),
        "DIRECTCOSTS" => ("EXPENSE", Section::CostOfSales),
        "EXPENSE" | "OVERHEADS" | "DEPRECIATN" | "WAGESEXPENSE" | "SUPERANNUATIONEXPENSE" => {
            ("EXPENSE", Section::OperatingExpenses)
        }
        "BANK" => ("ASSET", Section::Bank),
        "CURRENT" | "INVENTORY" | "PREPAYMENT" => ("ASSET", Section::CurrentAssets),
        "FIXED" => ("ASSET", Section::FixedAssets),
        "NONCURRENT" => ("ASSET", Section::NonCurrentAssets),
        "CURRLIAB" | "PAYGLIABILITY" | "SUPERANNUATIONLIABILITY" | "LIABILITY" => {
            ("LIABILITY", Section::CurrentLiabilities)
        }
        "TERMLIAB" => ("LIABILITY", Section::NonCurrentLiabilities),
        "EQUITY" => ("EQUITY", Section::Equity),
        _ => return None,
    })
}

/// A tax rate the organisation can use on lines.
#[derive(Debug, Clone, PartialEq)]
pub struct TaxRate {
    pub tax_type: &'static str,
    pub name: &'static str,
    /// Percent, e.g. 15 for 15%.
    pub rate: Decimal,
}

/// One account of a default chart: code, name, type, default tax type and
/// system account (when the account is one).
pub struct ChartEntry {
    pub code: &'static str,
    pub name: &'static str,
    pub account_type: &'static str,
    pub tax_type: &'static str,
    pub system_account: Option<&'static str>,
}

const fn e(
    code: &'static str,
    name: &'static str,
    account_type: &'static str,
    tax_type: &'static str,
    system_account: Option<&'static str>,
) -> ChartEntry {
    ChartEntry {
        code,
        name,
        account_type,
        tax_type,
        system_account,
    }
}

/// Settings that differ by country.
pub struct CountryProfile {
    pub country_code: &'static str,
    pub version: &'static str,
    pub timezone: &'static str,
    pub sales_tax: &'static str,
    pub purchases_tax: &'static str,
    pub tax_rates: Vec<TaxRate>,
    pub chart: Vec<ChartEntry>,
}

fn pct(n: i64, scale: u32) -> Decimal {
    Decimal::new(n, scale)
}

/// The profile for `country_code` (NZ, AU, GB or UK, US; anything else gets
/// a tax-free chart shaped like the US one).
pub fn profile(country_code: &str) -> CountryProfile {
    match country_code.to_ascii_uppercase().as_str() {
        "NZ" => CountryProfile {
            country_code: "NZ",
            version: "NZ",
            timezone: "NEWZEALANDSTANDARDTIME",
            sales_tax: "OUTPUT2",
            purchases_tax: "INPUT2",
            tax_rates: vec![
                TaxRate {
                    tax_type: "OUTPUT2",
                    name: "15% GST on Income",
                    rate: pct(15, 0),
                },
                TaxRate {
                    tax_type: "INPUT2",
                    name: "15% GST on Expenses",
                    rate: pct(15, 0),
                },
                TaxRate {
                    tax_type: "ZERORATED",
                    name: "Zero Rated",
                    rate: Decimal::ZERO,
                },
                TaxRate {
                    tax_type: "EXEMPTOUTPUT",
                    name: "Exempt Income",
                    rate: Decimal::ZERO,
                },
                TaxRate {
                    tax_type: "EXEMPTINPUT",
                    name: "Exempt Expenses",
                    rate: Decimal::ZERO,
                },
                TaxRate {
                    tax_type: "NONE",
                    name: "No GST",
                    rate: Decimal::ZERO,
                },
            ],
            chart: gst_chart("OUTPUT2", "INPUT2", "GST", "Salaries", "PAYE Payable"),
        },
        "AU" => CountryProfile {
            country_code: "AU",
            version: "AU",
            timezone: "AUSEASTERNSTANDARDTIME",
            sales_tax: "OUTPUT",
            purchases_tax: "INPUT",
            tax_rates: vec![
                TaxRate {
                    tax_type: "OUTPUT",
                    name: "GST on Income",
                    rate: pct(10, 0),
                },
                TaxRate {
                    tax_type: "INPUT",
                    name: "GST on Expenses",
                    rate: pct(10, 0),
                },
                TaxRate {
                    tax_type: "EXEMPTOUTPUT",
                    name: "GST Free Income",
                    rate: Decimal::ZERO,
                },
                TaxRate {
                    tax_type: "EXEMPTEXPENSES",
                    name: "GST Free Expenses",
                    rate: Decimal::ZERO,
                },
                TaxRate {
                    tax_type: "EXEMPTEXPORT",
                    name: "GST Free Exports",
                    rate: Decimal::ZERO,
                },
                TaxRate {
                    tax_type: "BASEXCLUDED",
                    name: "BAS Excluded",
                    rate: Decimal::ZERO,
                },
                TaxRate {
                    tax_type: "NONE",
                    name: "No GST",
                    rate: Decimal::ZERO,
                },
            ],
            chart: gst_chart(
                "OUTPUT",
                "INPUT",
                "GST",
                "Wages and Salaries",
                "PAYG Withholdings Payable",
            ),
        },
        "GB" | "UK" => CountryProfile {
            country_code: "GB",
            version: "UK", // Xero's Version enum says UK, not GB
            timezone: "GMTSTANDARDTIME",
            sales_tax: "OUTPUT2",
            purchases_tax: "INPUT2",
            tax_rates: vec![
                TaxRate {
                    tax_type: "OUTPUT2",
                    name: "20% (VAT on Income)",
                    rate: pct(20, 0),
                },
                TaxRate {
                    tax_type: "INPUT2",
                    name: "20% (VAT on Expenses)",
                    rate: pct(20, 0),
                },
                TaxRate {
                    tax_type: "RROUTPUT",
                    name: "5% (VAT on Income)",
                    rate: pct(5, 0),
                },
                TaxRate {
                    tax_type: "RRINPUT",
                    name: "5% (VAT on Expenses)",
                    rate: pct(5, 0),
                },
                TaxRate {
                    tax_type: "ZERORATEDOUTPUT",
                    name: "Zero Rated Income",
                    rate: Decimal::ZERO,
                },
                TaxRate {
                    tax_type: "ZERORATEDINPUT",
                    name: "Zero Rated Expenses",
                    rate: Decimal::ZERO,
                },
                TaxRate {
                    tax_type: "EXEMPTOUTPUT",
                    name: "Exempt Income",
                    rate: Decimal::ZERO,
                },
                TaxRate {
                    tax_type: "EXEMPTINPUT",
                    name: "Exempt Expenses",
                    rate: Decimal::ZERO,
                },
                TaxRate {
                    tax_type: "NONE",
                    name: "No VAT",
                    rate: Decimal::ZERO,
                },
            ],
            chart: gst_chart("OUTPUT2", "INPUT2", "VAT", "Salaries", "PAYE Payable"),
        },
        _ => CountryProfile {
            country_code: "US",
            version: "US",
            timezone: "EASTERNSTANDARDTIME",
            sales_tax: "TAX001",
            purchases_tax: "NONE",
            tax_rates: vec![
                TaxRate {
                    tax_type: "TAX001",
                    name: "Sales Tax",
                    rate: pct(825, 2),
                },
                TaxRate {
                    tax_type: "NONE",
                    name: "Tax Exempt",
                    rate: Decimal::ZERO,
                },
            ],
            chart: gst_chart(
                "TAX001",
                "NONE",
                "Sales Tax",
                "Wages and Salaries",
                "Payroll Tax Payable",
            ),
        },
    }
}

fn gst_chart(
    out: &'static str,
    inp: &'static str,
    tax_name: &'static str,
    wages: &'static str,
    payroll_liab: &'static str,
) -> Vec<ChartEntry> {
    vec![
        e("090", "Business Bank Account", "BANK", "NONE", None),
        e("091", "Business Savings Account", "BANK", "NONE", None),
        e(
            "610",
            "Accounts Receivable",
            "CURRENT",
            "NONE",
            Some("DEBTORS"),
        ),
        e("620", "Prepayments", "PREPAYMENT", "NONE", None),
        e("630", "Inventory", "INVENTORY", "NONE", None),
        e("710", "Office Equipment", "FIXED", inp, None),
        e(
            "711",
            "Less Accumulated Depreciation on Office Equipment",
            "FIXED",
            "NONE",
            None,
        ),
        e("720", "Computer Equipment", "FIXED", inp, None),
        e(
            "800",
            "Accounts Payable",
            "CURRLIAB",
            "NONE",
            Some("CREDITORS"),
        ),
        e(
            "801",
            "Unpaid Expense Claims",
            "CURRLIAB",
            "NONE",
            Some("UNPAIDEXPCLM"),
        ),
        e("820", tax_name, "CURRLIAB", "NONE", Some("GST")),
        e("825", payroll_liab, "CURRLIAB", "NONE", None),
        e(
            "835",
            "Revenue Received in Advance",
            "CURRLIAB",
            "NONE",
            None,
        ),
        e("900", "Loan", "TERMLIAB", "NONE", None),
        e(
            "960",
            "Retained Earnings",
            "EQUITY",
            "NONE",
            Some("RETAINEDEARNINGS"),
        ),
        e("970", "Owner A Funds Introduced", "EQUITY", "NONE", None),
        e("200", "Sales", "REVENUE", out, None),
        e("260", "Other Revenue", "REVENUE", out, None),
        e("270", "Interest Income", "OTHERINCOME", "NONE", None),
        e("310", "Cost of Goods Sold", "DIRECTCOSTS", inp, None),
        e("400", "Advertising", "OVERHEADS", inp, None),
        e("404", "Bank Fees", "OVERHEADS", "NONE", None),
        e("408", "Cleaning", "OVERHEADS", inp, None),
        e("412", "Consulting & Accounting", "EXPENSE", inp, None),
        e("416", "Depreciation", "DEPRECIATN", "NONE", None),
        e("429", "General Expenses", "OVERHEADS", inp, None),
        e("445", "Light, Power, Heating", "OVERHEADS", inp, None),
        e("469", "Rent", "OVERHEADS", inp, None),
        e("477", wages, "EXPENSE", "NONE", None),
        e("489", "Telephone & Internet", "OVERHEADS", inp, None),
        e("493", "Travel - National", "OVERHEADS", inp, None),
        e("494", "Travel - International", "OVERHEADS", "NONE", None),
        e("505", "Income Tax Expense", "EXPENSE", "NONE", None),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_chart_entry_classifies_and_codes_are_unique() {
        for c in ["NZ", "AU", "GB", "US"] {
            let p = profile(c);
            let mut codes: Vec<_> = p.chart.iter().map(|a| a.code).collect();
            codes.sort();
            codes.dedup();
            assert_eq!(codes.len(), p.chart.len(), "{c}");
            for a in &p.chart {
                assert!(classify(a.account_type).is_some(), "{}", a.account_type);
                assert!(
                    p.tax_rates.iter().any(|t| t.tax_type == a.tax_type),
                    "{c} {}",
                    a.tax_type
                );
            }
        }
    }
}
