//! `GATEHOUSE_TRACE_SQL=1`: every statement the server runs, with its time, on standard error
//! as `SQLT <µs> <statement>` (the statement's text only, never its bound values). For finding
//! where a slow page or save spends its time; off unless the variable is set, and then it
//! costs a string per statement.

use diesel::connection::{Instrumentation, InstrumentationEvent};
use std::time::Instant;

/// Turns the trace on for `conn` when `GATEHOUSE_TRACE_SQL` is set.
pub fn timings(conn: &mut impl diesel::Connection) {
    if std::env::var_os("GATEHOUSE_TRACE_SQL").is_some() {
        conn.set_instrumentation(Timings(Instant::now()));
    }
}

struct Timings(Instant);

impl Instrumentation for Timings {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartQuery { .. } => self.0 = Instant::now(),
            InstrumentationEvent::FinishQuery { query, .. } => {
                let text = query.to_string();
                let statement = text.split(" -- binds").next().unwrap_or_default();
                eprintln!(
                    "SQLT {} {}",
                    self.0.elapsed().as_micros(),
                    statement.replace('\n', " ")
                );
            }
            _ => {}
        }
    }
}
