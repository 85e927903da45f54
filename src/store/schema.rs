// @generated shape of `diesel print-schema`; both backends' migrations produce these tables.

diesel::table! {
    audit_events (id) {
        id -> Text,
        org_id -> Text,
        actor_id -> Text,
        action -> Text,
        target -> Text,
        details -> Text,
        created_at -> Timestamp,
        actor_name -> Nullable<Text>,
        target_name -> Nullable<Text>,
        actor_type -> Text,
        actor_email -> Nullable<Text>,
        actor_session_id -> Nullable<Text>,
        actor_method -> Nullable<Text>,
        actor_address -> Nullable<Text>,
        actor_user_agent -> Nullable<Text>,
    }
}

diesel::table! {
    client_assertions (client_id, jti) {
        client_id -> Text,
        jti -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    change_log (version) {
        version -> BigInt,
        subject -> Text,
        changed_at -> Timestamp,
    }
}

diesel::table! {
    change_version (id) {
        id -> Integer,
        version -> BigInt,
    }
}

diesel::table! {
    client_roles (client_id, role_name) {
        client_id -> Text,
        role_name -> Text,
    }
}

diesel::table! {
    clients (id) {
        id -> Text,
        org_id -> Text,
        name -> Text,
        secret_hash -> Text,
        secret_hint -> Text,
        previous_secret_hash -> Nullable<Text>,
        previous_secret_expires_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        secret_rotated_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
        tokens_not_before -> Nullable<Timestamp>,
        description -> Text,
        disabled -> Bool,
        token_ttl_seconds -> Nullable<BigInt>,
        secret_expires_at -> Nullable<Timestamp>,
        token_endpoint_auth_method -> Text,
        jwks -> Nullable<Text>,
        jwks_uri -> Nullable<Text>,
    }
}

diesel::table! {
    organizations (id) {
        id -> Text,
        name -> Text,
        created_at -> Timestamp,
        max_secret_lifetime_seconds -> Nullable<BigInt>,
        platform -> Bool,
    }
}

diesel::table! {
    revoked_tokens (jti) {
        jti -> Text,
        client_id -> Text,
        expires_at -> Timestamp,
        revoked_at -> Timestamp,
        status_list -> Nullable<Text>,
        status_idx -> Nullable<BigInt>,
    }
}

diesel::table! {
    status_lists (id) {
        id -> Text,
        capacity -> BigInt,
        next_index -> BigInt,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    status_ranges (list_id, start_idx) {
        list_id -> Text,
        start_idx -> BigInt,
        size -> BigInt,
        leased_at -> Timestamp,
    }
}

diesel::table! {
    status_runs (list_id, start_idx) {
        list_id -> Text,
        start_idx -> BigInt,
        count -> BigInt,
        client_id -> Text,
        roles -> Text,
        iat -> BigInt,
        kid -> Nullable<Text>,
    }
}

diesel::table! {
    revoked_signing_keys (kid) {
        kid -> Text,
        activated_at -> Timestamp,
        revoked_at -> Timestamp,
    }
}

diesel::table! {
    schema_compatibility (version) {
        version -> Text,
        oldest_compatible -> Text,
    }
}

diesel::table! {
    roles (name) {
        name -> Text,
        description -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    trust_policies (id) {
        id -> Text,
        org_id -> Text,
        client_id -> Text,
        issuer -> Text,
        jwks_uri -> Nullable<Text>,
        audience -> Text,
        subject -> Text,
        claims -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        name -> Text,
        disabled -> Bool,
        webauthn_id -> Text,
        created_at -> Timestamp,
        last_sign_in_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    memberships (user_id, org_id) {
        user_id -> Text,
        org_id -> Text,
        role -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    passkeys (id) {
        id -> Text,
        user_id -> Text,
        credential_id -> Text,
        passkey -> Text,
        name -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    invitations (id) {
        id -> Text,
        org_id -> Text,
        email -> Text,
        role -> Text,
        token_hash -> Text,
        invited_by -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        token_hash -> Text,
        user_id -> Text,
        csrf_token -> Text,
        method -> Text,
        created_at -> Timestamp,
        authenticated_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
        address -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        passkey_id -> Nullable<Text>,
        sso_org_id -> Nullable<Text>,
    }
}

diesel::table! {
    passkey_ceremonies (challenge_hash) {
        challenge_hash -> Text,
        purpose -> Text,
        user_id -> Nullable<Text>,
        invitation_id -> Nullable<Text>,
        state -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    sso_connections (org_id) {
        org_id -> Text,
        issuer -> Text,
        client_id -> Text,
        sealed_client_secret -> Binary,
        require_sso -> Bool,
        jit_role -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    sso_domains (domain) {
        domain -> Text,
        org_id -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    sso_identities (org_id, issuer, subject) {
        org_id -> Text,
        issuer -> Text,
        subject -> Text,
        user_id -> Text,
        email -> Nullable<Text>,
        created_at -> Timestamp,
        last_sign_in_at -> Timestamp,
    }
}

diesel::table! {
    sso_flows (state_hash) {
        state_hash -> Text,
        org_id -> Text,
        issuer -> Text,
        client_id -> Text,
        purpose -> Text,
        nonce -> Text,
        pkce_verifier -> Text,
        return_to -> Text,
        binding_hash -> Text,
        user_id -> Nullable<Text>,
        replacing_hash -> Nullable<Text>,
        address -> Nullable<Text>,
        started_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::joinable!(memberships -> users (user_id));
diesel::joinable!(memberships -> sso_connections (org_id));
diesel::joinable!(memberships -> organizations (org_id));
diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(passkeys -> users (user_id));
diesel::joinable!(invitations -> organizations (org_id));
diesel::joinable!(audit_events -> organizations (org_id));
diesel::joinable!(client_roles -> clients (client_id));
diesel::joinable!(client_roles -> roles (role_name));
diesel::joinable!(clients -> organizations (org_id));

diesel::table! {
    signing_keys (kid) {
        kid -> Text,
        alg -> Text,
        sealed_private_key -> Binary,
        created_at -> Timestamp,
        activates_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    audit_events,
    change_log,
    change_version,
    client_roles,
    clients,
    organizations,
    revoked_tokens,
    roles,
    signing_keys,
    users,
    memberships,
    passkeys,
    invitations,
    sessions,
    passkey_ceremonies,
    sso_connections,
    sso_domains,
    sso_identities,
    sso_flows,
    status_lists,
    status_ranges,
    status_runs,
    revoked_signing_keys,
    schema_compatibility
);
