//! The `orgauth` command: parse, dispatch, nothing else.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use orgauth::app::{self, Application};
use orgauth::config::Config;
use orgauth::domain::{DisplayName, Email, MembershipRole, NewClientSecret, OrgId, RoleSet};
use orgauth::service::{self, client_secrets::Rotation, clients::NewClient};

#[derive(Parser)]
#[command(
    name = "orgauth",
    version,
    about = "OAuth 2.0 authorization server for machine-to-machine access"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Print the admin API's JSON shapes (one object per line) instead of text.
    #[arg(long, global = true)]
    json: bool,
}

/// Where every command reads its configuration (shown under each help text).
const CONFIGURATION: &str = "Configuration: environment variables — DATABASE_URL (default: the \
SQLite file orgauth.db), ORGAUTH_* — or a .env file in the working directory; *_FILE variants \
read secrets from files. `orgauth config check` validates them and prints the effective \
settings; the README's Configuration table lists them all.";

/// Every command's help ends with where the configuration comes from.
fn with_configuration_help(command: clap::Command) -> clap::Command {
    command
        .after_help(CONFIGURATION)
        .mut_subcommands(with_configuration_help)
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve,
    /// Run pending migrations and exit (`migrate status`: show where the schema stands).
    Migrate {
        #[command(subcommand)]
        command: Option<database_cli::MigrateCommand>,
    },
    /// Copy the SQLite database, consistent while the server runs, to a new file PATH (on
    /// Postgres: use pg_dump, see "Backup and restore" in the README). The key-encryption key
    /// is not in it: keep it too, apart.
    Backup { path: std::path::PathBuf },
    /// Manage organizations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Manage clients.
    #[command(subcommand)]
    Client(ClientCommand),
    /// Manage signing keys in the keys directory.
    #[command(subcommand)]
    Keys(keys_cli::KeysCommand),
    /// Client secret helpers.
    #[command(subcommand)]
    Secret(SecretCommand),
    /// Exit 0 if the server configured here answers /readyz with 200 (for container health
    /// checks: the image has no curl).
    Healthcheck,
    /// Configuration helpers.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Manage the role catalog.
    #[command(subcommand)]
    Role(admin_cli::RoleCommand),
    /// The audit log.
    #[command(subcommand)]
    Audit(admin_cli::AuditCommand),
    /// Disable a person (every session ends, sign-ins are refused) or enable them again.
    #[command(subcommand)]
    User(UserCommand),
    /// Print an invitation URL for a person (recovery, or the first platform admin): it
    /// works once, for the given days (default 7).
    Invite {
        #[arg(long)]
        org: String,
        /// org:admin, org:viewer, or platform:admin (platform organization only).
        #[arg(long)]
        role: String,
        /// 1–30.
        #[arg(long, default_value_t = 7)]
        days: u32,
        email: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Ends every session of the person with this e-mail and refuses their sign-ins.
    Disable { email: String },
    /// Lets the person sign in again.
    Enable { email: String },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Validate the configuration (environment and .env) and print the effective settings,
    /// secrets redacted; exits non-zero on any error, creating nothing.
    Check,
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Create an organization and print its id.
    Create { name: String },
    /// List the organizations.
    List,
    /// Rename an organization.
    Rename { org_id: String, name: String },
}

#[derive(Subcommand)]
enum ClientCommand {
    /// Create a client; prints client_id and client_secret once.
    Create {
        #[arg(long)]
        org: String,
        #[arg(long)]
        name: String,
        /// A role from the catalog; repeat for several.
        #[arg(long = "role", num_args = 1..)]
        roles: Vec<String>,
    },
    /// Give a client a new secret (printed once); the old one stops working at once. The way
    /// back in when the bootstrap admin's secret is lost.
    Rotate {
        #[arg(long)]
        org: String,
        client_id: String,
        /// Keep the old secret working this many seconds (at most 7 days).
        #[arg(long, default_value_t = 0)]
        grace: u64,
        /// Also revoke every token issued so far (only without a grace period).
        #[arg(long)]
        revoke_tokens: bool,
    },
    #[command(flatten)]
    Admin(admin_cli::ClientAdmin),
}

#[derive(Subcommand)]
enum SecretCommand {
    /// Print a new well-formed client secret (e.g. for ORGAUTH_BOOTSTRAP_CLIENT_SECRET).
    Generate,
}

mod admin_cli;
mod database_cli;
mod keys_cli;

use database_cli::connection;

use admin_cli::OPERATOR;

/// Secrets read from files (`*_FILE`) that others may read: the key-encryption key opens every
/// signing key, so a copy readable by another user is worth a warning at every start.
fn warn_about_readable_secret_files() {
    use std::os::unix::fs::PermissionsExt;
    for name in [
        "ORGAUTH_KEY_ENCRYPTION_KEY_FILE",
        "DATABASE_URL_FILE",
        "ORGAUTH_BOOTSTRAP_CLIENT_SECRET_FILE",
    ] {
        let Some(path) = std::env::var(name).ok().map(|p| p.trim().to_owned()) else {
            continue;
        };
        if let Ok(meta) = std::fs::metadata(&path)
            && meta.permissions().mode() & 0o077 != 0
        {
            log::warn!(
                "{name}: {} is readable by users other than its owner (mode {:o}); chmod 600 it",
                std::path::Path::new(&path).display(),
                meta.permissions().mode() & 0o777
            );
        }
    }
}

fn main() -> ExitCode {
    return_large_allocations_to_the_os();
    orgauth::store::init_tls();
    let matches = with_configuration_help(<Cli as clap::CommandFactory>::command()).get_matches();
    let cli =
        <Cli as clap::FromArgMatches>::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let result = Config::from_env().map_err(Error::from).and_then(|config| {
        orgauth::logging::init(config.log_format);
        warn_about_readable_secret_files();
        run(cli.command.unwrap_or(Command::Serve), config, cli.json)
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // The error and every cause under it, on one line (a cause that an error's own
            // message already quotes is not repeated).
            let mut message = format!("orgauth: {e}");
            let mut source = e.source();
            while let Some(cause) = source {
                let cause_text = cause.to_string();
                if !message.contains(&cause_text) {
                    message.push_str(": ");
                    message.push_str(&cause_text);
                }
                source = cause.source();
            }
            match orgauth::logging::format_from_env() {
                orgauth::logging::LogFormat::Json => orgauth::logging::write_unfiltered(
                    orgauth::logging::LogFormat::Json,
                    log::Level::Error,
                    message.trim_start_matches("orgauth: "),
                ),
                orgauth::logging::LogFormat::Text => eprintln!("{message}"),
            }
            ExitCode::FAILURE
        }
    }
}

type Error = Box<dyn std::error::Error>;

fn run(command: Command, config: Config, json: bool) -> Result<(), Error> {
    match command {
        Command::Org(OrgCommand::List) => admin_cli::org_list(&mut connection(&config)?, json),
        Command::Org(OrgCommand::Rename { org_id, name }) => {
            admin_cli::org_rename(&mut connection(&config)?, &org_id, &name, json)
        }
        Command::Client(ClientCommand::Admin(command)) => {
            admin_cli::client(&mut connection(&config)?, command, config.token_ttl, json)
        }
        Command::Role(command) => admin_cli::role(&mut connection(&config)?, command, json),
        Command::Audit(command) => admin_cli::audit(&mut connection(&config)?, command),
        Command::Serve => serve(config, json),
        Command::Config(ConfigCommand::Check) => {
            if json {
                let settings: serde_json::Map<String, serde_json::Value> = config
                    .describe()
                    .into_iter()
                    .map(|(name, value)| (name.to_owned(), value.into()))
                    .collect();
                println!("{}", serde_json::Value::Object(settings));
            } else {
                for (name, value) in config.describe() {
                    println!("{name}={value}");
                }
            }
            Ok(())
        }
        Command::Healthcheck => {
            orgauth::healthcheck::probe(&config, std::time::Duration::from_secs(3))?;
            if json {
                println!("{}", serde_json::json!({"ready": true}));
            }
            Ok(())
        }
        Command::User(command) => {
            let (email, disabled) = match &command {
                UserCommand::Disable { email } => (email, true),
                UserCommand::Enable { email } => (email, false),
            };
            let email = Email::parse(email).map_err(|e| format!("EMAIL: {e}"))?;
            let ended = service::people::users::set_disabled(
                &mut connection(&config)?,
                &OPERATOR,
                &email,
                disabled,
            )?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({"email": email.as_str(), "disabled": disabled, "sessions_ended": ended})
                );
            } else if disabled {
                println!("{} is disabled; {ended} sessions ended", email.as_str());
            } else {
                println!("{} may sign in again", email.as_str());
            }
            Ok(())
        }
        Command::Invite {
            org,
            role,
            days,
            email,
        } => {
            let mut conn = connection(&config)?;
            let org = OrgId::parse(&org).map_err(|e| format!("--org: {e}"))?;
            let new = service::people::invitations::NewInvitation {
                email: Email::parse(&email).map_err(|e| format!("EMAIL: {e}"))?,
                role: MembershipRole::parse(&role).map_err(|e| format!("--role: {e}"))?,
                expires_in_days: days,
            };
            let created = service::people::invitations::create(&mut conn, &OPERATOR, &org, new)?;
            let origin = service::people::passkeys::relying_party_of(&config.issuer).1;
            let url =
                orgauth::http::admin::people_views::invitation_url(&origin, created.token.expose());
            if json {
                let mut view = serde_json::to_value(
                    orgauth::http::admin::people_views::InvitationView::from(created.invitation),
                )?;
                view["invitation_url"] = serde_json::Value::String(url);
                println!("{view}");
            } else {
                println!("{url}");
            }
            Ok(())
        }
        Command::Backup { path } => database_cli::backup(&config, &path, json),
        Command::Migrate { command } => database_cli::migrate(&config, command, json),
        Command::Org(OrgCommand::Create { name }) => {
            let mut conn = connection(&config)?;
            let name = DisplayName::parse(&name).map_err(|e| format!("NAME: {e}"))?;
            let org = service::organizations::create(&mut conn, &OPERATOR, name)?;
            if json {
                let view = orgauth::http::admin::views::OrganizationView::from(org);
                println!("{}", serde_json::to_string(&view)?);
            } else {
                println!("{}", org.id);
            }
            Ok(())
        }
        Command::Client(ClientCommand::Create { org, name, roles }) => {
            let hasher = app::secret_hasher(&config)?;
            let mut conn = connection(&config)?;
            let created = service::clients::create(
                &mut conn,
                &hasher,
                &OPERATOR,
                NewClient {
                    org_id: OrgId::parse(&org).map_err(|e| format!("--org: {e}"))?,
                    name: DisplayName::parse(&name).map_err(|e| format!("--name: {e}"))?,
                    roles: RoleSet::parse(&roles).map_err(|e| format!("--role: {e}"))?,
                    id: None,
                    secret: None,
                    settings: Default::default(),
                    secret_expires_at: None,
                },
            )?;
            let view = orgauth::http::admin::views::ClientWithSecretView::from(created);
            if json {
                println!("{}", serde_json::to_string(&view)?);
            } else {
                println!("client_id={}", view.client.client_id);
                println!("client_secret={}", view.client_secret.unwrap_or_default());
            }
            Ok(())
        }
        Command::Client(ClientCommand::Rotate {
            org,
            client_id,
            grace,
            revoke_tokens,
        }) => {
            let hasher = app::secret_hasher(&config)?;
            let rotation = Rotation {
                grace: std::time::Duration::from_secs(grace),
                revoke_tokens,
                secret_expires_at: None,
            };
            admin_cli::rotate(
                &mut connection(&config)?,
                &hasher,
                &org,
                &client_id,
                rotation,
                json,
            )
        }
        Command::Keys(command) => keys_cli::run(&config, command, json),
        Command::Secret(SecretCommand::Generate) => {
            let secret = NewClientSecret::generate().into_plaintext();
            if json {
                println!("{}", serde_json::json!({"client_secret": secret}));
            } else {
                println!("{secret}");
            }
            Ok(())
        }
    }
}

