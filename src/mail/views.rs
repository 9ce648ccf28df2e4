//! The emails' templates: each message is rendered here, from the data a service hands over
//! (text and HTML alike), so services never touch a template engine.

use askama::Template;

use super::Email;

/// The kind of an invitation email (a resend or revoke cancels the unsent ones).
pub const INVITE_MAIL: &str = "invite";

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

#[derive(Template)]
#[template(path = "invites/email.txt")]
pub struct InviteText<'a> {
    pub first_name: &'a str,
    pub inviter: &'a str,
    pub org: &'a str,
    pub link: &'a str,
    pub days: i32,
}

#[derive(Template)]
#[template(path = "invites/email.html")]
struct InviteHtml<'a> {
    first_name: &'a str,
    inviter: &'a str,
    org: &'a str,
    link: &'a str,
    days: i32,
}

/// The invitation email for one invitee (`user_id`, address `to`) with a fresh link.
pub fn invite_email(org_id: i64, user_id: i64, to: &str, text: InviteText<'_>) -> Email {
    let html = InviteHtml {
        first_name: text.first_name,
        inviter: text.inviter,
        org: text.org,
        link: text.link,
        days: text.days,
    };
    Email {
        org_id: Some(org_id),
        user_id: Some(user_id),
        kind: INVITE_MAIL,
        to: to.to_owned(),
        subject: format!("{} invited you to {} on Gatehouse", text.inviter, text.org),
        text: text.render().unwrap_or_else(|_| text.link.to_owned()),
        html: html.render().unwrap_or_else(|_| text.link.to_owned()),
    }
}

#[derive(Template)]
#[template(path = "signup/email.txt")]
pub struct VerifyText<'a> {
    pub first_name: &'a str,
    pub org: &'a str,
    pub link: &'a str,
    pub hours: i64,
    pub exists: bool,
}

#[derive(Template)]
#[template(path = "signup/email.html")]
struct VerifyHtml<'a> {
    first_name: &'a str,
    org: &'a str,
    link: &'a str,
    hours: i64,
    exists: bool,
}

/// The sign-up email: a link to confirm, or a note that the address already has an account.
pub fn signup_email(org_id: i64, to: &str, text: VerifyText<'_>) -> Email {
    let html = VerifyHtml {
        first_name: text.first_name,
        org: text.org,
        link: text.link,
        hours: text.hours,
        exists: text.exists,
    };
    let subject = if text.exists {
        format!("You already have a {} account", text.org)
    } else {
        format!("Confirm your email to join {}", text.org)
    };
    Email {
        org_id: Some(org_id),
        user_id: None,
        kind: "signup",
        to: to.to_owned(),
        subject,
        text: text.render().unwrap_or_else(|_| text.link.to_owned()),
        html: html.render().unwrap_or_else(|_| text.link.to_owned()),
    }
}

#[derive(Template)]
#[template(path = "auth/blocked_email.txt")]
pub struct BlockedText<'a> {
    pub first_name: &'a str,
    pub email: &'a str,
    pub failures: i32,
    pub link: &'a str,
}

#[derive(Template)]
#[template(path = "auth/blocked_email.html")]
struct BlockedHtml<'a> {
    first_name: &'a str,
    email: &'a str,
    failures: i32,
    link: &'a str,
}

/// The email of an account just blocked after failed sign-ins, with its unblock link.
pub fn blocked_email(org_id: i64, user_id: i64, to: &str, text: BlockedText<'_>) -> Email {
    let html = BlockedHtml {
        first_name: text.first_name,
        email: text.email,
        failures: text.failures,
        link: text.link,
    };
    Email {
        org_id: Some(org_id),
        user_id: Some(user_id),
        kind: "blocked",
        to: to.to_owned(),
        subject: "Your Gatehouse account was blocked".into(),
        text: text.render().unwrap_or_else(|_| text.link.to_owned()),
        html: html.render().unwrap_or_else(|_| text.link.to_owned()),
    }
}
