//! The `gatehouse` command line. Thin on purpose: each command calls into the library.

// No function past 80 lines (clippy.toml sets the limit).
#![warn(clippy::too_many_lines)]

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, FromArgMatches, Parser, Subcommand};

/// `gatehouse` with no command serves, with the same environment and defaults as `serve`.
fn default_serve_args() -> anyhow::Result<ServeArgs> {
    let matches =
        ServeArgs::augment_args(clap::Command::new("serve")).try_get_matches_from(["serve"])?;
    Ok(ServeArgs::from_arg_matches(&matches)?)
}
use gatehouse::config::{parse_cidrs, Config};
use gatehouse::db::{self, DatabaseUrl};
use gatehouse::orgs::service as orgs;
use gatehouse::web::Clock;
use gatehouse::{cli, Application};

#[derive(Parser)]
#[command(
    name = "gatehouse",
    version,
    about = "Self-hosted admin console for your organization's users"
)]
struct Cli {
    /// Database: postgres://… / postgresql://… for PostgreSQL, sqlite://PATH or a file path for
    /// SQLite. Default: sqlite://<data dir>/gatehouse.db
    #[arg(long, env = "DATABASE_URL", global = true)]
    database_url: Option<String>,
    /// Where the SQLite database and the dev mailbox live.
    #[arg(
        long,
        env = "GATEHOUSE_DATA_DIR",
        default_value = "./data",
        global = true
    )]
    data_dir: PathBuf,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Start the console (the default).
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Create an Admin in an existing organization.
    CreateAdmin(CreateAdminArgs),
    /// Organizations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Fill the organization "Demo Corp" with N realistic users (replacing any earlier demo).
    SeedDemo(SeedDemoArgs),
    /// Clear the block of an account (the way back in for a blocked last Owner).
    Unblock {
        /// The account's email address.
        email: String,
    },
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Copy the SQLite database, consistently, while the console serves.
    Backup {
        /// The new file to write (it must not exist).
        path: std::path::PathBuf,
    },
    /// Put a copy made by `backup` in the SQLite database's place (stop every instance first;
    /// the database it replaces is kept beside it).
    Restore {
        /// The backup file.
        path: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Make an organization's API token (for its Owner) and print it alone on the last line.
    Create {
        /// The organization's slug or name.
        #[arg(long)]
        org: String,
        #[arg(long)]
        name: String,
        /// Comma-separated: users:read, users:write, audit:read, scim, webhooks.
        #[arg(long)]
        scopes: String,
        /// Days until it stops working (7, 30, 90 or 365); default: until revoked.
        #[arg(long)]
        expires_days: Option<i64>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Print the audit log to stdout as JSON lines (one event per line), oldest first.
    Export {
        /// Only this organization's events (its slug).
        #[arg(long)]
        org: Option<String>,
        /// Only events from this day (YYYY-MM-DD, UTC) or instant (RFC 3339) on.
        #[arg(long)]
        since: Option<String>,
    },
}

#[derive(Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "GATEHOUSE_ADDR", default_value = "127.0.0.1:8080")]
    addr: String,
    /// Public URL of the console; every emailed or printed link starts with it.
    #[arg(long, env = "BASE_URL")]
    base_url: Option<String>,
    /// Mark cookies Secure (default: on when BASE_URL is https).
    #[arg(long, env = "GATEHOUSE_SECURE_COOKIES")]
    secure_cookies: Option<bool>,
    /// Comma-separated CIDRs of proxies whose X-Forwarded-For is believed.
    #[arg(long, env = "GATEHOUSE_TRUSTED_PROXIES", default_value = "")]
    trusted_proxies: String,
    /// Cookie-signing secret (at least 32 characters); default: generated into the database.
    #[arg(long, env = "GATEHOUSE_SECRET_KEY", hide_env_values = true)]
    secret_key: Option<String>,
    /// Sign-in attempts allowed per client IP per minute.
    #[arg(long, env = "GATEHOUSE_LOGIN_RATE", default_value_t = 30)]
    login_attempts_per_minute: u32,
    /// API requests allowed per token per minute.
    #[arg(long, env = "GATEHOUSE_API_RATE", default_value_t = 600)]
    api_requests_per_minute: u32,
    /// Let webhooks go to this machine or a private network (off: public addresses only).
    #[arg(
        long,
        env = "GATEHOUSE_WEBHOOKS_ALLOW_PRIVATE",
        default_value_t = false
    )]
    webhooks_allow_private: bool,
    /// Let identity providers be on this machine or a private network, over plain HTTP too
    /// (an intranet Keycloak); off: public HTTPS only.
    #[arg(long, env = "GATEHOUSE_SSO_ALLOW_PRIVATE", default_value_t = false)]
    sso_allow_private: bool,
    /// The bearer token Prometheus brings to `/metrics` (unset: no `/metrics`).
    #[arg(long, env = "GATEHOUSE_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
    /// Database connections in the pool.
    #[arg(long, env = "GATEHOUSE_DB_POOL", default_value_t = 8)]
    db_pool_size: u32,
    /// Mail server, e.g. smtps://user:pass@mail.example.com (default: the dev mailbox).
    #[arg(long, env = "SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// Longest one email may take to deliver (seconds); a mail server that stops answering
    /// costs one attempt, retried later, and holds up no other email.
    #[arg(long, env = "GATEHOUSE_SMTP_TIMEOUT_SECS", default_value_t = 30)]
    smtp_timeout_secs: u64,
    /// Sender of every email.
    #[arg(
        long,
        env = "GATEHOUSE_MAIL_FROM",
        default_value = "Gatehouse <gatehouse@localhost>"
    )]
    mail_from: String,
    /// How often each instance looks for new audit events and presence (milliseconds).
    #[arg(long, env = "GATEHOUSE_LIVE_POLL_MS", default_value_t = 1_000)]
    live_poll_ms: u64,
    /// A live connection of a stopped instance counts as online this long (seconds).
    #[arg(long, env = "GATEHOUSE_PRESENCE_STALE_SECS", default_value_t = 10)]
    presence_stale_secs: u64,
}

