//! Import users from CSV: core columns, the organization's fields by key, groups, roles and
//! licenses. "Check" lists every bad line with its reason and writes nothing; "Import" writes
//! all lines or none, each through Create User (so every rule of one applies to each), with
//! their emails queued in the same transaction.

pub mod routes;
pub mod service;

use crate::fields::profile::Posted;
use crate::fields::{Field, Kind};
use crate::users::actions::create::forms::CreateForm;

/// Lines accepted in one import.
pub const MAX_LINES: usize = 1_000;

/// The columns besides the organization's fields.
pub const CORE_COLUMNS: &[&str] = &[
    "email",
    "first_name",
    "last_name",
    "username",
    "roles",
    "licenses",
    "division",
    "tags",
    "skill_groups",
    "teams",
    "product_access_only",
];

/// A line that cannot be imported, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: usize,
    pub email: String,
    pub message: String,
}

/// One line as a Create User form.
#[derive(Debug, Clone)]
pub struct UserLine {
    pub line: usize,
    pub form: CreateForm,
}

/// The names the lines refer to, and their ids: roles, products, divisions, groups by kind.
#[derive(Debug, Default)]
pub struct Names {
    pub roles: Vec<(i64, String)>,
    pub products: Vec<(i64, String)>,
    pub divisions: Vec<(i64, String)>,
    /// (id, kind, name)
    pub groups: Vec<(i64, crate::groups::Kind, String)>,
    pub fields: Vec<Field>,
}

fn find(list: &[(i64, String)], name: &str) -> Option<i64> {
    list.iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(name.trim()))
        .map(|(id, _)| *id)
}

/// The items of a cell: "VIP; Gold" → ["VIP", "Gold"].
fn items(cell: &str) -> impl Iterator<Item = &str> {
    cell.split(';').map(str::trim).filter(|s| !s.is_empty())
}

/// Parses the text: a header line naming the columns, then one user a line. Lines that do
/// not parse (or name what the organization lacks) come back as problems.
pub fn parse(text: &str, names: &Names) -> Result<(Vec<UserLine>, Vec<LineError>), String> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Err("There is nothing to import: the first line names the columns (email,first_name,last_name,roles,…), then one user a line.".into());
    };
    let columns: Vec<String> = crate::users::import::fields(header.trim_end_matches('\r'))
        .map_err(|e| format!("The first line: {e}."))?
        .into_iter()
        .map(|c| c.trim().to_lowercase())
        .collect();
    for column in &columns {
        let known = CORE_COLUMNS.contains(&column.as_str())
            || names.fields.iter().any(|f| &f.key == column);
        if !known {
            return Err(format!(
                "Unknown column “{column}”: use {} or the key of one of your user fields.",
                CORE_COLUMNS.join(", ")
            ));
        }
    }
    if !columns.iter().any(|c| c == "email") {
        return Err("The first line must name an email column.".into());
    }
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for (index, raw) in lines {
        let number = index + 1;
        if good.len() + bad.len() >= MAX_LINES {
            return Err(format!("Import at most {MAX_LINES} users at a time."));
        }
        match line(raw.trim_end_matches('\r'), &columns, names) {
            Ok(form) => good.push(UserLine { line: number, form }),
            Err((email, message)) => bad.push(LineError {
                line: number,
                email,
                message,
            }),
        }
    }
    Ok((good, bad))
}

fn line(raw: &str, columns: &[String], names: &Names) -> Result<CreateForm, (String, String)> {
    let cells = crate::users::import::fields(raw).map_err(|e| (String::new(), e.to_owned()))?;
    let cell = |name: &str| {
        columns
            .iter()
            .position(|c| c == name)
            .and_then(|i| cells.get(i))
            .map_or("", |s| s.trim())
    };
    let email = cell("email").to_owned();
    let fail = |message: String| (email.clone(), message);
    if cells.len() > columns.len() {
        return Err(fail(format!(
            "{} cells for {} columns.",
            cells.len(),
            columns.len()
        )));
    }
    let mut form = CreateForm {
        first_name: cell("first_name").to_owned(),
        last_name: cell("last_name").to_owned(),
        email: email.clone(),
        username: cell("username").to_owned(),
        division: String::new(),
        product_only: match cell("product_access_only").to_lowercase().as_str() {
            "" | "0" | "no" | "false" => false,
            "1" | "yes" | "true" => true,
            other => {
                return Err(fail(format!(
                    "product_access_only: use yes or no, not “{other}”."
                )))
            }
        },
        ..CreateForm::default()
    };
    for role in items(cell("roles")) {
        let id = find(&names.roles, role).ok_or_else(|| fail(format!("Unknown role “{role}”.")))?;
        form.role_ids.insert(id);
    }
    for product in items(cell("licenses")) {
        let id = find(&names.products, product)
            .ok_or_else(|| fail(format!("Unknown product “{product}”.")))?;
        form.product_ids.insert(id);
    }
    if !cell("division").is_empty() {
        let id = find(&names.divisions, cell("division"))
            .ok_or_else(|| fail(format!("Unknown division “{}”.", cell("division"))))?;
        form.division = id.to_string();
    }
    for (column, kind) in [
        ("tags", crate::groups::Kind::Tag),
        ("skill_groups", crate::groups::Kind::Skill),
        ("teams", crate::groups::Kind::Team),
    ] {
        for name in items(cell(column)) {
            let id = names
                .groups
                .iter()
                .find(|(_, k, n)| *k == kind && n.eq_ignore_ascii_case(name))
                .map(|(id, _, _)| *id)
                .ok_or_else(|| {
                    fail(format!("Unknown {} “{name}”.", kind.label().to_lowercase()))
                })?;
            form.group_ids.insert(id);
        }
    }
    let mut posted = Posted::default();
    for field in &names.fields {
        if !columns.contains(&field.key) {
            continue;
        }
        let value = cell(&field.key);
        let values: Vec<String> = match field.kind {
            Kind::MultiChoice => items(value).map(str::to_owned).collect(),
            _ => vec![value.to_owned()],
        };
        posted.set(&field.key, values);
    }
    form.fields = posted;
    Ok(form)
}
