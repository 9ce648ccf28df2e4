//! Tables shared by both backends (see migrations/sqlite and migrations/postgres).

diesel::table! {
    app_secrets (name) {
        name -> Text,
        value -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    organizations (id) {
        id -> BigInt,
        name -> Text,
        slug -> Text,
        allow_auto_signup -> Bool,
        max_failed_logins -> Integer,
        lock_after_inactive_days -> Integer,
        password_max_age_days -> Integer,
        invite_days -> Integer,
        mfa_required_roles -> Text,
        created_at -> Timestamp,
        password_min_length -> Integer,
        session_idle_minutes -> Integer,
        session_max_hours -> Integer,
        audit_retention_days -> Integer,
        catalog_version -> BigInt,
        mfa_required_permissions -> Text,
    }
}

diesel::table! {
    /// Mail domains whose people may sign themselves up, each to one organization.
    signup_domains (domain) {
        domain -> Text,
        org_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    divisions (id) {
        id -> BigInt,
        org_id -> BigInt,
        name -> Text,
        name_key -> Text,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        org_id -> BigInt,
        email -> Text,
        first_name -> Text,
        last_name -> Text,
        name_key -> Text,
        search_text -> Text,
        phone -> Text,
        timezone -> Text,
        language -> Text,
        call_recording -> Bool,
        division_id -> Nullable<BigInt>,
        chat_scope -> Text,
        ip_allowlist -> Text,
        status -> Text,
        locked_at -> Nullable<Timestamp>,
        lock_reason -> Nullable<Text>,
        password_hash -> Nullable<Text>,
        password_changed_at -> Nullable<Timestamp>,
        failed_logins -> Integer,
        last_failed_login_at -> Nullable<Timestamp>,
        last_failed_login_ip -> Nullable<Text>,
        last_login_at -> Nullable<Timestamp>,
        last_active_at -> Nullable<Timestamp>,
        totp_secret -> Nullable<Text>,
        totp_last_step -> Nullable<BigInt>,
        version -> Integer,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        active_sort -> Timestamp,
        inactivity_warned_at -> Nullable<Timestamp>,
        unblocked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    roles (id) {
        id -> BigInt,
        org_id -> BigInt,
        name -> Text,
        builtin -> Bool,
        description -> Text,
    }
}

diesel::table! {
    role_permissions (role_id, permission) {
        role_id -> BigInt,
        permission -> Text,
    }
}

diesel::table! {
    user_roles (user_id, role_id) {
        user_id -> BigInt,
        role_id -> BigInt,
    }
}

diesel::table! {
    user_permission_overrides (user_id, permission) {
        user_id -> BigInt,
        permission -> Text,
        granted -> Bool,
    }
}

diesel::table! {
    products (id) {
        id -> BigInt,
        org_id -> BigInt,
        name -> Text,
        seats -> Integer,
        seats_used -> Integer,
    }
}

diesel::table! {
    license_assignments (user_id, product_id) {
        user_id -> BigInt,
        product_id -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    tokens (id) {
        id -> BigInt,
        kind -> Text,
        org_id -> Nullable<BigInt>,
        user_id -> Nullable<BigInt>,
        token_hash -> Text,
        attempts -> Integer,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        payload -> Text,
    }
}

diesel::table! {
    sessions (id_hash) {
        id_hash -> Text,
        user_id -> Nullable<BigInt>,
        state -> Text,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    audit_events (id) {
        id -> BigInt,
        org_id -> Nullable<BigInt>,
        actor_id -> Nullable<BigInt>,
        actor_label -> Text,
        action -> Text,
        target_id -> Nullable<BigInt>,
        target_label -> Text,
        details -> Text,
        ip -> Text,
        user_agent -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    recovery_codes (id) {
        id -> BigInt,
        user_id -> BigInt,
        code_hash -> Text,
        used_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    owned_records (id) {
        id -> BigInt,
        org_id -> BigInt,
        kind -> Text,
        reference -> Text,
        owner_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        workspace_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    supervisor_divisions (user_id, division_id) {
        user_id -> BigInt,
        division_id -> BigInt,
    }
}

diesel::joinable!(supervisor_divisions -> divisions (division_id));
diesel::allow_tables_to_appear_in_same_query!(supervisor_divisions, divisions);
diesel::allow_tables_to_appear_in_same_query!(supervisor_divisions, users);

diesel::table! {
    temporary_passwords (user_id) {
        user_id -> BigInt,
        set_by -> Nullable<BigInt>,
        set_at -> Timestamp,
    }
}

diesel::joinable!(divisions -> organizations (org_id));
diesel::joinable!(signup_domains -> organizations (org_id));
diesel::joinable!(owned_records -> users (owner_id));
diesel::joinable!(recovery_codes -> users (user_id));
diesel::joinable!(users -> organizations (org_id));
diesel::joinable!(roles -> organizations (org_id));
diesel::joinable!(role_permissions -> roles (role_id));
diesel::joinable!(user_roles -> users (user_id));
diesel::joinable!(user_roles -> roles (role_id));
diesel::joinable!(user_permission_overrides -> users (user_id));
diesel::joinable!(products -> organizations (org_id));
diesel::joinable!(license_assignments -> users (user_id));
diesel::joinable!(license_assignments -> products (product_id));

diesel::allow_tables_to_appear_in_same_query!(
    app_secrets,
    organizations,
    signup_domains,
    divisions,
    users,
    roles,
    role_permissions,
    user_roles,
    user_permission_overrides,
    products,
    license_assignments,
    tokens,
    sessions,
    audit_events,
    recovery_codes,
    owned_records,
);

diesel::table! {
    email_outbox (id) {
        id -> BigInt,
        org_id -> Nullable<BigInt>,
        user_id -> Nullable<BigInt>,
        kind -> Text,
        recipient -> Text,
        subject -> Text,
        text_body -> Text,
        html_body -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(email_outbox, users);

diesel::table! {
    /// Open live connections (console tabs), one row each, for presence across instances.
    presence (connection_id) {
        connection_id -> Text,
        user_id -> BigInt,
        org_id -> BigInt,
        instance_id -> Text,
        last_beat -> Timestamp,
        session_hash -> Text,
        opened_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(presence, users);

diesel::table! {
    /// Tags, skill groups and teams an organization defines.
    org_groups (id) {
        id -> BigInt,
        org_id -> BigInt,
        kind -> Text,
        name -> Text,
        name_key -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    group_members (user_id, group_id) {
        user_id -> BigInt,
        group_id -> BigInt,
        /// The user's `name_key`, kept by triggers: a group filter walks it in order.
        name_key -> Text,
    }
}

diesel::joinable!(group_members -> org_groups (group_id));
diesel::joinable!(group_members -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(org_groups, group_members, users);

diesel::table! {
    /// Fields an organization defines on its users' profiles.
    user_fields (id) {
        id -> BigInt,
        org_id -> BigInt,
        field_key -> Text,
        label -> Text,
        kind -> Text,
        section -> Text,
        position -> Integer,
        help -> Text,
        required -> Text,
        required_roles -> Text,
        is_unique -> Bool,
        min_length -> Nullable<Integer>,
        max_length -> Nullable<Integer>,
        pattern -> Text,
        pattern_message -> Text,
        options -> Text,
        show_when_key -> Text,
        show_when_value -> Text,
        access -> Text,
        searchable -> Bool,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// The values users hold in those fields, one row per value.
    user_field_values (user_id, field_id, value_key) {
        user_id -> BigInt,
        field_id -> BigInt,
        value -> Text,
        value_key -> Text,
        unique_key -> Nullable<Text>,
        /// The user's `name_key`, kept by triggers: a field filter walks it in order.
        name_key -> Text,
    }
}

diesel::joinable!(user_field_values -> user_fields (field_id));
diesel::joinable!(user_field_values -> users (user_id));
diesel::allow_tables_to_appear_in_same_query!(user_fields, user_field_values, users);

mod people;
pub use people::*;