#[derive(Args)]
struct CreateAdminArgs {
    /// The organization's name or slug.
    #[arg(long)]
    org: String,
    #[arg(long)]
    email: String,
    #[arg(long)]
    first_name: String,
    #[arg(long)]
    last_name: String,
    /// The password (default: a generated one, printed once).
    #[arg(long, env = "GATEHOUSE_ADMIN_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    /// Make them the organization's Owner instead (only while it has none, such as one just
    /// made by `org create`; its setup link then stops working).
    #[arg(long)]
    owner: bool,
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Add an organization and print its one-time setup link.
    Create {
        name: String,
        /// Public URL the link starts with (default: http:// + the default listen address).
        #[arg(long, env = "BASE_URL")]
        base_url: Option<String>,
    },
    /// An organization's sign-up domains.
    #[command(subcommand)]
    Domain(DomainCommand),
}

#[derive(Subcommand)]
enum DomainCommand {
    /// Add a sign-up domain to an organization (not a public mail service, not another
    /// organization's).
    Add {
        /// The organization's name or slug.
        #[arg(long)]
        org: String,
        domain: String,
    },
    /// Remove a sign-up domain from an organization.
    Remove {
        /// The organization's name or slug.
        #[arg(long)]
        org: String,
        domain: String,
    },
}

#[derive(Args)]
struct SeedDemoArgs {
    #[arg(long, default_value_t = 1000)]
    users: u64,
    /// Password of admin@demo.test (and every demo user); default: generated and printed.
    #[arg(long)]
    admin_password: Option<String>,
    /// Spread the people over this many workspaces (one each, by id; the admin Owner of all).
    #[arg(long, default_value_t = 1)]
    workspaces: i64,
}

/// glibc raises its mmap threshold after the first big free, after which argon2's 19 MiB
/// blocks come from per-thread arenas and stay there: every blocking thread that ever hashed a
/// password kept 19 MiB (peak RSS 690 MB in the benchmark). A fixed threshold keeps big blocks
/// on mmap, returned at free. (mimalloc was tried: RSS 198 MB before any sign-in.)
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; called first thing, before any thread.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
        // glibc gives each thread that allocates under contention an arena of its own (up to
        // eight per core), and the blocking pool has dozens of threads: two arenas keep the
        // peak RSS of a loaded server down.
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

fn main() -> anyhow::Result<()> {
    tune_allocator();
    actix_web::rt::System::new().block_on(run())
}

