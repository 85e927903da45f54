//! Where values come from: the environment, a `.env` file read first, and `NAME_FILE` for
//! secrets.

use std::env;

use super::ConfigError;

pub fn var(name: &str) -> Option<String> {
    env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// A secret from `NAME` or from the file named by `NAME_FILE` (not both), as the official
/// Postgres image does: the file suits container secrets, which are never in the environment.
pub fn secret_var(name: &str) -> Result<Option<String>, ConfigError> {
    let file_var = format!("{name}_FILE");
    match (var(name), var(&file_var)) {
        (Some(_), Some(_)) => Err(ConfigError(format!("set {name} or {file_var}, not both"))),
        (Some(value), None) => Ok(Some(value)),
        (None, Some(path)) => std::fs::read_to_string(path.trim())
            .map(|v| Some(v.trim().to_owned()))
            .map_err(|e| ConfigError(format!("{file_var}={path:?}: {e}"))),
        (None, None) => Ok(None),
    }
}

/// Reads `.env` from the working directory if there is one; a line it cannot parse is an
/// error naming the line (not a silent stop that drops every later line).
pub fn read_dotenv() -> Result<(), ConfigError> {
    match dotenvy::dotenv() {
        Ok(_) => Ok(()),
        Err(e) if e.not_found() => Ok(()),
        Err(dotenvy::Error::LineParse(line, at)) => {
            let number = std::fs::read_to_string(".env")
                .ok()
                .and_then(|text| text.lines().position(|l| l.trim() == line.trim()))
                .map_or_else(|| "?".to_owned(), |i| (i + 1).to_string());
            Err(ConfigError(format!(
                ".env, line {number}: cannot parse it (at character {}); expected NAME=value",
                at + 1
            )))
        }
        Err(e) => Err(ConfigError(format!(".env: {e}"))),
    }
}
