//! Rule 1 and rule 3: each entity's source amounts, summed per (entity,
//! account, month), translated at the average rate of the month and
//! rounded to the presentation currency's minor units, half away from zero.

use super::hash::FastMap;
use super::index::GroupIndex;
use super::input::{EntityAccount, ReportSection, SourceRow};
use super::lines::{Lines, signed, signed_units};
use super::money::translate_units;
use super::provenance::EntityRows;
use super::report::SummaryRow;
use super::warnings::{Severity, Warning};
use super::workspace::Workspace;
use crate::engine::error::EngineError;
use rust_decimal::Decimal;

/// One entity's keys (slots) with their base amounts per month.
#[derive(Default)]
struct EntityState<'a> {
    /// The slot of each of the entity's key numbers ([`NO_SLOT`] until its
    /// first row), so a key the index knows is hashed once, there.
    slot_by_key: Vec<u32>,
    /// The slots of keys the index does not know.
    slot_of_other: FastMap<&'a str, u32>,
    /// The report line of each slot.
    line: Vec<u32>,
    /// The chart account of each slot, if the chart has it.
    account: Vec<Option<&'a EntityAccount>>,
    /// How a row of the slot without a section of its own counts in Gross
    /// Profit (by the section Xero shows its account's type in; 0 when it
    /// does not, or has no account), worked out once per slot.
    gross_sign: Vec<i8>,
    rows: EntityRows<'a>,
}

const NO_SLOT: u32 = u32::MAX;

/// Adds every entity's translated amounts to its column, and fills the
/// tie-out sums (in base currency) and the summary rows.
pub(crate) fn translate_entities<'a>(
    ws: &mut Workspace<'_, 'a>,
    lines: &mut Lines<'a>,
) -> Result<(), EngineError> {
    let idx: &GroupIndex<'a> = ws.idx;
    let n = ws.months.len();
    let mut states: Vec<EntityState<'a>> = idx
        .keys
        .iter()
        .map(|k| EntityState {
            slot_by_key: vec![NO_SLOT; k.key_count()],
            ..EntityState::default()
        })
        .collect();
    // Stores load rows grouped by entity and account: remember the last.
    let mut last_entity: Option<(crate::engine::EntityId, usize)> = None;
    let mut last_slot: Option<(usize, &'a str, usize)> = None;

    let first_month = ws.months[0];
    for row in &idx.data.pnl {
        let m = first_month.months_until(row.month);
        if m < 0 || m as usize >= n {
            continue;
        }
        let m = m as usize;
        let pos = match last_entity {
            Some((id, p)) if id == row.entity => p,
            _ => {
                let p = idx.entity_position(row.entity)?;
                last_entity = Some((row.entity, p));
                p
            }
        };
        ws.synced[pos][m] = true;
        let (key, system, section) = match &row.row {
            SourceRow::Account {
                account_id,
                section,
            } => (account_id.as_str(), None, *section),
            SourceRow::System(sys) => (
                sys.key.as_str(),
                Some((sys.label.as_str(), sys.class)),
                sys.section,
            ),
            SourceRow::Summary(label) => {
                ws.summary_rows.push(SummaryRow {
                    entity: row.entity,
                    month: row.month,
                    label: label.to_string(),
                    amount: row.amount,
                });
                continue;
            }
        };
        let st = &mut states[pos];
        let slot = match last_slot {
            Some((p, k, s)) if p == pos && k == key => s,
            _ => {
                let found = idx.keys[pos].by_key(key);
                let known = match found {
                    Some((number, _)) => st.slot_by_key[number as usize],
                    None => st.slot_of_other.get(key).copied().unwrap_or(NO_SLOT),
                };
                let s = match known {
                    NO_SLOT => {
                        let info = found.map(|(_, info)| info).unwrap_or_default();
                        if info.account.is_none() && system.is_none() {
                            ws.warnings.push(Warning::UnknownSourceAccount {
                                severity: Severity::Warning,
                                entity: row.entity,
                                account_id: key.to_string(),
                                section,
                            });
                        }
                        let resolved =
                            lines.resolve(pos, key, info, system, section.map(|s| s.class()));
                        let s = st.line.len();
                        st.line.push(resolved.line);
                        st.rows.profit_sign.push(resolved.profit_sign);
                        st.account.push(info.account);
                        st.gross_sign.push(
                            info.account
                                .map_or(0, |a| ReportSection::of_account(a).gross_profit_sign()),
                        );
                        st.rows.base.resize((s + 1) * n, Decimal::ZERO);
                        st.rows.first.resize((s + 1) * n, None);
                        match found {
                            Some((number, _)) => st.slot_by_key[number as usize] = s as u32,
                            None => {
                                st.slot_of_other.insert(key, s as u32);
                            }
                        }
                        s
                    }
                    s => s as usize,
                };
                last_slot = Some((pos, key, s));
                s
            }
        };
        // A key outside the chart can sit in two sections (realised and
        // unrealised currency gains both carry FXGROUPID): each row moves
        // profit as its own section says, so a row signed unlike its slot
        // is turned into the slot's sign before it is added.
        let slot_sign = st.rows.profit_sign[slot];
        let row_class = match system {
            Some((_, class)) => Some(class),
            None if st.account[slot].is_none() => section.map(ReportSection::class),
            None => None,
        };
        let amount = match row_class {
            Some(class) if class.profit_sign().is_sign_negative() != (slot_sign < 0) => -row.amount,
            _ => row.amount,
        };
        // Gross Profit as Xero counts it: by the section the row sat in, or
        // for a known account by the section Xero shows its type in.
        let gross_sign = match section {
            Some(s) => s.gross_profit_sign(),
            None => st.gross_sign[slot],
        };
        match gross_sign {
            1 => ws.computed_gross_profit[pos][m] += row.amount,
            -1 => ws.computed_gross_profit[pos][m] -= row.amount,
            _ => {}
        }
        let i = slot * n + m;
        match st.rows.first[i] {
            None => {
                st.rows.first[i] = Some(row);
                st.rows.base[i] = amount;
            }
            Some(_) => {
                st.rows.extra.push((slot as u32, m as u32, row));
                st.rows.base[i] += amount;
            }
        }
    }

    let minor = idx.minor_units;
    ws.provenance.entities = Vec::with_capacity(states.len());
    ws.provenance
        .reserve_entity_items(states.iter().map(|st| st.line.len()).sum());
    for (pos, st) in states.into_iter().enumerate() {
        let rates = &ws.entity_rates[pos];
        for (slot, &line) in st.line.iter().enumerate() {
            let sign = st.rows.profit_sign[slot];
            let column = lines.column_mut(line, pos);
            for (m, rate) in rates.iter().enumerate() {
                let i = slot * n + m;
                if st.rows.first[i].is_none() {
                    continue;
                }
                ws.computed_net_profit[pos][m] += signed(sign, st.rows.base[i]);
                ws.has_rows[pos][m] = true;
                let Some(rate) = *rate else { continue };
                let translated = translate_units(st.rows.base[i], rate, minor).ok_or(
                    EngineError::AmountOutOfRange {
                        entity: idx.entities[pos].id,
                        month: ws.months[m],
                    },
                )?;
                column[m] += signed_units(sign, translated);
            }
            ws.provenance
                .push_entity(line, pos as u32, pos as u32, slot as u32);
        }
        ws.provenance.entities.push(st.rows);
    }
    Ok(())
}
