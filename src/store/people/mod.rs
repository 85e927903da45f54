//! People's tables: users, their memberships, passkeys, invitations, sessions and the passkey
//! ceremonies in flight. Session ids, invitation tokens and challenges are stored as hashes.

pub mod ceremonies;
pub mod invitations;
pub mod memberships;
pub mod passkeys;
pub mod sessions;
pub mod users;
