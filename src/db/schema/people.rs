//! The tables added with usernames, product-only access, list columns and the organization's
//! own roles, products and permissions.

use super::*;

diesel::table! {
    /// The user fields each person shows as extra columns of the users list.
    list_columns (user_id) {
        user_id -> BigInt,
        field_ids -> Text,
    }
}

diesel::table! {
    /// People with product access only: they never sign into the console.
    product_only_users (user_id) {
        user_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Usernames, unique per organization whatever their case.
    usernames (user_id) {
        user_id -> BigInt,
        org_id -> BigInt,
        username -> Text,
        username_key -> Text,
    }
}

diesel::table! {
    /// Whether an organization requires a username of everyone.
    username_policies (org_id) {
        org_id -> BigInt,
        required -> Bool,
    }
}

diesel::allow_tables_to_appear_in_same_query!(usernames, users);

diesel::table! {
    /// A product's own permissions, each in a numbered slot of the organization.
    product_permissions (id) {
        id -> BigInt,
        org_id -> BigInt,
        product_id -> BigInt,
        slot -> Integer,
        name -> Text,
    }
}

diesel::joinable!(product_permissions -> products (product_id));
diesel::allow_tables_to_appear_in_same_query!(product_permissions, products);

diesel::table! {
    /// Tenant superusers: every permission in their organization.
    superusers (user_id) {
        user_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(superusers, users);
diesel::joinable!(superusers -> users (user_id));

diesel::table! {
    /// Scoped administration: the divisions and teams a person administers (none: all).
    admin_scopes (user_id, kind, unit_id) {
        user_id -> BigInt,
        kind -> Text,
        unit_id -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(admin_scopes, users);

diesel::table! {
    /// Workspaces inside an organization (archived ones keep their rows).
    workspaces (id) {
        id -> BigInt,
        org_id -> BigInt,
        name -> Text,
        name_key -> Text,
        archived_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Who is in a workspace, at which access level, with which restrictions.
    workspace_members (workspace_id, user_id) {
        workspace_id -> BigInt,
        user_id -> BigInt,
        level -> Text,
        restrictions -> Text,
        created_at -> Timestamp,
        /// The user's `name_key`, kept by triggers: the Users page walks it in order.
        name_key -> Text,
    }
}

diesel::joinable!(workspace_members -> workspaces (workspace_id));
diesel::joinable!(workspace_members -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(workspace_members, workspaces);
diesel::allow_tables_to_appear_in_same_query!(workspace_members, users);
diesel::allow_tables_to_appear_in_same_query!(workspaces, users);

diesel::table! {
    /// The workspace each person last switched to in the header.
    current_workspaces (user_id) {
        user_id -> BigInt,
        workspace_id -> BigInt,
    }
}

diesel::table! {
    /// API tokens: only the secret's SHA-256 is kept (`prefix` tells them apart).
    api_tokens (id) {
        id -> BigInt,
        org_id -> BigInt,
        user_id -> BigInt,
        name -> Text,
        personal -> Bool,
        scopes -> Text,
        token_hash -> Text,
        prefix -> Text,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
        last_used_ip -> Nullable<Text>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(api_tokens -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(api_tokens, users);

diesel::table! {
    /// What an identity provider said of a user that Gatehouse keeps only for SCIM.
    scim_attributes (user_id) {
        user_id -> BigInt,
        org_id -> BigInt,
        external_id -> Nullable<Text>,
        email_type -> Nullable<Text>,
        email_primary -> Nullable<Bool>,
        phone_type -> Nullable<Text>,
        department -> Nullable<Text>,
        employee_number -> Nullable<Text>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(scim_attributes, users);
diesel::allow_tables_to_appear_in_same_query!(scim_attributes, usernames);

diesel::table! {
    /// The identity provider's id of a group it provisions over SCIM.
    scim_group_attributes (group_id) {
        group_id -> BigInt,
        org_id -> BigInt,
        external_id -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(scim_group_attributes, org_groups);

diesel::table! {
    /// Endpoints an organization registered for events.
    webhooks (id) {
        id -> BigInt,
        org_id -> BigInt,
        url -> Text,
        events -> Text,
        secret -> Text,
        created_at -> Timestamp,
        failing_since -> Nullable<Timestamp>,
        paused_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// The outbox of webhook deliveries.
    webhook_deliveries (id) {
        id -> BigInt,
        webhook_id -> BigInt,
        event_id -> Text,
        event -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_status -> Nullable<Integer>,
        last_response -> Text,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(webhook_deliveries -> webhooks (webhook_id));
diesel::allow_tables_to_appear_in_same_query!(webhook_deliveries, webhooks);

diesel::table! {
    /// An organization's OpenID Connect providers.
    identity_providers (id) {
        id -> BigInt,
        org_id -> BigInt,
        name -> Text,
        preset -> Text,
        issuer -> Text,
        client_id -> Text,
        client_secret -> Text,
        scopes -> Text,
        email_claim -> Text,
        trust_mfa -> Bool,
        enabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    /// People linked to a provider's subject.
    user_identities (id) {
        id -> BigInt,
        org_id -> BigInt,
        user_id -> BigInt,
        provider_id -> BigInt,
        subject -> Text,
        email -> Text,
        created_at -> Timestamp,
        last_used_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// Sign-ins through a provider under way.
    sso_requests (id) {
        id -> BigInt,
        state_hash -> Text,
        provider_id -> BigInt,
        purpose -> Text,
        user_id -> Nullable<BigInt>,
        invite -> Nullable<Text>,
        nonce -> Text,
        pkce_verifier -> Text,
        next -> Text,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    /// An organization's sign-in policy.
    sso_settings (org_id) {
        org_id -> BigInt,
        required -> Bool,
        role_id -> Nullable<BigInt>,
        product_ids -> Text,
    }
}

diesel::joinable!(user_identities -> identity_providers (provider_id));
diesel::joinable!(user_identities -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(user_identities, identity_providers, users);
