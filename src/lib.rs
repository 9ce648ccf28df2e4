//! Gatehouse: a self-hosted admin console for an organization's users.
//!
//! `Application::build` wires the database, state and routes; `main.rs` is only the CLI, and
//! the tests start the same application on a random port.

// No function past 80 lines outside tests (clippy.toml sets the limit).
#![warn(clippy::too_many_lines)]

pub mod account;
pub mod activity;
pub mod api;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod divisions;
pub mod fields;
pub mod groups;
pub mod invites;
pub mod jobs;
pub mod licenses;
pub mod mail;
pub mod mfa;
pub mod orgs;
pub mod presence;
pub mod roles;
pub mod scim;
pub mod settings;
pub mod signup;
pub mod sso;
pub mod users;
pub mod validation;
pub mod web;
pub mod webhooks;
pub mod workspaces;

use std::net::TcpListener;
use std::sync::Arc;

use actix_session::config::{BrowserSession, CookieContentSecurity};
use actix_session::SessionMiddleware;
use actix_web::cookie::{Key, SameSite};
use actix_web::dev::Server;
use actix_web::middleware::{from_fn, DefaultHeaders};
use actix_web::{web as aweb, App, HttpServer};
use diesel::prelude::*;

use crate::auth::password::Hasher;
use crate::auth::rate_limit::Shared;
use crate::auth::session_store::DbSessionStore;
use crate::config::Config;
use crate::db::schema::app_secrets;
use crate::web::{AppState, Clock};

/// Why our CSP looks the way it does: every script is a same-origin file (htmx, app.js), so
/// `script-src 'self'` with no `unsafe-inline`/`unsafe-eval`; htmx is configured through a
/// meta tag with `includeIndicatorStyles: false`, so no inline styles are needed either.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

pub struct Application {
    server: Server,
    port: u16,
    pub state: Arc<AppState>,
}

