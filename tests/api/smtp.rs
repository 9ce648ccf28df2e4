//! A real SMTP server on loopback, inside the test process (mailin-embedded).

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mailin_embedded::response::{self, Response};
use mailin_embedded::{Handler, Server, SslConfig};

#[derive(Clone, Default)]
struct Collector {
    inbox: Arc<Mutex<Vec<Received>>>,
    to: Vec<String>,
    data: Vec<u8>,
}

/// One delivered message.
#[derive(Debug, Clone)]
pub struct Received {
    pub to: Vec<String>,
    /// The raw message with quoted-printable soft breaks undone.
    pub raw: String,
}

impl Received {
    pub fn subject(&self) -> String {
        self.raw
            .lines()
            .find_map(|l| l.strip_prefix("Subject: "))
            .unwrap_or("")
            .to_owned()
    }

    /// The 6-digit code of a code email ("… sign-in code is 123456", "… setup code is …").
    pub fn code(&self) -> Option<String> {
        let at = self.raw.find(" code is ")? + " code is ".len();
        let code: String = self.raw[at..].chars().take(6).collect();
        (code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())).then_some(code)
    }

    /// The first link to `path_prefix` (e.g. "/invite/") in the message.
    pub fn link(&self, path_prefix: &str) -> Option<String> {
        let at = self.raw.find(path_prefix)?;
        let start = self.raw[..at].rfind("http")?;
        let end = self.raw[at..]
            .find(|c: char| c.is_whitespace() || c == '"' || c == '<')
            .map(|e| at + e)?;
        Some(self.raw[start..end].to_owned())
    }
}

impl Handler for Collector {
    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.to = to.to_vec();
        self.data.clear();
        response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let text = String::from_utf8_lossy(&self.data)
            .replace("=\r\n", "")
            .replace("=3D", "=");
        self.inbox.lock().unwrap().push(Received {
            to: self.to.clone(),
            raw: text,
        });
        response::OK
    }
}

pub struct TestSmtp {
    pub port: u16,
    inbox: Arc<Mutex<Vec<Received>>>,
}

impl TestSmtp {
    /// Starts a server on a free port.
    pub fn start() -> TestSmtp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind smtp");
        let port = listener.local_addr().unwrap().port();
        Self::start_with(listener, port)
    }

    /// Starts a server on a port chosen earlier (to bring a "down" mail server up).
    pub fn start_on(port: u16) -> TestSmtp {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind smtp port");
        Self::start_with(listener, port)
    }

    fn start_with(listener: TcpListener, port: u16) -> TestSmtp {
        let collector = Collector::default();
        let inbox = collector.inbox.clone();
        let mut server = Server::new(collector);
        server
            .with_name("localhost")
            .with_ssl(SslConfig::None)
            .expect("ssl config")
            .with_num_threads(2)
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        TestSmtp { port, inbox }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn received(&self) -> Vec<Received> {
        self.inbox.lock().unwrap().clone()
    }

    /// How many messages went to `email` so far.
    pub fn count_to(&self, email: &str) -> usize {
        self.received()
            .iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(email)))
            .count()
    }

    /// The sign-in code in the first sign-in-code email to `email` after the first `seen`
    /// messages to that address.
    pub async fn sign_in_code(&self, email: &str, seen: usize) -> String {
        self.code_about(email, seen, "sign-in code").await
    }

    /// The code in the first setup-code email to `email` after the first `seen` messages to
    /// that address.
    pub async fn setup_code(&self, email: &str, seen: usize) -> String {
        self.code_about(email, seen, "setup code").await
    }

    /// The code of the first email to `email` whose subject has `kind`, after the first `seen`
    /// messages to that address (waits up to 10 s).
    pub async fn code_about(&self, email: &str, seen: usize, kind: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let code = self
                .received()
                .into_iter()
                .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(email)))
                .skip(seen)
                .find(|m| m.subject().contains(kind))
                .and_then(|m| m.code());
            if let Some(code) = code {
                return code;
            }
            assert!(Instant::now() < deadline, "no {kind} reached {email}");
            actix_web::rt::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The newest message to `email` whose subject contains `subject` (waits up to 10 s).
    pub async fn message_about(&self, email: &str, subject: &str) -> Received {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(message) = self.received().into_iter().rev().find(|m| {
                m.to.iter().any(|t| t.eq_ignore_ascii_case(email)) && m.subject().contains(subject)
            }) {
                return message;
            }
            assert!(
                Instant::now() < deadline,
                "no email about {subject:?} reached {email}"
            );
            actix_web::rt::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The newest message to `email`.
    pub async fn message_to(&self, email: &str) -> Received {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(message) = self
                .received()
                .into_iter()
                .rev()
                .find(|m| m.to.iter().any(|t| t == email))
            {
                return message;
            }
            assert!(Instant::now() < deadline, "no email to {email} arrived");
            actix_web::rt::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

/// A mail server that hangs: it accepts connections and never says a word (no greeting), the
/// way a wedged server or a firewall that swallows packets behaves. With an upstream, it hangs
/// on the first connection only and passes every later one through to that real server.
pub struct HangingSmtp {
    pub port: u16,
    held: Arc<Mutex<Vec<std::net::TcpStream>>>,
    armed: Arc<std::sync::atomic::AtomicBool>,
}

impl HangingSmtp {
    /// Hangs on every connection.
    pub fn start() -> HangingSmtp {
        Self::start_with(None)
    }

    /// Forwards to the server on `upstream_port`, except the first connection after `arm`,
    /// which hangs.
    pub fn first_then_forward_to(upstream_port: u16) -> HangingSmtp {
        Self::start_with(Some(upstream_port))
    }

    /// The next connection hangs (with an upstream; without one every connection does).
    pub fn arm(&self) {
        self.armed.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    fn start_with(upstream: Option<u16>) -> HangingSmtp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind hanging smtp");
        let port = listener.local_addr().unwrap().port();
        let held = Arc::new(Mutex::new(Vec::new()));
        let armed = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (holding, arming) = (held.clone(), armed.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let mut held = holding.lock().unwrap();
                let hang_now = held.is_empty() && arming.load(std::sync::atomic::Ordering::SeqCst);
                match upstream {
                    Some(upstream) if !hang_now => forward(client, upstream),
                    // Kept open, never answered.
                    _ => held.push(client),
                }
            }
        });
        HangingSmtp { port, held, armed }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// How many connections it has taken and never answered.
    pub fn hung(&self) -> usize {
        self.held.lock().unwrap().len()
    }

    /// Waits (up to 10 s) until a connection hangs on it.
    pub async fn wait_for_a_hung_connection(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.hung() == 0 {
            assert!(
                Instant::now() < deadline,
                "nobody connected to the mail server"
            );
            actix_web::rt::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

/// Passes bytes both ways between `client` and the server on `port` until either side closes.
pub fn forward(client: std::net::TcpStream, port: u16) {
    use std::net::{Shutdown, TcpStream};
    let Ok(server) = TcpStream::connect(("127.0.0.1", port)) else {
        return;
    };
    let pipe = |mut from: TcpStream, mut to: TcpStream| {
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut from, &mut to);
            let _ = to.shutdown(Shutdown::Write);
        });
    };
    if let (Ok(client_too), Ok(server_too)) = (client.try_clone(), server.try_clone()) {
        pipe(client, server);
        pipe(server_too, client_too);
    }
}
