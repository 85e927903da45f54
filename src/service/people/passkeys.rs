//! Passkeys (WebAuthn, with webauthn-rs): discoverable credentials, user verification
//! required. Each ceremony's state is stored in the database, keyed by the hash of its
//! challenge, so that the options fetched from one instance verify on another; the answer
//! takes (deletes) it, so a challenge is used once, and it lapses after five minutes.
//!
//! The relying party is the issuer: its host is the RP ID and its origin the expected
//! origin, except that browsers refuse IP addresses as RP IDs, so a loopback issuer
//! (`http://127.0.0.1:8080`) is served to people as `http://localhost:8080`.

use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use chrono::TimeDelta;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use webauthn_rs::prelude::{
    DiscoverableAuthentication, DiscoverableKey, Passkey, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder,
};
use webauthn_rs_proto::ResidentKeyRequirement;

use super::RequestOrigin;
use super::sessions::{self, SignedInWith, StartedSession};
use crate::config::PeopleSettings;
use crate::domain::{BearerSecret, DisplayName, MembershipRole, random_base62};
use crate::service::{Principal, ServiceError, UserPrincipal, audit};
use crate::store::people::ceremonies::{self, Ceremony};
use crate::store::people::invitations::{self, Invitation};
use crate::store::people::passkeys::{self, PasskeyRow};
use crate::store::people::{memberships, users};
use crate::store::{self, DbConnection};

/// How long a ceremony's options stay answerable.
const CEREMONY_LIFETIME: TimeDelta = TimeDelta::minutes(5);
/// The most passkeys one person may hold.
pub const MAX_PER_USER: i64 = 20;

/// The most ceremonies in flight at once (options asked, not yet answered or lapsed): beyond
/// it, new options wait (`503`) rather than the database filling up.
const MAX_LIVE_CEREMONIES: i64 = 10_000;

const SIGN_IN: &str = "sign_in";
const REGISTER: &str = "register";
const INVITATION: &str = "invitation";

/// The relying party: this server, as browsers see it.
pub struct RelyingParty {
    webauthn: Option<Webauthn>,
    /// Why passkeys are off (an issuer on a non-loopback IP address).
    unavailable: Option<String>,
    rp_id: String,
    /// Where people use the console: the passkey origin.
    console_origin: String,
}

impl RelyingParty {
    pub fn for_issuer(issuer: &str) -> Self {
        let (rp_id, console_origin) = relying_party_of(issuer);
        let built = Url::parse(&console_origin)
            .map_err(|e| e.to_string())
            .and_then(|origin| {
                WebauthnBuilder::new(&rp_id, &origin)
                    .and_then(|b| b.rp_name("orgauth").build())
                    .map_err(|e| {
                        format!(
                            "passkeys need the issuer to be a domain name or a loopback address \
                             ({e})"
                        )
                    })
            });
        let (webauthn, unavailable) = match built {
            Ok(w) => (Some(w), None),
            Err(e) => (None, Some(e)),
        };
        Self {
            webauthn,
            unavailable,
            rp_id,
            console_origin,
        }
    }

    pub fn rp_id(&self) -> &str {
        &self.rp_id
    }

    /// The origin the console runs at for people (invitation links point there).
    pub fn console_origin(&self) -> &str {
        &self.console_origin
    }

    /// Why passkeys cannot be used with this issuer, if they cannot.
    pub fn unavailable(&self) -> Option<&str> {
        self.unavailable.as_deref()
    }

    fn webauthn(&self) -> Result<&Webauthn, ServiceError> {
        self.webauthn
            .as_ref()
            .ok_or_else(|| ServiceError::Conflict(self.unavailable.clone().unwrap_or_default()))
    }

    // ---- sign-in (discoverable: the credential names its user)

    /// `PublicKeyCredentialRequestOptions` for a sign-in.
    pub fn sign_in_options(&self, conn: &mut DbConnection) -> Result<Value, ServiceError> {
        let (mut options, state) = self
            .webauthn()?
            .start_discoverable_authentication()
            .map_err(internal)?;
        // A modal "sign in with a passkey", not the autofill UI.
        options.mediation = None;
        let options = serde_json::to_value(&options).map_err(internal)?;
        store_ceremony(conn, &options, SIGN_IN, None, None, &state, None)?;
        Ok(flatten(options))
    }

