//! What the operator's commands do (`gatehouse create-admin`, `org`, `unblock`, `audit export`,
//! `seed-demo`). `main.rs` parses the arguments; each command here calls the same use cases as
//! the pages and prints what the operator needs to read.

use chrono::NaiveDateTime;

use crate::config::HashCost;
use crate::db::DbConn;
use crate::orgs::service::{self as orgs, NewOwner};
use crate::{activity, audit, auth, demo, users};

/// Where links point when BASE_URL is unset: `serve`'s default listen address.
pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:8080";

/// A password for a command that was given none: shown once to the operator.
pub fn generated_password() -> String {
    format!("gh-{}", &auth::tokens::random_token()[..20])
}

pub struct NewAdmin {
    /// The organization's name or slug.
    pub org: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub password: Option<String>,
    /// The organization's Owner rather than an Admin (only while it has none).
    pub owner: bool,
}

pub fn create_admin(conn: &mut DbConn, args: NewAdmin, now: NaiveDateTime) -> anyhow::Result<()> {
    let problems = orgs::check_person(&args.first_name, &args.last_name, &args.email);
    if let Some((_, message)) = problems.first() {
        anyhow::bail!("{message}");
    }
    let (password, generated) = match args.password {
        Some(p) => (p, false),
        None => (generated_password(), true),
    };
    let email = users::normalize_email(&args.email);
    auth::password::check_policy(
        &password,
        auth::password::MIN_LENGTH,
        &[&args.first_name, &args.last_name, &email],
    )
    .map_err(anyhow::Error::msg)?;
    let hasher = auth::password::Hasher::new(HashCost::OWASP)?;
    let person = NewOwner {
        org_name: None,
        first_name: args.first_name.trim().into(),
        last_name: args.last_name.trim().into(),
        email: email.clone(),
        password_hash: hasher.hash_blocking(&password)?,
    };
    orgs::create_admin(conn, &args.org, (&person, args.owner), now)?;
    let role = if args.owner { "Owner" } else { "Admin" };
    println!("Created {role} {email} in {}.", args.org);
    if generated {
        println!("Password (shown once): {password}");
    }
    Ok(())
}

pub fn create_org(
    conn: &mut DbConn,
    name: &str,
    base_url: Option<String>,
    now: NaiveDateTime,
) -> anyhow::Result<()> {
    let name = name.trim();
    anyhow::ensure!(!name.is_empty(), "give the organization a name");
    let (base_url, guessed) = match base_url.filter(|u| !u.trim().is_empty()) {
        Some(url) => (url, false),
        None => (DEFAULT_BASE_URL.to_owned(), true),
    };
    let (_, secret) = orgs::create_org(conn, name, now)?;
    println!("Created organization {name}.");
    println!(
        "Its Owner sets up the account here (one use, valid {} days):",
        crate::orgs::SETUP_LINK_DAYS
    );
    if guessed {
        eprintln!(
            "Warning: BASE_URL is not set, so this link starts with the default listen \
             address {DEFAULT_BASE_URL}, which may not be the address people use to reach \
             the console. Set BASE_URL (or --base-url) to the console's public URL, such \
             as https://gatehouse.example.com; until then, replace the start of the link \
             with that URL before sending it."
        );
    }
    println!("{}/setup?token={secret}", base_url.trim_end_matches('/'));
    Ok(())
}

/// Adds (`add`) or removes a sign-up domain of an organization.
pub fn change_domain(
    conn: &mut DbConn,
    org: &str,
    domain: &str,
    add: bool,
    now: NaiveDateTime,
) -> anyhow::Result<()> {
    let changed = crate::orgs::domains::change_by_operator(conn, org, domain, add, now)?;
    let domain = domain.trim().trim_start_matches('@').to_lowercase();
    match (add, changed) {
        (true, true) => println!("{domain} is now a sign-up domain of {org}."),
        (true, false) => println!("{domain} was already a sign-up domain of {org}."),
        (false, true) => println!("{domain} is no longer a sign-up domain of {org}."),
        (false, false) => println!("{domain} was not a sign-up domain of {org}."),
    }
    Ok(())
}

pub fn unblock(conn: &mut DbConn, email: &str, now: NaiveDateTime) -> anyhow::Result<()> {
    let email = users::normalize_email(email);
    let candidate = auth::store::find_login_candidate(conn, &email)?
        .ok_or_else(|| anyhow::anyhow!("no account has the email {email}"))?;
    let actor = audit::Actor::system("command line");
    let meta = audit::Origin::default();
    let by = auth::service::Unblocker::Actor(&actor);
    if auth::service::unblock(conn, None, candidate.id, by, &meta, now)? {
        println!("Unblocked {email}. They can sign in again.");
    } else {
        println!("{email} was not blocked.");
    }
    Ok(())
}

