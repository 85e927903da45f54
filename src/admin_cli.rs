//! The admin commands of the command line: every admin action, through the same use cases
//! as the API (`service`), acting as the operator (`cli` in the audit log). Output is the
//! API's JSON shapes with `--json` (one object per line for lists), else aligned text.

use clap::Subcommand;
use orgauth::domain::{ClientId, DisplayName, OrgId, RoleSet, SecretHasher};
use orgauth::http::admin::views::{
    AuditEventView, ClientView, ClientWithSecretView, OrganizationView, RoleView,
};
use orgauth::service::client_secrets::Rotation;
use orgauth::service::client_settings::ClientSettings;
use orgauth::service::clients::ClientUpdate;
use orgauth::service::{self, Principal};
use orgauth::store::DbConnection;
use orgauth::store::audit::AuditFilter;
use orgauth::store::clients::ClientOrder;
use serde::Serialize;

type Error = Box<dyn std::error::Error>;

/// The command line acts as the operator: it is recorded as `cli` in the audit log.
pub const OPERATOR: Principal = Principal::Operator("cli");

/// Lists are read a page at a time; this many per page.
const PAGE: i64 = 200;

#[derive(Subcommand)]
pub enum ClientAdmin {
    /// List an organization's clients (oldest first).
    List {
        #[arg(long)]
        org: String,
    },
    /// Show one client.
    Get {
        #[arg(long)]
        org: String,
        client_id: String,
    },
    /// Replace a client's roles (repeat --role; none removes all).
    SetRoles {
        #[arg(long)]
        org: String,
        client_id: String,
        #[arg(long = "role", num_args = 1..)]
        roles: Vec<String>,
    },
    /// Rename a client.
    Rename {
        #[arg(long)]
        org: String,
        client_id: String,
        name: String,
    },
    /// Change a client's description, token lifetime, or disable / enable it.
    Set {
        #[arg(long)]
        org: String,
        client_id: String,
        #[arg(long)]
        description: Option<String>,
        /// Seconds (60 to the server's lifetime), or `server` for the server's.
        #[arg(long)]
        token_ttl: Option<String>,
        /// Refuse every credential and token of the client (reversible with --enable).
        #[arg(long, conflicts_with = "enable")]
        disable: bool,
        #[arg(long)]
        enable: bool,
    },
    /// Revoke every token issued to the client so far (its secret keeps working).
    RevokeTokens {
        #[arg(long)]
        org: String,
        client_id: String,
    },
    /// Delete a client: its secret stops working and its tokens are refused.
    Delete {
        #[arg(long)]
        org: String,
        client_id: String,
    },
}

