//! Invitations by mail (SPEC §9): with `ORGAUTH_SMTP_URL` the invitation's link is also sent,
//! to a real SMTP server (aiosmtpd from the tests' virtualenv, writing a Maildir), and the
//! link in the message is the one that works.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::client_libraries::python;
use crate::common::process::free_port;
use crate::common::{Backend, spawn_app_with};

struct SmtpServer {
    child: Child,
    port: u16,
    /// Holds the Maildir `mail/` (created by aiosmtpd).
    maildir: tempfile::TempDir,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_smtp(python: &std::path::Path) -> SmtpServer {
    let port = free_port();
    let maildir = tempfile::tempdir().unwrap();
    let child = Command::new(python)
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
        ])
        .arg(maildir.path().join("mail"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("aiosmtpd starts");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    SmtpServer {
        child,
        port,
        maildir,
    }
}

/// The messages delivered so far (Maildir `new/`).
fn delivered(maildir: &std::path::Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(maildir.join("new")) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_is_mailed_with_its_link() {
    let Some(python) = python() else {
        return;
    };
    let smtp = start_smtp(&python).await;
    let app = spawn_app_with(Backend::Sqlite, |c| {
        c.people.smtp_url = Some(format!("smtp://127.0.0.1:{}", smtp.port));
        c.people.smtp_from = Some("orgauth <noreply@orgauth.test>".into());
    })
    .await;
    let admin = app.platform_admin().await;
    let res = admin
        .post(
            &format!("/organizations/{}/invitations", app.org_id),
            json!({"email": "ada@example.com", "role": "org:admin"}),
        )
        .await;
    assert_eq!(res.status, 201, "{:?}", res.body);
    assert_eq!(res.body["emailed"], true);
    let url = res.body["invitation_url"].as_str().unwrap().to_owned();

    let mut messages = Vec::new();
    for _ in 0..100 {
        messages = delivered(&smtp.maildir.path().join("mail"));
        if !messages.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(messages.len(), 1, "one message");
    let message = &messages[0];
    assert!(message.contains("To: ada@example.com"), "{message}");
    assert!(
        message.contains("From: orgauth <noreply@orgauth.test>"),
        "{message}"
    );
    assert!(
        message.contains("Subject: You are invited to administer Bootstrap organization"),
        "{message}"
    );
    // Quoted-printable may wrap a long line with "=\r\n": undo that before looking for the link.
    let body = message.replace("=\r\n", "").replace("=\n", "");
    assert!(body.contains(&url), "the link in the message: {body}");

    // The mailed link is the one that works.
    let (ada, _) = app.accept_invitation(&url, "Ada").await;
    assert_eq!(ada.me["email"], "ada@example.com");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_mail_server_still_gives_the_inviter_the_link() {
    let port = free_port();
    let app = spawn_app_with(Backend::Sqlite, |c| {
        c.people.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
        c.people.smtp_from = Some("noreply@orgauth.test".into());
    })
    .await;
    let admin = app.platform_admin().await;
    let res = admin
        .post(
            &format!("/organizations/{}/invitations", app.org_id),
            json!({"email": "bob@example.com", "role": "org:viewer"}),
        )
        .await;
    assert_eq!(res.status, 201, "{:?}", res.body);
    assert_eq!(res.body["emailed"], false);
    let url = res.body["invitation_url"].as_str().unwrap();
    let token = url.rsplit('/').next().unwrap();
    let offer: Value = app
        .get(&format!("/auth/invitations/{token}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(offer["email"], "bob@example.com");
}
