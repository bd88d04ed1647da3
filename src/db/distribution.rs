//! How the PostgreSQL schema spreads over a Citus cluster with `school_id` as the
//! distribution column. One list, read by `klassenbuch citus-sql` (the commands an operator
//! runs on the coordinator) and checked against the live catalog by the migration tests:
//! every key of a distributed table begins with `school_id`, every foreign key between
//! distributed tables carries it on both sides, and every table is named here exactly once.

/// What Citus does with a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Sharded by `school_id`; all tables are co-located, so a school's rows live together.
    Distributed,
    /// Copied to every node: small tables that rows of all schools point at.
    Reference,
    /// Stays on the coordinator: rows that belong to no school (yet).
    Local,
}

/// Every table of the schema (diesel's own bookkeeping table aside), in an order in which
/// each table comes after the tables its foreign keys point at.
pub const TABLES: &[(&str, Placement, &str)] = &[
    ("schools", Placement::Reference, "the schools themselves"),
    (
        "users",
        Placement::Reference,
        "sign-in looks a login up before the school is known; logins are unique installation-wide",
    ),
    (
        "sessions",
        Placement::Local,
        "a session exists before sign-in, without a school",
    ),
    ("throttles", Placement::Local, "per address and per login"),
    (
        "audit_log",
        Placement::Local,
        "operator events belong to no school (chain 0)",
    ),
    ("audit_anchors", Placement::Distributed, ""),
    ("job_runs", Placement::Distributed, ""),
    ("retention_settings", Placement::Distributed, ""),
    ("deletion_records", Placement::Distributed, ""),
    ("setup_tokens", Placement::Distributed, ""),
    ("role_assignments", Placement::Distributed, ""),
    ("recovery_codes", Placement::Distributed, ""),
    ("totp_factors", Placement::Distributed, ""),
    ("webauthn_credentials", Placement::Distributed, ""),
    ("webauthn_ceremonies", Placement::Distributed, ""),
    ("acknowledgements", Placement::Distributed, ""),
    ("document_sections", Placement::Distributed, ""),
    ("document_settings", Placement::Distributed, ""),
    ("issued_documents", Placement::Distributed, ""),
    ("import_mappings", Placement::Distributed, ""),
    ("pending_imports", Placement::Distributed, ""),
    ("school_years", Placement::Distributed, ""),
    ("terms", Placement::Distributed, ""),
    ("holidays", Placement::Distributed, ""),
    ("time_grids", Placement::Distributed, ""),
    ("periods", Placement::Distributed, ""),
    ("classes", Placement::Distributed, ""),
    ("teaching_groups", Placement::Distributed, ""),
    ("subjects", Placement::Distributed, ""),
    ("rooms", Placement::Distributed, ""),
    ("pupils", Placement::Distributed, ""),
    ("group_members", Placement::Distributed, ""),
    ("timetable_slots", Placement::Distributed, ""),
    ("substitutions", Placement::Distributed, ""),
    ("lessons", Placement::Distributed, ""),
    ("attendance", Placement::Distributed, ""),
    ("change_history", Placement::Distributed, ""),
    ("register_entries", Placement::Distributed, ""),
    ("absence_cases", Placement::Distributed, ""),
    ("attest_requirements", Placement::Distributed, ""),
    ("pupil_profiles", Placement::Distributed, ""),
    ("pupil_photos", Placement::Distributed, ""),
    ("guardians", Placement::Distributed, ""),
    ("health_codes", Placement::Distributed, ""),
    ("pupil_health_codes", Placement::Distributed, ""),
    ("support_measures", Placement::Distributed, ""),
    ("conduct_notes", Placement::Distributed, ""),
    ("notebook_entries", Placement::Distributed, ""),
    ("social_work_assignments", Placement::Distributed, ""),
];

/// The distribution column of every distributed table.
pub const DISTRIBUTION_COLUMN: &str = "school_id";

/// The SQL that turns a migrated database on a Citus coordinator into a distributed one.
pub fn citus_sql() -> String {
    let mut out = String::from(
        "-- Klassenbuch auf Citus verteilen: auf dem Koordinator ausführen, nachdem\n\
         -- `klassenbuch migrate` das Schema angelegt hat (vor dem ersten Import).\n\
         -- Verteilungsspalte: school_id; alle verteilten Tabellen liegen zusammen (co-located).\n\
         SET citus.enable_local_reference_table_foreign_keys = on;\n",
    );
    let mut first_distributed: Option<&str> = None;
    for (table, placement, why) in TABLES {
        match placement {
            Placement::Reference => {
                out.push_str(&format!(
                    "SELECT create_reference_table('{table}'); -- {why}\n"
                ));
            }
            Placement::Local => {
                out.push_str(&format!(
                    "SELECT citus_add_local_table_to_metadata('{table}'); -- {why}\n"
                ));
            }
            Placement::Distributed => {
                let colocate = first_distributed.unwrap_or("default");
                out.push_str(&format!(
                    "SELECT create_distributed_table('{table}', '{DISTRIBUTION_COLUMN}', \
                     colocate_with => '{colocate}');\n"
                ));
                first_distributed.get_or_insert(table);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_is_named_once_and_all_distributed_tables_are_co_located_with_the_first() {
        let mut names: Vec<&str> = TABLES.iter().map(|t| t.0).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(names.len(), before, "a table is listed twice");
        let sql = citus_sql();
        assert!(sql.contains(
            "create_distributed_table('job_runs', 'school_id', colocate_with => 'audit_anchors')"
        ));
        assert!(sql.contains(
            "create_distributed_table('audit_anchors', 'school_id', colocate_with => 'default')"
        ));
        assert!(sql.contains("create_reference_table('users')"));
    }
}