#[derive(Subcommand)]
pub enum RoleCommand {
    /// List the role catalog.
    List,
    /// Add a role to the catalog.
    Create {
        name: String,
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Remove a role no client holds.
    Delete { name: String },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Print an organization's audit events as JSON lines, oldest first.
    Export {
        #[arg(long)]
        org: String,
        /// Only events at or after this time (RFC 3339, e.g. 2026-11-01T00:00:00Z).
        #[arg(long)]
        since: Option<chrono::DateTime<chrono::Utc>>,
    },
}

fn org_id(org: &str) -> Result<OrgId, Error> {
    OrgId::parse(org).map_err(|e| format!("--org: {e}").into())
}

fn client_id(id: &str) -> Result<ClientId, Error> {
    ClientId::parse(id).map_err(|e| format!("CLIENT_ID: {e}").into())
}

fn json_line(value: &impl Serialize) -> Result<(), Error> {
    println!("{}", serde_json::to_string(value)?);
    Ok(())
}

fn print_client(client: &ClientView, json: bool) -> Result<(), Error> {
    if json {
        return json_line(client);
    }
    let last_used = client
        .last_used_at
        .map_or_else(|| "never".to_owned(), |t| t.to_rfc3339());
    println!(
        "{}\t{}\t{}\tlast used {last_used}",
        client.client_id,
        client.name,
        client.roles.join(",")
    );
    Ok(())
}

fn print_org(org: OrganizationView, json: bool) -> Result<(), Error> {
    if json {
        json_line(&org)
    } else {
        println!("{}\t{}", org.id, org.name);
        Ok(())
    }
}

pub fn org_list(conn: &mut DbConnection, json: bool) -> Result<(), Error> {
    let mut after = None;
    loop {
        let page = service::organizations::list(conn, &OPERATOR, after.clone(), PAGE)?;
        let full = page.len() as i64 == PAGE;
        for org in page {
            after = Some((org.created_at, org.id.clone()));
            print_org(org.into(), json)?;
        }
        if !full {
            return Ok(());
        }
    }
}

pub fn org_rename(conn: &mut DbConnection, org: &str, name: &str, json: bool) -> Result<(), Error> {
    let name = DisplayName::parse(name).map_err(|e| format!("NAME: {e}"))?;
    let org = service::organizations::rename(conn, &OPERATOR, &org_id(org)?, name)?;
    print_org(org.into(), json)
}

pub fn client(
    conn: &mut DbConnection,
    command: ClientAdmin,
    server_token_ttl: std::time::Duration,
    json: bool,
) -> Result<(), Error> {
    match command {
        ClientAdmin::List { org } => {
            let org = org_id(&org)?;
            let mut after = None;
            loop {
                let order = ClientOrder::CreatedAsc;
                let (page, _) = service::clients::list(
                    conn,
                    &OPERATOR,
                    &org,
                    None,
                    order,
                    after.clone(),
                    PAGE,
                )?;
                let full = page.len() as i64 == PAGE;
                for record in page {
                    after = Some((order.key_of(&record.row), record.row.id.clone()));
                    print_client(&ClientView::from(record), json)?;
                }
                if !full {
                    return Ok(());
                }
            }
        }
        ClientAdmin::Get { org, client_id: id } => {
            let record = service::clients::get(conn, &OPERATOR, &org_id(&org)?, &client_id(&id)?)?;
            print_client(&ClientView::from(record), json)
        }
        ClientAdmin::SetRoles {
            org,
            client_id: id,
            roles,
        } => {
            let roles = RoleSet::parse(&roles).map_err(|e| format!("--role: {e}"))?;
            let update = ClientUpdate {
                name: None,
                roles: Some(roles),
                settings: ClientSettings::default(),
            };
            update_client(conn, &org, &id, update, json)
        }
        ClientAdmin::Rename {
            org,
            client_id: id,
            name,
        } => {
            let name = DisplayName::parse(&name).map_err(|e| format!("NAME: {e}"))?;
            let update = ClientUpdate {
                name: Some(name),
                roles: None,
                settings: ClientSettings::default(),
            };
            update_client(conn, &org, &id, update, json)
        }
        ClientAdmin::Set {
            org,
            client_id: id,
            description,
            token_ttl,
            disable,
            enable,
        } => {
            let token_ttl_seconds = match token_ttl.as_deref() {
                None => None,
                Some("server") => Some(None),
                Some(s) => Some(Some(s.parse::<i64>().map_err(|_| {
                    format!("--token-ttl: {s:?} is neither a number of seconds nor `server`")
                })?)),
            };
            let update = ClientUpdate {
                name: None,
                roles: None,
                settings: ClientSettings {
                    auth: None,
                    description,
                    disabled: (disable || enable).then_some(disable),
                    token_ttl_seconds,
                    server_token_ttl,
                },
            };
            update_client(conn, &org, &id, update, json)
        }
        ClientAdmin::RevokeTokens { org, client_id: id } => {
            let record = service::client_secrets::revoke_tokens(
                conn,
                &OPERATOR,
                &org_id(&org)?,
                &client_id(&id)?,
            )?;
            print_client(&ClientView::from(record), json)
        }
        ClientAdmin::Delete { org, client_id: id } => {
            service::clients::delete(conn, &OPERATOR, &org_id(&org)?, &client_id(&id)?)?;
            if json {
                json_line(&serde_json::json!({"deleted": id}))
            } else {
                println!("deleted {id}");
                Ok(())
            }
        }
    }
}

fn update_client(
    conn: &mut DbConnection,
    org: &str,
    id: &str,
    update: ClientUpdate,
    json: bool,
) -> Result<(), Error> {
    let record = service::clients::update(conn, &OPERATOR, &org_id(org)?, &client_id(id)?, update)?;
    print_client(&ClientView::from(record), json)
}

/// `client rotate`: a new secret, printed once (`client_id=` and `client_secret=` lines, or
/// the API's JSON with `--json`).
pub fn rotate(
    conn: &mut DbConnection,
    hasher: &SecretHasher,
    org: &str,
    id: &str,
    rotation: Rotation,
    json: bool,
) -> Result<(), Error> {
    let rotated = service::client_secrets::rotate_secret(
        conn,
        hasher,
        &OPERATOR,
        &org_id(org)?,
        &client_id(id)?,
        rotation,
    )?;
    let view = ClientWithSecretView::from(rotated);
    if json {
        return json_line(&view);
    }
    println!("client_id={}", view.client.client_id);
    println!("client_secret={}", view.client_secret.unwrap_or_default());
    Ok(())
}

pub fn role(conn: &mut DbConnection, command: RoleCommand, json: bool) -> Result<(), Error> {
    let print = |role: RoleView| {
        if json {
            json_line(&role)
        } else {
            println!("{}\t{}", role.name, role.description);
            Ok(())
        }
    };
    match command {
        RoleCommand::List => {
            for role in service::roles::list(conn)? {
                print(RoleView::from(role))?;
            }
            Ok(())
        }
        RoleCommand::Create { name, description } => {
            print(service::roles::create(conn, &OPERATOR, &name, &description)?.into())
        }
        RoleCommand::Delete { name } => {
            service::roles::delete(conn, &OPERATOR, &name)?;
            if json {
                json_line(&serde_json::json!({"deleted": name}))
            } else {
                println!("deleted {name}");
                Ok(())
            }
        }
    }
}

pub fn audit(conn: &mut DbConnection, command: AuditCommand) -> Result<(), Error> {
    let AuditCommand::Export { org, since } = command;
    let org = org_id(&org)?;
    let filter = AuditFilter {
        since: since.map(|t| t.naive_utc()),
        ..AuditFilter::default()
    };
    // Pages come newest first; collect them, then print oldest first.
    let mut events = Vec::new();
    let mut before = None;
    loop {
        let page = service::audit::page(conn, &OPERATOR, &org, &filter, before.clone(), PAGE)?;
        let full = page.len() as i64 == PAGE;
        for event in page {
            before = Some((event.created_at, event.id.clone()));
            events.push(event);
        }
        if !full {
            break;
        }
    }
    for event in events.into_iter().rev() {
        json_line(&AuditEventView::from(event))?;
    }
    Ok(())
}
