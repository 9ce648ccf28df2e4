//! One `Config` for the whole app, read from the environment or `serve` flags, with defaults.

use std::path::PathBuf;

use crate::db::DatabaseUrl;

/// argon2id cost. Production uses OWASP's recommendation; tests may pass something cheaper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashCost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl HashCost {
    /// OWASP Password Storage Cheat Sheet: argon2id, m=19456 KiB, t=2, p=1.
    pub const OWASP: HashCost = HashCost {
        memory_kib: 19_456,
        iterations: 2,
        parallelism: 1,
    };
    /// For tests only: the cheapest parameters argon2 accepts.
    pub const TEST: HashCost = HashCost {
        memory_kib: 8,
        iterations: 1,
        parallelism: 1,
    };
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: DatabaseUrl,
    pub data_dir: PathBuf,
    /// Address the server binds (`127.0.0.1:0` picks a free port).
    pub addr: String,
    /// Public URL used for every emailed or printed link. `None`: `http://` + the bound address.
    pub base_url: Option<String>,
    pub secure_cookies: Option<bool>,
    /// Overrides the cookie-signing key stored in the database (64+ bytes, any text).
    pub secret_key: Option<String>,
    pub hash_cost: HashCost,
    /// Sign-in attempts allowed per client IP per minute.
    pub login_attempts_per_minute: u32,
    /// Sign-up requests allowed per client IP per hour.
    pub signups_per_ip_per_hour: u32,
    /// API requests allowed per token per minute (then `429` with `Retry-After`).
    pub api_requests_per_minute: u32,
    /// How often each instance looks for due webhook deliveries (milliseconds).
    pub webhook_poll_ms: u64,
    /// The first wait before a failed delivery is tried again (doubled each time, an hour at
    /// most).
    pub webhook_retry_secs: u64,
    /// Whether webhooks may go to this machine or a private network.
    pub webhooks_allow_private: bool,
    /// Identity providers on this machine or a private network, over plain HTTP too (an
    /// intranet Keycloak); off: public HTTPS only.
    pub sso_allow_private: bool,
    /// The bearer token a `/metrics` scrape must bring (none: `/metrics` answers 404).
    pub metrics_token: Option<String>,
    /// Networks whose X-Forwarded-For header is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub db_pool_size: u32,
    /// `smtp://`/`smtps://` URL of the mail server; `None` writes mail to the dev mailbox.
    pub smtp_url: Option<String>,
    /// Longest one SMTP delivery may take, from connecting to the server's last answer; a
    /// server that stops answering costs one attempt (retried later), never the queue.
    pub smtp_timeout_secs: u64,
    pub mail_from: String,
    /// Sessions end after this much inactivity.
    pub session_idle_minutes: i64,
    /// Sessions end this long after sign-in, whatever happens.
    pub session_max_hours: i64,
    /// How often each instance's poller reads new audit events and presence (milliseconds).
    pub live_poll_ms: u64,
    /// A live connection counts as online until this long after its instance's last beat
    /// (beats come three times per window); a closed tab is offline at once.
    pub presence_stale_secs: u64,
    /// How often open live connections check that their session still stands.
    pub live_session_check_secs: u64,
}

impl Config {
    /// The defaults a fresh install runs with, on the given database.
    pub fn new(database_url: DatabaseUrl, data_dir: PathBuf) -> Self {
        Self {
            database_url,
            data_dir,
            addr: "127.0.0.1:8080".into(),
            base_url: None,
            secure_cookies: None,
            secret_key: None,
            hash_cost: HashCost::OWASP,
            login_attempts_per_minute: 30,
            api_requests_per_minute: 600,
            webhook_poll_ms: 1_000,
            webhook_retry_secs: 10,
            webhooks_allow_private: false,
            metrics_token: None,
            sso_allow_private: false,
            signups_per_ip_per_hour: 20,
            trusted_proxies: Vec::new(),
            db_pool_size: 8,
            smtp_url: None,
            smtp_timeout_secs: 30,
            mail_from: "Gatehouse <gatehouse@localhost>".into(),
            session_idle_minutes: 30,
            session_max_hours: 12,
            live_poll_ms: 1_000,
            presence_stale_secs: 10,
            live_session_check_secs: 5,
        }
    }

    /// The default database: a SQLite file in the data directory.
    pub fn default_database_url(data_dir: &std::path::Path) -> String {
        format!("sqlite://{}", data_dir.join("gatehouse.db").display())
    }

    pub fn secure_cookies_for(&self, base_url: &str) -> bool {
        self.secure_cookies
            .unwrap_or_else(|| base_url.starts_with("https://"))
    }
}

/// Parses a comma-separated CIDR list ("10.0.0.0/8, 127.0.0.1"); a bare address is one host.
pub fn parse_cidrs(text: &str) -> Result<Vec<ipnet::IpNet>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse::<ipnet::IpNet>()
                .or_else(|_| part.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| format!("`{part}` is not an IP address or CIDR block"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_lists_accept_blocks_and_bare_addresses_and_name_the_bad_entry() {
        let nets = parse_cidrs("10.0.0.0/8, 127.0.0.1 ,::1").unwrap();
        assert_eq!(nets.len(), 3);
        assert!(nets[1].contains(&"127.0.0.1".parse::<std::net::IpAddr>().unwrap()));
        assert_eq!(
            parse_cidrs("10.0.0.0/8,nope").unwrap_err(),
            "`nope` is not an IP address or CIDR block"
        );
        assert!(parse_cidrs("").unwrap().is_empty());
    }
}
