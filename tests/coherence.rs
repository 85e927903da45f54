//! The verified-secret cache never lets an old secret through: not on the instance that
//! rotated or deleted, and not on another instance sharing the database.

mod common;

use common::{Backend, TestDatabase, spawn_with, test_config};
use serde_json::json;

on_both_backends!(
    rotation_and_deletion_take_effect_on_every_instance_at_once,
    |backend: Backend| async move {
        let db = TestDatabase::create(backend);
        let keys = tempfile::tempdir().unwrap();
        let config = test_config(&db, keys.path().to_owned());
        let a = spawn_with(config.clone()).await;
        // A second instance on the same database and keys (SQLite: same file, as on one host).
        let b = spawn_with(config).await;
        assert_ne!(a.base_url, b.base_url);

        let admin = a.platform_admin().await;
        let org = a.org_id.clone();
        let (id, old) = admin.create_client(&org, "svc", &[]).await;
        // Both instances have verified (and cached) the old secret.
        for _ in 0..3 {
            assert_eq!(a.token_basic(&id, &old, &[]).await.status(), 200);
            assert_eq!(b.token_basic(&id, &old, &[]).await.status(), 200);
        }

        let rotated = admin
            .post(
                &format!("/organizations/{org}/clients/{id}/secret"),
                json!({}),
            )
            .await;
        let new = rotated.body["client_secret"].as_str().unwrap().to_owned();
        // The very next request, on either instance.
        assert_eq!(b.token_basic(&id, &old, &[]).await.status(), 401);
        assert_eq!(a.token_basic(&id, &old, &[]).await.status(), 401);
        assert_eq!(b.token_basic(&id, &new, &[]).await.status(), 200);
        assert_eq!(a.token_basic(&id, &new, &[]).await.status(), 200);

        assert_eq!(
            admin
                .delete(&format!("/organizations/{org}/clients/{id}"))
                .await
                .status,
            204
        );
        assert_eq!(b.token_basic(&id, &new, &[]).await.status(), 401);
        assert_eq!(a.token_basic(&id, &new, &[]).await.status(), 401);
    }
);
