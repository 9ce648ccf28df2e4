//! Sign-up domains: the mail domains whose people may create their own account in an
//! organization (while it allows automatic sign-up). The rules:
//!
//! - a domain belongs to at most one organization: the `signup_domains` table's primary key
//!   settles it, so two organizations racing for one domain cannot both win;
//! - public mail services (anyone can get an address there) are never a sign-up domain;
//! - a domain is added only by someone whose own (confirmed) email address is on it, or by the
//!   operator on the command line (`gatehouse org domain add`);
//! - removing a domain is always allowed.

use chrono::NaiveDateTime;

use super::store;
use crate::audit::Origin;
use crate::audit::{self, action, Actor, Event};
use crate::db::{is_unique_violation, write_tx, DbConn};

/// Mail services anyone can get an address at. `name.*` stands for that name under any
/// top-level domain (yahoo.co.uk, gmx.net, yandex.ru, …).
pub const PUBLIC_MAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "yahoo.*",
    "ymail.com",
    "rocketmail.com",
    "outlook.*",
    "hotmail.*",
    "live.com",
    "live.co.uk",
    "live.fr",
    "live.de",
    "live.nl",
    "live.it",
    "live.ca",
    "live.com.au",
    "msn.com",
    "passport.com",
    "windowslive.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "aol.*",
    "aim.com",
    "proton.me",
    "protonmail.com",
    "protonmail.ch",
    "pm.me",
    "gmx.*",
    "mail.com",
    "email.com",
    "yandex.*",
    "ya.ru",
    "mail.ru",
    "bk.ru",
    "inbox.ru",
    "list.ru",
    "rambler.ru",
    "zoho.com",
    "zohomail.com",
    "fastmail.com",
    "fastmail.fm",
    "web.de",
    "t-online.de",
    "freenet.de",
    "qq.com",
    "foxmail.com",
    "163.com",
    "126.com",
    "yeah.net",
    "sina.com",
    "sohu.com",
    "naver.com",
    "daum.net",
    "hanmail.net",
    "tutanota.com",
    "tutanota.de",
    "tuta.io",
    "tuta.com",
    "hey.com",
    "hushmail.com",
    "mailbox.org",
    "posteo.de",
    "posteo.net",
    "duck.com",
    "orange.fr",
    "wanadoo.fr",
    "free.fr",
    "laposte.net",
    "sfr.fr",
    "libero.it",
    "virgilio.it",
    "tiscali.it",
    "seznam.cz",
    "wp.pl",
    "o2.pl",
    "interia.pl",
    "onet.pl",
    "rediffmail.com",
    "comcast.net",
    "verizon.net",
    "att.net",
    "sbcglobal.net",
    "bellsouth.net",
    "cox.net",
    "btinternet.com",
    "sky.com",
    "virginmedia.com",
    "bigpond.com",
    "shaw.ca",
    "rogers.com",
    "uol.com.br",
    "bol.com.br",
    "terra.com.br",
    "yopmail.com",
    "mailinator.com",
    "guerrillamail.com",
    "10minutemail.com",
];

/// Whether anyone can get an address at this domain (lower case).
pub fn is_public(domain: &str) -> bool {
    PUBLIC_MAIL_DOMAINS
        .iter()
        .any(|public| match public.strip_suffix(".*") {
            Some(name) => domain
                .strip_prefix(name)
                .is_some_and(|rest| rest.len() > 1 && rest.starts_with('.')),
            None => domain == *public,
        })
}

/// The domain of an email address, lower case ("" when there is none).
pub fn domain_of(email: &str) -> String {
    email
        .rsplit_once('@')
        .map(|(_, d)| d.trim().to_lowercase())
        .unwrap_or_default()
}

/// The sign-up domain a new organization may start with: its Owner's, unless public.
pub fn first_signup_domain(email: &str) -> Option<String> {
    let domain = domain_of(email);
    (!domain.is_empty() && !is_public(&domain)).then_some(domain)
}

