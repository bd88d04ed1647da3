//! The integration tests: one binary, a real server on a random port per test, a fresh
//! database per test (SQLite, or PostgreSQL when `KLASSENBUCH_TEST_DATABASE_URL` is set).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accountability_documents;
mod at_rest;
mod auth_account;
mod auth_admin;
mod auth_audit;
mod auth_enumeration;
mod auth_password;
mod auth_setup;
mod auth_stepup;
mod auth_throttle;
mod auth_totp;
mod auth_webauthn;
mod backend;
mod csrf;
mod databases;
mod gdpr;
mod headers;
mod health;
mod helpers;
mod import;
mod instances;
mod isolation;
mod legal_pages;
mod migrations;
mod ops;
mod pupils_access;
mod pupils_forms;
mod pupils_notebook;
mod pupils_photo;
mod query_count;
mod register_absences;
mod register_lessons;
mod register_print;
mod register_stats;
mod routes_walk;
mod school_create;
mod school_structure;
mod sessions;
mod sign_in;
mod socialwork;