    /// Checks a sign-in answer and starts a session for its user.
    pub fn sign_in(
        &self,
        conn: &mut DbConnection,
        settings: &PeopleSettings,
        credential: &PublicKeyCredential,
        origin: &RequestOrigin,
        replacing: Option<&BearerSecret>,
    ) -> Result<(StartedSession, UserPrincipal), SignInError> {
        let webauthn = self.webauthn()?;
        let ceremony = take_ceremony(conn, &credential.response.client_data_json, SIGN_IN)?;
        let (handle, credential_id) = webauthn
            .identify_discoverable_authentication(credential)
            .map_err(|_| SignInError::Refused("the passkey's answer is malformed", None))?;
        let credential_id = URL_SAFE_NO_PAD.encode(credential_id);
        let user = users::find_by_webauthn_id(conn, &handle.to_string())?.ok_or(
            SignInError::Refused("this passkey is not registered here", None),
        )?;
        let row = passkeys::of_user(conn, &user.id)?
            .into_iter()
            .find(|p| p.credential_id == credential_id)
            .ok_or(SignInError::Refused(
                "this passkey is not registered here",
                None,
            ))?;
        let failed = |reason| SignInError::Refused(reason, Some(user.id.clone()));
        let mut passkey: Passkey =
            serde_json::from_str(&row.passkey).map_err(|_| failed("stored passkey unreadable"))?;
        let state: DiscoverableAuthentication = ceremony.webauthn()?;
        let result = webauthn
            .finish_discoverable_authentication(
                credential,
                state,
                &[DiscoverableKey::from(&passkey)],
            )
            .map_err(|_| failed("the passkey's signature or flags did not verify"))?;
        if user.disabled {
            return Err(failed("the user is disabled"));
        }
        passkey.update_credential(&result);
        let stored = serde_json::to_string(&passkey).map_err(internal)?;
        let started = store::write_transaction(conn, |conn| {
            passkeys::used(conn, &row.id, &stored, store::now())?;
            sessions::start(
                conn,
                settings,
                &user.id,
                SignedInWith::Passkey(&row.id),
                origin,
                replacing,
            )
        })?;
        Ok(started)
    }

    // ---- a signed-in person adds a passkey

    pub fn register_options(
        &self,
        conn: &mut DbConnection,
        user: &UserPrincipal,
    ) -> Result<Value, ServiceError> {
        user.require_account_session()?;
        Principal::User(user.clone()).require_recent_sign_in()?;
        let record = users::find(conn, &user.user_id)?.ok_or(ServiceError::NotFound("user"))?;
        let existing = passkeys::of_user(conn, &user.user_id)?;
        if existing.len() as i64 >= MAX_PER_USER {
            return Err(ServiceError::Conflict(format!(
                "a person holds at most {MAX_PER_USER} passkeys; remove one first"
            )));
        }
        let exclude = existing
            .iter()
            .filter_map(|p| serde_json::from_str::<Passkey>(&p.passkey).ok())
            .map(|p| p.cred_id().clone())
            .collect();
        let handle = Uuid::parse_str(&record.webauthn_id).map_err(internal)?;
        let (options, state) =
            self.registration(handle, &record.email, &record.name, Some(exclude))?;
        store_ceremony(
            conn,
            &options,
            REGISTER,
            Some(&user.user_id),
            None,
            &state,
            None,
        )?;
        Ok(flatten(options))
    }

    pub fn register(
        &self,
        conn: &mut DbConnection,
        user: &UserPrincipal,
        credential: &RegisterPublicKeyCredential,
        name: Option<&str>,
    ) -> Result<PasskeyRow, ServiceError> {
        let actor = Principal::User(user.clone());
        user.require_account_session()?;
        actor.require_recent_sign_in()?;
        let ceremony = take_ceremony(conn, &credential.response.client_data_json, REGISTER)?;
        if ceremony.row.user_id.as_deref() != Some(user.user_id.as_str()) {
            return Err(challenge_unknown());
        }
        let state: PasskeyRegistration = ceremony.webauthn()?;
        refuse_non_discoverable(credential)?;
        let passkey = self
            .webauthn()?
            .finish_passkey_registration(credential, &state)
            .map_err(refused_registration)?;
        let row = passkey_row(&user.user_id, &passkey, name)?;
        store::write_transaction(conn, |conn| {
            if passkeys::count_of_user(conn, &user.user_id)? >= MAX_PER_USER {
                return Err(ServiceError::Conflict(format!(
                    "a person holds at most {MAX_PER_USER} passkeys; remove one first"
                )));
            }
            passkeys::insert(conn, &row)?;
            audit::record_for_user(
                conn,
                &user.user_id,
                &actor,
                audit::PASSKEY_ADDED,
                Some(&user.name),
                json!({"passkey_id": row.id, "name": row.name}),
            )?;
            Ok(row)
        })
    }

