//! Email: messages are written to the outbox inside the transaction that needs them, and the
//! worker delivers them through SMTP (lettre, rustls) or, with no SMTP_URL, into the dev
//! mailbox: `.eml` files under the data directory, with each link logged.

pub mod store;
pub mod views;
pub use views::Simple;

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// An email to queue.
#[derive(Debug, Clone)]
pub struct Email {
    pub org_id: Option<i64>,
    /// The user it is about (shows "Not delivered yet — retrying" on their row meanwhile).
    pub user_id: Option<i64>,
    pub kind: &'static str,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Where mail goes.
pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        /// The whole delivery of one message must end within this.
        timeout: Duration,
    },
    /// The embedded default: files in a folder, links in the log.
    Mailbox(PathBuf),
}

impl Mailer {
    /// `smtp://host:25`, `smtp://user:pass@host:587?tls=required` (STARTTLS) or
    /// `smtps://user:pass@host:465` (TLS); `None` for the dev mailbox in `data_dir/mailbox`.
    /// `timeout` bounds each delivery, from connecting to the server's last answer.
    pub fn new(
        smtp_url: Option<&str>,
        data_dir: &std::path::Path,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        anyhow::ensure!(
            (1..=MAX_TIMEOUT_SECS).contains(&timeout.as_secs()),
            "GATEHOUSE_SMTP_TIMEOUT_SECS must be between 1 and {MAX_TIMEOUT_SECS} seconds (it is \
             {}): pick how long one email may take to deliver, such as 30",
            timeout.as_secs()
        );
        match smtp_url {
            Some(url) => Ok(Mailer::Smtp {
                transport: AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| anyhow::anyhow!("SMTP_URL: {e}"))?
                    // lettre's own timeout covers only the TCP connect on tokio, not the
                    // greeting or any later answer: `send` bounds the whole delivery instead.
                    .timeout(Some(timeout))
                    .build(),
                timeout,
            }),
            None => Ok(Mailer::Mailbox(data_dir.join("mailbox"))),
        }
    }

    pub async fn send(&self, from: &str, row: &store::OutboxRow) -> Result<(), String> {
        let message = build(from, row)?;
        match self {
            Mailer::Smtp { transport, timeout } => {
                match tokio::time::timeout(*timeout, transport.send(message)).await {
                    Ok(sent) => sent.map(|_| ()).map_err(|e| e.to_string()),
                    // Dropping the send closes its connection; the message is retried later.
                    Err(_) => Err(format!(
                        "timed out after {} s waiting for the mail server (SMTP_URL) to answer; \
                         it will be retried",
                        timeout.as_secs()
                    )),
                }
            }
            Mailer::Mailbox(dir) => {
                let path = dir.join(format!("{:06}-{}.eml", row.id, row.kind));
                // Files are written on the blocking pool, not on the executor the worker and
                // the other jobs share (a new file is a costly system call on a busy disk).
                let (dir, file, formatted) = (dir.clone(), path.clone(), message.formatted());
                tokio::task::spawn_blocking(move || {
                    std::fs::create_dir_all(dir)?;
                    std::fs::write(file, formatted)
                })
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
                let links: Vec<&str> = row
                    .text_body
                    .split_whitespace()
                    .filter(|w| w.starts_with("http"))
                    .collect();
                // Sign-in and setup codes are logged too, so the dev mailbox can be used
                // without a mail reader (the development default, never a production path).
                let code = row
                    .text_body
                    .split_once(" code is ")
                    .map(|(_, rest)| rest.chars().take(6).collect::<String>());
                log::info!(
                    "mail to {} ({}) saved to {}; links: {}{}",
                    row.recipient,
                    row.subject,
                    path.display(),
                    links.join(" "),
                    code.map(|c| format!("; code: {c}")).unwrap_or_default()
                );
                Ok(())
            }
        }
    }
}

fn build(from: &str, row: &store::OutboxRow) -> Result<Message, String> {
    let from: Mailbox = from
        .parse()
        .map_err(|e| format!("GATEHOUSE_MAIL_FROM: {e}"))?;
    let to: Mailbox = row
        .recipient
        .parse()
        .map_err(|e| format!("recipient {}: {e}", row.recipient))?;
    Message::builder()
        .from(from)
        .to(to)
        .subject(&row.subject)
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(row.text_body.clone()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(row.html_body.clone()),
                ),
        )
        .map_err(|e| e.to_string())
}

/// Waits before the next attempt: 10 s, 20 s, 40 s … capped at an hour.
/// The longest SMTP timeout (`GATEHOUSE_SMTP_TIMEOUT_SECS`).
pub const MAX_TIMEOUT_SECS: u64 = 240;

/// How long a claimed message is left to the instance that claimed it: twice the longest a
/// send may take and a margin to record the outcome, so no send outlasts its claim, while a
/// message claimed by an instance that was killed waits no longer than that for another.
pub fn lease(timeout_secs: u64) -> chrono::Duration {
    chrono::Duration::seconds(
        i64::try_from(timeout_secs.min(MAX_TIMEOUT_SECS)).unwrap_or(240) * 2 + 10,
    )
}

pub fn backoff(attempts: i32) -> chrono::Duration {
    let seconds = 10i64
        .saturating_mul(1i64 << attempts.clamp(0, 20))
        .min(3_600);
    chrono::Duration::seconds(seconds)
}

#[cfg(test)]
mod tests {
    #[test]
    fn retries_back_off_exponentially_up_to_an_hour() {
        assert_eq!(super::backoff(0).num_seconds(), 10);
        assert_eq!(super::backoff(1).num_seconds(), 20);
        assert_eq!(super::backoff(3).num_seconds(), 80);
        assert_eq!(super::backoff(30).num_seconds(), 3_600);
    }

    #[test]
    fn an_smtp_timeout_that_could_outlast_the_claim_lease_is_refused_with_the_range() {
        use std::time::Duration;
        let dir = std::path::Path::new(".");
        for seconds in [0, 600] {
            let refused = super::Mailer::new(None, dir, Duration::from_secs(seconds));
            let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
            assert!(message.contains("between 1 and 240 seconds"), "{message}");
        }
        assert!(super::Mailer::new(None, dir, Duration::from_secs(30)).is_ok());
    }
}
