//! Several instances on one database, run the way production runs them: started together on
//! an empty database, and one of them cut off from the database by a silent partition.

use std::time::{Duration, Instant};

use crate::common::proxy::CuttableProxy;
use crate::common::{Backend, TestDatabase, spawn_with, test_config};
use serde_json::json;

/// Builds `n` instances at the same moment, as replicas of one deployment start.
fn start_together(config: &orgauth::config::Config, n: usize) -> Vec<orgauth::app::Application> {
    let starts: Vec<_> = (0..n)
        .map(|_| {
            let config = config.clone();
            std::thread::spawn(move || orgauth::app::Application::build(config))
        })
        .collect();
    starts
        .into_iter()
        .map(|t| t.join().unwrap().expect("every instance starts"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_sharing_a_sqlite_file_start_together() {
    let db = TestDatabase::create(Backend::Sqlite);
    let keys = tempfile::tempdir().unwrap();
    let built = start_together(&test_config(&db, keys.path().to_owned()), 3);
    assert_eq!(built.iter().filter(|a| a.bootstrapped.is_some()).count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_started_together_migrate_bootstrap_and_key_once() {
    if !crate::common::postgres_available() {
        return;
    }
    use diesel::RunQueryDsl;
    let db = TestDatabase::create(Backend::Postgres);
    let keys = tempfile::tempdir().unwrap();
    let config = test_config(&db, keys.path().to_owned());
    // Three builds at once on an empty database and an empty shared keys directory.
    let built = start_together(&config, 3);
    let bootstrapped = built.iter().filter(|a| a.bootstrapped.is_some()).count();
    assert_eq!(bootstrapped, 1, "exactly one instance bootstraps");

    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let url = orgauth::store::DatabaseUrl::parse(&db.url);
    let mut conn = orgauth::store::connect_existing(&url, Duration::from_secs(5)).unwrap();
    let count = |sql: &str, conn: &mut orgauth::store::DbConnection| {
        diesel::sql_query(sql).get_result::<Count>(conn).unwrap().n
    };
    assert_eq!(
        count("SELECT count(*) AS n FROM organizations", &mut conn),
        1
    );
    assert_eq!(count("SELECT count(*) AS n FROM clients", &mut conn), 1);
    assert_eq!(
        count("SELECT count(*) AS n FROM signing_keys", &mut conn),
        1,
        "exactly one first key"
    );
    let migrations = count(
        "SELECT count(*) AS n FROM __diesel_schema_migrations",
        &mut conn,
    );
    let embedded = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
        .unwrap()
        .count() as i64;
    assert_eq!(migrations, embedded, "every migration applied, once");

    // And the three that started together serve the same JWKS.
    let http = reqwest::Client::new();
    let mut jwks = Vec::new();
    for app in built {
        let port = app.port();
        tokio::spawn(app.run_until_stopped());
        let url = format!("http://127.0.0.1:{port}/.well-known/jwks.json");
        jwks.push(http.get(url).send().await.unwrap().text().await.unwrap());
    }
    assert!(jwks.windows(2).all(|w| w[0] == w[1]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silently_partitioned_instance_refuses_rather_than_serving_stale_state() {
    if !crate::common::postgres_available() {
        return;
    }
    let db = TestDatabase::create(Backend::Postgres);
    let keys = tempfile::tempdir().unwrap();
    let direct = test_config(&db, keys.path().to_owned());
    let b = spawn_with(direct.clone()).await;

    // Instance A reaches the same database through a proxy that the test turns into a black
    // hole: connections stay open, nothing arrives, nothing is reset.
    let hostport = db.url.split('@').nth(1).unwrap().split('/').next().unwrap();
    let proxy = CuttableProxy::start(hostport.to_owned()).await;
    let mut partitioned = direct.clone();
    partitioned.database_url = orgauth::store::DatabaseUrl::parse(&db.url.replacen(
        hostport,
        &format!("127.0.0.1:{}", proxy.port),
        1,
    ));
    let db_timeout = Duration::from_millis(500);
    partitioned.db_timeout = db_timeout;
    let a = spawn_with(partitioned).await;

    let admin = b.admin_api(&b.admin_id, b.admin_secret()).await;
    let org = b.org_id.clone();
    let (id, secret) = admin.create_client(&org, "svc", &[]).await;
    for _ in 0..3 {
        assert_eq!(a.token_basic(&id, &secret, &[]).await.status(), 200);
    }
    let a_admin = a.admin_api(&b.admin_id, b.admin_secret()).await;

    proxy.blackhole();
    let blackholed = Instant::now();
    let deleted = admin
        .delete(&format!("/organizations/{org}/clients/{id}"))
        .await;
    assert_eq!(deleted.status, 204);
    let started = Instant::now();
    loop {
        let status = a.token_basic(&id, &secret, &[]).await.status();
        if status != 200 {
            assert!([401, 503].contains(&status.as_u16()), "{status}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "the partitioned instance still honours the deleted client after 2 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let refused_after = started.elapsed();
    eprintln!("partitioned instance refused the deleted client after {refused_after:?}");

    // Its JWKS may lack a key added meanwhile: once the staleness bound (1 s) has passed
    // without a confirmation, it is served, but not to be cached. (The deleted client may be
    // refused before that, when its record had to be read from the database anyway.)
    tokio::time::sleep_until((blackholed + Duration::from_millis(1200)).into()).await;
    let jwks = a.get("/.well-known/jwks.json").await;
    assert_eq!(jwks.headers()["cache-control"], "no-store");
    let healthy = b.get("/.well-known/jwks.json").await;
    assert!(
        healthy.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("max-age=300")
    );

    // Readiness and the admin API answer 503 within the bound, instead of hanging.
    let bound = db_timeout + Duration::from_secs(1);
    let timed = Instant::now();
    assert_eq!(a.get("/readyz").await.status(), 503);
    assert!(
        timed.elapsed() < bound,
        "/readyz took {:?}",
        timed.elapsed()
    );
    let timed = Instant::now();
    crate::common::assert_problem(&a_admin.get("/roles").await, 503);
    assert!(
        timed.elapsed() < bound,
        "admin API took {:?}",
        timed.elapsed()
    );

    // Healed: service resumes without a restart, and the deletion holds.
    proxy.restore();
    let healed = Instant::now();
    loop {
        if a.get("/readyz").await.status() == 200 && a_admin.get("/roles").await.status == 200 {
            break;
        }
        assert!(
            healed.elapsed() < Duration::from_secs(15),
            "no recovery after the partition healed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(a.token_basic(&id, &secret, &[]).await.status(), 401);
    let created = a_admin
        .post(
            &format!("/organizations/{org}/clients"),
            json!({"name": "after", "roles": []}),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
}