    // ---- an invited person registers their first passkey and becomes a member

    pub fn invitation_options(
        &self,
        conn: &mut DbConnection,
        token: &BearerSecret,
        name: Option<&str>,
    ) -> Result<Value, ServiceError> {
        let invitation = pending(conn, token)?;
        if users::find_by_email(conn, &invitation.email)?.is_some() {
            return Err(already_a_user());
        }
        let name = display_name(name, &invitation.email)?;
        let handle = Uuid::new_v4();
        let (options, state) = self.registration(handle, &invitation.email, &name, None)?;
        store_ceremony(
            conn,
            &options,
            INVITATION,
            None,
            Some(&invitation.id),
            &state,
            Some(NewPerson {
                name,
                webauthn_id: handle.to_string(),
            }),
        )?;
        Ok(flatten(options))
    }

    pub fn accept_invitation(
        &self,
        conn: &mut DbConnection,
        settings: &PeopleSettings,
        token: &BearerSecret,
        credential: &RegisterPublicKeyCredential,
        origin: &RequestOrigin,
        replacing: Option<&BearerSecret>,
    ) -> Result<(StartedSession, UserPrincipal), ServiceError> {
        let invitation = pending(conn, token)?;
        let ceremony = take_ceremony(conn, &credential.response.client_data_json, INVITATION)?;
        if ceremony.row.invitation_id.as_deref() != Some(invitation.id.as_str()) {
            return Err(challenge_unknown());
        }
        let person = ceremony.person.clone().ok_or_else(challenge_unknown)?;
        let state: PasskeyRegistration = ceremony.webauthn()?;
        refuse_non_discoverable(credential)?;
        let passkey = self
            .webauthn()?
            .finish_passkey_registration(credential, &state)
            .map_err(refused_registration)?;
        store::write_transaction(conn, |conn| {
            // Taken once: a second acceptance (another instance, the same link) finds nothing.
            if !invitations::delete(conn, &invitation.id)? {
                return Err(ServiceError::NotFound("invitation"));
            }
            if users::find_by_email(conn, &invitation.email)?.is_some() {
                return Err(already_a_user());
            }
            let now = store::now();
            let user = users::User {
                id: format!("usr_{}", random_base62(22)),
                email: invitation.email.clone(),
                name: person.name.clone(),
                disabled: false,
                webauthn_id: person.webauthn_id.clone(),
                created_at: now,
                last_sign_in_at: None,
            };
            users::insert(conn, &user)?;
            join(conn, &invitation, &user.id, now)?;
            let first = passkey_row(&user.id, &passkey, None)?;
            passkeys::insert(conn, &first)?;
            let (started, principal) = sessions::start(
                conn,
                settings,
                &user.id,
                SignedInWith::Passkey(&first.id),
                origin,
                replacing,
            )?;
            audit::record(
                conn,
                &invitation.org_id,
                &Principal::User(principal.clone()),
                audit::INVITATION_ACCEPTED,
                &user.id,
                Some(&user.name),
                json!({"invitation_id": invitation.id, "email": user.email, "role": invitation.role}),
            )?;
            Ok((started, principal))
        })
    }

    fn registration(
        &self,
        handle: Uuid,
        email: &str,
        name: &str,
        exclude: Option<Vec<webauthn_rs::prelude::CredentialID>>,
    ) -> Result<(Value, PasskeyRegistration), ServiceError> {
        let (mut options, state) = self
            .webauthn()?
            .start_passkey_registration(handle, email, name, exclude)
            .map_err(internal)?;
        // Discoverable credentials: sign-in names no user first. (The server's check of the
        // answer does not depend on this, so asking for it is safe.)
        if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
            selection.resident_key = Some(ResidentKeyRequirement::Required);
            selection.require_resident_key = true;
        }
        Ok((serde_json::to_value(&options).map_err(internal)?, state))
    }
}

