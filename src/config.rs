//! Configuration, layered: built-in defaults, then the YAML file (the seed's `config.yaml` runs
//! unchanged), then `MOCKINGBIRD_*` environment variables, then command-line flags. A bad value
//! stops the start with a message naming the key, where it came from, and what was expected.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_yaml::{Mapping, Value};

use std::collections::BTreeMap;

use crate::core::store::{Location, Synchronous};
use crate::core::tenants::{WhatsAppIdentity, WhatsAppTemplate, WindowPolicy, default_templates};
use crate::core::text;
use crate::core::whatsapp::ProxyTargets;
use crate::core::{DefaultAccount, Settings};

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    /// The seed's provider switch; only `twilio` is known to it.
    pub provider: String,
    pub twilio: TwilioConfig,
    pub database: DatabaseConfig,
    /// The seed's response-template folder. mockingbird builds JSON with a serializer, so the
    /// key is accepted and ignored.
    pub templates: Option<Value>,
    pub logging: LoggingConfig,
    /// The gRPC control plane.
    pub control: ControlConfig,
    /// The WhatsApp Cloud API of the default tenant, and the seed's proxy targets.
    pub whatsapp: WhatsAppConfig,
    /// The web dashboard on the HTTP port (`/`, `/ui/…`).
    pub dashboard: DashboardConfig,
}

/// The `dashboard:` section. The seed's pages had no login; a dashboard reachable beyond
/// localhost can ask for one.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DashboardConfig {
    /// `false` serves no page: `/` and `/ui/…` answer as unknown paths.
    pub enabled: bool,
    /// When set, every page asks for it: as HTTP Basic credentials (any user name, the token
    /// as the password, which is what a browser prompts for) or `Authorization: Bearer`.
    pub token: Option<String>,
}

impl Default for DashboardConfig {
    fn default() -> Self {
        DashboardConfig {
            enabled: true,
            token: None,
        }
    }
}

/// The `whatsapp:` section: the default tenant's WhatsApp Business identity (so that a bot can
/// be pointed at mockingbird with no control-plane call), its rules, and the seed's named
/// proxy targets. The identity's defaults are fixed, so they can be written in an app's test
/// settings.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct WhatsAppConfig {
    pub phone_number_id: String,
    pub display_phone_number: String,
    pub business_account_id: String,
    pub access_token: String,
    pub app_secret: String,
    pub verify_token: String,
    /// The app's webhook (callback) URL: inbound messages and statuses go there.
    pub webhook_url: Option<String>,
    /// `reject` (131047 from the send call), `fail_later` (a failed status) or `off`.
    pub window: WindowPolicy,
    /// A test number's recipients; unset means anyone may be messaged.
    pub allowed_recipients: Option<Vec<String>>,
    pub templates: Vec<WhatsAppTemplate>,
    /// The seed's proxy targets by name: `local: http://app:8000/bot/webhook`.
    pub targets: BTreeMap<String, String>,
    /// How long a proxied request waits for the target (the seed waited 30 s).
    pub target_timeout_seconds: f64,
    /// The scheme, host and port of media download URLs; the request's own host when unset.
    pub media_base_url: Option<String>,
}

impl Default for WhatsAppConfig {
    fn default() -> Self {
        WhatsAppConfig {
            // The seed CLI's default phone-number id and the seed's display number.
            phone_number_id: "123456789".into(),
            display_phone_number: "15550123456".into(),
            business_account_id: "102290129340398".into(),
            access_token: "mockingbird".into(),
            app_secret: "mockingbird".into(),
            verify_token: "mockingbird".into(),
            webhook_url: None,
            window: WindowPolicy::default(),
            allowed_recipients: None,
            templates: default_templates(),
            targets: BTreeMap::new(),
            target_timeout_seconds: 30.0,
            media_base_url: None,
        }
    }
}

impl WhatsAppConfig {
    /// The identity the default tenant gets.
    pub fn identity(&self) -> WhatsAppIdentity {
        WhatsAppIdentity {
            phone_number_id: self.phone_number_id.clone(),
            business_account_id: self.business_account_id.clone(),
            access_token: self.access_token.clone(),
            app_secret: self.app_secret.clone(),
            verify_token: self.verify_token.clone(),
            display_phone_number: self.display_phone_number.clone(),
            webhook_url: self.webhook_url.clone(),
            window: self.window,
            allowed_recipients: self.allowed_recipients.clone(),
            templates: self.templates.clone(),
            ..WhatsAppIdentity::generate()
        }
    }

