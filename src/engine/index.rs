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
}

impl<'a> EntityKeys<'a> {
    fn with_capacity(n: usize) -> Self {
        Self {
            by_key: FastMap::with_capacity_and_hasher(n, Default::default()),
            by_code: FastMap::with_capacity_and_hasher(n, Default::default()),
            infos: Vec::with_capacity(n),
        }
    }

    /// By AccountID (or system key).
    pub fn by_key(&self, key: &str) -> Option<KeyInfo<'a>> {
        self.by_key.get(key).map(|&i| self.infos[i as usize])
    }

    /// By account code, as invoice lines name their account.
    pub fn by_code(&self, code: &str) -> Option<KeyInfo<'a>> {
        self.by_code
            .get(code.trim())
            .map(|&i| self.infos[i as usize])
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
            k.by_key.insert(a.account_id.as_str(), i);
            if let Some(code) = a.code.as_deref() {
                k.by_code.insert(code.trim(), i);
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