/// An existing user accepts an invitation for their own e-mail while signed in.
pub fn accept_invitation_as(
    conn: &mut DbConnection,
    user: &UserPrincipal,
    token: &BearerSecret,
) -> Result<Invitation, ServiceError> {
    user.require_account_session()?;
    store::write_transaction(conn, |conn| {
        let invitation = pending(conn, token)?;
        if invitation.email != user.email {
            return Err(ServiceError::Forbidden(
                "this invitation is for another e-mail address than the signed-in person's".into(),
            ));
        }
        if !invitations::delete(conn, &invitation.id)? {
            return Err(ServiceError::NotFound("invitation"));
        }
        join(conn, &invitation, &user.user_id, store::now())?;
        audit::record(
            conn,
            &invitation.org_id,
            &Principal::User(user.clone()),
            audit::INVITATION_ACCEPTED,
            &user.user_id,
            Some(&user.name),
            json!({"invitation_id": invitation.id, "email": user.email, "role": invitation.role}),
        )?;
        Ok(invitation)
    })
}

/// Adds the membership an invitation offers; refused for someone already a member.
pub(crate) fn join(
    conn: &mut DbConnection,
    invitation: &Invitation,
    user_id: &str,
    now: chrono::NaiveDateTime,
) -> Result<(), ServiceError> {
    if memberships::find(conn, &invitation.org_id, user_id)?.is_some() {
        return Err(ServiceError::Conflict(
            "this person is already a member of the organization".into(),
        ));
    }
    let role = MembershipRole::from_stored(&invitation.role);
    memberships::insert(
        conn,
        &memberships::Membership {
            user_id: user_id.to_owned(),
            org_id: invitation.org_id.clone(),
            role: role.as_str().to_owned(),
            created_at: now,
        },
    )?;
    Ok(())
}

/// The person's passkeys.
pub fn list(
    conn: &mut DbConnection,
    user: &UserPrincipal,
) -> Result<Vec<PasskeyRow>, ServiceError> {
    Ok(passkeys::of_user(conn, &user.user_id)?)
}

/// Removes one of the person's passkeys; never the last way they can sign in (`409`).
pub fn remove(conn: &mut DbConnection, user: &UserPrincipal, id: &str) -> Result<(), ServiceError> {
    let actor = Principal::User(user.clone());
    user.require_account_session()?;
    actor.require_recent_sign_in()?;
    store::write_transaction(conn, |conn| {
        let held = passkeys::of_user(conn, &user.user_id)?;
        let Some(row) = held.iter().find(|p| p.id == id) else {
            return Err(ServiceError::NotFound("passkey"));
        };
        if held.len() == 1 {
            return Err(ServiceError::Conflict(
                "this is the last way this person can sign in: add another passkey first".into(),
            ));
        }
        passkeys::delete(conn, &user.user_id, id)?;
        // A lost or stolen passkey: the sessions it signed in end with it.
        let ended = crate::store::people::sessions::delete_by_passkey(conn, &user.user_id, id)?;
        audit::record_for_user(
            conn,
            &user.user_id,
            &actor,
            audit::PASSKEY_REMOVED,
            Some(&user.name),
            json!({"passkey_id": row.id, "name": row.name, "sessions_ended": ended}),
        )
    })
}

/// Why a sign-in failed: for the caller (one message), the log and the audit log (the reason,
/// and the user when the passkey named one).
#[derive(Debug)]
pub enum SignInError {
    Refused(&'static str, Option<String>),
    Service(ServiceError),
}

impl From<ServiceError> for SignInError {
    fn from(e: ServiceError) -> Self {
        Self::Service(e)
    }
}

impl From<crate::store::StoreError> for SignInError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::Service(e.into())
    }
}

impl From<diesel::result::Error> for SignInError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Service(e.into())
    }
}

/// Records a failed sign-in of a known user in their organizations' audit logs.
pub fn record_failed_sign_in(
    conn: &mut DbConnection,
    user_id: &str,
    reason: &str,
    origin: &RequestOrigin,
) -> Result<(), ServiceError> {
    let Some(user) = users::find(conn, user_id)? else {
        return Ok(());
    };
    let actor = Principal::User(UserPrincipal {
        user_id: user.id.clone(),
        email: user.email,
        name: user.name.clone(),
        memberships: Vec::new(),
        session_id: String::new(),
        method: "passkey".into(),
        sso_org: None,
        fresh: false,
        reauth_seconds: 0,
        address: origin.address.clone(),
        user_agent: origin.user_agent.clone(),
    });
    store::write_transaction(conn, |conn| {
        audit::record_for_user(
            conn,
            &user.id,
            &actor,
            audit::USER_SIGN_IN_FAILED,
            Some(&user.name),
            json!({"reason": reason}),
        )
    })
}

