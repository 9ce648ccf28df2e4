//! Settings → Webhooks: the endpoints, the form, and the delivery log.

use askama::Template;
use chrono::NaiveDateTime;

use super::store::{Delivery, Endpoint};
use super::EVENTS;
use crate::validation::FieldErrors;
use crate::web::shell::{Nav, Shell};

fn when(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

pub struct EndpointLine {
    pub id: i64,
    pub url: String,
    pub events: String,
    /// "Active", "Failing since …" or "Paused since …".
    pub state: String,
    pub paused: bool,
}

impl EndpointLine {
    pub fn of(endpoint: Endpoint) -> Self {
        let state = match (endpoint.paused_at, endpoint.failing_since) {
            (Some(at), _) => format!("Paused since {}", when(at)),
            (None, Some(at)) => format!("Failing since {}", when(at)),
            (None, None) => "Active".into(),
        };
        EndpointLine {
            id: endpoint.id,
            paused: endpoint.paused_at.is_some(),
            events: endpoint.events.replace(',', ", "),
            url: endpoint.url,
            state,
        }
    }
}

pub struct DeliveryLine {
    pub created: String,
    pub url: String,
    pub event: String,
    pub event_id: String,
    /// "Delivered" or "Pending (3 attempts, next 12:00:10 UTC)".
    pub state: String,
    pub answer: String,
}

impl DeliveryLine {
    pub fn of(delivery: Delivery, urls: &[(i64, String)]) -> Self {
        let state = if delivery.status == super::store::DELIVERED {
            format!(
                "Delivered ({} attempt{})",
                delivery.attempts,
                if delivery.attempts == 1 { "" } else { "s" }
            )
        } else if delivery.attempts == 0 {
            "Queued".into()
        } else {
            format!(
                "Pending ({} failed, next at {})",
                delivery.attempts,
                when(delivery.next_attempt_at)
            )
        };
        let answer = match delivery.last_status {
            Some(code) => format!(
                "{code} {}",
                delivery.last_response.chars().take(120).collect::<String>()
            ),
            None => delivery.last_response.chars().take(120).collect(),
        };
        DeliveryLine {
            created: when(delivery.created_at),
            url: urls
                .iter()
                .find(|(id, _)| *id == delivery.webhook_id)
                .map(|(_, url)| url.clone())
                .unwrap_or_default(),
            event: delivery.event,
            event_id: delivery.event_id,
            state,
            answer,
        }
    }
}

pub struct EventChoice {
    pub code: &'static str,
    pub label: &'static str,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "webhooks/_list.html")]
pub struct EndpointList {
    pub endpoints: Vec<EndpointLine>,
    pub deliveries: Vec<DeliveryLine>,
}

#[derive(Template)]
#[template(path = "webhooks/page.html")]
pub struct WebhooksPage {
    pub shell: Shell,
    /// The secret of the endpoint just added, shown this once.
    pub secret: Option<String>,
    pub url: String,
    pub events: Vec<EventChoice>,
    pub errors: FieldErrors,
    pub list: EndpointList,
}

impl WebhooksPage {
    pub fn choices(checked: &[String]) -> Vec<EventChoice> {
        EVENTS
            .iter()
            .map(|(code, label)| EventChoice {
                code,
                label,
                checked: checked.iter().any(|c| c == code),
            })
            .collect()
    }

    pub fn nav() -> Nav {
        Nav::Settings
    }
}
