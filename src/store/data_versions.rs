//! A group's data version (migration 0015): its own counter and its
//! entities' organisations' counters, moved by triggers in the transaction
//! of every change to what a report reads. The report service keys what it
//! has consolidated by it.

use super::{Store, StoreResult, on_pool};

/// Equal versions mean equal data: every counter only grows, and a
/// group's entities are part of the version.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DataVersion {
    pub group: i64,
    /// (organisation id, its counter), by organisation id.
    pub organisations: Vec<(i64, i64)>,
}

impl std::fmt::Display for DataVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "g{}", self.group)?;
        for (org, v) in &self.organisations {
            write!(f, ".o{org}v{v}")?;
        }
        Ok(())
    }
}

impl Store {
    /// The group's data version, read in one statement (so never half of
    /// one change); `None` when the group does not exist.
    pub async fn data_version(&self, group_id: i64) -> StoreResult<Option<DataVersion>> {
        let rows: Vec<(i64, Option<i64>, Option<i64>)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT g.data_version, o.id, o.data_version FROM groups g \
                 LEFT JOIN entities e ON e.group_id = g.id \
                 LEFT JOIN organisations o ON o.id = e.organisation_id \
                 WHERE g.id = $1 ORDER BY o.id",
            )
            .bind(group_id)
            .fetch_all(pool)
            .await?
        });
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        Ok(Some(DataVersion {
            group: first.0,
            organisations: rows
                .iter()
                .filter_map(|(_, org, v)| Some(((*org)?, (*v)?)))
                .collect(),
        }))
    }
}