/// The invitation behind a link, if it is still pending.
pub fn pending(conn: &mut DbConnection, token: &BearerSecret) -> Result<Invitation, ServiceError> {
    invitations::find_pending(conn, &token.hash(), store::now())?
        .ok_or(ServiceError::NotFound("invitation"))
}

// ---- ceremonies

/// What an invitation's ceremony carries to its answer: the new person's name and handle.
#[derive(Clone, Serialize, Deserialize)]
struct NewPerson {
    name: String,
    webauthn_id: String,
}

#[derive(Serialize, Deserialize)]
struct StoredState {
    webauthn: Value,
    person: Option<NewPerson>,
}

struct TakenCeremony {
    row: Ceremony,
    webauthn: Value,
    person: Option<NewPerson>,
}

impl TakenCeremony {
    fn webauthn<T: serde::de::DeserializeOwned>(&self) -> Result<T, ServiceError> {
        serde_json::from_value(self.webauthn.clone()).map_err(internal)
    }
}

fn store_ceremony(
    conn: &mut DbConnection,
    options: &Value,
    purpose: &str,
    user_id: Option<&str>,
    invitation_id: Option<&str>,
    state: &impl Serialize,
    person: Option<NewPerson>,
) -> Result<(), ServiceError> {
    if ceremonies::count_live(conn, store::now())? >= MAX_LIVE_CEREMONIES {
        return Err(ServiceError::Busy(
            "too many passkey ceremonies are in flight; retry in a minute".into(),
        ));
    }
    let challenge = options["publicKey"]["challenge"]
        .as_str()
        .and_then(challenge_key)
        .ok_or_else(|| internal("options without a challenge"))?;
    let state = StoredState {
        webauthn: serde_json::to_value(state).map_err(internal)?,
        person,
    };
    ceremonies::insert(
        conn,
        &Ceremony {
            challenge_hash: challenge,
            purpose: purpose.to_owned(),
            user_id: user_id.map(str::to_owned),
            invitation_id: invitation_id.map(str::to_owned),
            state: serde_json::to_string(&state).map_err(internal)?,
            expires_at: store::now() + CEREMONY_LIFETIME,
        },
    )?;
    Ok(())
}

/// The ceremony an answer's `clientDataJSON` names by its challenge, taken once.
fn take_ceremony(
    conn: &mut DbConnection,
    client_data_json: &[u8],
    purpose: &str,
) -> Result<TakenCeremony, ServiceError> {
    let key = serde_json::from_slice::<Value>(client_data_json)
        .ok()
        .and_then(|v| v["challenge"].as_str().and_then(challenge_key))
        .ok_or_else(challenge_unknown)?;
    let row = ceremonies::take(conn, &key, store::now())?
        .filter(|c| c.purpose == purpose)
        .ok_or_else(challenge_unknown)?;
    let stored: StoredState = serde_json::from_str(&row.state).map_err(internal)?;
    Ok(TakenCeremony {
        row,
        webauthn: stored.webauthn,
        person: stored.person,
    })
}

/// The stored key of a challenge: the SHA-256 of its bytes (however it was base64url-coded).
fn challenge_key(challenge: &str) -> Option<String> {
    let trimmed = challenge.trim_end_matches('=');
    let bytes = URL_SAFE_NO_PAD
        .decode(trimmed)
        .or_else(|_| URL_SAFE.decode(challenge))
        .ok()?;
    Some(crate::domain::hash_bytes(&bytes))
}

/// The options object itself, with `publicKey` kept beside it: browsers'
/// `parseCreationOptionsFromJSON` / `parseRequestOptionsFromJSON` take the former, many
/// WebAuthn libraries the `{publicKey}` wrapper.
fn flatten(options: Value) -> Value {
    let mut flat = options["publicKey"].clone();
    if let Value::Object(map) = &mut flat {
        map.insert("publicKey".into(), options["publicKey"].clone());
    }
    flat
}

