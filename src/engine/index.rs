//! Lookup tables over [`GroupData`], built once per report so that the hot
//! loops only hash borrowed strings and never clone them.

use super::hash::FastMap;

use rust_decimal::Decimal;

use super::error::EngineError;
use super::input::{Entity, EntityAccount, EntityId, GroupAccount, GroupAccountId, GroupData};
use crate::domain::{CurrencyCode, Month};

pub(crate) struct GroupIndex<'a> {
    pub data: &'a GroupData,
    pub presentation: CurrencyCode,
    pub minor_units: u32,
    /// Entities in column order: by name, then id.
    pub entities: Vec<&'a Entity>,
    pub position: FastMap<EntityId, usize>,
    /// Per entity: its chart and mappings, by key and by code.
    pub keys: Vec<EntityKeys<'a>>,
    /// (entity position, ContactID) -> counterpart.
    pub contacts: Vec<FastMap<&'a str, EntityId>>,
    pub rates: FastMap<(CurrencyCode, Month), Decimal>,
}

/// What the group knows about an entity key (an AccountID, or a system
/// key such as `FXGROUPID`).
#[derive(Clone, Copy, Default)]
pub(crate) struct KeyInfo<'a> {
    /// The account in the entity's chart, if it is there.
    pub account: Option<&'a EntityAccount>,
    /// The confirmed mapping, of any section, with the group account's
    /// position in the group chart.
    pub group: Option<(&'a GroupAccount, u32)>,
}

impl<'a> KeyInfo<'a> {
    /// The P&L group account the key maps to. Mappings to balance-sheet
    /// group accounts do not count: such accounts show as Unmapped on a P&L.
    pub fn pnl_group(&self) -> Option<(&'a GroupAccount, u32)> {
        self.group.filter(|(g, _)| !g.section.is_balance_sheet())
    }
}

/// One entity's keys: one lookup gives both the account and its mapping.
#[derive(Default)]
pub(crate) struct EntityKeys<'a> {
    by_key: FastMap<&'a str, u32>,
    by_code: FastMap<&'a str, u32>,
    infos: Vec<KeyInfo<'a>>,
    /// The number of each key's AccountID, when a chart lists an AccountID
    /// twice (then `by_key` finds only the last, and a code may find the
    /// other); empty otherwise, when every key is its own number.
    same_id: Vec<u32>,
}

impl<'a> EntityKeys<'a> {
    fn with_capacity(n: usize) -> Self {
        Self {
            by_key: FastMap::with_capacity_and_hasher(n, Default::default()),
            by_code: FastMap::with_capacity_and_hasher(n, Default::default()),
            infos: Vec::with_capacity(n),
            same_id: Vec::new(),
        }
    }

    /// By AccountID (or system key), with the key's number (see
    /// [`Self::key_count`]).
    pub fn by_key(&self, key: &str) -> Option<(u32, KeyInfo<'a>)> {
        self.by_key.get(key).map(|&i| (i, self.infos[i as usize]))
    }

    /// By account code, as invoice lines name their account, with the
    /// key's number.
    pub fn by_code(&self, code: &str) -> Option<(u32, KeyInfo<'a>)> {
        self.by_code.get(code.trim()).map(|&i| {
            let number = self.same_id.get(i as usize).copied().unwrap_or(i);
            (number, self.infos[i as usize])
        })
    }

    /// How many keys the entity has. Each has a number below this, the
    /// same whether it was found by AccountID or by code, so the hot loops
    /// key their tables by it instead of hashing the id's text again.
    pub fn key_count(&self) -> usize {
        self.infos.len()
    }
}

