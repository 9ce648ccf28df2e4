//! The API tokens pages: Settings → API tokens (the organization's) and My account → API
//! tokens (one's own).

use askama::Template;
use chrono::NaiveDateTime;

use super::service::EXPIRY_CHOICES;
use super::store::TokenRow;
use super::{Scope, Scopes};
use crate::validation::FieldErrors;
use crate::web::shell::{Nav, Shell};

fn when(at: Option<NaiveDateTime>) -> String {
    at.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

/// One token in the list.
pub struct TokenLine {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub scopes: String,
    pub maker: String,
    pub created: String,
    pub expires: String,
    pub last_used: String,
    pub last_ip: String,
    /// "Revoked", "Expired", or empty while it works.
    pub state: &'static str,
    /// Made on someone's own account (listed in Settings for the administrators).
    pub personal: bool,
}

impl TokenLine {
    pub fn of(row: TokenRow, now: NaiveDateTime) -> Self {
        let scopes = Scopes::parse(&row.scopes).unwrap_or_default();
        let state = if row.revoked_at.is_some() {
            "Revoked"
        } else if row.expires_at.is_some_and(|at| at <= now) {
            "Expired"
        } else {
            ""
        };
        TokenLine {
            id: row.id,
            scopes: scopes
                .0
                .iter()
                .map(|s| s.label())
                .collect::<Vec<_>>()
                .join(", "),
            created: when(Some(row.created_at)),
            expires: match row.expires_at {
                Some(at) => when(Some(at)),
                None => "Never".into(),
            },
            last_used: match row.last_used_at {
                Some(at) => when(Some(at)),
                None => "Never".into(),
            },
            last_ip: row.last_used_ip.unwrap_or_default(),
            personal: row.personal,
            name: row.name,
            prefix: row.prefix,
            maker: row.maker,
            state,
        }
    }
}

#[derive(Template)]
#[template(path = "tokens/_list.html")]
pub struct TokenList {
    pub lines: Vec<TokenLine>,
    /// `/settings/api-tokens` or `/account/api-tokens`.
    pub base: &'static str,
    pub personal: bool,
}

pub struct ScopeChoice {
    pub code: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

pub struct ExpiryChoice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "tokens/page.html")]
pub struct TokensPage {
    pub shell: Shell,
    pub personal: bool,
    pub base: &'static str,
    /// The secret of the token just made, shown this once.
    pub secret: Option<String>,
    pub made_name: String,
    pub name: String,
    pub scopes: Vec<ScopeChoice>,
    pub expiries: Vec<ExpiryChoice>,
    pub errors: FieldErrors,
    pub list: TokenList,
}

impl TokensPage {
    /// The form's choices: the scopes the maker may use (ticked as asked) and the expiries.
    pub fn choices(
        offered: &[Scope],
        asked: &Scopes,
        expires: Option<i64>,
    ) -> (Vec<ScopeChoice>, Vec<ExpiryChoice>) {
        let scopes = offered
            .iter()
            .map(|s| ScopeChoice {
                code: s.as_str(),
                label: s.label(),
                checked: asked.has(*s),
            })
            .collect();
        let expiries = EXPIRY_CHOICES
            .iter()
            .map(|days| ExpiryChoice {
                value: days
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| "never".into()),
                label: match days {
                    Some(365) => "1 year".into(),
                    Some(d) => format!("{d} days"),
                    None => "Never (until revoked)".into(),
                },
                selected: *days == expires,
            })
            .collect();
        (scopes, expiries)
    }
}