fn passkey_row(
    user_id: &str,
    passkey: &Passkey,
    name: Option<&str>,
) -> Result<PasskeyRow, ServiceError> {
    let now = store::now();
    let name = match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => DisplayName::parse(n)
            .map_err(|e| ServiceError::invalid("name", e.0))?
            .into_inner(),
        None => format!("Passkey added {}", now.format("%Y-%m-%d")),
    };
    Ok(PasskeyRow {
        id: format!("pk_{}", random_base62(22)),
        user_id: user_id.to_owned(),
        credential_id: URL_SAFE_NO_PAD.encode(passkey.cred_id().as_slice()),
        passkey: serde_json::to_string(passkey).map_err(internal)?,
        name,
        created_at: now,
        last_used_at: None,
    })
}

fn display_name(name: Option<&str>, email: &str) -> Result<String, ServiceError> {
    let name = name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| email.split('@').next().unwrap_or(email));
    Ok(DisplayName::parse(name)
        .map_err(|e| ServiceError::invalid("name", e.0))?
        .into_inner())
}

fn challenge_unknown() -> ServiceError {
    ServiceError::invalid(
        "credential",
        "this answer's challenge is unknown, used or expired: ask for new options",
    )
}

fn already_a_user() -> ServiceError {
    ServiceError::Conflict(
        "a person with this e-mail already has an account: sign in first, then open the \
         invitation link again to join"
            .into(),
    )
}

/// A credential the browser says is not discoverable could never sign in (sign-in names no
/// user first): refused rather than registered. (`credProps` is the browser's word, unsigned;
/// absent, the credential is taken as asked for.)
fn refuse_non_discoverable(credential: &RegisterPublicKeyCredential) -> Result<(), ServiceError> {
    let rk = credential
        .extensions
        .cred_props
        .as_ref()
        .and_then(|props| props.rk);
    if rk == Some(false) {
        return Err(ServiceError::invalid(
            "credential",
            "this authenticator did not store a discoverable passkey (resident key), so it \
             could not sign in: use a device or security key that supports passkeys",
        ));
    }
    Ok(())
}

fn refused_registration(e: webauthn_rs::prelude::WebauthnError) -> ServiceError {
    ServiceError::invalid(
        "credential",
        format!("the passkey could not be registered: {e}"),
    )
}

fn internal(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Internal(e.to_string())
}

/// The RP ID and console origin for an issuer URL (SPEC §9).
pub fn relying_party_of(issuer: &str) -> (String, String) {
    let Ok(url) = Url::parse(issuer) else {
        return ("localhost".into(), "http://localhost".into());
    };
    let scheme = url.scheme().to_owned();
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => true,
    };
    let host = if loopback {
        "localhost".to_owned()
    } else {
        url.host_str().unwrap_or("localhost").to_owned()
    };
    let origin = format!("{scheme}://{host}{port}");
    (host.trim_matches(['[', ']']).to_owned(), origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loopback_issuer_is_served_to_people_as_localhost() {
        assert_eq!(
            relying_party_of("http://127.0.0.1:8080"),
            ("localhost".into(), "http://localhost:8080".into())
        );
        assert_eq!(
            relying_party_of("http://[::1]:9000/"),
            ("localhost".into(), "http://localhost:9000".into())
        );
        assert_eq!(
            relying_party_of("https://auth.example.com"),
            ("auth.example.com".into(), "https://auth.example.com".into())
        );
        assert_eq!(
            relying_party_of("https://auth.example.com:8443/base"),
            (
                "auth.example.com".into(),
                "https://auth.example.com:8443".into()
            )
        );
    }

    #[test]
    fn passkeys_are_off_for_an_issuer_on_an_ip_address() {
        assert!(
            RelyingParty::for_issuer("https://10.0.0.5")
                .unavailable()
                .is_some()
        );
        assert!(
            RelyingParty::for_issuer("http://127.0.0.1:8080")
                .unavailable()
                .is_none()
        );
    }

    #[test]
    fn challenges_are_keyed_by_their_bytes() {
        assert_eq!(challenge_key("AAEC"), challenge_key("AAEC"));
        assert_eq!(challenge_key("AAE="), challenge_key("AAE"));
        assert!(challenge_key("not base64!").is_none());
    }
}
