//! Email: messages are written to the outbox inside the transaction that needs them, and the
//! worker delivers them through SMTP (lettre, rustls) or, with no SMTP_URL, into the dev
//! mailbox: `.eml` files under the data directory, with each link logged.

pub mod store;
pub mod worker;

use askama::Template;

use std::path::PathBuf;

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

/// A plain message: a greeting, paragraphs, an optional button link and a footer, in text
/// and HTML alike.
#[derive(Template)]
#[template(path = "mail/simple.txt")]
pub struct Simple<'a> {
    pub first_name: &'a str,
    pub paragraphs: Vec<String>,
    /// (button label, URL)
    pub link: Option<(&'a str, &'a str)>,
    pub footer: &'a str,
}

#[derive(Template)]
#[template(path = "mail/simple.html")]
struct SimpleHtml<'a> {
    first_name: &'a str,
    paragraphs: &'a [String],
    link: Option<(&'a str, &'a str)>,
    footer: &'a str,
}

impl Simple<'_> {
    /// The email of this message to `to` (`user_id`: whom it concerns).
    pub fn email(
        &self,
        org_id: Option<i64>,
        user_id: Option<i64>,
        kind: &'static str,
        to: &str,
        subject: &str,
    ) -> Email {
        let html = SimpleHtml {
            first_name: self.first_name,
            paragraphs: &self.paragraphs,
            link: self.link,
            footer: self.footer,
        };
        let fallback = self.link.map(|(_, url)| url.to_owned()).unwrap_or_default();
        Email {
            org_id,
            user_id,
            kind,
            to: to.to_owned(),
            subject: subject.to_owned(),
            text: self.render().unwrap_or_else(|_| fallback.clone()),
            html: html.render().unwrap_or(fallback),
        }
    }
}

/// Where mail goes.
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// The embedded default: files in a folder, links in the log.
    Mailbox(PathBuf),
}

impl Mailer {
    /// `smtp://host:25`, `smtp://user:pass@host:587?tls=required` (STARTTLS) or
    /// `smtps://user:pass@host:465` (TLS); `None` for the dev mailbox in `data_dir/mailbox`.
    pub fn new(smtp_url: Option<&str>, data_dir: &std::path::Path) -> anyhow::Result<Self> {
        match smtp_url {
            Some(url) => Ok(Mailer::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| anyhow::anyhow!("SMTP_URL: {e}"))?
                    .timeout(Some(std::time::Duration::from_secs(15)))
                    .build(),
            )),
            None => Ok(Mailer::Mailbox(data_dir.join("mailbox"))),
        }
    }

    pub async fn send(&self, from: &str, row: &store::OutboxRow) -> Result<(), String> {
        let message = build(from, row)?;
        match self {
            Mailer::Smtp(transport) => transport
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Mailer::Mailbox(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
                let path = dir.join(format!("{:06}-{}.eml", row.id, row.kind));
                std::fs::write(&path, message.formatted()).map_err(|e| e.to_string())?;
                let links: Vec<&str> = row
                    .text_body
                    .split_whitespace()
                    .filter(|w| w.starts_with("http"))
                    .collect();
                // Sign-in codes are logged too, so the dev mailbox can be used without a
                // mail reader (this is the development default, never a production path).
                let code = row
                    .text_body
                    .split_once("sign-in code is ")
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
}
