//! Klassenbuch: a digital class register for German schools.
//!
//! The library holds everything; `main.rs` only calls [`cli::main`].

pub mod accountability;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod error;
pub mod gdpr;
pub mod import;
pub mod legal;
pub mod ops;
pub mod permissions;
pub mod pupils;
pub mod register;
pub mod school;
pub mod sealed;
pub mod socialwork;
pub mod spreadsheet;
pub mod startup;
pub mod web;

/// Connects to the configured database(s) (shared by CLI commands).
pub fn cli_connect(settings: &config::Settings) -> anyhow::Result<db::Db> {
    Ok(db::Db::from_settings(&settings.database)?)
}
