//! Diesel table definitions of the school's documents (migration `…000007_documents`).

diesel::table! {
    document_settings (id) {
        id -> BigInt,
        school_id -> BigInt,
        school_address -> Text,
        dpo_name -> Text,
        dpo_email -> Text,
        dpo_phone -> Text,
        operator -> Text,
        updated_at -> Timestamp,
        updated_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    document_sections (id) {
        id -> BigInt,
        school_id -> BigInt,
        document -> Text,
        section -> Text,
        body -> Text,
        updated_at -> Timestamp,
        updated_by -> Nullable<BigInt>,
    }
}

diesel::table! {
    issued_documents (id) {
        id -> BigInt,
        school_id -> BigInt,
        document -> Text,
        version_no -> Integer,
        version -> Text,
        content_hash -> Text,
        body -> Text,
        effective_from -> Date,
        issued_at -> Timestamp,
        issued_by -> BigInt,
    }
}