/// Every argon2 verification allocates its whole memory cost (19 MiB by default). glibc raises
/// its mmap threshold after the first such block is freed and from then on serves them from
/// per-thread heaps that it never gives back: a burst of verifications grew RSS by ~200 MiB.
/// A fixed threshold keeps large blocks mmapped, so they return to the OS when freed.
fn return_large_allocations_to_the_os() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator tuning; called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

fn serve(config: Config, json: bool) -> Result<(), Error> {
    actix_web::rt::System::new().block_on(async move {
        let application = Application::build(config.clone())?;
        if let (Some(b), true) = (&application.bootstrapped, json) {
            println!(
                "{}",
                serde_json::json!({
                    "bootstrap": {
                        "organization_id": b.org_id,
                        "client_id": b.client_id,
                        "client_secret": b.generated_secret,
                        "invitation_url": orgauth::http::admin::people_views::invitation_url(
                            application.console_origin(),
                            b.invitation.token.expose()
                        ),
                        "invitation_expires_at": b.invitation.invitation.expires_at.and_utc(),
                    }
                })
            );
        } else if let Some(b) = &application.bootstrapped {
            println!(
                "Created the bootstrap organization {} and its admin client.",
                b.org_id
            );
            println!("  client_id:     {}", b.client_id);
            match &b.generated_secret {
                Some(secret) => {
                    println!("  client_secret: {secret}");
                    println!("The secret is shown this once; store it now.");
                }
                None => println!("  client_secret: (from ORGAUTH_BOOTSTRAP_CLIENT_SECRET)"),
            }
            println!(
                "The first platform admin ({}) signs in to the console by opening, once, before {} UTC:",
                b.invitation.invitation.email,
                b.invitation.invitation.expires_at.format("%Y-%m-%d %H:%M"),
            );
            println!(
                "  {}",
                orgauth::http::admin::people_views::invitation_url(
                    application.console_origin(),
                    b.invitation.token.expose()
                )
            );
            println!("(Lost it? `orgauth invite --org {} --role platform:admin EMAIL` prints another.)", b.org_id);
        }
        log::info!(
            "orgauth listening on {} (issuer {})",
            config.bind,
            config.issuer
        );
        application.run_until_stopped().await?;
        Ok(())
    })
}
