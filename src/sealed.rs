//! Every encrypted column of the database, with the associated data ("purpose") that binds
//! each value to its owner, and `klassenbuch keys rotate`, which re-encrypts everything under
//! the current key, resumably (it only touches values not yet under the current key).

use crate::crypto::{CryptoError, Keyring};
use crate::db::DbConnection;
use diesel::QueryableByName;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

/// An encrypted column and the SQL expression that yields each row's purpose string.
#[derive(Debug, Clone, Copy)]
pub struct SealedColumn {
    pub table: &'static str,
    pub column: &'static str,
    /// The prefix of the purpose; the binding column's value follows it.
    pub prefix: &'static str,
    /// The column (or `||`-joined columns) whose value binds the ciphertext to its owner.
    pub binding_sql: &'static str,
}

const fn col(
    table: &'static str,
    column: &'static str,
    prefix: &'static str,
    binding_sql: &'static str,
) -> SealedColumn {
    SealedColumn {
        table,
        column,
        prefix,
        binding_sql,
    }
}

/// All encrypted columns.
pub const SEALED: &[SealedColumn] = &[
    col("totp_factors", "secret_enc", "totp-secret:", "user_id"),
    col("absence_cases", "note_enc", "absence-note:", "pupil_id"),
    col(
        "pupil_profiles",
        "birth_date_enc",
        "pupil_profiles.birth_date:",
        "pupil_id",
    ),
    col(
        "pupil_profiles",
        "sex_enc",
        "pupil_profiles.sex:",
        "pupil_id",
    ),
    col(
        "pupil_profiles",
        "address_enc",
        "pupil_profiles.address:",
        "pupil_id",
    ),
    col(
        "pupil_profiles",
        "email_enc",
        "pupil_profiles.email:",
        "pupil_id",
    ),
    col(
        "pupil_profiles",
        "phone_enc",
        "pupil_profiles.phone:",
        "pupil_id",
    ),
    col(
        "pupil_profiles",
        "training_company_enc",
        "pupil_profiles.training_company:",
        "pupil_id",
    ),
    col("pupil_photos", "data_enc", "pupil_photos.data:", "pupil_id"),
    col("guardians", "name_enc", "guardians.name:", "pupil_id"),
    col(
        "guardians",
        "relation_enc",
        "guardians.relation:",
        "pupil_id",
    ),
    col("guardians", "custody_enc", "guardians.custody:", "pupil_id"),
    col("guardians", "contact_enc", "guardians.contact:", "pupil_id"),
    col(
        "health_codes",
        "meaning_enc",
        "health_codes.meaning:",
        "school_id",
    ),
    col(
        "support_measures",
        "detail_enc",
        "support_measures.detail:",
        "pupil_id",
    ),
    col(
        "conduct_notes",
        "text_enc",
        "conduct_notes.text:",
        "pupil_id",
    ),
    col(
        "notebook_entries",
        "text_enc",
        "notebook_entries.text:",
        "owner_id",
    ),
    PENDING_IMPORT,
];

/// An uploaded import file between preview and apply (at most an hour): it holds dates of
/// birth and guardians' contact data.
const PENDING_IMPORT: SealedColumn = col(
    "pending_imports",
    "content",
    "pending_imports.content:",
    "school_id",
);

/// The column of pending import files.
pub fn pending_import() -> &'static SealedColumn {
    &PENDING_IMPORT
}

impl SealedColumn {
    /// The purpose string for a row whose binding value is `binding`.
    pub fn purpose(&self, binding: i64) -> String {
        format!("{}{binding}", self.prefix)
    }

    pub fn seal(
        &self,
        keys: &Keyring,
        binding: i64,
        plaintext: &str,
    ) -> Result<String, CryptoError> {
        keys.encrypt(&self.purpose(binding), plaintext.as_bytes())
    }

    pub fn open(&self, keys: &Keyring, binding: i64, stored: &str) -> Result<String, CryptoError> {
        let bytes = keys.decrypt(&self.purpose(binding), stored)?;
        String::from_utf8(bytes).map_err(|_| CryptoError::Corrupt)
    }
}

/// Looks up a sealed column by table and column name.
pub fn column(table: &str, column: &str) -> Option<&'static SealedColumn> {
    SEALED
        .iter()
        .find(|c| c.table == table && c.column == column)
}

#[derive(QueryableByName)]
struct Pending {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    binding: i64,
    #[diesel(sql_type = Text)]
    value: String,
}

/// Progress of a rotation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RotationReport {
    pub rotated: usize,
    pub already_current: bool,
}

/// Re-encrypts every value not yet under the current key, in batches of `batch` rows, each
/// batch in its own transaction (so an interrupted run keeps what it did and a new run goes on
/// where it stopped). Fails on a value no key of the keyring can open.
pub fn rotate(
    conn: &mut DbConnection,
    keys: &Keyring,
    batch: i64,
    mut progress: impl FnMut(&str, usize),
) -> anyhow::Result<RotationReport> {
    let current_prefix = format!("{}$", keys.current_id());
    let mut total = 0;
    for c in SEALED {
        loop {
            let sql = format!(
                "SELECT id, {b} AS binding, {col} AS value FROM {t} \
                 WHERE {col} IS NOT NULL AND substr({col}, 1, {n}) <> '{p}' ORDER BY id LIMIT {batch}",
                b = c.binding_sql,
                col = c.column,
                t = c.table,
                n = current_prefix.len(),
                p = current_prefix.replace('\'', "''"),
            );
            let rows: Vec<Pending> = diesel::sql_query(sql).load(conn)?;
            if rows.is_empty() {
                break;
            }
            let mut updates = Vec::with_capacity(rows.len());
            for r in &rows {
                let purpose = c.purpose(r.binding);
                let plain = keys
                    .decrypt(&purpose, &r.value)
                    .map_err(|e| anyhow::anyhow!("{}.{} Zeile {}: {e}", c.table, c.column, r.id))?;
                updates.push((r.id, r.value.clone(), keys.encrypt(&purpose, &plain)?));
            }
            let n = crate::db::write_transaction(conn, |conn| {
                let mut n = 0;
                for (id, old, new) in &updates {
                    // Compare-and-set: a value changed meanwhile by the app stays as written.
                    n += diesel::sql_query(format!(
                        "UPDATE {t} SET {col} = $1 WHERE id = $2 AND {col} = $3",
                        t = c.table,
                        col = c.column
                    ))
                    .bind::<Text, _>(new)
                    .bind::<BigInt, _>(id)
                    .bind::<Text, _>(old)
                    .execute(conn)?;
                }
                Ok(n)
            })?;
            total += n;
            progress(c.table, n);
            if n == 0 {
                // Every row of the batch changed under us; read again.
                continue;
            }
        }
    }
    Ok(RotationReport {
        rotated: total,
        already_current: total == 0,
    })
}
