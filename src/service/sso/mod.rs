//! Single sign-on per organization (SPEC §10): the connection to an organization's OpenID
//! Connect IdP and its domains (`connections`), this server as the IdP's relying party
//! (`relying_party`: the protocol, over the guarded fetcher), and who a finished sign-in
//! lets in (`sign_in`: identities, invitations, domains, sessions).

pub mod connections;
pub mod relying_party;
pub mod sign_in;

pub use connections::{
    Connection, ConnectionChange, MAX_DOMAINS, SSO_CONNECTED, SSO_DISCONNECTED, SSO_DOMAINS_SET,
    SSO_UPDATED, connect, disconnect, get, set_domains,
};
