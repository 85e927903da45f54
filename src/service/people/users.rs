//! A person's account as a whole: disabling it (a leaver, a compromised account) ends every
//! session at once and refuses every sign-in until it is enabled again; memberships and
//! passkeys stay for the return.

use serde_json::json;

use crate::domain::Email;
use crate::service::{Principal, ServiceError, audit};
use crate::store::people::{sessions, users};
use crate::store::{self, DbConnection};

pub const USER_DISABLED: &str = "user.disabled";
pub const USER_ENABLED: &str = "user.enabled";

/// Disables or enables the person with this e-mail (platform admins and the operator);
/// returns how many sessions ended.
pub fn set_disabled(
    conn: &mut DbConnection,
    actor: &Principal,
    email: &Email,
    disabled: bool,
) -> Result<usize, ServiceError> {
    if !actor.is_platform_admin() {
        return Err(ServiceError::Forbidden(
            "disabling or enabling a person needs platform:admin".into(),
        ));
    }
    actor.require_recent_sign_in()?;
    store::write_transaction(conn, |conn| {
        let user =
            users::find_by_email(conn, email.as_str())?.ok_or(ServiceError::NotFound("user"))?;
        if user.disabled == disabled {
            return Ok(0);
        }
        users::set_disabled(conn, &user.id, disabled)?;
        let ended = if disabled {
            sessions::delete_all(conn, &user.id)?
        } else {
            0
        };
        let action = if disabled {
            USER_DISABLED
        } else {
            USER_ENABLED
        };
        audit::record_for_user(
            conn,
            &user.id,
            actor,
            action,
            Some(&user.email),
            json!({"email": user.email, "sessions_ended": ended}),
        )?;
        Ok(ended)
    })
}
