//! The integration tests: one binary (one link of the whole crate instead of one per file),
//! each module an area of behaviour. Every test starts the real server on a random port with
//! a database of its own (`common`).

#[macro_use]
mod common;

mod admin_api;
mod admin_clients;
mod admin_hardening;
mod admin_lists;
mod admin_security;
mod admin_tokens;
mod architecture;
mod bootstrap;
mod brute_force;
mod cli;
mod client_libraries;
mod client_lifecycle;
mod coherence;
mod configuration;
mod console;
mod day_two;
mod deploy;
mod discovery;
mod failover;
mod federation;
mod federation_availability;
mod invitation_mail;
mod key_checks;
mod lifecycle;
mod logging;
mod operations;
mod people;
mod private_key_jwt;
mod readme;
mod sso;
mod sso_sign_in;
mod status_lists;
mod token;
mod topology;
mod verifiers;