async fn run() -> anyhow::Result<()> {
    gatehouse::web::request_id::init_logs();
    let cli = Cli::parse();
    let url_text = cli
        .database_url
        .clone()
        .unwrap_or_else(|| Config::default_database_url(&cli.data_dir));
    let database_url = DatabaseUrl::parse(&url_text)?;
    let config = Config::new(database_url.clone(), cli.data_dir.clone());
    let clock = Clock::default();
    let command = match cli.command {
        Some(command) => command,
        None => Command::Serve(default_serve_args()?),
    };
    match command {
        Command::Serve(args) => serve(config, clock, args).await,
        Command::Migrate => {
            let mut conn = connect(&config)?;
            db::migrate(&mut conn)?;
            println!("Database is up to date.");
            Ok(())
        }
        Command::CreateAdmin(args) => {
            let admin = cli::NewAdmin {
                org: args.org,
                email: args.email,
                first_name: args.first_name,
                last_name: args.last_name,
                password: args.password,
                owner: args.owner,
            };
            cli::create_admin(&mut connect(&config)?, admin, clock.now())
        }
        Command::Org(OrgCommand::Create { name, base_url }) => {
            cli::create_org(&mut connect(&config)?, &name, base_url, clock.now())
        }
        Command::Org(OrgCommand::Domain(command)) => {
            let (org, domain, add) = match &command {
                DomainCommand::Add { org, domain } => (org, domain, true),
                DomainCommand::Remove { org, domain } => (org, domain, false),
            };
            cli::change_domain(&mut connect(&config)?, org, domain, add, clock.now())
        }
        Command::Backup { path } => cli::backup(&mut connect(&config)?, &path),
        Command::Restore { path } => cli::restore(&config, &path),
        Command::Unblock { email } => cli::unblock(&mut connect(&config)?, &email, clock.now()),
        Command::Audit(AuditCommand::Export { org, since }) => {
            cli::export_audit(&mut connect(&config)?, org.as_deref(), since.as_deref())
        }
        Command::Token(TokenCommand::Create {
            org,
            name,
            scopes,
            expires_days,
        }) => cli::create_token(
            &mut connect(&config)?,
            &org,
            (&name, &scopes, expires_days),
            clock.now(),
        ),
        Command::SeedDemo(args) => cli::seed_demo(
            &mut connect(&config)?,
            (args.users, args.workspaces),
            args.admin_password,
        ),
    }
}

fn connect(config: &Config) -> anyhow::Result<db::DbConn> {
    let manager = db::Manager::new(config.database_url.clone());
    if config.database_url.backend == db::Backend::Sqlite {
        if let Some(dir) = std::path::Path::new(&config.database_url.target).parent() {
            std::fs::create_dir_all(dir).ok();
        }
    }
    let mut conn = manager
        .connect_now()
        .context("connecting to the database")?;
    db::migrate(&mut conn)?;
    Ok(conn)
}

async fn serve(mut config: Config, clock: Clock, args: ServeArgs) -> anyhow::Result<()> {
    config.addr = args.addr;
    config.base_url = args.base_url;
    config.secure_cookies = args.secure_cookies;
    config.trusted_proxies = parse_cidrs(&args.trusted_proxies).map_err(anyhow::Error::msg)?;
    config.secret_key = args.secret_key;
    config.login_attempts_per_minute = args.login_attempts_per_minute;
    config.api_requests_per_minute = args.api_requests_per_minute;
    config.webhooks_allow_private = args.webhooks_allow_private;
    config.metrics_token = args.metrics_token.filter(|t| !t.is_empty());
    config.sso_allow_private = args.sso_allow_private;
    config.db_pool_size = args.db_pool_size;
    config.smtp_url = args.smtp_url.filter(|u| !u.is_empty());
    config.smtp_timeout_secs = args.smtp_timeout_secs;
    config.mail_from = args.mail_from;
    config.live_poll_ms = args.live_poll_ms;
    config.presence_stale_secs = args.presence_stale_secs;
    let app = Application::build(config, clock.clone()).await?;
    let state = app.state.clone();
    let base_url = state.base_url.clone();
    println!("Gatehouse is running at {base_url}");
    match state.config.database_url.backend {
        db::Backend::Sqlite => println!(
            "SQLite: this instance alone serves the database (several instances need PostgreSQL)."
        ),
        db::Backend::Postgres if state.config.smtp_url.is_none() => log::warn!(
            "no SMTP_URL: this instance writes the emails it sends to its own {}/mailbox; \
             with several instances, set SMTP_URL",
            state.config.data_dir.display()
        ),
        db::Backend::Postgres => {}
    }
    let pool = state.pool.clone();
    let now = clock.now();
    let link = actix_web::web::block(move || -> anyhow::Result<Option<String>> {
        let mut conn = pool.get()?;
        Ok(orgs::first_run_link(&mut conn, now)?)
    })
    .await??;
    match link {
        Some(secret) => {
            println!("First run: create your organization and its Owner with this one-time link:");
            println!("  {base_url}/setup?token={secret}");
        }
        None => println!("Sign in at {base_url}/login"),
    }
    app.run_until_stopped().await?;
    Ok(())
}
