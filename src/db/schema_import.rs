//! Diesel tables of the master-data import (`crate::import`): pending uploads, the school's
//! header mapping, and views of `pupils`, `users` and `classes` that include the
//! `external_id` column the import migration adds.

diesel::table! {
    pending_imports (id) {
        id -> BigInt,
        school_id -> BigInt,
        token_hash -> Text,
        kind -> Text,
        file_name -> Text,
        content -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    import_mappings (id) {
        id -> BigInt,
        school_id -> BigInt,
        kind -> Text,
        field -> Text,
        header -> Text,
    }
}
