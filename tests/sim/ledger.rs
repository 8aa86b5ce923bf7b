use chrono::{TimeZone, Utc};
use consol::domain::CurrencyCode;
use consol::sim::*;
use consol::xero::*;
use rust_decimal::Decimal;
use uuid::Uuid;

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn nz() -> Ledger {
    let clock = SimClock::fixed(Utc.with_ymd_and_hms(2026, 3, 10, 9, 0, 0).unwrap());
    Ledger::new(
        OrgSettings {
            name: "Kea Holdings".into(),
            legal_name: Some("Kea Holdings Limited".into()),
            base_currency: CurrencyCode::parse("NZD").unwrap(),
            country_code: "NZ".into(),
            financial_year_end_day: 31,
            financial_year_end_month: 3,
            short_code: None,
            is_demo_company: false,
        },
        clock,
        1,
    )
}

fn line(qty: &str, unit: &str, account: &str) -> LineItem {
    LineItem {
        description: Some("Widgets".into()),
        quantity: Some(dec(qty)),
        unit_amount: Some(dec(unit)),
        account_code: Some(account.into()),
        ..Default::default()
    }
}

fn sale(contact: &str, lines: Vec<LineItem>) -> Invoice {
    Invoice {
        invoice_type: Some(InvoiceType::AccRec),
        contact: Some(Contact {
            name: Some(contact.into()),
            ..Default::default()
        }),
        date: Some(XeroDate::parse("2026-03-05").unwrap()),
        line_items: Some(lines),
        ..Default::default()
    }
}

fn put(l: &mut Ledger, inv: Invoice) -> Result<Invoice, ApiError> {
    l.write_invoices(Method::Put, vec![inv], &WriteOptions::default())
        .map(|mut e| e.invoices.remove(0))
}

fn post(l: &mut Ledger, inv: Invoice) -> Result<Invoice, ApiError> {
    l.write_invoices(Method::Post, vec![inv], &WriteOptions::default())
        .map(|mut e| e.invoices.remove(0))
}

fn status_change(id: Uuid, s: InvoiceStatus) -> Invoice {
    Invoice {
        invoice_id: Some(id),
        status: Some(s),
        ..Default::default()
    }
}

fn pay(l: &mut Ledger, id: Uuid, amount: &str) -> Result<Payments, ApiError> {
    l.put_payments(
        vec![Payment {
            invoice: Some(PaymentInvoiceRef {
                invoice_id: Some(id),
                invoice_number: None,
            }),
            account: Some(AccountRef {
                account_id: None,
                code: Some("090".into()),
            }),
            date: Some(XeroDate::parse("2026-03-20").unwrap()),
            amount: Some(dec(amount)),
            ..Default::default()
        }],
        &WriteOptions::default(),
    )
}

fn q(pairs: &[(&str, &str)]) -> ListQuery {
    let p: Vec<(String, String)> = pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    ListQuery::from_params(&p, None).unwrap()
}

