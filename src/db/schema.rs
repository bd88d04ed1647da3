//! Diesel table definitions, shared by both backends (see `migrations/<backend>/`).

diesel::table! {
    schools (id) {
        id -> BigInt,
        name -> Text,
        second_factor_policy -> Text,
        created_at -> Timestamp,
        lock_days -> Integer,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        school_id -> BigInt,
        login -> Text,
        display_name -> Text,
        password_hash -> Nullable<Text>,
        active -> Bool,
        setup_complete -> Bool,
        created_at -> Timestamp,
        /// The school software's stable id (staff short name), from the import.
        external_id -> Nullable<Text>,
    }
}

diesel::table! {
    role_assignments (id) {
        id -> BigInt,
        school_id -> BigInt,
        user_id -> BigInt,
        role -> Text,
        class_id -> Nullable<BigInt>,
        valid_from -> Nullable<Date>,
        valid_to -> Nullable<Date>,
    }
}

diesel::table! {
    setup_tokens (id) {
        id -> BigInt,
        school_id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    sessions (id_hash) {
        id_hash -> Text,
        school_id -> Nullable<BigInt>,
        user_id -> Nullable<BigInt>,
        stage -> Text,
        csrf_token -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        elevated_at -> Nullable<Timestamp>,
        elevation_seen_at -> Nullable<Timestamp>,
        user_agent -> Text,
        client_addr -> Text,
        flash -> Nullable<Text>,
        pending -> Nullable<Text>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        school_id -> Nullable<BigInt>,
        at -> Timestamp,
        actor_user_id -> Nullable<BigInt>,
        action -> Text,
        object -> Text,
        result -> Text,
        assurance -> Text,
        client_addr -> Text,
        detail -> Text,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    classes (id) {
        id -> BigInt,
        school_id -> BigInt,
        name -> Text,
        /// The school software's stable id, from the import.
        external_id -> Nullable<Text>,
    }
}

diesel::table! {
    subjects (id) {
        id -> BigInt,
        school_id -> BigInt,
        short_name -> Text,
        name -> Text,
    }
}

diesel::table! {
    pupils (id) {
        id -> BigInt,
        school_id -> BigInt,
        class_id -> BigInt,
        surname -> Text,
        first_name -> Text,
        enrolled_from -> Date,
        enrolled_to -> Nullable<Date>,
        /// The school software's stable id, from the import.
        external_id -> Nullable<Text>,
    }
}

diesel::table! {
    timetable_slots (id) {
        id -> BigInt,
        school_id -> BigInt,
        class_id -> BigInt,
        subject_id -> BigInt,
        teacher_id -> BigInt,
        weekday -> SmallInt,
        period -> SmallInt,
        room -> Text,
        valid_from -> Date,
        valid_to -> Nullable<Date>,
        group_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    totp_factors (id) {
        id -> BigInt,
        school_id -> BigInt,
        user_id -> BigInt,
        label -> Text,
        secret_enc -> Text,
        active -> Bool,
        last_step -> BigInt,
        failed_count -> Integer,
        locked_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webauthn_credentials (id) {
        id -> BigInt,
        school_id -> BigInt,
        user_id -> BigInt,
        label -> Text,
        credential_id -> Text,
        passkey -> Text,
        failed_count -> Integer,
        locked_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    webauthn_ceremonies (id_hash) {
        id_hash -> Text,
        school_id -> BigInt,
        user_id -> BigInt,
        session_hash -> Text,
        kind -> Text,
        state -> Text,
        label -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> BigInt,
        school_id -> BigInt,
        user_id -> BigInt,
        code_hash -> Text,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    throttles (key) {
        key -> Text,
        failures -> Integer,
        window_start -> Timestamp,
        last_failure_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    acknowledgements (id) {
        id -> BigInt,
        school_id -> BigInt,
        user_id -> BigInt,
        document -> Text,
        version -> Text,
        acknowledged_at -> Timestamp,
    }
}

diesel::table! {
    school_years (id) {
        id -> BigInt,
        school_id -> BigInt,
        name -> Text,
        starts_on -> Date,
        ends_on -> Date,
        closed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    terms (id) {
        id -> BigInt,
        school_id -> BigInt,
        school_year_id -> BigInt,
        name -> Text,
        starts_on -> Date,
        ends_on -> Date,
    }
}

diesel::table! {
    holidays (id) {
        id -> BigInt,
        school_id -> BigInt,
        name -> Text,
        starts_on -> Date,
        ends_on -> Date,
    }
}

diesel::table! {
    time_grids (id) {
        id -> BigInt,
        school_id -> BigInt,
        name -> Text,
        valid_from -> Date,
        valid_to -> Nullable<Date>,
    }
}

diesel::table! {
    periods (id) {
        id -> BigInt,
        school_id -> BigInt,
        time_grid_id -> BigInt,
        number -> SmallInt,
        start_minute -> Integer,
        end_minute -> Integer,
    }
}

diesel::table! {
    rooms (id) {
        id -> BigInt,
        school_id -> BigInt,
        name -> Text,
    }
}

diesel::table! {
    teaching_groups (id) {
        id -> BigInt,
        school_id -> BigInt,
        name -> Text,
    }
}

diesel::table! {
    group_members (id) {
        id -> BigInt,
        school_id -> BigInt,
        group_id -> BigInt,
        pupil_id -> BigInt,
        valid_from -> Date,
        valid_to -> Nullable<Date>,
    }
}

diesel::table! {
    substitutions (id) {
        id -> BigInt,
        school_id -> BigInt,
        slot_id -> BigInt,
        date -> Date,
        substitute_id -> Nullable<BigInt>,
        cancelled -> Bool,
        note -> Text,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    lessons (id) {
        id -> BigInt,
        school_id -> BigInt,
        slot_id -> BigInt,
        date -> Date,
        class_id -> BigInt,
        group_id -> Nullable<BigInt>,
        subject_id -> BigInt,
        teacher_id -> BigInt,
        period -> SmallInt,
        start_minute -> Integer,
        end_minute -> Integer,
        topic -> Text,
        homework -> Text,
        status -> Text,
        documented_by -> BigInt,
        documented_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    attendance (id) {
        id -> BigInt,
        school_id -> BigInt,
        lesson_id -> BigInt,
        pupil_id -> BigInt,
        status -> Text,
        minutes -> Integer,
    }
}

diesel::table! {
    change_history (id) {
        id -> BigInt,
        school_id -> BigInt,
        at -> Timestamp,
        user_id -> BigInt,
        assurance -> Text,
        entity -> Text,
        entity_id -> BigInt,
        field -> Text,
        old_value -> Text,
        new_value -> Text,
        amendment_reason -> Nullable<Text>,
    }
}

diesel::table! {
    register_entries (id) {
        id -> BigInt,
        school_id -> BigInt,
        class_id -> BigInt,
        group_id -> Nullable<BigInt>,
        date -> Date,
        kind -> Text,
        text -> Text,
        pupil_id -> Nullable<BigInt>,
        author_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    absence_cases (id) {
        id -> BigInt,
        school_id -> BigInt,
        pupil_id -> BigInt,
        from_date -> Date,
        to_date -> Date,
        from_period -> Nullable<SmallInt>,
        to_period -> Nullable<SmallInt>,
        reason -> Text,
        note_enc -> Nullable<Text>,
        excuse -> Text,
        excuse_received_on -> Nullable<Date>,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    attest_requirements (id) {
        id -> BigInt,
        school_id -> BigInt,
        pupil_id -> BigInt,
        from_date -> Date,
        to_date -> Date,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    pupil_profiles (id) {
        id -> BigInt,
        school_id -> BigInt,
        pupil_id -> BigInt,
        birth_date_enc -> Nullable<Text>,
        sex_enc -> Nullable<Text>,
        address_enc -> Nullable<Text>,
        email_enc -> Nullable<Text>,
        phone_enc -> Nullable<Text>,
        training_company_enc -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    pupil_photos (id) {
        id -> BigInt,
        school_id -> BigInt,
        pupil_id -> BigInt,
        data_enc -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    guardians (id) {
        id -> BigInt,
        school_id -> BigInt,
        pupil_id -> BigInt,
        name_enc -> Text,
        relation_enc -> Text,
        custody_enc -> Text,
        contact_enc -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    health_codes (id) {
        id -> BigInt,
        school_id -> BigInt,
        code -> Text,
        meaning_enc -> Text,
    }
}

diesel::table! {
    pupil_health_codes (id) {
        id -> BigInt,
        school_id -> BigInt,
        pupil_id -> BigInt,
        health_code_id -> BigInt,
    }
}

diesel::table! {
    support_measures (id) {
        id -> BigInt,
        school_id -> BigInt,
        pupil_id -> BigInt,
        kind -> Text,
        detail_enc -> Text,
        valid_from -> Date,
        valid_to -> Nullable<Date>,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    conduct_notes (id) {
        id -> BigInt,
        school_id -> BigInt,
        pupil_id -> BigInt,
        author_id -> BigInt,
        date -> Date,
        text_enc -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    notebook_entries (id) {
        id -> BigInt,
        school_id -> BigInt,
        owner_id -> BigInt,
        pupil_id -> BigInt,
        class_id -> BigInt,
        subject_id -> Nullable<BigInt>,
        date -> Date,
        kind -> Text,
        text_enc -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    social_work_assignments (id) {
        id -> BigInt,
        school_id -> BigInt,
        user_id -> BigInt,
        pupil_id -> BigInt,
        valid_from -> Date,
        valid_to -> Nullable<Date>,
        created_by -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::joinable!(pupil_health_codes -> health_codes (health_code_id));

diesel::joinable!(users -> schools (school_id));
diesel::joinable!(lessons -> classes (class_id));
diesel::joinable!(lessons -> subjects (subject_id));
diesel::joinable!(attendance -> lessons (lesson_id));
diesel::joinable!(attendance -> pupils (pupil_id));
diesel::joinable!(periods -> time_grids (time_grid_id));
diesel::joinable!(group_members -> pupils (pupil_id));
diesel::joinable!(substitutions -> timetable_slots (slot_id));
diesel::joinable!(role_assignments -> users (user_id));
diesel::joinable!(pupils -> classes (class_id));
diesel::joinable!(timetable_slots -> classes (class_id));
diesel::joinable!(timetable_slots -> subjects (subject_id));
diesel::joinable!(timetable_slots -> users (teacher_id));

diesel::allow_tables_to_appear_in_same_query!(
    schools,
    users,
    role_assignments,
    setup_tokens,
    sessions,
    audit_log,
    classes,
    subjects,
    pupils,
    timetable_slots,
    totp_factors,
    webauthn_credentials,
    webauthn_ceremonies,
    recovery_codes,
    throttles,
    acknowledgements,
    school_years,
    terms,
    holidays,
    time_grids,
    periods,
    rooms,
    teaching_groups,
    group_members,
    substitutions,
    lessons,
    attendance,
    change_history,
    register_entries,
    absence_cases,
    attest_requirements,
    pupil_profiles,
    pupil_photos,
    guardians,
    health_codes,
    pupil_health_codes,
    support_measures,
    conduct_notes,
    notebook_entries,
    social_work_assignments,
);
