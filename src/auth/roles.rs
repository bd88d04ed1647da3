//! The roles of § 6 SchulDSVO plus school social work, as assignments with a scope.

use serde::Serialize;

/// A role a user holds in a school. Roles are assignments, not account types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Role {
    Schulleitung,
    Verwaltung,
    Klassenlehrkraft,
    Lehrkraft,
    Sekretariat,
    Schulsozialarbeit,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Schulleitung,
        Role::Verwaltung,
        Role::Klassenlehrkraft,
        Role::Lehrkraft,
        Role::Sekretariat,
        Role::Schulsozialarbeit,
    ];

    /// The value stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Schulleitung => "schulleitung",
            Role::Verwaltung => "verwaltung",
            Role::Klassenlehrkraft => "klassenlehrkraft",
            Role::Lehrkraft => "lehrkraft",
            Role::Sekretariat => "sekretariat",
            Role::Schulsozialarbeit => "schulsozialarbeit",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The German name shown to users.
    pub fn label(self) -> &'static str {
        match self {
            Role::Schulleitung => "Schulleitung",
            Role::Verwaltung => "Administration",
            Role::Klassenlehrkraft => "Klassenlehrkraft",
            Role::Lehrkraft => "Lehrkraft",
            Role::Sekretariat => "Sekretariat",
            Role::Schulsozialarbeit => "Schulsozialarbeit",
        }
    }

    /// Roles that may administer accounts, factors and settings.
    pub fn administers(self) -> bool {
        matches!(self, Role::Schulleitung | Role::Verwaltung)
    }
}