#[test]
fn exclusive_totals_and_defaults() {
    let mut l = nz();
    let inv = put(
        &mut l,
        sale(
            "Bluegum Cafe",
            vec![line("2", "50", "200"), line("1", "10.005", "260")],
        ),
    )
    .unwrap();
    assert_eq!(inv.status, Some(InvoiceStatus::Draft));
    assert_eq!(inv.invoice_number.as_deref(), Some("INV-0001"));
    let li = inv.line_items.as_ref().unwrap();
    assert_eq!(li[0].line_amount, Some(dec("100")));
    assert_eq!(li[0].tax_amount, Some(dec("15")));
    assert_eq!(li[0].tax_type.as_deref(), Some("OUTPUT2"));
    assert!(li[0].line_item_id.is_some());
    assert_eq!(li[1].line_amount, Some(dec("10.01")));
    assert_eq!(inv.sub_total, Some(dec("110.01")));
    assert_eq!(inv.total_tax, Some(dec("16.50")));
    assert_eq!(inv.total, Some(dec("126.51")));
    assert_eq!(inv.amount_due, Some(dec("126.51")));
    assert_eq!(inv.currency_code.unwrap().as_str(), "NZD");
    assert_eq!(inv.date_string.as_deref(), Some("2026-03-05T00:00:00"));
    let json = serde_json::to_string(&inv).unwrap();
    assert!(json.contains(r#""SubTotal":110.01"#), "{json}");
    assert!(json.contains(r#""TotalTax":16.50"#), "{json}");
    assert!(json.contains(r#""CurrencyRate":1.000000"#), "{json}");
    assert!(json.contains(r#""Quantity":2.0000"#), "{json}");
    assert!(json.contains(r#""UnitAmount":10.005"#), "{json}");
    // The contact was created from its name and is now a customer.
    let c = l
        .get_contacts(&q(&[("where", r#"Name=="Bluegum Cafe""#)]))
        .unwrap()
        .contacts;
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].is_customer, Some(true));
}

#[test]
fn inclusive_matches_xero_sample_and_notax() {
    let mut l = nz();
    let mut bill = sale("PowerDirect", vec![line("1", "89.00", "445")]);
    bill.invoice_type = Some(InvoiceType::AccPay);
    bill.line_amount_types = Some(LineAmountTypes::Inclusive);
    let inv = put(&mut l, bill).unwrap();
    let li = &inv.line_items.as_ref().unwrap()[0];
    assert_eq!(li.tax_type.as_deref(), Some("INPUT2"));
    assert_eq!(li.tax_amount, Some(dec("11.61")));
    assert_eq!(li.line_amount, Some(dec("89.00")));
    assert_eq!(inv.sub_total, Some(dec("77.39")));
    assert_eq!(inv.total, Some(dec("89.00")));
    let mut s = sale("A", vec![line("3", "7", "200")]);
    s.line_amount_types = Some(LineAmountTypes::NoTax);
    let inv = put(&mut l, s).unwrap();
    assert_eq!(inv.total_tax, Some(Decimal::ZERO));
    assert_eq!(inv.total, Some(dec("21")));
    assert_eq!(inv.line_items.unwrap()[0].tax_type.as_deref(), Some("NONE"));
}

#[test]
fn validation_messages() {
    let mut l = nz();
    let cases: Vec<(Invoice, &str)> = vec![
        (
            Invoice {
                contact: None,
                ..sale("x", vec![line("1", "1", "200")])
            },
            "A Contact must be specified for this type of transaction",
        ),
        (
            Invoice {
                contact: Some(Contact::default()),
                ..sale("x", vec![line("1", "1", "200")])
            },
            "The Contact must contain at least 1 of the following elements to identify the contact: Name, ContactID, ContactNumber",
        ),
        (
            sale("x", vec![line("1", "1", "999")]),
            "Account code '999' is not a valid code for this document.",
        ),
        (
            sale(
                "x",
                vec![LineItem {
                    tax_type: Some("BOGUS".into()),
                    ..line("1", "1", "200")
                }],
            ),
            "The TaxType code 'BOGUS' does not exist or cannot be used for this type of transaction.",
        ),
        (
            sale(
                "x",
                vec![LineItem {
                    description: None,
                    ..line("1", "1", "200")
                }],
            ),
            "The description field is mandatory for each line item.",
        ),
        (
            sale("x", vec![line("1", "-5", "200")]),
            "Invoice total cannot be negative",
        ),
        (
            Invoice {
                currency_code: Some(CurrencyCode::parse("JPY").unwrap()),
                ..sale("x", vec![line("1", "1", "200")])
            },
            "Organisation is not subscribed to currency JPY",
        ),
        (
            Invoice {
                status: Some(InvoiceStatus::Paid),
                ..sale("x", vec![line("1", "1", "200")])
            },
            "Invoice not of valid status for creation",
        ),
        (
            Invoice {
                invoice_type: None,
                ..sale("x", vec![line("1", "1", "200")])
            },
            "Invoice Type must be specified",
        ),
    ];
    for (inv, msg) in cases {
        let e = put(&mut l, inv).unwrap_err();
        assert_eq!(e.status(), 400);
        assert_eq!(e.messages(), vec![msg.to_string()]);
    }
    // Nothing was created, not even the contact named "x".
    assert_eq!(l.invoice_count(), 0);
    assert_eq!(l.contact_count(), 0);
    // Duplicate ACCREC numbers.
    let mut a = sale("x", vec![line("1", "1", "200")]);
    a.invoice_number = Some("INV-100".into());
    put(&mut l, a.clone()).unwrap();
    let e = put(&mut l, a).unwrap_err();
    assert_eq!(e.messages(), vec!["Invoice # must be unique.".to_string()]);
}

#[test]
fn status_transitions() {
    let mut l = nz();
    let inv = put(&mut l, sale("x", vec![line("1", "100", "200")])).unwrap();
    let id = inv.invoice_id.unwrap();
    // DRAFT -> SUBMITTED -> AUTHORISED -> PAID (by payment).
    assert_eq!(
        post(&mut l, status_change(id, InvoiceStatus::Submitted))
            .unwrap()
            .status,
        Some(InvoiceStatus::Submitted)
    );
    assert_eq!(
        post(&mut l, status_change(id, InvoiceStatus::Authorised))
            .unwrap()
            .status,
        Some(InvoiceStatus::Authorised)
    );
    let e = post(&mut l, status_change(id, InvoiceStatus::Deleted)).unwrap_err();
    assert_eq!(
        e.messages(),
        vec!["Invoice not of valid status for modification".to_string()]
    );
    let e = post(&mut l, status_change(id, InvoiceStatus::Paid)).unwrap_err();
    assert_eq!(e.status(), 400);
    pay(&mut l, id, "15.00").unwrap();
    let part = l.get_invoice(&id.to_string()).unwrap().invoices.remove(0);
    assert_eq!(part.status, Some(InvoiceStatus::Authorised));
    assert_eq!(part.amount_due, Some(dec("100.00")));
    let e = pay(&mut l, id, "100.01").unwrap_err();
    assert_eq!(
        e.messages(),
        vec!["Payment amount exceeds the amount outstanding on this document".to_string()]
    );
    // A part-paid invoice can no longer be voided or edited.
    let e = post(&mut l, status_change(id, InvoiceStatus::Voided)).unwrap_err();
    assert!(e.messages()[0].starts_with("This document cannot be edited"));
    pay(&mut l, id, "100.00").unwrap();
    let paid = l.get_invoice("INV-0001").unwrap().invoices.remove(0);
    assert_eq!(paid.status, Some(InvoiceStatus::Paid));
    assert_eq!(paid.amount_paid, Some(dec("115.00")));
    assert_eq!(
        paid.fully_paid_on_date.unwrap().to_date_string(),
        "2026-03-20T00:00:00"
    );
    assert_eq!(paid.payments.unwrap().len(), 2);
    // AUTHORISED -> VOIDED, then nothing.
    let b = put(
        &mut l,
        Invoice {
            status: Some(InvoiceStatus::Authorised),
            ..sale("x", vec![line("1", "5", "200")])
        },
    )
    .unwrap();
    let bid = b.invoice_id.unwrap();
    let voided = post(&mut l, status_change(bid, InvoiceStatus::Voided)).unwrap();
    assert_eq!(voided.status, Some(InvoiceStatus::Voided));
    assert_eq!(voided.amount_due, Some(Decimal::ZERO));
    assert_eq!(voided.total, b.total);
    assert!(post(&mut l, status_change(bid, InvoiceStatus::Authorised)).is_err());
    // DRAFT -> DELETED, then nothing; payments only on AUTHORISED.
    let c = put(&mut l, sale("x", vec![line("1", "5", "200")])).unwrap();
    let cid = c.invoice_id.unwrap();
    assert!(pay(&mut l, cid, "1").is_err());
    assert_eq!(
        post(&mut l, status_change(cid, InvoiceStatus::Deleted))
            .unwrap()
            .status,
        Some(InvoiceStatus::Deleted)
    );
    assert!(post(&mut l, status_change(cid, InvoiceStatus::Draft)).is_err());
    // PUT with an existing id is refused; POST by InvoiceNumber updates.
    assert!(put(&mut l, status_change(cid, InvoiceStatus::Draft)).is_err());
    let d = put(&mut l, sale("x", vec![line("1", "5", "200")])).unwrap();
    let upd = post(
        &mut l,
        Invoice {
            invoice_type: Some(InvoiceType::AccRec),
            invoice_number: d.invoice_number.clone(),
            reference: Some("updated".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(upd.invoice_id, d.invoice_id);
    assert_eq!(upd.reference.as_deref(), Some("updated"));
    assert_eq!(upd.total, d.total);
}

#[test]
fn summarize_errors_semantics() {
    let mut l = nz();
    let good = sale("x", vec![line("1", "10", "200")]);
    let bad = sale("x", vec![line("1", "10", "999")]);
    let e = l
        .write_invoices(
            Method::Put,
            vec![good.clone(), bad.clone()],
            &WriteOptions::default(),
        )
        .unwrap_err();
    assert_eq!(e.status(), 400);
    let ErrorBody::Json(body) = e.body() else {
        panic!()
    };
    assert_eq!(body["ErrorNumber"], 10);
    assert_eq!(body["Type"], "ValidationException");
    assert_eq!(body["Message"], "A validation exception occurred");
    let elements = body["Elements"].as_array().unwrap();
    assert_eq!(elements.len(), 2);
    assert!(elements[0].get("ValidationErrors").is_none());
    assert_eq!(
        elements[1]["ValidationErrors"][0]["Message"],
        "Account code '999' is not a valid code for this document."
    );
    // The valid one was still created.
    assert_eq!(l.invoice_count(), 1);
    let opts = WriteOptions {
        summarize_errors: false,
        idempotency_key: None,
    };
    let env = l
        .write_invoices(Method::Put, vec![good, bad], &opts)
        .unwrap();
    assert_eq!(
        env.invoices[0].status_attribute_string.as_deref(),
        Some("OK")
    );
    assert_eq!(
        env.invoices[1].status_attribute_string.as_deref(),
        Some("ERROR")
    );
    assert_eq!(env.invoices[1].has_errors, Some(true));
    assert_eq!(l.invoice_count(), 2);
    // More than 50 is refused whole.
    let many = vec![sale("x", vec![line("1", "1", "200")]); 51];
    assert_eq!(
        l.write_invoices(Method::Put, many, &WriteOptions::default())
            .unwrap_err()
            .status(),
        400
    );
    assert_eq!(l.invoice_count(), 2);
}

#[test]
fn idempotency_key_replays() {
    let mut l = nz();
    let opts = WriteOptions::with_key("abc-123");
    let a = l
        .write_invoices(
            Method::Put,
            vec![sale("x", vec![line("1", "1", "200")])],
            &opts,
        )
        .unwrap();
    l.clock().advance_seconds(60);
    let b = l
        .write_invoices(
            Method::Put,
            vec![sale("y", vec![line("9", "9", "200")])],
            &opts,
        )
        .unwrap();
    assert_eq!(a, b);
    assert_eq!(l.invoice_count(), 1);
    // Errors replay too.
    let k = WriteOptions::with_key("bad");
    let e1 = l
        .write_invoices(
            Method::Put,
            vec![sale("x", vec![line("1", "1", "999")])],
            &k,
        )
        .unwrap_err();
    let e2 = l
        .write_invoices(
            Method::Put,
            vec![sale("x", vec![line("1", "1", "200")])],
            &k,
        )
        .unwrap_err();
    assert_eq!(e1, e2);
    assert_eq!(l.invoice_count(), 1);
    // A key used on another endpoint, or longer than 128 characters, is a 400.
    let c = l.write_contacts(
        Method::Put,
        vec![Contact {
            name: Some("z".into()),
            ..Default::default()
        }],
        &opts,
    );
    assert_eq!(c.unwrap_err().status(), 400);
    let long = WriteOptions::with_key(&"k".repeat(129));
    let e = l.write_invoices(
        Method::Put,
        vec![sale("x", vec![line("1", "1", "200")])],
        &long,
    );
    assert_eq!(e.unwrap_err().status(), 400);
}

fn seed_many(l: &mut Ledger, n: usize) -> Vec<Invoice> {
    let mut out = Vec::new();
    let items: Vec<Invoice> = (0..n)
        .map(|i| Invoice {
            status: Some(if i % 3 == 0 {
                InvoiceStatus::Authorised
            } else {
                InvoiceStatus::Draft
            }),
            date: Some(XeroDate::parse(&format!("2026-02-{:02}", 1 + i % 28)).unwrap()),
            ..sale(
                if i % 2 == 0 { "Even Ltd" } else { "Odd Ltd" },
                vec![line("1", &format!("{}", 10 + i), "200")],
            )
        })
        .collect();
    for chunk in items.chunks(50) {
        l.clock().advance_seconds(1);
        out.extend(
            l.write_invoices(Method::Put, chunk.to_vec(), &WriteOptions::default())
                .unwrap()
                .invoices,
        );
    }
    out
}

#[test]
fn paging_and_summary() {
    let mut l = nz();
    seed_many(&mut l, 250);
    let p1 = l.get_invoices(&q(&[("page", "1")])).unwrap();
    assert_eq!(p1.invoices.len(), 100);
    assert_eq!(
        p1.pagination,
        Some(Pagination {
            page: 1,
            page_size: 100,
            page_count: 3,
            item_count: 250
        })
    );
    assert!(p1.invoices[0].line_items.is_some());
    let json = serde_json::to_string(&p1).unwrap();
    assert!(
        json.contains(r#""pagination":{"page":1,"pageSize":100,"pageCount":3,"itemCount":250}"#)
    );
    let p3 = l.get_invoices(&q(&[("page", "3")])).unwrap();
    assert_eq!(p3.invoices.len(), 50);
    let p4 = l.get_invoices(&q(&[("page", "4")])).unwrap();
    assert!(p4.invoices.is_empty());
    let big = l
        .get_invoices(&q(&[("page", "1"), ("pageSize", "5000")]))
        .unwrap();
    assert_eq!(big.pagination.unwrap().page_size, 1000);
    assert_eq!(big.invoices.len(), 250);
    // Default order: UpdatedDateUTC then InvoiceID; pages do not overlap.
    let mut ids: Vec<Uuid> = Vec::new();
    for p in 1..=3 {
        ids.extend(
            l.get_invoices(&q(&[("page", &p.to_string()), ("pageSize", "100")]))
                .unwrap()
                .invoices
                .iter()
                .map(|i| i.invoice_id.unwrap()),
        );
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 250);
    let all = l.get_invoices(&q(&[])).unwrap();
    assert_eq!(all.invoices.len(), 250);
    assert!(all.pagination.is_none());
    assert!(all.invoices.iter().all(|i| i.line_items.is_none()));
    let s = l
        .get_invoices(&q(&[("page", "1"), ("summaryOnly", "true")]))
        .unwrap();
    assert!(s.invoices.iter().all(|i| i.line_items.is_none()));
}

#[test]
fn filters_where_order_and_lists() {
    let mut l = nz();
    let made = seed_many(&mut l, 60);
    let auth = l
        .get_invoices(&q(&[("where", r#"Status=="AUTHORISED""#)]))
        .unwrap()
        .invoices;
    assert_eq!(auth.len(), 20);
    let st = l
        .get_invoices(&q(&[("Statuses", "AUTHORISED,DRAFT")]))
        .unwrap()
        .invoices;
    assert_eq!(st.len(), 60);
    let even = made[0].contact.as_ref().unwrap().contact_id.unwrap();
    let w = format!(
        r#"Contact.ContactID=guid("{even}") AND Date>=DateTime(2026, 02, 01) AND Date<DateTime(2026, 02, 11)"#
    );
    let r = l.get_invoices(&q(&[("where", &w)])).unwrap().invoices;
    assert!(!r.is_empty());
    assert!(
        r.iter()
            .all(|i| i.contact.as_ref().unwrap().contact_id == Some(even)
                && i.date.unwrap().to_date_string().as_str() < "2026-02-11")
    );
    let by_contact = l
        .get_invoices(&q(&[("ContactIDs", &even.to_string())]))
        .unwrap()
        .invoices;
    assert_eq!(by_contact.len(), 30);
    let ids = format!(
        "{},{}",
        made[3].invoice_id.unwrap(),
        made[7].invoice_id.unwrap()
    );
    assert_eq!(
        l.get_invoices(&q(&[("IDs", &ids)])).unwrap().invoices.len(),
        2
    );
    assert_eq!(
        l.get_invoices(&q(&[("InvoiceNumbers", "INV-0001,inv-0002")]))
            .unwrap()
            .invoices
            .len(),
        2
    );
    let ordered = l
        .get_invoices(&q(&[("order", "Total DESC")]))
        .unwrap()
        .invoices;
    assert_eq!(ordered[0].total, Some(dec("79.35")));
    let e = ListQuery::from_params(&[("where".into(), "Status==".into())], None).unwrap_err();
    let ErrorBody::Json(body) = e.body() else {
        panic!()
    };
    assert_eq!(body["Type"], "QueryParseException");
    let or = l
        .get_invoices(&q(&[(
            "where",
            r#"(Total > 70 OR Total < 12) AND Type == "ACCREC""#,
        )]))
        .unwrap()
        .invoices;
    assert!(
        or.iter()
            .all(|i| i.total.unwrap() > dec("70") || i.total.unwrap() < dec("12"))
    );
    assert!(!or.is_empty());
}

#[test]
fn if_modified_since() {
    let mut l = nz();
    let made = seed_many(&mut l, 10);
    let t0 = l.clock().now();
    l.clock().advance_seconds(3600);
    let since = l.clock().now();
    put(&mut l, sale("Later Ltd", vec![line("1", "1", "200")])).unwrap();
    post(
        &mut l,
        status_change(made[1].invoice_id.unwrap(), InvoiceStatus::Submitted),
    )
    .unwrap();
    let header = since.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let query = ListQuery::from_params(&[], Some(&header)).unwrap();
    let r = l.get_invoices(&query).unwrap().invoices;
    assert_eq!(r.len(), 2);
    let all =
        ListQuery::from_params(&[], Some(&t0.format("%Y-%m-%dT%H:%M:%S").to_string())).unwrap();
    assert_eq!(l.get_invoices(&all).unwrap().invoices.len(), 11);
    let c = l
        .get_contacts(&ListQuery::from_params(&[], Some(&header)).unwrap())
        .unwrap()
        .contacts;
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].name.as_deref(), Some("Later Ltd"));
}

#[test]
fn contacts_accounts_journals_and_currencies() {
    let mut l = nz();
    let ok = WriteOptions::default();
    let c = |n: &str| Contact {
        name: Some(n.into()),
        ..Default::default()
    };
    l.write_contacts(Method::Put, vec![c("Buzz Lightyear")], &ok)
        .unwrap();
    let e = l
        .write_contacts(Method::Put, vec![c("buzz lightyear")], &ok)
        .unwrap_err();
    assert_eq!(
        e.messages(),
        vec!["The contact name buzz lightyear is already assigned to another contact. The contact name must be unique across all active contacts.".to_string()]
    );
    let id = l.get_contacts(&q(&[])).unwrap().contacts[0]
        .contact_id
        .unwrap();
    l.write_contacts(
        Method::Post,
        vec![Contact {
            contact_id: Some(id),
            contact_status: Some("ARCHIVED".into()),
            ..Default::default()
        }],
        &ok,
    )
    .unwrap();
    assert!(l.get_contacts(&q(&[])).unwrap().contacts.is_empty());
    assert_eq!(
        l.get_contacts(&q(&[("includeArchived", "true")]))
            .unwrap()
            .contacts
            .len(),
        1
    );
    // Archived names may be reused.
    l.write_contacts(Method::Put, vec![c("Buzz Lightyear")], &ok)
        .unwrap();
    let p = l
        .get_contacts(&q(&[("page", "1"), ("includeArchived", "true")]))
        .unwrap();
    assert_eq!(p.pagination.unwrap().item_count, 2);

    let acc = |code: &str, name: &str, ty: &str| Account {
        code: Some(code.into()),
        name: Some(name.into()),
        account_type: Some(ty.into()),
        ..Default::default()
    };
    let a = l
        .put_account(acc("0215", "Fees", "REVENUE"), &ok)
        .unwrap()
        .accounts
        .remove(0);
    assert_eq!(a.class.as_deref(), Some("REVENUE"));
    assert_eq!(a.code.as_deref(), Some("0215"));
    assert_eq!(
        l.put_account(acc("0215", "Other", "REVENUE"), &ok)
            .unwrap_err()
            .messages(),
        vec!["Please enter a unique Code."]
    );
    assert_eq!(
        l.put_account(acc("0216", "Sales", "REVENUE"), &ok)
            .unwrap_err()
            .messages(),
        vec!["Please enter a unique Name."]
    );
    assert_eq!(
        l.put_account(acc("0217", "X", "NOPE"), &ok)
            .unwrap_err()
            .status(),
        400
    );
    assert_eq!(
        l.post_account(Uuid::nil(), acc("1", "y", "REVENUE"), &ok)
            .unwrap_err(),
        ApiError::NotFound
    );
    assert_eq!(
        ApiError::NotFound.body(),
        ErrorBody::Text("The resource you're looking for cannot be found")
    );
    let rev = l
        .get_accounts(&q(&[("where", r#"Class=="REVENUE""#)]))
        .accounts;
    assert_eq!(rev.len(), 4);

    let j = |amounts: &[(&str, &str)]| ManualJournal {
        narration: Some("Accrual".into()),
        status: Some(ManualJournalStatus::Posted),
        journal_lines: Some(
            amounts
                .iter()
                .map(|(c, a)| ManualJournalLine {
                    account_code: Some((*c).into()),
                    line_amount: Some(dec(a)),
                    ..Default::default()
                })
                .collect(),
        ),
        ..Default::default()
    };
    let e = l
        .write_manual_journals(Method::Put, vec![j(&[("477", "100"), ("090", "-90")])], &ok)
        .unwrap_err();
    assert_eq!(
        e.messages(),
        vec!["The total debits (100.00) must equal total credits (-90.00)"]
    );
    let mj = l
        .write_manual_journals(
            Method::Put,
            vec![j(&[("477", "100"), ("090", "-100")])],
            &ok,
        )
        .unwrap();
    assert_eq!(
        mj.manual_journals[0].status,
        Some(ManualJournalStatus::Posted)
    );
    let posted: Decimal = l.postings().iter().map(|p| p.amount).sum();
    assert_eq!(posted, Decimal::ZERO);

    // Foreign currency: subscribe, then a USD invoice without a rate gets one.
    let usd = CurrencyCode::parse("USD").unwrap();
    l.put_currency(Currency {
        code: Some(usd),
        description: None,
    })
    .unwrap();
    assert_eq!(l.get_currencies().currencies.len(), 2);
    let inv = put(
        &mut l,
        Invoice {
            currency_code: Some(usd),
            status: Some(InvoiceStatus::Authorised),
            line_amount_types: Some(LineAmountTypes::NoTax),
            ..sale("US Customer", vec![line("1", "1000", "200")])
        },
    )
    .unwrap();
    let rate = inv.currency_rate.unwrap();
    assert!(rate > dec("0.5") && rate < dec("0.7"));
    let sales_id = l
        .accounts()
        .iter()
        .position(|a| a.code.as_deref() == Some("200"))
        .unwrap();
    let credit: Decimal = l
        .postings()
        .iter()
        .filter(|p| p.account == sales_id)
        .map(|p| p.amount)
        .sum();
    assert_eq!(credit, -consol::xero::num::round2(dec("1000") / rate));
}

#[test]
fn tracking_is_resolved_by_name_and_checked() {
    let mut l = nz();
    let cat = l
        .put_tracking_category("Region")
        .unwrap()
        .tracking_categories
        .remove(0);
    let cid = cat.tracking_category_id.unwrap();
    l.put_tracking_option(cid, "North").unwrap();
    assert_eq!(
        l.put_tracking_option(cid, "north").unwrap_err().status(),
        400
    );
    assert_eq!(
        l.put_tracking_option(Uuid::nil(), "x").unwrap_err(),
        ApiError::NotFound
    );
    let tagged = |option: &str| LineItem {
        tracking: Some(vec![LineItemTracking {
            name: Some("region".into()),
            option: Some(option.into()),
            ..Default::default()
        }]),
        ..line("1", "10", "200")
    };
    let inv = put(&mut l, sale("x", vec![tagged("NORTH")])).unwrap();
    let t = &inv.line_items.unwrap()[0].tracking.clone().unwrap()[0];
    assert_eq!(t.tracking_category_id, Some(cid));
    assert!(t.tracking_option_id.is_some());
    assert_eq!(
        (t.name.as_deref(), t.option.as_deref()),
        (Some("Region"), Some("North"))
    );
    let e = put(&mut l, sale("x", vec![tagged("West")])).unwrap_err();
    assert_eq!(
        e.messages(),
        vec![
            "The tracking option 'West' does not exist in the tracking category 'Region'"
                .to_string()
        ]
    );
}
