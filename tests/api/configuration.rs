//! Configuration that refuses mistakes before anything is created: every bad value is an
//! error naming its variable, and `orgauth config check` shows the effective settings with
//! secrets redacted.

use std::path::Path;
use std::process::{Command, Output};

/// `orgauth ARGS` in `dir` with only `env` (and PATH) in its environment.
fn orgauth_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_orgauth"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

fn nothing_created(dir: &Path) {
    let left: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != ".env")
        .collect();
    assert!(left.is_empty(), "created: {left:?}");
}

#[test]
fn each_bad_value_is_refused_naming_its_variable_and_nothing_is_created() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "DATABASE_URL",
            "host=db dbname=orgauth",
            "DATABASE_URL: not a database URL",
        ),
        (
            "DATABASE_URL",
            "postgress://db/orgauth",
            "DATABASE_URL: not a database URL",
        ),
        (
            "DATABASE_URL",
            "orgauth",
            "DATABASE_URL: not a database URL",
        ),
        (
            "ORGAUTH_DB_POOL_SIZE",
            "0",
            "ORGAUTH_DB_POOL_SIZE=0 is out of bounds",
        ),
        (
            "ORGAUTH_DB_TIMEOUT_MS",
            "0",
            "ORGAUTH_DB_TIMEOUT_MS=0 is out of bounds",
        ),
        (
            "ORGAUTH_TOKEN_TTL_SECONDS",
            "18446744073709551615",
            "ORGAUTH_TOKEN_TTL_SECONDS=18446744073709551615 is out of bounds",
        ),
        (
            "ORGAUTH_TOKEN_TTL_SECONDS",
            "9223372036854775807",
            "ORGAUTH_TOKEN_TTL_SECONDS=9223372036854775807 is out of bounds",
        ),
        ("ORGAUTH_TOKEN_TTL_SECONDS", "172800", "raises the maximum"),
        (
            "ORGAUTH_TOKEN_TTL_MAX_SECONDS",
            "2592001",
            "ORGAUTH_TOKEN_TTL_MAX_SECONDS=2592001 is out of bounds",
        ),
        (
            "ORGAUTH_TOKEN_TTL_SECONDS",
            "ten",
            "ORGAUTH_TOKEN_TTL_SECONDS=\"ten\" is not a valid number",
        ),
        (
            "ORGAUTH_ISSUER",
            "auth.example.com",
            "ORGAUTH_ISSUER=\"auth.example.com\" must be an absolute",
        ),
        (
            "ORGAUTH_ISSUER",
            "https://auth.example.com/?x=1",
            "ORGAUTH_ISSUER=",
        ),
        (
            "ORGAUTH_ISSUER",
            "ftp://auth.example.com",
            "ORGAUTH_ISSUER=",
        ),
        (
            "ORGAUTH_ARGON2_MEMORY_KIB",
            "1",
            "ORGAUTH_ARGON2_MEMORY_KIB=1 is out of bounds",
        ),
        ("ORGAUTH_WORKERS", "0", "ORGAUTH_WORKERS=0 is out of bounds"),
        ("ORGAUTH_TLS_CERT_FILE", "cert.pem", "ORGAUTH_TLS_KEY_FILE"),
        (
            "ORGAUTH_KEY_ENCRYPTION_KEY",
            "not-base64-and-short",
            "ORGAUTH_KEY_ENCRYPTION_KEY: key 1 must be 32 bytes",
        ),
        (
            "ORGAUTH_BIND",
            "0.0.0.0:80800",
            "ORGAUTH_BIND=\"0.0.0.0:80800\"",
        ),
        (
            "ORGAUTH_BIND",
            "8080",
            "ORGAUTH_BIND=\"8080\": not host:port",
        ),
        ("ORGAUTH_OPS_BIND", "127.0.0.1:8080", "is ORGAUTH_BIND too"),
    ];
    for (name, value, expected) in cases {
        let dir = tempfile::tempdir().unwrap();
        for command in [
            &["serve"][..],
            &["config", "check"],
            &["org", "create", "acme"],
        ] {
            let out = orgauth_in(dir.path(), command, &[(name, value)]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(
                !out.status.success(),
                "{name}={value} accepted by {command:?}"
            );
            assert!(stderr.contains(expected), "{name}={value}: {stderr}");
            nothing_created(dir.path());
        }
    }
}

