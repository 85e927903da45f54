//! One setting: its variable, how its value is read into the `Config` (parsing and bounds),
//! and how it is shown by `orgauth config check`. Each concern lists its settings once, in a
//! table of these; nothing else names a variable.

use std::str::FromStr;
use std::time::Duration;

use super::{Config, ConfigError};

pub struct Setting {
    pub name: &'static str,
    /// Read from `NAME` or from the file `NAME_FILE` names, and never shown.
    pub secret: bool,
    /// Applies the variable's value (`None`: unset or blank) to the configuration read so far.
    /// Settings are read in table order, so one may depend on those before it.
    pub read: fn(&mut Config, Option<String>) -> Result<(), ConfigError>,
    /// The effective value, as `config check` prints it (secrets redacted).
    pub show: fn(&Config) -> String,
}

/// A number within `[min, max]`, or an error naming the variable and the bounds.
pub fn bounded<T: FromStr + PartialOrd + std::fmt::Display + Copy>(
    name: &str,
    value: &str,
    min: T,
    max: T,
) -> Result<T, ConfigError> {
    let value: T = value
        .trim()
        .parse()
        .map_err(|_| ConfigError(format!("{name}={value:?} is not a valid number")))?;
    if value < min || value > max {
        return Err(ConfigError(format!(
            "{name}={value} is out of bounds: it must be between {min} and {max}"
        )));
    }
    Ok(value)
}

pub fn parse_seconds(name: &str, value: &str, min: u64, max: u64) -> Result<Duration, ConfigError> {
    bounded(name, value, min, max).map(Duration::from_secs)
}

pub fn parse_millis(name: &str, value: &str, min: u64, max: u64) -> Result<Duration, ConfigError> {
    bounded(name, value, min, max).map(Duration::from_millis)
}

/// `true` or `false`, nothing else.
pub fn boolean(name: &str, value: &str) -> Result<bool, ConfigError> {
    match value.trim() {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(ConfigError(format!(
            "{name}={other:?} must be true or false"
        ))),
    }
}

pub const DAY: u64 = 24 * 3600;

/// A setting of one `Config` field parsed within bounds by `$parse` and shown through `$show`:
/// what `number!`, `seconds!` and `millis!` are made of.
macro_rules! bounded_field {
    ($name:literal, $($field:ident).+, $parse:path, $min:expr, $max:expr, $show:expr) => {
        $crate::config::setting::Setting {
            name: $name,
            secret: false,
            read: |config, value| {
                if let Some(value) = value {
                    config.$($field).+ = $parse($name, &value, $min, $max)?;
                }
                Ok(())
            },
            show: |config| ($show)(&config.$($field).+).to_string(),
        }
    };
}

/// A numeric setting of one `Config` field: `number!("NAME", field.path, min, max)`.
macro_rules! number {
    ($name:literal, $($field:ident).+, $min:expr, $max:expr) => {
        $crate::config::setting::bounded_field!(
            $name, $($field).+, $crate::config::setting::bounded, $min, $max, |v: &_| *v
        )
    };
}

/// A `Duration` field set in seconds (`seconds!`) or milliseconds (`millis!`).
macro_rules! seconds {
    ($name:literal, $($field:ident).+, $min:expr, $max:expr) => {
        $crate::config::setting::bounded_field!(
            $name, $($field).+, $crate::config::setting::parse_seconds, $min, $max,
            |d: &std::time::Duration| d.as_secs()
        )
    };
}

macro_rules! millis {
    ($name:literal, $($field:ident).+, $min:expr, $max:expr) => {
        $crate::config::setting::bounded_field!(
            $name, $($field).+, $crate::config::setting::parse_millis, $min, $max,
            |d: &std::time::Duration| d.as_millis()
        )
    };
}

pub(crate) use {bounded_field, millis, number, seconds};
