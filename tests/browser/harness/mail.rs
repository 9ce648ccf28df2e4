//! Signing in as a person does, the second step (an emailed code) included when the app asks
//! for it, the emailed code of first-run setup, and reading links and codes from the test SMTP
//! server.

use std::time::{Duration, Instant};

use super::page::In;
use super::{Browser, TIMEOUT};
use crate::helpers::TestApp;
use crate::smtp::Received;

pub const SIGN_IN_CODE_SUBJECT: &str = "Your Gatehouse sign-in code";
pub const SETUP_CODE_SUBJECT: &str = "Your Gatehouse setup code";

/// The only standalone 6-digit number in a message's text (its plain-text part when it has
/// one), skipping headers, MIME boundaries and things like `#123456` colours.
pub fn six_digit_code(raw: &str) -> Option<String> {
    let body = raw.split_once("\r\n\r\n").map_or(raw, |(_, b)| b);
    let plain = body
        .split_once("Content-Type: text/plain")
        .map_or(body, |(_, rest)| rest);
    plain
        .lines()
        .filter(|l| !l.starts_with("--") && !l.starts_with("Content-"))
        .find_map(|line| {
            let chars: Vec<char> = line.chars().collect();
            let mut i = 0;
            while i < chars.len() {
                if !chars[i].is_ascii_digit() {
                    i += 1;
                    continue;
                }
                let start = i;
                while i < chars.len() && chars[i].is_ascii_digit() {
                    i += 1;
                }
                let before = start.checked_sub(1).map(|b| chars[b]);
                let after = chars.get(i).copied();
                let bounded = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric() && c != '#');
                if i - start == 6 && bounded(before) && bounded(after) {
                    return Some(chars[start..i].iter().collect());
                }
            }
            None
        })
}

/// The first message to `email` with `subject` among those that arrived after the first
/// `seen` messages; waits up to `TIMEOUT`.
pub async fn message_after(app: &TestApp, seen: usize, email: &str, subject: &str) -> Received {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some(message) = app
            .mail()
            .received()
            .into_iter()
            .skip(seen)
            .rev()
            .find(|m| m.to.iter().any(|t| t == email) && m.subject() == subject)
        {
            return message;
        }
        assert!(
            Instant::now() < deadline,
            "no email {subject:?} to {email} arrived"
        );
        actix_web::rt::time::sleep(Duration::from_millis(25)).await;
    }
}

impl Browser {
    /// Signs in at /login with the form; when the app asks for a second step (/login/mfa), reads
    /// the emailed code from the test SMTP server and enters it. Ends on the page the app lands on.
    pub async fn sign_in(&self, app: &TestApp, email: &str, password: &str) {
        let seen = app.mail().received().len();
        if self.submit_password(email, password).await {
            let message = message_after(app, seen, email, SIGN_IN_CODE_SUBJECT).await;
            let code = six_digit_code(&message.raw)
                .unwrap_or_else(|| panic!("no 6-digit code in the email:\n{}", message.raw));
            self.axe("the sign-in code page").await;
            self.enter_code(&code).await;
        }
    }

    /// The first step: email and password on /login. True when the app then asks for a code.
    pub async fn submit_password(&self, email: &str, password: &str) -> bool {
        self.goto("/login").await;
        self.fill(In::Page, "Email or username", email).await;
        self.fill(In::Page, "Password", password).await;
        self.click(In::Page, "Sign in").await;
        let path = self
            .until("the sign-in to leave /login", || async {
                let path = self.path().await;
                (!path.starts_with("/login") || path.starts_with("/login/mfa")).then_some(path)
            })
            .await;
        path.starts_with("/login/mfa")
    }

    /// The second step: types a code on /login/mfa and waits to be let in.
    pub async fn enter_code(&self, code: &str) {
        self.fill(In::Page, "Verification code", code).await;
        self.click(In::Page, "Verify").await;
        self.until("the code to be accepted", || async {
            (!self.path().await.starts_with("/login")).then_some(())
        })
        .await;
    }

    /// The second step of setup: on the code page, reads the code emailed to `email` (among
    /// the messages after the first `seen`) from the test SMTP server and types it.
    pub async fn confirm_setup_code(&self, app: &TestApp, email: &str, seen: usize) {
        self.sees("Confirm your email").await;
        self.sees(email).await;
        self.axe("the setup code page").await;
        let message = message_after(app, seen, email, SETUP_CODE_SUBJECT).await;
        let code = six_digit_code(&message.raw)
            .unwrap_or_else(|| panic!("no 6-digit code in the email:\n{}", message.raw));
        self.fill(In::Page, "Code from the email", &code).await;
        self.click(In::Page, "Confirm and create account").await;
    }

    /// Clicks Sign out in the top bar and waits for the sign-in page.
    pub async fn sign_out(&self) {
        self.click(In::Page, "Sign out").await;
        self.until("the sign-in page after signing out", || async {
            self.path().await.starts_with("/login").then_some(())
        })
        .await;
    }
}

#[cfg(test)]
mod tests {
    use super::six_digit_code;

    #[test]
    fn the_code_is_the_standalone_six_digit_number_of_the_text_part() {
        let raw = "Subject: Your Gatehouse sign-in code\r\nDate: 1 Dec 2026 101010\r\n\r\n\
                   --b1234567\r\nContent-Type: text/plain\r\n\r\nYour code is 042917.\r\n\
                   --b1234567\r\nContent-Type: text/html\r\n\r\n<p style=\"color:#123456\">042917</p>";
        assert_eq!(six_digit_code(raw).as_deref(), Some("042917"));
        assert_eq!(six_digit_code("\r\n\r\nno code 1234567 here"), None);
    }
}