pub fn export_audit(
    conn: &mut DbConn,
    org: Option<&str>,
    since: Option<&str>,
) -> anyhow::Result<()> {
    use activity::export;
    let since = since
        .map(export::parse_since)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match export::json_lines(conn, org, since, &mut out) {
        Ok(written) => eprintln!("{written} events exported."),
        // The reader stopped reading (`| head`, a pager quit): a normal end for a
        // command-line export, not a failure. What is left unwritten is dropped.
        Err(export::ExportError::Write(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(e.into()),
    }
    Ok(())
}

pub fn seed_demo(
    conn: &mut DbConn,
    (users, workspaces): (u64, i64),
    password: Option<String>,
) -> anyhow::Result<()> {
    let (password, generated) = match password {
        Some(p) => (p, false),
        None => (generated_password(), true),
    };
    let hasher = auth::password::Hasher::new(HashCost::OWASP)?;
    let hash = hasher.hash_blocking(&password)?;
    let report = demo::seed(conn, users, &hash)?;
    if workspaces > 1 {
        let now = chrono::Utc::now().naive_utc();
        let ids = demo::workspaces::spread(conn, report.org_id, workspaces, now)?;
        crate::db::analyze(conn)?;
        println!("Spread over {} workspaces.", ids.len());
    }
    println!(
        "Seeded {} with {} users in {:.1} s.",
        demo::ORG_NAME,
        report.users,
        report.seconds
    );
    let shown = if generated {
        password.as_str()
    } else {
        "the password you gave"
    };
    println!("Sign in as {} with {shown}", demo::ADMIN_EMAIL);
    println!(
        "(or as {}, an Admin of one division only, with the same password)",
        demo::lead::LEAD_EMAIL
    );
    Ok(())
}

/// `gatehouse token create`: a token made for the organization's Owner; prints the secret
/// alone on the last line (for provisioning scripts).
pub fn create_token(
    conn: &mut DbConn,
    org: &str,
    (name, scopes, expires_days): (&str, &str, Option<i64>),
    now: NaiveDateTime,
) -> anyhow::Result<()> {
    use crate::api::tokens::service::{self, TokenError, TokenRequest};
    let scopes = crate::api::tokens::Scopes::parse(scopes).map_err(anyhow::Error::msg)?;
    let maker = service::owner_as_maker(conn, org)?
        .ok_or_else(|| anyhow::anyhow!("no organization {org} with an active Owner"))?;
    let request = TokenRequest {
        name: name.to_owned(),
        scopes,
        expires_days,
        personal: false,
    };
    let origin = crate::audit::Origin::default();
    match service::create(conn, &maker, &request, &origin, now) {
        Ok(made) => {
            eprintln!("Created API token {name} (id {}) for {org}.", made.id);
            println!("{}", made.secret);
            Ok(())
        }
        Err(TokenError::Invalid(errors)) => {
            let messages: Vec<String> = errors.iter().map(|(f, m)| format!("{f}: {m}")).collect();
            anyhow::bail!("{}", messages.join("; "))
        }
        Err(other) => Err(other.into()),
    }
}

/// `gatehouse restore PATH`: the backup in the SQLite database's place, the console stopped.
pub fn restore(config: &crate::config::Config, backup: &std::path::Path) -> anyhow::Result<()> {
    anyhow::ensure!(
        config.database_url.backend == crate::db::Backend::Sqlite,
        "restore puts a SQLite backup in place; for PostgreSQL use pg_restore (see the README)"
    );
    let target = std::path::Path::new(&config.database_url.target);
    let kept = crate::db::restore::restore_sqlite(target, backup)?;
    println!("Restored {} into {}.", backup.display(), target.display());
    if let Some(kept) = kept {
        println!("The database it replaced is kept as {}.", kept.display());
    }
    println!("Start the console: it applies any newer migrations first.");
    Ok(())
}

/// `gatehouse backup PATH`: a consistent copy of the SQLite database while it serves.
pub fn backup(conn: &mut DbConn, path: &std::path::Path) -> anyhow::Result<()> {
    crate::db::backup_sqlite(conn, path)?;
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    println!("Backed up to {} ({size} bytes).", path.display());
    Ok(())
}
