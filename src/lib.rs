//! orgauth: an OAuth 2.0 authorization server for machine-to-machine access.

pub mod app;
pub mod client_auth;
pub mod config;
pub mod domain;
pub mod healthcheck;
pub mod http;
pub mod jobs;
pub mod last_used;
pub mod logging;
pub mod mail;
pub mod metrics;
pub mod revoked_tokens;
pub mod service;
pub mod status_lists;
pub mod store;
pub mod token;
