//! Settings → User fields: the page, its list, the field dialog; and the inputs Edit User and
//! My account show for fields.

use askama::Template;

use super::definition::{Field, Kind};
use super::form::FieldForm;
use super::presets::{Preset, PRESETS};
use super::profile::input_name;
use super::store::Values;
use crate::validation::FieldErrors;
use crate::web::shell::{Nav, Shell};

/// The fields of one section, in order.
pub struct Section {
    /// "" for fields without a section.
    pub name: String,
    pub fields: Vec<(Field, i64)>,
}

impl Section {
    /// Sections in the order of their first field.
    pub fn all(fields: Vec<Field>, counts: &std::collections::BTreeMap<i64, i64>) -> Vec<Section> {
        let mut sections: Vec<Section> = Vec::new();
        for field in fields {
            let holders = counts.get(&field.id).copied().unwrap_or(0);
            match sections.iter_mut().find(|s| s.name == field.section) {
                Some(section) => section.fields.push((field, holders)),
                None => sections.push(Section {
                    name: field.section.clone(),
                    fields: vec![(field, holders)],
                }),
            }
        }
        sections
    }
}

/// What a field's row says about it: "Required", "Unique", "Shown when SIP Option is Use PBXs".
pub fn rules(field: &Field, all: &[Section]) -> Vec<String> {
    let mut rules = Vec::new();
    match &field.required {
        super::Required::Always => rules.push("Required".to_owned()),
        super::Required::Roles(_) => rules.push("Required for some roles".to_owned()),
        super::Required::Never => {}
    }
    if field.unique {
        rules.push("Unique".into());
    }
    if field.searchable {
        rules.push("Searchable".into());
    }
    if field.access == super::Access::SelfEdit {
        rules.push("Users edit it".into());
    }
    if let Some((key, value)) = &field.show_when {
        let controller = all
            .iter()
            .flat_map(|s| s.fields.iter())
            .find(|(f, _)| &f.key == key);
        let (label, value) = match controller {
            Some((f, _)) => (f.label.clone(), f.display(value)),
            None => (key.clone(), value.clone()),
        };
        rules.push(format!("Shown when {label} is {value}"));
    }
    rules
}

#[derive(Template)]
#[template(path = "fields/_list.html")]
pub struct FieldList {
    pub sections: Vec<Section>,
}

impl FieldList {
    fn rules(&self, field: &Field) -> Vec<String> {
        rules(field, &self.sections)
    }
}

#[derive(Template)]
#[template(path = "fields/page.html")]
pub struct FieldsPage {
    pub shell: Shell,
    pub notice: Option<String>,
    pub list: FieldList,
    /// Everyone must have a username.
    pub username_required: bool,
    /// How many users have none.
    pub without_username: i64,
}

impl FieldsPage {
    fn presets(&self) -> &'static [Preset] {
        PRESETS
    }
}

/// The dialog that creates or changes a field.
#[derive(Template)]
#[template(path = "fields/_dialog.html")]
pub struct FieldDialog {
    /// `None`: a new field.
    pub field_id: Option<i64>,
    pub form: FieldForm,
    pub errors: FieldErrors,
    /// Other fields a show-when rule can name: (key, label).
    pub controllers: Vec<(String, String)>,
    /// The organization's roles: (id, name).
    pub roles: Vec<(i64, String)>,
    /// Asking to confirm a change that removes values: the message.
    pub confirm: Option<String>,
}

impl FieldDialog {
    fn kinds(&self) -> [Kind; 10] {
        Kind::ALL
    }

    fn action_url(&self) -> String {
        match self.field_id {
            Some(id) => format!("/settings/fields/{id}/edit"),
            None => "/settings/fields".into(),
        }
    }

    fn role_ticked(&self, id: &i64) -> bool {
        self.form.required_roles.contains(id)
    }

    /// Which types an input applies to, for app.js to hide the others.
    fn length_kinds(&self) -> String {
        kinds_where(Kind::has_length)
    }

    fn option_kinds(&self) -> String {
        kinds_where(Kind::has_options)
    }

    fn unique_kinds(&self) -> String {
        kinds_where(Kind::can_be_unique)
    }

    fn search_kinds(&self) -> String {
        kinds_where(Kind::can_be_searched)
    }
}

fn kinds_where(test: fn(Kind) -> bool) -> String {
    Kind::ALL
        .into_iter()
        .filter(|kind| test(*kind))
        .map(Kind::code)
        .collect::<Vec<_>>()
        .join(" ")
}

/// One field's input in Edit User or My account.
pub struct FieldInput {
    pub field: Field,
    pub name: String,
    pub id: String,
    /// As posted or held (a secret's never: see `secret_set`).
    pub values: Vec<String>,
    pub secret_set: bool,
    /// The input shows (its show-when rule holds for the values shown).
    pub shown: bool,
    /// Required for this user (always, or for a role they hold).
    pub required: bool,
}

impl FieldInput {
    pub fn value(&self) -> &str {
        self.values.first().map_or("", String::as_str)
    }

    pub fn has(&self, code: &str) -> bool {
        self.values.iter().any(|v| v == code)
    }

    /// The HTML input type of a one-line field.
    pub fn input_type(&self) -> &'static str {
        match self.field.kind {
            Kind::Number => "text",
            Kind::Date => "date",
            Kind::Email => "email",
            Kind::Phone => "tel",
            Kind::Url => "url",
            Kind::Secret => "password",
            _ => "text",
        }
    }

    pub fn is(&self, code: &str) -> bool {
        self.field.kind.code() == code
    }

    pub fn show_when_name(&self) -> String {
        self.field
            .show_when
            .as_ref()
            .map(|(key, _)| format!("field.{key}"))
            .unwrap_or_default()
    }

    pub fn show_when_value(&self) -> &str {
        self.field
            .show_when
            .as_ref()
            .map_or("", |(_, v)| v.as_str())
    }
}

/// The field inputs of a form, in sections.
pub struct FieldSection {
    pub name: String,
    pub inputs: Vec<FieldInput>,
}

/// What a form shows for fields: the values held, or (after a refusal) as posted.
pub struct Shown<'a> {
    pub fields: &'a [Field],
    pub values: &'a Values,
    pub roles: &'a std::collections::BTreeSet<i64>,
}

/// The sections of inputs for the fields shown (`include` picks them: all for admins, the
/// self-editable ones on My account).
pub fn sections(shown: &Shown<'_>, include: impl Fn(&Field) -> bool) -> Vec<FieldSection> {
    let mut sections: Vec<FieldSection> = Vec::new();
    for field in shown.fields.iter().filter(|f| include(f)) {
        let values = shown.values.get(&field.id).cloned().unwrap_or_default();
        let name = input_name(field);
        let input = FieldInput {
            id: format!("f-{}", field.key),
            secret_set: field.is_secret() && !values.is_empty(),
            values: if field.is_secret() {
                Vec::new()
            } else {
                values
            },
            shown: super::profile::shows(field, shown.fields, shown.values),
            required: field.required.applies(shown.roles),
            field: field.clone(),
            name,
        };
        match sections.iter_mut().find(|s| s.name == field.section) {
            Some(section) => section.inputs.push(input),
            None => sections.push(FieldSection {
                name: field.section.clone(),
                inputs: vec![input],
            }),
        }
    }
    sections
}