/// Who adds sign-up domains.
#[derive(Debug, Clone, Copy)]
pub enum AddedBy<'a> {
    /// A person in the console: only the domain of their own email address.
    Person { email: &'a str },
    /// The operator on the command line: any domain that is not public or taken.
    Operator,
}

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// What is wrong, one sentence per refused domain; nothing was changed.
    #[error("{}", .0.join(" "))]
    Refused(Vec<String>),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Claims a free domain for the organization; false when another organization holds it (also
/// when it took it a moment ago: the primary key decides). Inside a transaction this runs in a
/// savepoint, so a refused claim leaves the rest of the transaction usable.
pub fn claim(
    conn: &mut DbConn,
    org_id: i64,
    domain: &str,
    now: NaiveDateTime,
) -> diesel::QueryResult<bool> {
    match write_tx(conn, |conn| {
        store::insert_signup_domain(conn, org_id, domain, now)
    }) {
        Ok(()) => Ok(true),
        Err(e) if is_unique_violation(&e) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Makes `wanted` the organization's sign-up domains: the ones left out go, the new ones are
/// checked and claimed. All or nothing: one refused domain refuses the change. Returns the list
/// before.
pub fn replace(
    conn: &mut DbConn,
    org_id: i64,
    wanted: &[String],
    by: AddedBy<'_>,
    now: NaiveDateTime,
) -> Result<Vec<String>, DomainError> {
    write_tx(conn, |conn| {
        let before = store::signup_domains_of(conn, org_id)?;
        let mut wanted = wanted.to_vec();
        wanted.sort();
        wanted.dedup();
        store::remove_signup_domains_except(conn, org_id, &wanted)?;
        let mut problems = Vec::new();
        for domain in wanted.iter().filter(|d| !before.contains(d)) {
            if let Some(problem) = refusal(conn, org_id, domain, by, now)? {
                problems.push(problem);
            }
        }
        if problems.is_empty() {
            Ok(before)
        } else {
            Err(DomainError::Refused(problems))
        }
    })
}

/// Why a new domain cannot be added (after claiming it when it can).
fn refusal(
    conn: &mut DbConn,
    org_id: i64,
    domain: &str,
    by: AddedBy<'_>,
    now: NaiveDateTime,
) -> diesel::QueryResult<Option<String>> {
    if is_public(domain) {
        return Ok(Some(format!(
            "{domain} is a public mail service: anyone can get an address there, so it cannot \
             be a sign-up domain. Remove it, and invite people with such addresses instead."
        )));
    }
    if let AddedBy::Person { email } = by {
        if domain_of(email) != domain {
            return Ok(Some(format!(
                "Only someone whose own email address is at {domain} can add it (yours is at \
                 {}). Remove it, or ask a colleague with an @{domain} address who manages \
                 Settings, or whoever runs Gatehouse, to add it.",
                domain_of(email)
            )));
        }
    }
    if !claim(conn, org_id, domain, now)? {
        return Ok(Some(format!(
            "{domain} is already a sign-up domain of another organization. Remove it; people \
             with such addresses can still be invited. If it should be yours, ask whoever runs \
             Gatehouse."
        )));
    }
    Ok(None)
}

#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    #[error("no organization is called `{0}` (use its name or slug)")]
    NoSuchOrg(String),
    #[error("`{0}` is not a domain name: use a name like example.com")]
    NotADomain(String),
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// `gatehouse org domain add|remove`: the operator adds a domain to an organization (any that
/// is neither public nor another organization's) or removes one. Audited as a settings change
/// by the command line. Returns whether anything changed.
pub fn change_by_operator(
    conn: &mut DbConn,
    org_key: &str,
    domain: &str,
    add: bool,
    now: NaiveDateTime,
) -> Result<bool, OperatorError> {
    let domain = domain.trim().trim_start_matches('@').to_lowercase();
    if !crate::signup::is_valid_domain(&domain) {
        return Err(OperatorError::NotADomain(domain));
    }
    write_tx(conn, |conn| {
        let org_id = store::id_by_slug_or_name(conn, org_key)?
            .ok_or_else(|| OperatorError::NoSuchOrg(org_key.to_owned()))?;
        let mut wanted = store::signup_domains_of(conn, org_id)?;
        if add == wanted.contains(&domain) {
            return Ok(false);
        }
        if add {
            wanted.push(domain.clone());
        } else {
            wanted.retain(|d| *d != domain);
        }
        let before =
            replace(conn, org_id, &wanted, AddedBy::Operator, now).map_err(|e| match e {
                DomainError::Refused(problems) => OperatorError::Refused(problems.join(" ")),
                DomainError::Database(e) => OperatorError::Database(e),
            })?;
        let after = store::signup_domains_of(conn, org_id)?;
        audit::record(
            conn,
            Event {
                org_id: Some(org_id),
                actor: &Actor::system("command line"),
                action: action::SETTINGS_CHANGED,
                target: None,
                details: serde_json::json!({
                    "before": { "signup_domains": before.join(", ") },
                    "after": { "signup_domains": after.join(", ") },
                }),
                meta: &Origin::default(),
            },
            now,
        )?;
        Ok(true)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_mail_services_are_known_under_any_of_their_country_domains() {
        for public in [
            "gmail.com",
            "yahoo.com",
            "yahoo.co.uk",
            "hotmail.fr",
            "gmx.net",
            "yandex.ru",
            "outlook.com",
            "proton.me",
            "163.com",
        ] {
            assert!(is_public(public), "{public}");
        }
        for private in [
            "acme.io",
            "yahoo",
            "notgmail.com",
            "gmail.com.acme.io",
            "demo.test",
        ] {
            assert!(!is_public(private), "{private}");
        }
        assert_eq!(
            first_signup_domain("Ada@Acme.io").as_deref(),
            Some("acme.io")
        );
        assert_eq!(first_signup_domain("ada@gmail.com"), None);
        assert_eq!(first_signup_domain("ada@yahoo.fr"), None);
    }
}
