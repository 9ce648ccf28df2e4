//! Presets: the fields a kind of company needs, created in one step. Applying one again
//! creates only the fields it lacks (by key), and changes none.

use chrono::NaiveDateTime;

use super::form::FieldForm;
use super::service::{self, FieldError};
use super::{store, Kind};
use crate::audit::{Actor, Origin};
use crate::db::{write_tx, DbConn};

/// One preset as Settings offers it.
pub struct Preset {
    pub code: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    fields: fn() -> Vec<FieldForm>,
}

impl Preset {
    pub fn fields(&self) -> Vec<FieldForm> {
        (self.fields)()
    }
}

pub const PRESETS: &[Preset] = &[
    Preset {
        code: "dialer",
        name: "Dialer profile",
        description: "OAuth email, CalDAV token (secret), lead assignment, auto dial, caller ID \
                      name and number, virtual extension, and SIP settings: custom URI, WebRTC \
                      or PBX with username, password (secret) and extension.",
        fields: dialer,
    },
    Preset {
        code: "crm",
        name: "CRM profile",
        description: "Country (the ISO 3166 list). Teams are groups: create them in Settings → \
                      Groups as kind Team.",
        fields: crm,
    },
];

pub fn find(code: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|preset| preset.code == code)
}

fn field(label: &str, key: &str, kind: Kind, section: &str) -> FieldForm {
    FieldForm {
        label: label.into(),
        key: key.into(),
        kind: kind.code().into(),
        section: section.into(),
        required: "never".into(),
        access: "admins".into(),
        ..FieldForm::default()
    }
}

fn shown_for_pbx(mut form: FieldForm) -> FieldForm {
    form.show_when_key = "sip_option".into();
    form.show_when_value = "pbx".into();
    form
}

fn dialer() -> Vec<FieldForm> {
    const ACCOUNT: &str = "Account";
    const DIALING: &str = "Dialing";
    const SIP: &str = "SIP settings";
    vec![
        FieldForm {
            help: "The address of the person's Google account.".into(),
            ..field("OAuth Email", "oauth_email", Kind::Email, ACCOUNT)
        },
        FieldForm {
            help: "Lets the person's calendar app read their schedule.".into(),
            ..field("CalDAV token", "caldav_token", Kind::Secret, ACCOUNT)
        },
        field(
            "Assign leads to user",
            "assign_leads",
            Kind::Checkbox,
            DIALING,
        ),
        FieldForm {
            options:
                "off | Off\npreview | Preview\nprogressive | Progressive\npredictive | Predictive"
                    .into(),
            ..field("Auto Dial", "auto_dial", Kind::Choice, DIALING)
        },
        FieldForm {
            max_length: "40".into(),
            ..field("Caller ID Name", "caller_id_name", Kind::Text, DIALING)
        },
        field("Caller ID Number", "caller_id_number", Kind::Phone, DIALING),
        FieldForm {
            pattern: "[0-9]{2,8}".into(),
            pattern_message: "Enter 2 to 8 digits.".into(),
            unique: true,
            ..field(
                "Virtual Extension",
                "virtual_extension",
                Kind::Text,
                DIALING,
            )
        },
        FieldForm {
            options: "custom | Use custom URI\nwebrtc | Use WebRTC\npbx | Use PBXs".into(),
            ..field("SIP Option", "sip_option", Kind::Choice, SIP)
        },
        FieldForm {
            required: "always".into(),
            pattern: r"sips?:[^\s]+".into(),
            pattern_message: "Enter a SIP URI such as sip:1001@pbx.example.com.".into(),
            show_when_key: "sip_option".into(),
            show_when_value: "custom".into(),
            ..field("Custom SIP URI", "custom_sip_uri", Kind::Text, SIP)
        },
        shown_for_pbx(field("PBX username", "pbx_username", Kind::Text, SIP)),
        shown_for_pbx(field("PBX password", "pbx_password", Kind::Secret, SIP)),
        shown_for_pbx(FieldForm {
            pattern: "[0-9]{2,8}".into(),
            pattern_message: "Enter 2 to 8 digits.".into(),
            ..field("Extension", "extension", Kind::Text, SIP)
        }),
        shown_for_pbx(FieldForm {
            help: "The PBX gives the extension at each sign-in.".into(),
            ..field(
                "Dynamic extension",
                "dynamic_extension",
                Kind::Checkbox,
                SIP,
            )
        }),
    ]
}

fn crm() -> Vec<FieldForm> {
    let mut countries: Vec<(&str, &str)> = isocountry::CountryCode::iter()
        .map(|c| (c.alpha2(), c.name()))
        .collect();
    countries.sort_by_key(|(_, name)| *name);
    let options = countries
        .iter()
        .map(|(code, name)| format!("{code} | {name}"))
        .collect::<Vec<_>>()
        .join("\n");
    vec![FieldForm {
        options,
        ..field("Country", "country", Kind::Choice, "Profile")
    }]
}

/// Creates the preset's fields the organization lacks; answers the labels created (none: it
/// was applied already).
pub fn apply(
    conn: &mut DbConn,
    (actor, org_id): (&Actor, i64),
    preset: &Preset,
    meta: &Origin,
    now: NaiveDateTime,
) -> Result<Vec<String>, FieldError> {
    write_tx(conn, |conn| {
        let mut created = Vec::new();
        for form in preset.fields() {
            if store::key_taken(conn, org_id, &form.key)? {
                continue;
            }
            service::create(conn, (actor, org_id), &form, meta, now)?;
            created.push(form.label);
        }
        Ok(created)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_preset_field_passes_the_checks_settings_apply() {
        for preset in PRESETS {
            let mut made: Vec<super::super::Field> = Vec::new();
            for form in preset.fields() {
                let field = crate::fields::form::check_form(&form, None, &made, &BTreeSet::new())
                    .unwrap_or_else(|e| panic!("{}: {:?}", form.label, e));
                made.push(field);
            }
        }
        let country = &crm()[0];
        assert!(country.options.lines().count() > 240);
        assert!(country.options.contains("FR | France"));
    }
}
