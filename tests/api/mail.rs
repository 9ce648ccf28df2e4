//! The mail worker against mail servers that misbehave: a server that never answers costs its
//! message one timed-out attempt, retried later, and holds up no other message.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use reqwest::StatusCode;

use crate::both_backends;
use crate::helpers::{someone, spawn_app_with, Backend, TestApp};
use crate::smtp::{HangingSmtp, TestSmtp};
use gatehouse::db::schema::email_outbox;

both_backends!(
    a_mail_server_that_never_answers_holds_up_only_its_own_message,
    a_send_to_a_silent_mail_server_times_out_and_is_retried,
    urgent_mail_is_claimed_before_older_notices_and_outcomes_are_written_together,
);

/// (status, attempts, last error) of the newest email to `recipient`.
async fn outbox_of(app: &TestApp, recipient: &'static str) -> (String, i32, Option<String>) {
    app.db(move |c| {
        email_outbox::table
            .filter(email_outbox::recipient.eq(recipient))
            .order(email_outbox::id.desc())
            .select((
                email_outbox::status,
                email_outbox::attempts,
                email_outbox::last_error,
            ))
            .first(c)
            .expect("an email to the recipient")
    })
    .await
}

/// An Admin sends `user_id` a reset link from their row (one email, queued at once).
async fn email_a_reset_link(app: &TestApp, user_id: i64) {
    let response = app
        .hx_post(&format!("/users/{user_id}/reset-password"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::OK);
}

/// Waits until `done` holds, for at most `wait`; false when it never did.
async fn within(wait: Duration, mut done: impl AsyncFnMut() -> bool) -> bool {
    let deadline = Instant::now() + wait;
    loop {
        if done().await {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_mail_server_that_never_answers_holds_up_only_its_own_message(backend: Backend) {
    let smtp = TestSmtp::start();
    let server = HangingSmtp::first_then_forward_to(smtp.port);
    let url = server.url();
    let Some(app) = spawn_app_with(backend, move |config| {
        config.smtp_url = Some(url);
        config.smtp_timeout_secs = 2;
    })
    .await
    else {
        return;
    };
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let ids = app
        .add_people(
            org_id,
            vec![
                someone("Ada", "ada@acme.io", "Agent"),
                someone("Bob", "bob@acme.io", "Agent"),
            ],
        )
        .await;
    // Ada's email goes first and the server hangs on it.
    server.arm();
    email_a_reset_link(&app, ids[0]).await;
    server.wait_for_a_hung_connection().await;
    let started = Instant::now();
    email_a_reset_link(&app, ids[1]).await;

    let bob_delivered = within(Duration::from_secs(5), async || {
        smtp.count_to("bob@acme.io") == 1
    })
    .await;
    assert!(bob_delivered, "Bob's email does not wait behind Ada's");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "delivered while Ada's send still hangs (its timeout is 2 s): {:?}",
        started.elapsed()
    );
    assert_eq!(smtp.count_to("ada@acme.io"), 0);
    // The worker records the send just after the server has the message.
    let recorded = within(Duration::from_secs(5), async || {
        outbox_of(&app, "bob@acme.io").await.0 == "sent"
    })
    .await;
    assert!(recorded, "Bob's email is recorded as sent");

    // Ada's send times out: a failed attempt, retried after the backoff.
    let failed = within(Duration::from_secs(10), async || {
        outbox_of(&app, "ada@acme.io").await.1 == 1
    })
    .await;
    assert!(failed, "the hung send ends at its timeout");
    let (status, _, error) = outbox_of(&app, "ada@acme.io").await;
    assert_eq!(status, "pending");
    assert!(error.unwrap_or_default().contains("timed out"));
    let (_, page) = app.get_html("/users?q=ada").await;
    assert!(page.contains("Not delivered yet — retrying"));

    // The retry (its 10 s backoff passed) goes through.
    app.state.clock.advance(chrono::Duration::seconds(11));
    app.state.mail_wakeup.notify_one();
    let link = smtp
        .message_to("ada@acme.io")
        .await
        .link("/password/reset/");
    assert!(link.is_some(), "Ada gets her reset link on the retry");
    assert!(
        within(Duration::from_secs(5), async || {
            outbox_of(&app, "ada@acme.io").await.0 == "sent"
        })
        .await
    );
    assert_eq!(smtp.count_to("ada@acme.io"), 1);
    assert_eq!(smtp.count_to("bob@acme.io"), 1, "each email once");
    assert_eq!(server.hung(), 1);
}

async fn a_send_to_a_silent_mail_server_times_out_and_is_retried(backend: Backend) {
    let server = HangingSmtp::start();
    let url = server.url();
    let Some(app) = spawn_app_with(backend, move |config| {
        config.smtp_url = Some(url);
        config.smtp_timeout_secs = 1;
    })
    .await
    else {
        return;
    };
    let org_id = app.setup_first_org("Acme", "olive@acme.io").await;
    let ada = app
        .add_people(org_id, vec![someone("Ada", "ada@acme.io", "Agent")])
        .await[0];
    email_a_reset_link(&app, ada).await;
    server.wait_for_a_hung_connection().await;

    let failed = within(Duration::from_secs(5), async || {
        outbox_of(&app, "ada@acme.io").await.1 >= 1
    })
    .await;
    assert!(failed, "marked failed within seconds");
    let (status, attempts, error) = outbox_of(&app, "ada@acme.io").await;
    assert_eq!((status.as_str(), attempts), ("pending", 1));
    let error = error.unwrap_or_default();
    assert!(
        error.contains("timed out after 1 s") && error.contains("SMTP_URL"),
        "{error}"
    );
    let (_, page) = app.get_html("/users?q=ada").await;
    assert!(page.contains("Not delivered yet — retrying"));
}

/// The outbox's claim, on the store: a sign-in code due last goes before a backlog of notices
/// due earlier (found through its kind's index), the rest go oldest first with the id breaking
/// ties, a claimed message is not claimed again within its lease, and several outcomes are
/// written in one call. Dated 2099 so that the app's own worker never sees them.
async fn urgent_mail_is_claimed_before_older_notices_and_outcomes_are_written_together(
    backend: Backend,
) {
    use gatehouse::mail::store::{self, Outcome};
    let Some(app) = crate::helpers::spawn_app(backend).await else {
        return;
    };
    let at = |minute: u32| {
        chrono::NaiveDate::from_ymd_opt(2099, 1, 1)
            .unwrap()
            .and_hms_opt(0, minute, 0)
            .unwrap()
    };
    let (claimed, later, outcomes) = app
        .db(move |c| {
            let queue = |c: &mut gatehouse::db::DbConn, kind: &str, to: &str, minute: u32| {
                diesel::insert_into(email_outbox::table)
                    .values((
                        email_outbox::kind.eq(kind),
                        email_outbox::recipient.eq(to),
                        email_outbox::subject.eq("s"),
                        email_outbox::text_body.eq("t"),
                        email_outbox::html_body.eq("h"),
                        email_outbox::next_attempt_at.eq(at(minute)),
                        email_outbox::created_at.eq(at(minute)),
                    ))
                    .execute(c)
                    .unwrap();
            };
            queue(c, "email_change_confirm", "n1@x.io", 1);
            queue(c, "email_change_confirm", "n2@x.io", 2);
            queue(c, "email_change_requested", "n3@x.io", 2);
            queue(c, "sign_in_code", "code@x.io", 9);
            queue(c, "invite", "later@x.io", 30);
            let now = at(10);
            let lease = chrono::Duration::minutes(5);
            let first = store::claim_due(c, now, 3, lease).unwrap();
            let again = store::claim_due(c, now, 3, lease).unwrap();
            let ids: Vec<i64> = first.iter().map(|row| row.id).collect();
            store::record(
                c,
                &[
                    Outcome::Sent {
                        id: ids[0],
                        at: now,
                    },
                    Outcome::Failed {
                        id: ids[1],
                        error: "450 try later".into(),
                        next_attempt: at(40),
                    },
                ],
            )
            .unwrap();
            let outcomes: Vec<(String, i32, Option<String>)> = email_outbox::table
                .filter(email_outbox::id.eq_any(&ids[..2]))
                .order(email_outbox::id)
                .select((
                    email_outbox::status,
                    email_outbox::attempts,
                    email_outbox::last_error,
                ))
                .load(c)
                .unwrap();
            let names = |rows: Vec<gatehouse::mail::store::OutboxRow>| -> Vec<String> {
                rows.into_iter().map(|row| row.recipient).collect()
            };
            (names(first), names(again), outcomes)
        })
        .await;
    assert_eq!(claimed, ["code@x.io", "n1@x.io", "n2@x.io"]);
    assert_eq!(
        later,
        ["n3@x.io"],
        "the first three are leased, the invite not due"
    );
    let by_id: Vec<&str> = outcomes
        .iter()
        .map(|(status, _, _)| status.as_str())
        .collect();
    assert!(
        by_id.contains(&"sent") && by_id.contains(&"pending"),
        "{outcomes:?}"
    );
    assert!(
        outcomes.iter().all(|(_, attempts, _)| *attempts == 1),
        "{outcomes:?}"
    );
    assert!(
        outcomes
            .iter()
            .any(|(status, _, error)| status == "pending"
                && error.as_deref() == Some("450 try later"))
    );
}