impl Application {
    /// Opens the database, runs migrations and binds the listener (port 0 picks a free one).
    pub async fn build(config: Config, clock: Clock) -> anyhow::Result<Application> {
        let pool = db::pool(&config.database_url, config.db_pool_size)?;
        {
            let mut conn = pool.get()?;
            db::migrate(&mut conn)?;
        }
        let cookie_key = cookie_key(&pool, &config, &clock)?;
        let listener = TcpListener::bind(&config.addr)?;
        let port = listener.local_addr()?.port();
        let base_url = config
            .base_url
            .clone()
            .unwrap_or_else(|| {
                format!(
                    "http://{}:{port}",
                    listener
                        .local_addr()
                        .map(|a| a.ip().to_string())
                        .unwrap_or_default()
                )
            })
            .trim_end_matches('/')
            .to_owned();
        let state = Arc::new(AppState {
            mailer: mail::Mailer::new(
                config.smtp_url.as_deref(),
                &config.data_dir,
                std::time::Duration::from_secs(config.smtp_timeout_secs),
            )?,
            mail_wakeup: Arc::new(tokio::sync::Notify::new()),
            background: jobs::Background::default(),
            hasher: Hasher::new(config.hash_cost)?,
            login_limiter: Shared::new("sign-in", config.login_attempts_per_minute, 60),
            api_limiter: Shared::new("api", config.api_requests_per_minute, 60),
            signup_ip_limiter: Shared::new("sign-up-ip", config.signups_per_ip_per_hour, 3_600),
            signup_email_limiter: Shared::new("sign-up-email", 3, 3_600),
            live: presence::Hub::new(),
            catalog: orgs::catalog::Catalog::default(),
            oidc: sso::oidc::Oidc::new(config.sso_allow_private),
            metrics: web::metrics::Metrics::default(),
            health: Arc::default(),
            pool,
            base_url,
            clock,
            cookie_key,
            config,
        });
        let server = serve(listener, state.clone())?;
        jobs::mail::spawn(state.clone());
        webhooks::worker::spawn(state.clone());
        jobs::spawn(state.clone());
        jobs::spawn_checkpointer(state.clone());
        presence::poller::spawn(state.clone());
        presence::listener::spawn(&state);
        Ok(Application {
            server,
            port,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until the server stops (SIGTERM or SIGINT: requests in flight finish first),
    /// then lets the outbox workers finish the messages they are sending.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        let within = std::time::Duration::from_secs(self.state.config.smtp_timeout_secs + 15);
        if self.state.background.drain(within).await {
            log::info!("stopped: requests answered, no message left half-sent");
        } else {
            log::warn!("stopped with messages still sending: another instance retries them");
        }
        served
    }
}

fn serve(listener: TcpListener, state: Arc<AppState>) -> anyhow::Result<Server> {
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let server = HttpServer::new(move || {
        let secure = state.config.secure_cookies_for(&state.base_url);
        let sessions = SessionMiddleware::builder(
            DbSessionStore::new(state.clone()),
            state.cookie_key.clone(),
        )
        .cookie_name(auth::session_store::cookie_name(secure).into())
        .cookie_secure(secure)
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        .cookie_content_security(CookieContentSecurity::Signed)
        // The row's expiry is only the outer bound (the longest lifetime Settings allows);
        // the session store ends each session at its organization's idle and total limits.
        .session_lifecycle(BrowserSession::default().state_ttl(
            actix_web::cookie::time::Duration::hours(
                (*settings::forms::MAX_HOURS.range.end()).into(),
            ),
        ))
        .build();
        App::new()
            .app_data(aweb::Data::new(state.clone()))
            .app_data(aweb::FormConfig::default().limit(1 << 20))
            // The hottest route first: the router tries routes in order (dynamic ones by regex).
            .configure(users::routes::configure)
            .configure(web::pages::configure)
            .configure(auth::routes::configure)
            .configure(mfa::routes::configure)
            .configure(orgs::routes::configure)
            .configure(invites::routes::configure)
            .configure(signup::routes::configure)
            .configure(settings::routes::configure)
            .configure(groups::routes::configure)
            .configure(workspaces::routes::configure)
            .configure(workspaces::members::routes::configure)
            .configure(workspaces::switcher::configure)
            .configure(fields::routes::configure)
            .configure(divisions::routes::configure)
            .configure(roles::routes::configure)
            .configure(roles::product_routes::configure)
            .configure(activity::routes::configure)
            .configure(presence::routes::configure)
            .configure(account::routes::configure)
            .configure(users::export::configure)
            .configure(users::bulk::routes::configure)
            .configure(users::import::routes::configure)
            .configure(users::import_users::routes::configure)
            .configure(users::actions::configure)
            .configure(api::configure)
            .configure(scim::configure)
            .configure(webhooks::routes::configure)
            .configure(sso::routes::configure)
            .configure(web::metrics::configure)
            .default_service(aweb::to(|| async {
                Err::<actix_web::HttpResponse, _>(web::AppError::NotFound)
            }))
            .wrap(sessions)
            .wrap(from_fn(web::current_user::preloading))
            // Outside the sessions: live requests load their session without touching it.
            .wrap(from_fn(presence::quiet::mark))
            .wrap(from_fn(web::csrf::protect))
            .wrap(from_fn(web::input::refuse_control_characters))
            .wrap(from_fn(web::errors::render))
            .wrap(from_fn(web::metrics::record))
            .wrap(security_headers(&state.base_url))
            .wrap(from_fn(web::request_id::trace))
    })
    .workers(workers)
    // Live streams never finish on their own: on shutdown they get 10 seconds (not actix's
    // 30), then browsers reconnect, to another instance or this one restarted, and resume
    // from their Last-Event-ID.
    .shutdown_timeout(10)
    .listen(listener)?
    .run();
    Ok(server)
}

/// Headers on every answer. HSTS only when the console's public URL is https: browsers
/// ignore it over http anyway, and a console reached by http (a first run on a laptop) must
/// not tell browsers to insist on https for its host and every subdomain for a year.
fn security_headers(base_url: &str) -> DefaultHeaders {
    let headers = DefaultHeaders::new()
        .add(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("X-Frame-Options", "DENY"));
    if base_url.starts_with("https://") {
        headers.add((
            "Strict-Transport-Security",
            "max-age=31536000; includeSubDomains",
        ))
    } else {
        headers
    }
}

/// The cookie-signing key: from GATEHOUSE_SECRET_KEY when set, else generated on first run and
/// kept in the database, so restarts and other instances keep people signed in.
fn cookie_key(pool: &db::Pool, config: &Config, clock: &Clock) -> anyhow::Result<Key> {
    use sha2::{Digest, Sha512};
    if let Some(secret) = &config.secret_key {
        anyhow::ensure!(
            secret.len() >= 32,
            "GATEHOUSE_SECRET_KEY must be at least 32 characters"
        );
        return Ok(Key::from(&Sha512::digest(secret.as_bytes())));
    }
    let mut conn = pool.get()?;
    let existing: Option<String> = app_secrets::table
        .find("cookie_key")
        .select(app_secrets::value)
        .first(&mut conn)
        .optional()?;
    let hex_key = match existing {
        Some(value) => value,
        None => {
            let generated = hex::encode(Key::generate().master());
            let inserted = diesel::insert_into(app_secrets::table)
                .values((
                    app_secrets::name.eq("cookie_key"),
                    app_secrets::value.eq(&generated),
                    app_secrets::created_at.eq(clock.now()),
                ))
                .execute(&mut conn);
            match inserted {
                Ok(_) => generated,
                // Another instance won the race: use its key.
                Err(e) if db::is_unique_violation(&e) => app_secrets::table
                    .find("cookie_key")
                    .select(app_secrets::value)
                    .first(&mut conn)?,
                Err(e) => return Err(e.into()),
            }
        }
    };
    Ok(Key::from(&hex::decode(hex_key)?))
}
