//! Process logging: `ORGAUTH_LOG_FORMAT=text` (the default) or `json`, one line per entry
//! either way (a message with line breaks has them escaped). The filter is `RUST_LOG`
//! (default `info`); a directive naming a target outside orgauth and the crates it logs
//! through is warned about, since a typo there silences everything without a word.
//!
//! Structured fields travel as `log` key-values: the request line (`http::request_log`)
//! carries `request_id`, `method`, `route`, `status`, `latency_ms`, `client_id` and `remote`.

use std::io::Write;

use serde_json::{Map, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            other => Err(format!("ORGAUTH_LOG_FORMAT={other:?} must be text or json")),
        }
    }
}

const LEVELS: &[&str] = &["off", "error", "warn", "info", "debug", "trace"];

/// The crates whose log lines are worth filtering for (`RUST_LOG` targets).
const KNOWN_TARGETS: &[&str] = &[
    "orgauth",
    "actix",
    "actix_web",
    "actix_server",
    "actix_http",
    "diesel",
    "rustls",
    "r2d2",
];

struct Fields(Map<String, Value>);

impl<'kvs> log::kv::VisitSource<'kvs> for Fields {
    fn visit_pair(
        &mut self,
        key: log::kv::Key<'kvs>,
        value: log::kv::Value<'kvs>,
    ) -> Result<(), log::kv::Error> {
        let value = if let Some(n) = value.to_u64() {
            Value::from(n)
        } else if let Some(n) = value.to_f64() {
            Value::from(n)
        } else {
            Value::from(value.to_string())
        };
        self.0.insert(key.to_string(), value);
        Ok(())
    }
}

fn fields(record: &log::Record<'_>) -> Map<String, Value> {
    let mut fields = Fields(Map::new());
    let _ = record.key_values().visit(&mut fields);
    fields.0
}

/// One entry as a line in `format`.
fn line(
    format: LogFormat,
    level: log::Level,
    target: &str,
    message: &str,
    fields: Map<String, Value>,
) -> String {
    let time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    match format {
        LogFormat::Json => {
            let mut line = Map::new();
            line.insert("time".into(), time.into());
            line.insert("level".into(), level.as_str().into());
            line.insert("target".into(), target.into());
            line.insert("message".into(), message.into());
            line.extend(fields);
            Value::Object(line).to_string()
        }
        LogFormat::Text => {
            let mut line = format!("[{time} {level} {target}] {}", one_line(message));
            for (key, value) in fields {
                match value {
                    Value::String(s) => line.push_str(&format!(" {key}={}", one_line(&s))),
                    other => line.push_str(&format!(" {key}={other}")),
                }
            }
            line
        }
    }
}

/// The format `ORGAUTH_LOG_FORMAT` asks for, read directly: for an error before (or in) the
/// configuration, which may itself be what failed.
pub fn format_from_env() -> LogFormat {
    std::env::var("ORGAUTH_LOG_FORMAT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(LogFormat::Text)
}

/// Writes one entry to standard error whatever `RUST_LOG` lets through: a fatal start-up
/// error, or a warning about `RUST_LOG` itself (which a typo there would silence).
pub fn write_unfiltered(format: LogFormat, level: log::Level, message: &str) {
    eprintln!("{}", line(format, level, "orgauth", message, Map::new()));
}

pub fn init(format: LogFormat) {
    let filter = std::env::var("RUST_LOG").unwrap_or_default();
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
    builder.format(move |out, record| {
        let message = record.args().to_string();
        writeln!(
            out,
            "{}",
            line(
                format,
                record.level(),
                record.target(),
                &message,
                fields(record)
            )
        )
    });
    // webauthn-rs traces ceremony state (challenges) at trace level: never below warn.
    builder.filter_module("webauthn_rs_core", log::LevelFilter::Warn);
    builder.filter_module("webauthn_rs", log::LevelFilter::Warn);
    builder.init();
    for target in unknown_targets(&filter) {
        write_unfiltered(
            format,
            log::Level::Warn,
            &format!(
                "RUST_LOG names the target {target:?}, which nothing logs to (known: {}); \
                 check it for a typo",
                KNOWN_TARGETS.join(", ")
            ),
        );
    }
}

/// The targets of `RUST_LOG` directives that match none of the known crates.
/// Text on one line: control characters (a newline, a carriage return that would hide the
/// start of the line, escape sequences) written as escapes, never raw.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn unknown_targets(filter: &str) -> Vec<String> {
    filter
        .split(',')
        .filter_map(|directive| {
            let directive = directive.split('/').next().unwrap_or_default().trim();
            // `target=level`, or a bare word: a level, or a target with every level.
            let target = match directive.split_once('=') {
                Some((target, _)) => target.trim(),
                None if LEVELS.contains(&directive.to_ascii_lowercase().as_str()) => return None,
                None => directive,
            };
            let known = KNOWN_TARGETS
                .iter()
                .any(|k| target == *k || target.starts_with(&format!("{k}::")));
            (!target.is_empty() && !known).then(|| target.to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn unknown_rust_log_targets_are_found() {
        assert_eq!(
            super::unknown_targets("info,orgauth=debug,orgauht=debug,actix_web::middleware=warn"),
            vec!["orgauht".to_owned()]
        );
        assert!(super::unknown_targets("debug").is_empty());
        assert!(super::unknown_targets("WARN,orgauth").is_empty());
        assert_eq!(super::unknown_targets("ingo"), vec!["ingo".to_owned()]);
    }
}
