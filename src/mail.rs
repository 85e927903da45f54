//! Outgoing e-mail (invitations), over SMTP with lettre when `ORGAUTH_SMTP_URL` is set:
//! `smtps://user:password@host:465` (TLS), `smtp://host:587` (STARTTLS required), or
//! `smtp://host:25?tls=opportunistic` / `?tls=none` when the operator says so. A link that
//! works once must not cross the network in clear: `smtp://` without `tls=` requires
//! STARTTLS, except to a loopback relay. Without a URL nothing is sent and the inviter passes
//! the link on. A failed send is logged (never with the message's body: it holds a link that
//! works once) and reported to the caller, who still has the link.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// `smtp://` without `tls=`: STARTTLS required (lettre's own default is none), or
/// opportunistic to a relay on loopback.
fn with_tls_default(url: &str) -> String {
    let Some(rest) = url.strip_prefix("smtp://") else {
        return url.to_owned();
    };
    if rest.contains("tls=") {
        return url.to_owned();
    }
    let host = rest
        .rsplit_once('@')
        .map_or(rest, |(_, h)| h)
        .split(['/', '?'])
        .next()
        .unwrap_or_default();
    let host = host
        .rsplit_once(':')
        .filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit()))
        .map_or(host, |(h, _)| h)
        .trim_matches(['[', ']']);
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    let tls = if loopback {
        "opportunistic"
    } else {
        "required"
    };
    let separator = if rest.contains('?') { '&' } else { '?' };
    format!("{url}{separator}tls={tls}")
}

/// How long one message may take to hand over.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Mailer {
    transport: Option<(AsyncSmtpTransport<Tokio1Executor>, Mailbox)>,
}

impl Mailer {
    /// No SMTP server: nothing is sent.
    pub fn disabled() -> Self {
        Self { transport: None }
    }

    pub fn new(url: Option<&str>, from: Option<&str>) -> Result<Self, String> {
        let Some(url) = url else {
            return Ok(Self::disabled());
        };
        let from = from
            .ok_or("ORGAUTH_SMTP_FROM is required with ORGAUTH_SMTP_URL")?
            .parse::<Mailbox>()
            .map_err(|e| format!("ORGAUTH_SMTP_FROM is not an address: {e}"))?;
        let url = with_tls_default(url);
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
            .map_err(|e| format!("ORGAUTH_SMTP_URL is not an SMTP URL: {e}"))?
            .timeout(Some(SEND_TIMEOUT))
            .build();
        Ok(Self {
            transport: Some((transport, from)),
        })
    }

    pub fn enabled(&self) -> bool {
        self.transport.is_some()
    }

    /// Sends a plain-text message; `Ok(false)` when mail is off.
    pub async fn send(&self, to: &str, subject: &str, body: String) -> Result<bool, String> {
        let Some((transport, from)) = &self.transport else {
            return Ok(false);
        };
        let to = to.parse::<Mailbox>().map_err(|e| e.to_string())?;
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(subject)
            .body(body)
            .map_err(|e| e.to_string())?;
        transport
            .send(message)
            .await
            .map(|_| true)
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::with_tls_default;

    #[test]
    fn plain_smtp_requires_starttls_unless_the_relay_is_on_loopback() {
        assert_eq!(
            with_tls_default("smtp://mail.example.com:587"),
            "smtp://mail.example.com:587?tls=required"
        );
        assert_eq!(
            with_tls_default("smtp://u:p@mail.example.com"),
            "smtp://u:p@mail.example.com?tls=required"
        );
        assert_eq!(
            with_tls_default("smtp://127.0.0.1:2525"),
            "smtp://127.0.0.1:2525?tls=opportunistic"
        );
        assert_eq!(
            with_tls_default("smtp://[::1]:25"),
            "smtp://[::1]:25?tls=opportunistic"
        );
        assert_eq!(
            with_tls_default("smtp://relay:25?tls=none"),
            "smtp://relay:25?tls=none"
        );
        assert_eq!(with_tls_default("smtps://relay"), "smtps://relay");
    }
}
