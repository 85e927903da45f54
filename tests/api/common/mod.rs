//! Test harness: every test starts the real server (`Application::build`, as `main` does) on a
//! random port with a database of its own, on SQLite always and on Postgres when
//! `TEST_DATABASE_URL` is set. With `CI=true` a missing or unreachable Postgres fails the
//! test instead of skipping it.
#![allow(dead_code)]

pub mod admin;
pub mod app;
pub mod database;
pub mod idp;
pub mod issuer;
pub mod jws;
pub mod people;
pub mod process;
pub mod proxy;
pub mod tokens;

pub use admin::assert_problem;
pub use app::{TestApp, spawn_app, spawn_app_with, spawn_at_own_address, spawn_with, test_config};
pub use database::{Backend, TestDatabase, postgres_available};
pub use tokens::{raw_header, verify_with};

/// Runs `$body` (a closure taking a `TestApp`-free `Backend`) as two tests, one per backend.
#[macro_export]
macro_rules! on_both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                ($body)($crate::common::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if $crate::common::postgres_available() {
                    ($body)($crate::common::Backend::Postgres).await;
                }
            }
        }
    };
}
