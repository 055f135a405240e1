//! Account numbers resolved to account ids, remembered by the process.
//!
//! Every transfer names its accounts by number, and the ledger works by id. A number names one
//! account forever: accounts are never renumbered or deleted (migration 1061 makes PostgreSQL
//! refuse either), so once a number has been resolved it never needs asking again. Without
//! this, each transfer cost a round trip to PostgreSQL before it even reached the writer.
//!
//! Only numbers of existing accounts are remembered. A number nobody has is asked about every
//! time, so an account another replica opened a moment ago is found at once, and nobody can fill
//! the memory with made-up numbers. The memory is still bounded: when it is full it is emptied
//! and fills again from the database.

use std::collections::HashMap;
use std::sync::RwLock;

use sqlx::PgPool;
use uuid::Uuid;

use crate::db;

/// How many numbers the process remembers before it starts afresh; about 10 MB.
const CAPACITY: usize = 100_000;

/// The process's memory of account numbers and their ids, shared by every handler.
#[derive(Debug, Default)]
pub struct AccountIds {
    known: RwLock<HashMap<String, Uuid>>,
}

impl AccountIds {
    /// The id of each of `numbers` that names an account; numbers of no account are absent.
    pub async fn resolve(
        &self,
        pool: &PgPool,
        numbers: &[String],
    ) -> sqlx::Result<HashMap<String, Uuid>> {
        let mut resolved = HashMap::with_capacity(numbers.len());
        let mut unknown = Vec::new();
        {
            let known = self
                .known
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            for number in numbers {
                match known.get(number) {
                    Some(id) => {
                        resolved.insert(number.clone(), *id);
                    }
                    None => unknown.push(number.clone()),
                }
            }
        }
        if unknown.is_empty() {
            return Ok(resolved);
        }
        let found = db::accounts::ids_by_numbers(pool, &unknown).await?;
        let mut known = self
            .known
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if known.len() + found.len() > CAPACITY {
            known.clear();
        }
        for (number, id) in found {
            known.insert(number.clone(), id);
            resolved.insert(number, id);
        }
        Ok(resolved)
    }
}