impl<'a> GroupIndex<'a> {
    pub fn build(data: &'a GroupData) -> Result<Self, EngineError> {
        let fye = data.group.financial_year_end_month;
        if !(1..=12).contains(&fye) {
            return Err(EngineError::InvalidYearEnd(fye));
        }
        let presentation = data.group.presentation_currency;
        let mut entities: Vec<&Entity> = data.entities.iter().collect();
        entities.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        let mut position = FastMap::with_capacity_and_hasher(entities.len(), Default::default());
        for (i, e) in entities.iter().enumerate() {
            if position.insert(e.id, i).is_some() {
                return Err(EngineError::DuplicateEntity(e.id));
            }
        }
        let n = entities.len();
        let pos = |id: EntityId| {
            position
                .get(&id)
                .copied()
                .ok_or(EngineError::UnknownEntity(id))
        };

        // Stores load rows grouped by entity: remember the last one.
        let mut last: Option<(EntityId, usize)> = None;
        let mut pos = |id: EntityId| match last {
            Some((l, p)) if l == id => Ok(p),
            _ => {
                let p = pos(id)?;
                last = Some((id, p));
                Ok(p)
            }
        };
        let mut counts = vec![0usize; n];
        for a in &data.entity_accounts {
            counts[pos(a.entity)?] += 1;
        }
        let mut keys: Vec<EntityKeys> = counts
            .iter()
            .map(|&c| EntityKeys::with_capacity(c))
            .collect();
        for a in &data.entity_accounts {
            let k = &mut keys[pos(a.entity)?];
            let i = k.infos.len() as u32;
            k.infos.push(KeyInfo {
                account: Some(a),
                group: None,
            });
            if k.by_key.insert(a.account_id.as_str(), i).is_some() {
                k.same_id.push(u32::MAX); // Filled in below.
            }
            if let Some(code) = a.code.as_deref() {
                k.by_code.insert(code.trim(), i);
            }
        }
        for k in &mut keys {
            if !k.same_id.is_empty() {
                k.same_id = k
                    .infos
                    .iter()
                    .map(|info| {
                        let id = info.account.map_or("", |a| a.account_id.as_str());
                        k.by_key[id]
                    })
                    .collect();
            }
        }

        let mut group_accounts: FastMap<GroupAccountId, (&GroupAccount, u32)> = FastMap::default();
        for (i, g) in data.group_accounts.iter().enumerate() {
            if group_accounts.insert(g.id, (g, i as u32)).is_some() {
                return Err(EngineError::DuplicateGroupAccount(g.id));
            }
        }
        for m in &data.mappings {
            let k = &mut keys[pos(m.entity)?];
            let g = group_accounts
                .get(&m.group_account)
                .copied()
                .ok_or_else(|| EngineError::UnknownGroupAccount {
                    entity: m.entity,
                    account_id: m.account_id.clone(),
                    group_account: m.group_account,
                })?;
            let i = match k.by_key.get(m.account_id.as_str()) {
                Some(&i) => i as usize,
                None => {
                    // A mapped key outside the chart, such as FXGROUPID.
                    let i = k.infos.len();
                    k.infos.push(KeyInfo::default());
                    k.by_key.insert(m.account_id.as_str(), i as u32);
                    i
                }
            };
            if k.infos[i].group.replace(g).is_some() {
                return Err(EngineError::DuplicateMapping {
                    entity: m.entity,
                    account_id: m.account_id.clone(),
                });
            }
        }

        let mut contacts: Vec<FastMap<&str, EntityId>> = vec![FastMap::default(); n];
        for c in &data.intercompany_contacts {
            let p = pos(c.entity)?;
            contacts[p].insert(c.contact_id.as_str(), c.counterpart);
        }

        let mut rates = FastMap::with_capacity_and_hasher(data.rates.len(), Default::default());
        for r in &data.rates {
            if r.currency == presentation {
                continue; // P's own rate is 1 by definition.
            }
            if r.average <= Decimal::ZERO {
                return Err(EngineError::InvalidRate {
                    currency: r.currency,
                    month: r.month,
                });
            }
            rates.insert((r.currency, r.month), r.average);
        }

        Ok(Self {
            data,
            presentation,
            minor_units: presentation.minor_units(),
            entities,
            position,
            keys,
            contacts,
            rates,
        })
    }

    /// The average rate that translates `currency` of `month` into P: 1 for
    /// P itself, `None` when missing.
    pub fn average_rate(&self, currency: CurrencyCode, month: Month) -> Option<Decimal> {
        if currency == self.presentation {
            Some(Decimal::ONE)
        } else {
            self.rates.get(&(currency, month)).copied()
        }
    }

    pub fn entity_position(&self, id: EntityId) -> Result<usize, EngineError> {
        self.position
            .get(&id)
            .copied()
            .ok_or(EngineError::UnknownEntity(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CurrencyCode;
    use crate::engine::input::{AccountClass, Group, XeroAccountType};

    fn account(entity: i64, id: &str, code: &str) -> EntityAccount {
        EntityAccount {
            entity: EntityId(entity),
            account_id: id.to_string(),
            code: Some(code.to_string()),
            name: format!("Account {code}"),
            class: AccountClass::Revenue,
            account_type: XeroAccountType::Revenue,
        }
    }

    fn data(entity_accounts: Vec<EntityAccount>) -> GroupData {
        let nzd = CurrencyCode::parse("NZD").unwrap();
        GroupData {
            group: Group {
                presentation_currency: nzd,
                financial_year_end_month: 3,
            },
            entities: (1..=2)
                .map(|i| Entity {
                    id: EntityId(i),
                    name: format!("E{i}"),
                    tenant_id: format!("t{i}"),
                    organisation_name: format!("E{i} Ltd"),
                    legal_name: None,
                    base_currency: nzd,
                })
                .collect(),
            entity_accounts,
            group_accounts: vec![],
            mappings: vec![],
            pnl: vec![],
            net_profits: vec![],
            rates: vec![],
            intercompany_contacts: vec![],
            invoices: vec![],
            rejected: vec![],
        }
    }

    #[test]
    fn a_key_has_one_number_whether_found_by_id_or_by_code() {
        // The second entity's chart lists AccountID "dup" twice: the two
        // codes must give the number the AccountID gives, or one account's
        // eliminations would be summed (and translated) apart.
        let d = data(vec![
            account(1, "dup", "100"),
            account(2, "x", "300"),
            account(2, "dup", "200"),
            account(2, "dup", "201"),
        ]);
        let idx = GroupIndex::build(&d).unwrap();
        let second = &idx.keys[idx.entity_position(EntityId(2)).unwrap()];
        let (by_id, info) = second.by_key("dup").unwrap();
        assert_eq!(info.account.and_then(|a| a.code.as_deref()), Some("201"));
        assert_eq!(second.by_code("200").unwrap().0, by_id);
        assert_eq!(second.by_code("201").unwrap().0, by_id);
        assert_ne!(second.by_code("300").unwrap().0, by_id);
        assert!((by_id as usize) < second.key_count());
        // Numbers are per entity: the first entity's "dup" is its own key.
        let first = &idx.keys[idx.entity_position(EntityId(1)).unwrap()];
        assert_eq!(first.key_count(), 1);
        assert_eq!(first.by_code("100").unwrap().0, 0);
    }
}
