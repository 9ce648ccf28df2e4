//! Reads a server-sent event stream the way EventSource does, from reqwest's byte stream, with
//! a deadline on every wait.

use std::pin::Pin;
use std::time::Duration;

use futures_util::{Stream, StreamExt};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SseEvent {
    pub event: String,
    pub id: Option<i64>,
    pub data: String,
}

type Bytes = Pin<Box<dyn Stream<Item = reqwest::Result<actix_web::web::Bytes>> + Send>>;

pub struct SseReader {
    stream: Bytes,
    buffer: String,
    /// Set when the server closed the stream.
    pub closed: bool,
}

impl SseReader {
    pub fn new(response: reqwest::Response) -> Self {
        assert_eq!(response.status(), reqwest::StatusCode::OK, "a live stream");
        assert_eq!(
            response
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("text/event-stream")
        );
        Self {
            stream: Box::pin(response.bytes_stream()),
            buffer: String::new(),
            closed: false,
        }
    }

    /// Opens `url` with `client` (sending `Last-Event-ID` when given).
    pub async fn open(client: &reqwest::Client, url: &str, last_event_id: Option<i64>) -> Self {
        let mut request = client.get(url).header("Accept", "text/event-stream");
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id.to_string());
        }
        Self::new(request.send().await.expect("open the stream"))
    }

    fn take_event(&mut self) -> Option<SseEvent> {
        loop {
            let end = self.buffer.find("\n\n")?;
            let block: String = self.buffer[..end].to_owned();
            self.buffer.drain(..end + 2);
            let mut event = SseEvent {
                event: "message".into(),
                ..SseEvent::default()
            };
            let mut data: Vec<&str> = Vec::new();
            let mut any = false;
            for line in block.lines() {
                if let Some(value) = line.strip_prefix("data:") {
                    data.push(value.strip_prefix(' ').unwrap_or(value));
                    any = true;
                } else if let Some(value) = line.strip_prefix("event:") {
                    event.event = value.trim().to_owned();
                } else if let Some(value) = line.strip_prefix("id:") {
                    event.id = value.trim().parse().ok();
                }
            }
            if any {
                event.data = data.join("\n");
                return Some(event);
            }
            // A comment (ping) or `retry:` only: not an event.
        }
    }

    /// The next event within `wait`, or `None` (time ran out or the stream closed).
    pub async fn next(&mut self, wait: Duration) -> Option<SseEvent> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(event) = self.take_event() {
                return Some(event);
            }
            if self.closed {
                return None;
            }
            match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Err(_) => return None,
                Ok(Some(Ok(chunk))) => self.buffer.push_str(&String::from_utf8_lossy(&chunk)),
                Ok(Some(Err(_))) | Ok(None) => self.closed = true,
            }
        }
    }

    /// The first event within `wait` that `wanted` accepts (others are skipped).
    pub async fn until(
        &mut self,
        wait: Duration,
        wanted: impl Fn(&SseEvent) -> bool,
    ) -> Option<SseEvent> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let event = self.next(left).await?;
            if wanted(&event) {
                return Some(event);
            }
        }
    }

    /// Waits until the server closes the stream; true when it did within `wait`.
    pub async fn ends_within(&mut self, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        while !self.closed {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return false;
            }
            let _ = self.next(left).await;
        }
        true
    }
}