    /// The seed's proxy targets, for the core to resolve.
    pub fn proxy_targets(&self) -> ProxyTargets {
        ProxyTargets {
            urls: self.targets.clone(),
            timeout: Duration::from_secs_f64(self.target_timeout_seconds),
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ControlConfig {
    /// The gRPC port; 0 picks a free one.
    pub port: u16,
    /// The address to bind; the server's host when unset.
    pub host: Option<String>,
    /// Serve the control plane on the HTTP port too (beside the Twilio API).
    pub on_http_port: bool,
    /// When set, every control-plane call must carry `authorization: Bearer <token>`.
    pub token: Option<String>,
}

impl Default for ControlConfig {
    fn default() -> Self {
        ControlConfig {
            port: 50051,
            host: None,
            on_http_port: false,
            token: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    pub host: String,
    pub port: u16,
    /// The zone the dashboard shows times in (the seed's display zone, an IANA name).
    pub timezone: String,
    /// The server's address as apps reach it (`http://mockingbird:3000`), for the URLs it
    /// hands out in webhooks (a recording's `RecordingUrl`); the listener's own address when
    /// unset.
    pub public_url: Option<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct TwilioConfig {
    pub account_sid: String,
    pub auth_token: String,
    pub validation: ValidationConfig,
    pub default_behavior: DefaultBehavior,
    pub registered_numbers: Vec<String>,
    pub allowed_from_numbers: Vec<String>,
    pub failure_numbers: Vec<String>,
    pub callbacks: CallbacksConfig,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ValidationConfig {
    pub require_auth: bool,
    pub validate_phone_format: bool,
    pub check_from_numbers: bool,
    pub require_parameters: bool,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum DefaultBehavior {
    #[default]
    Success,
    Failure,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CallbacksConfig {
    pub enabled: bool,
    /// Seconds before the first status change and between changes (fractions allowed).
    pub delay_seconds: f64,
    /// Attempts per webhook in all, the first included.
    pub retry_attempts: u32,
    pub retry_delay_seconds: f64,
    /// How long to wait for the app's answer.
    pub timeout_seconds: f64,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// A SQLite file, or `:memory:`.
    pub path: String,
    /// `off` (default), `normal` or `full`: SQLite's `synchronous`. Every setting survives a
    /// killed process; `normal` and `full` also survive an OS crash, at a cost in latency.
    pub synchronous: Synchronous,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct LoggingConfig {
    /// A tracing filter: `info`, `debug`, `mockingbird=debug,warn`, …
    pub level: String,
    /// `text` or `json`.
    pub format: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            server: ServerConfig::default(),
            provider: "twilio".into(),
            twilio: TwilioConfig::default(),
            database: DatabaseConfig::default(),
            templates: None,
            logging: LoggingConfig::default(),
            control: ControlConfig::default(),
            whatsapp: WhatsAppConfig::default(),
            dashboard: DashboardConfig::default(),
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            host: "0.0.0.0".into(),
            port: 8080,
            timezone: "UTC".into(),
            public_url: None,
        }
    }
}

impl Default for TwilioConfig {
    fn default() -> Self {
        TwilioConfig {
            account_sid: "AC00000000000000000000000000000000".into(),
            auth_token: "mockingbird".into(),
            validation: ValidationConfig::default(),
            default_behavior: DefaultBehavior::Success,
            registered_numbers: Vec::new(),
            allowed_from_numbers: Vec::new(),
            failure_numbers: Vec::new(),
            callbacks: CallbacksConfig::default(),
        }
    }
}

impl Default for ValidationConfig {
    fn default() -> Self {
        ValidationConfig {
            require_auth: true,
            validate_phone_format: true,
            check_from_numbers: true,
            require_parameters: true,
        }
    }
}

impl Default for CallbacksConfig {
    fn default() -> Self {
        CallbacksConfig {
            enabled: true,
            delay_seconds: 2.0,
            retry_attempts: 3,
            retry_delay_seconds: 5.0,
            timeout_seconds: 10.0,
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            path: "./data/mockingbird.db".into(),
            synchronous: Synchronous::Off,
        }
    }
}

impl Default for LoggingConfig {
    fn default() -> Self {
        LoggingConfig {
            level: "info".into(),
            format: "text".into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid YAML: {source}")]
    Yaml {
        path: PathBuf,
        source: serde_yaml::Error,
    },
    #[error("invalid configuration: `{key}` (from {origin}): {message}")]
    Invalid {
        key: String,
        origin: String,
        message: String,
    },
}

/// One value set from outside the file: `twilio.account_sid` = `AC…`, and where it came from.
#[derive(Debug, Clone)]
pub struct Override {
    pub key: String,
    pub value: String,
    pub origin: String,
}

/// The prefix of environment overrides. Nesting is written with `__`:
/// `MOCKINGBIRD_TWILIO__VALIDATION__REQUIRE_AUTH=false` sets `twilio.validation.require_auth`.
pub const ENV_PREFIX: &str = "MOCKINGBIRD_";

/// The top-level sections an environment variable may set. Other `MOCKINGBIRD_*` names
/// (`MOCKINGBIRD_CONFIG`, or a test harness's own `MOCKINGBIRD_BIN`) are not config keys.
const SECTIONS: [&str; 9] = [
    "server",
    "provider",
    "twilio",
    "database",
    "templates",
    "logging",
    "control",
    "whatsapp",
    "dashboard",
];

/// The overrides found in an environment.
pub fn env_overrides(vars: impl IntoIterator<Item = (String, String)>) -> Vec<Override> {
    let mut overrides: Vec<Override> = vars
        .into_iter()
        .filter_map(|(name, value)| {
            let key = name
                .strip_prefix(ENV_PREFIX)?
                .to_ascii_lowercase()
                .replace("__", ".");
            let section = key.split('.').next().unwrap_or_default();
            SECTIONS.contains(&section).then(|| Override {
                key: key.clone(),
                value,
                origin: format!("environment variable {name}"),
            })
        })
        .collect();
    overrides.sort_by(|a, b| a.key.cmp(&b.key));
    overrides
}

impl Config {
    /// Defaults, then `file` (if any), then each override in order.
    pub fn load(file: Option<&Path>, overrides: &[Override]) -> Result<Config, ConfigError> {
        let (mut tree, file_origin) = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                let tree: Value = if text.trim().is_empty() {
                    Value::Mapping(Mapping::new())
                } else {
                    serde_yaml::from_str(&text).map_err(|source| ConfigError::Yaml {
                        path: path.to_owned(),
                        source,
                    })?
                };
                (tree, format!("config file {}", path.display()))
            }
            None => (Value::Mapping(Mapping::new()), "defaults".to_owned()),
        };
        if tree.is_null() {
            tree = Value::Mapping(Mapping::new());
        }
        for o in overrides {
            // A value is read as YAML, so `false`, `8080` and `[a, b]` get their types.
            let value: Value =
                serde_yaml::from_str(&o.value).unwrap_or_else(|_| Value::String(o.value.clone()));
            set_path(&mut tree, &o.key, value).map_err(|message| ConfigError::Invalid {
                key: o.key.clone(),
                origin: o.origin.clone(),
                message,
            })?;
        }
        let config: Config = serde_path_to_error::deserialize(tree).map_err(|e| {
            let key = e.path().to_string();
            let origin = overrides
                .iter()
                .rev()
                .find(|o| key == o.key || key.starts_with(&format!("{}.", o.key)))
                .map_or(file_origin.clone(), |o| o.origin.clone());
            ConfigError::Invalid {
                key,
                origin,
                message: e.into_inner().to_string(),
            }
        })?;
        config.check(&file_origin)?;
        Ok(config)
    }

    fn check(&self, origin: &str) -> Result<(), ConfigError> {
        let invalid = |key: &str, message: String| ConfigError::Invalid {
            key: key.into(),
            origin: origin.into(),
            message,
        };
        if self.provider != "twilio" {
            return Err(invalid(
                "provider",
                format!("expected `twilio`, found `{}`", self.provider),
            ));
        }
        if self.twilio.account_sid.is_empty() {
            return Err(invalid("twilio.account_sid", "must not be empty".into()));
        }
        // Numbers without `+` are refused, not normalised: `15551234567` in a list would never
        // match the `+15551234567` a request carries, and guessing the country is worse.
        let lists = [
            ("twilio.registered_numbers", &self.twilio.registered_numbers),
            (
                "twilio.allowed_from_numbers",
                &self.twilio.allowed_from_numbers,
            ),
            ("twilio.failure_numbers", &self.twilio.failure_numbers),
        ];
        for (key, numbers) in lists {
            if let Some(number) = numbers.iter().find(|n| !n.starts_with('+')) {
                return Err(invalid(
                    key,
                    format!("expected E.164 numbers starting with `+`, found `{number}`"),
                ));
            }
        }
        let seconds = [
            (
                "twilio.callbacks.delay_seconds",
                self.twilio.callbacks.delay_seconds,
            ),
            (
                "twilio.callbacks.retry_delay_seconds",
                self.twilio.callbacks.retry_delay_seconds,
            ),
            (
                "twilio.callbacks.timeout_seconds",
                self.twilio.callbacks.timeout_seconds,
            ),
        ];
        for (key, value) in seconds {
            if !(0.0..=86_400.0).contains(&value) {
                return Err(invalid(
                    key,
                    format!("expected seconds between 0 and 86400, found {value}"),
                ));
            }
        }
        if self.twilio.callbacks.timeout_seconds == 0.0 {
            return Err(invalid(
                "twilio.callbacks.timeout_seconds",
                "must be more than 0".into(),
            ));
        }
        if !(0.0..=3600.0).contains(&self.whatsapp.target_timeout_seconds)
            || self.whatsapp.target_timeout_seconds == 0.0
        {
            return Err(invalid(
                "whatsapp.target_timeout_seconds",
                format!(
                    "expected seconds between 0 (exclusive) and 3600, found {}",
                    self.whatsapp.target_timeout_seconds
                ),
            ));
        }
        for (key, url) in self
            .whatsapp
            .targets
            .iter()
            .map(|(name, url)| (format!("whatsapp.targets.{name}"), url))
            .chain(
                self.whatsapp
                    .webhook_url
                    .iter()
                    .map(|url| ("whatsapp.webhook_url".to_owned(), url)),
            )
            .chain(
                self.server
                    .public_url
                    .iter()
                    .map(|url| ("server.public_url".to_owned(), url)),
            )
        {
            if !text::is_http_url(url) {
                return Err(invalid(
                    &key,
                    format!("expected an http(s) URL, found `{url}`"),
                ));
            }
        }
        if let Err(error) = crate::core::whatsapp::check_templates(&self.whatsapp.templates) {
            return Err(invalid("whatsapp.templates", error.to_string()));
        }
        if self.logging.format != "text" && self.logging.format != "json" {
            return Err(invalid(
                "logging.format",
                format!("expected `text` or `json`, found `{}`", self.logging.format),
            ));
        }
        Ok(())
    }

    pub fn settings(&self) -> Settings {
        let v = &self.twilio.validation;
        let c = &self.twilio.callbacks;
        Settings {
            require_auth: v.require_auth,
            validate_phone_format: v.validate_phone_format,
            check_from_numbers: v.check_from_numbers,
            require_parameters: v.require_parameters,
            default_succeeds: self.twilio.default_behavior == DefaultBehavior::Success,
            callbacks_enabled: c.enabled,
            step_delay: Duration::from_secs_f64(c.delay_seconds),
            retry_attempts: c.retry_attempts,
            retry_delay: Duration::from_secs_f64(c.retry_delay_seconds),
            webhook_timeout: Duration::from_secs_f64(c.timeout_seconds),
            synchronous: self.database.synchronous,
            proxy_targets: self.whatsapp.proxy_targets(),
        }
    }

    pub fn default_account(&self) -> DefaultAccount {
        DefaultAccount {
            sid: self.twilio.account_sid.clone(),
            auth_token: self.twilio.auth_token.clone(),
            registered_numbers: self.twilio.registered_numbers.clone(),
            failure_numbers: self.twilio.failure_numbers.clone(),
            allowed_from_numbers: self.twilio.allowed_from_numbers.clone(),
            whatsapp: self.whatsapp.identity(),
        }
    }

    pub fn database(&self) -> Location {
        Location::parse(&self.database.path)
    }
}

fn set_path(tree: &mut Value, key: &str, value: Value) -> Result<(), String> {
    let mut node = tree;
    let parts: Vec<&str> = key.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let Value::Mapping(map) = node else {
            return Err(format!("`{}` is not a section", parts[..i].join(".")));
        };
        let part_key = Value::String((*part).to_owned());
        if i == parts.len() - 1 {
            map.insert(part_key, value);
            return Ok(());
        }
        let child = map
            .entry(part_key)
            .or_insert_with(|| Value::Mapping(Mapping::new()));
        if child.is_null() {
            *child = Value::Mapping(Mapping::new());
        }
        node = child;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(key: &str, value: &str) -> Override {
        Override {
            key: key.into(),
            value: value.into(),
            origin: format!("--set {key}"),
        }
    }

    #[test]
    fn seed_config_loads_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.yaml");
        std::fs::write(&path, include_str!("../config.yaml")).unwrap();
        let config = Config::load(Some(&path), &[]).unwrap();
        assert_eq!(config.server.port, 8080);
        assert_eq!(config.twilio.failure_numbers, vec!["+15559999999"]);
        assert_eq!(config.twilio.callbacks.retry_attempts, 3);
    }

    #[test]
    fn a_listed_number_without_a_plus_is_an_error_naming_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.yaml");
        std::fs::write(
            &path,
            "twilio:\n  registered_numbers: [\"+15551234567\", \"15559876543\"]\n",
        )
        .unwrap();
        let error = Config::load(Some(&path), &[]).unwrap_err().to_string();
        assert!(error.contains("`twilio.registered_numbers`"), "{error}");
        assert!(error.contains("`15559876543`"), "{error}");
        assert!(error.contains(&path.display().to_string()), "{error}");
        let error = Config::load(None, &[set("twilio.failure_numbers", "['15559999999']")])
            .unwrap_err()
            .to_string();
        assert!(error.contains("`twilio.failure_numbers`"), "{error}");
    }

    #[test]
    fn overrides_win_and_errors_name_the_key() {
        let config = Config::load(
            None,
            &[
                set("server.port", "9000"),
                set("twilio.validation.require_auth", "false"),
            ],
        )
        .unwrap();
        assert_eq!(config.server.port, 9000);
        assert!(!config.twilio.validation.require_auth);

        let error = Config::load(None, &[set("twilio.callbacks.delay_seconds", "soon")])
            .unwrap_err()
            .to_string();
        assert!(error.contains("twilio.callbacks.delay_seconds"), "{error}");
        assert!(error.contains("--set"), "{error}");

        let error = Config::load(None, &[set("twilio.default_behavior", "maybe")])
            .unwrap_err()
            .to_string();
        assert!(error.contains("twilio.default_behavior"), "{error}");

        let error = Config::load(None, &[set("twilio.colour", "blue")])
            .unwrap_err()
            .to_string();
        assert!(error.contains("colour"), "{error}");
    }

    #[test]
    fn the_public_url_must_be_an_http_url() {
        let config =
            Config::load(None, &[set("server.public_url", "http://mockingbird:8080")]).unwrap();
        assert_eq!(
            config.server.public_url.as_deref(),
            Some("http://mockingbird:8080")
        );
        let error = Config::load(None, &[set("server.public_url", "mockingbird:8080")])
            .unwrap_err()
            .to_string();
        assert!(error.contains("server.public_url"), "{error}");
    }

    #[test]
    fn environment_keys_nest_with_double_underscores() {
        let found = env_overrides([
            (
                "MOCKINGBIRD_TWILIO__ACCOUNT_SID".to_owned(),
                "AC1".to_owned(),
            ),
            ("MOCKINGBIRD_CONFIG".to_owned(), "x.yaml".to_owned()),
            (
                "MOCKINGBIRD_BIN".to_owned(),
                "target/debug/mockingbird".to_owned(),
            ),
            ("PATH".to_owned(), "/bin".to_owned()),
        ]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].key, "twilio.account_sid");
    }
}
