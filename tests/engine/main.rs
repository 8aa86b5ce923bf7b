//! The consolidation engine's tests: a table test per rule, the worked
//! example, reconciliation, suggestions, serialisation and properties.

mod balance_sheet;
mod common;
mod completeness;
mod eliminations;
mod ic_balances;
mod props;
mod reconcile;
mod reference;
mod rows;
mod rules;
mod serialisation;
mod suggest;
mod worked_example;