/// A keys directory others may write is refused by `config check` as by `serve`, naming the
/// variable, before anything is created in it.
#[test]
fn a_keys_directory_others_may_write_is_refused_by_every_command() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let keys = tempfile::tempdir().unwrap();
    std::fs::set_permissions(keys.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let keys_dir = keys.path().display().to_string();
    for command in [&["serve"][..], &["config", "check"]] {
        let out = orgauth_in(dir.path(), command, &[("ORGAUTH_KEYS_DIR", &keys_dir)]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{command:?}");
        assert!(
            stderr.contains("ORGAUTH_KEYS_DIR") && stderr.contains("chmod go-w"),
            "{command:?}: {stderr}"
        );
        nothing_created(dir.path());
        nothing_created(keys.path());
    }
}

#[test]
fn a_token_lifetime_past_a_day_needs_the_maximum_raised_deliberately() {
    let dir = tempfile::tempdir().unwrap();
    let out = orgauth_in(
        dir.path(),
        &["config", "check"],
        &[
            ("ORGAUTH_TOKEN_TTL_SECONDS", "172800"),
            ("ORGAUTH_TOKEN_TTL_MAX_SECONDS", "172800"),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout.contains("ORGAUTH_TOKEN_TTL_SECONDS=172800\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("ORGAUTH_TOKEN_TTL_MAX_SECONDS=172800\n"),
        "{stdout}"
    );
}

#[test]
fn a_malformed_env_file_line_is_an_error_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".env"),
        "ORGAUTH_TOKEN_TTL_SECONDS=120\nthis is not a setting\nORGAUTH_WORKERS=3\n",
    )
    .unwrap();
    let out = orgauth_in(dir.path(), &["config", "check"], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains(".env, line 2"), "{stderr}");
    nothing_created(dir.path());

    std::fs::write(
        dir.path().join(".env"),
        "ORGAUTH_TOKEN_TTL_SECONDS=120\nORGAUTH_WORKERS=3\n",
    )
    .unwrap();
    let out = orgauth_in(dir.path(), &["config", "check"], &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout.contains("ORGAUTH_TOKEN_TTL_SECONDS=120\n"),
        "{stdout}"
    );
    assert!(stdout.contains("ORGAUTH_WORKERS=3\n"), "{stdout}");
}

#[test]
fn config_check_prints_the_effective_settings_with_secrets_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let secret = orgauth::domain::NewClientSecret::generate().into_plaintext();
    let out = orgauth_in(
        dir.path(),
        &["config", "check"],
        &[
            (
                "DATABASE_URL",
                "postgres://orgauth:hunter2@db.example.com:5432/orgauth",
            ),
            ("ORGAUTH_ISSUER", "https://auth.example.com/"),
            (
                "ORGAUTH_KEY_ENCRYPTION_KEY",
                "c2VjcmV0LWtleS1lbmNyeXB0aW9uLWtleS0zMmJ5dGU=",
            ),
            ("ORGAUTH_BOOTSTRAP_CLIENT_SECRET", &secret),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(
        stdout.contains("DATABASE_URL=postgres://orgauth:***@db.example.com:5432/orgauth\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("ORGAUTH_ISSUER=https://auth.example.com\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("ORGAUTH_TOKEN_TTL_SECONDS=3600\n"),
        "{stdout}"
    );
    for secret in ["hunter2", "c2VjcmV0", secret.as_str()] {
        assert!(!stdout.contains(secret), "a secret is printed: {stdout}");
    }
    nothing_created(dir.path());
}

/// The README's configuration table and the settings the binary reads are the same list:
/// every variable `config check` reports has a row, and every row names a variable it reports.
#[test]
fn the_readme_documents_exactly_the_settings_the_binary_reads() {
    let dir = tempfile::tempdir().unwrap();
    let out = orgauth_in(dir.path(), &["config", "check"], &[]);
    assert!(out.status.success(), "{out:?}");
    let reported: std::collections::BTreeSet<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('=').map(|(name, _)| name.to_owned()))
        .collect();

    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find("## Configuration").unwrap();
    let end = start + readme[start..].find("\n## ").unwrap();
    let rows: Vec<&str> = readme[start..end]
        .lines()
        .filter(|l| l.starts_with("| `"))
        .collect();
    let documented: std::collections::BTreeSet<String> = rows
        .iter()
        .flat_map(|row| {
            let first_cell = row.split('|').nth(1).unwrap_or_default();
            first_cell
                .split('`')
                .skip(1)
                .step_by(2)
                .filter(|name| name.starts_with("ORGAUTH_") || *name == "DATABASE_URL")
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        reported.len() > 30 && documented.len() > 30,
        "{reported:?} {documented:?}"
    );
    let undocumented: Vec<_> = reported.difference(&documented).collect();
    let unknown: Vec<_> = documented.difference(&reported).collect();
    assert!(
        undocumented.is_empty() && unknown.is_empty(),
        "read but not in the README table: {undocumented:?}; in the table but not read: {unknown:?}"
    );
}

#[test]
fn a_key_encryption_key_file_readable_by_others_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let kek = dir.path().join("kek.b64");
    std::fs::write(&kek, "c2VjcmV0LWtleS1lbmNyeXB0aW9uLWtleS0zMmJ5dGU=").unwrap();
    let kek_path = kek.to_str().unwrap().to_owned();
    for (mode, warned) in [(0o644, true), (0o600, false)] {
        std::fs::set_permissions(&kek, std::fs::Permissions::from_mode(mode)).unwrap();
        let out = orgauth_in(
            dir.path(),
            &["config", "check"],
            &[("ORGAUTH_KEY_ENCRYPTION_KEY_FILE", &kek_path)],
        );
        assert!(out.status.success(), "{out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            stderr.contains("readable by users other than its owner"),
            warned,
            "mode {mode:o}: {stderr}"
        );
    }
}
