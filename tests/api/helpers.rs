//! Starts the real app on a random port against a fresh database, and talks to it the way a
//! browser does: cookies, CSRF tokens read from the page, redirects inspected by hand.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use gatehouse::config::{Config, HashCost};
use gatehouse::db::{self, DatabaseUrl, DbConn};
use gatehouse::web::{AppState, Clock};
use gatehouse::Application;
use reqwest::header::HeaderMap;
use reqwest::StatusCode;

pub const PASSWORD: &str = "correct horse battery staple";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named `async fn(TestApp)` once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[actix_web::test]
            async fn sqlite() {
                let app = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await.expect("sqlite app");
                super::$name(app).await;
            }

            #[actix_web::test]
            async fn postgres() {
                match $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await {
                    Some(app) => super::$name(app).await,
                    None => $crate::helpers::say_skipped(stringify!($name)),
                }
            }
        }
    )*};
}

/// Runs each named `async fn(Backend)` once per backend, for tests that start their own app.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[actix_web::test]
            async fn sqlite() {
                super::$name($crate::helpers::Backend::Sqlite).await;
            }

            #[actix_web::test]
            async fn postgres() {
                if std::env::var("TEST_DATABASE_URL_PG").map_or(true, |u| u.is_empty()) {
                    $crate::helpers::say_skipped(stringify!($name));
                    return;
                }
                super::$name($crate::helpers::Backend::Postgres).await;
            }
        }
    )*};
}

/// Says a PostgreSQL variant was skipped on the real stderr (the test harness swallows
/// `eprintln!` of passing tests), so `.ci/run` can refuse a run that skipped any.
pub fn say_skipped(name: &str) {
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "skipped {name}: TEST_DATABASE_URL_PG is not set"
    );
}

static COUNTER: AtomicU32 = AtomicU32::new(0);
static PG_LOCK: Mutex<()> = Mutex::new(());

fn unique_name(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// What a test database leaves behind, removed when the test ends.
enum Scratch {
    Sqlite(PathBuf),
    Postgres {
        admin_url: String,
        name: String,
        data_dir: PathBuf,
    },
}

impl Drop for Scratch {
    fn drop(&mut self) {
        match self {
            Scratch::Sqlite(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Scratch::Postgres {
                admin_url,
                name,
                data_dir,
            } => {
                let _ = std::fs::remove_dir_all(data_dir);
                if let Ok(mut conn) = db::connect_pg(admin_url) {
                    let _ =
                        conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                }
            }
        }
    }
}

fn replace_db_name(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (admin_url, String::new()),
    };
    let prefix = base.rsplit_once('/').map(|(p, _)| p).unwrap_or(base);
    format!("{prefix}/{name}{query}")
}

/// A fresh PostgreSQL database cloned from a template migrated once per migration set.
fn postgres_database() -> Option<(String, Scratch)> {
    let admin_url = std::env::var("TEST_DATABASE_URL_PG")
        .ok()
        .filter(|u| !u.is_empty())?;
    let _guard = PG_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let mut admin = db::connect_pg(&admin_url).expect("connect to TEST_DATABASE_URL_PG");
    // The template's name carries a hash of the migrations, so a changed schema gets a new one.
    let mut fingerprint = String::new();
    let mut dirs: Vec<_> = std::fs::read_dir("migrations/postgres")
        .expect("migrations")
        .flatten()
        .map(|e| e.path())
        .collect();
    dirs.sort();
    for dir in dirs {
        fingerprint.push_str(&std::fs::read_to_string(dir.join("up.sql")).unwrap_or_default());
    }
    let template = format!(
        "gh_tpl_{}",
        &gatehouse::auth::tokens::hash_token(&fingerprint)[..16]
    );
    // One process at a time builds the template and clones from it (nextest runs many).
    admin
        .batch_execute("SELECT pg_advisory_lock(714203)")
        .expect("advisory lock");
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let exists = diesel::sql_query(format!(
        "SELECT count(*) AS n FROM pg_database WHERE datname = '{template}'"
    ))
    .get_result::<Found>(&mut admin)
    .map(|f| f.n > 0)
    .unwrap_or(false);
    if !exists {
        let building = format!("{template}_building");
        let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"));
        admin
            .batch_execute(&format!("CREATE DATABASE {building}"))
            .expect("create template");
        {
            let mut conn = DbConn::Pg(
                db::connect_pg(&replace_db_name(&admin_url, &building)).expect("template"),
            );
            db::migrate(&mut conn).expect("migrate template");
        }
        admin
            .batch_execute(&format!("ALTER DATABASE {building} RENAME TO {template}"))
            .expect("rename template");
    }
    let name = unique_name("gh_test");
    let created = admin.batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}"));
    admin
        .batch_execute("SELECT pg_advisory_unlock(714203)")
        .ok();
    created.expect("clone template");
    let data_dir = std::env::temp_dir().join(&name);
    std::fs::create_dir_all(&data_dir).expect("temp dir");
    Some((
        replace_db_name(&admin_url, &name),
        Scratch::Postgres {
            admin_url,
            name,
            data_dir,
        },
    ))
}

/// A fresh, empty database and data directory, removed when dropped (`None`: PostgreSQL is
/// not configured for the tests).
pub struct ScratchDb {
    /// DATABASE_URL.
    pub url: String,
    pub data_dir: PathBuf,
    scratch: Scratch,
}

pub fn scratch_database(backend: Backend) -> Option<ScratchDb> {
    let (url, scratch) = match backend {
        Backend::Sqlite => {
            let dir = std::env::temp_dir().join(unique_name("gatehouse-test"));
            std::fs::create_dir_all(&dir).expect("temp dir");
            (
                format!("sqlite://{}", dir.join("gatehouse.db").display()),
                Scratch::Sqlite(dir),
            )
        }
        Backend::Postgres => postgres_database()?,
    };
    let data_dir = match &scratch {
        Scratch::Sqlite(dir) => dir.clone(),
        Scratch::Postgres { data_dir, .. } => data_dir.clone(),
    };
    Some(ScratchDb {
        url,
        data_dir,
        scratch,
    })
}

pub struct TestApp {
    pub address: String,
    /// The SMTP server the app delivers to (`None` when a test points SMTP elsewhere).
    pub smtp: Option<crate::smtp::TestSmtp>,
    pub backend: Backend,
    pub client: reqwest::Client,
    pub state: Arc<AppState>,
    csrf: Mutex<String>,
    _scratch: Scratch,
}

pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    let smtp = crate::smtp::TestSmtp::start();
    let url = smtp.url();
    let mut app = spawn_app_with(backend, move |config| config.smtp_url = Some(url)).await?;
    app.smtp = Some(smtp);
    Some(app)
}

/// Starts the app with settings changed by `configure`.
pub async fn spawn_app_with(
    backend: Backend,
    configure: impl FnOnce(&mut Config),
) -> Option<TestApp> {
    let _ = env_logger::builder().is_test(true).try_init();
    let ScratchDb {
        url,
        data_dir,
        scratch,
    } = scratch_database(backend)?;
    let mut config = Config::new(DatabaseUrl::parse(&url).expect("url"), data_dir);
    config.addr = "127.0.0.1:0".into();
    config.hash_cost = HashCost::TEST;
    config.login_attempts_per_minute = 10_000;
    config.db_pool_size = 4;
    // The SSO tests' identity provider listens on loopback.
    config.sso_allow_private = true;
    configure(&mut config);
    let app = Application::build(config, Clock::default())
        .await
        .expect("app starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state.clone();
    actix_web::rt::spawn(app.run_until_stopped());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .expect("client");
    Some(TestApp {
        address,
        smtp: None,
        backend,
        client,
        state,
        csrf: Mutex::new(String::new()),
        _scratch: scratch,
    })
}

/// GET `url` in `browser`: the page's HTML.
pub async fn page_of(browser: &reqwest::Client, url: &str) -> String {
    let response = browser.get(url).send().await.expect("GET");
    response.text().await.expect("page")
}

/// POSTs `fields` to `url` with the CSRF token of `page`, the form the person has open.
pub async fn post_from(
    browser: &reqwest::Client,
    url: &str,
    page: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let token = csrf_of(page).expect("the page has a form with a CSRF token");
    let mut body: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
    body.extend_from_slice(fields);
    browser.post(url).form(&body).send().await.expect("POST")
}

/// The value of `name="csrf_token"` in a page.
pub fn csrf_of(html: &str) -> Option<String> {
    let at = html.find("name=\"csrf_token\" value=\"")?;
    let rest = &html[at + "name=\"csrf_token\" value=\"".len()..];
    Some(rest[..rest.find('"')?].to_owned())
}

pub fn assert_redirect_to(response: &reqwest::Response, location: &str) {
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "expected a redirect to {location}"
    );
    assert_eq!(
        response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok()),
        Some(location)
    );
}

/// The `Location` of a redirect.
pub fn location_of(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The toast message an htmx response asks for.
pub fn toast_of(headers: &HeaderMap) -> Option<String> {
    let trigger = headers.get("HX-Trigger")?.to_str().ok()?;
    let value: serde_json::Value = serde_json::from_str(trigger).ok()?;
    value["toast"]["message"].as_str().map(str::to_owned)
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_html(&self, path: &str) -> (StatusCode, String) {
        let response = self.get(path).await;
        let status = response.status();
        let body = response.text().await.expect("body");
        if let Some(token) = csrf_of(&body) {
            *self.csrf.lock().unwrap() = token;
        }
        (status, body)
    }

    /// An htmx request for a fragment.
    pub async fn hx_get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .header("HX-Request", "true")
            .send()
            .await
            .expect("hx GET")
    }

    /// The CSRF token of the last page seen (fetches the sign-in page when none was seen).
    pub async fn csrf(&self) -> String {
        let known = self.csrf.lock().unwrap().clone();
        if !known.is_empty() {
            return known;
        }
        self.get_html("/login").await;
        self.csrf.lock().unwrap().clone()
    }

    /// Posts a form as a browser does, with the page's CSRF token.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf().await;
        let mut body: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        body.extend_from_slice(fields);
        // The headers Chromium sends for a same-origin form under Referrer-Policy: no-referrer.
        self.client
            .post(self.url(path))
            .header("Origin", "null")
            .header("Sec-Fetch-Site", "same-origin")
            .form(&body)
            .send()
            .await
            .expect("POST")
    }

    /// Posts without any CSRF token.
    pub async fn post_form_without_csrf(
        &self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(fields)
            .send()
            .await
            .expect("POST")
    }

    /// Signs in, completing the emailed-code second step when the account's role requires
    /// it (the code is read from the test SMTP server), so tests need not care. The answer is
    /// the final redirect (or the refusal).
    pub async fn login_as(&self, email: &str, password: &str) -> reqwest::Response {
        self.csrf.lock().unwrap().clear();
        self.get_html("/login").await;
        let seen = self.smtp.as_ref().map_or(0, |s| s.count_to(email));
        let mut response = self
            .post_form("/login", &[("email", email), ("password", password)])
            .await;
        if location_of(&response).as_deref() == Some("/login/mfa") {
            let code = self.mail().sign_in_code(email, seen).await;
            self.get_html("/login/mfa").await;
            response = self.post_form("/login/mfa", &[("code", &code)]).await;
        }
        if response.status() == StatusCode::SEE_OTHER {
            // The token rotates at sign-in: read the new one from a signed-in page.
            self.csrf.lock().unwrap().clear();
            self.get_html("/account").await;
        }
        response
    }

    /// Posts the password only, stopping before any second step.
    pub async fn post_password(&self, email: &str, password: &str) -> reqwest::Response {
        self.csrf.lock().unwrap().clear();
        self.get_html("/login").await;
        self.post_form("/login", &[("email", email), ("password", password)])
            .await
    }

    pub async fn logout(&self) -> reqwest::Response {
        // The token rotates at sign-in: take the current one from a signed-in page.
        self.csrf.lock().unwrap().clear();
        self.get_html("/account").await;
        let response = self.post_form("/logout", &[]).await;
        self.csrf.lock().unwrap().clear();
        response
    }

    /// Blocking database work for test setup and checks.
    pub async fn db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut DbConn) -> T + Send + 'static,
    ) -> T {
        let pool = self.state.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get().expect("pooled connection");
            f(&mut conn)
        })
        .await
        .expect("db task")
    }

    /// First-run setup through the web: the organization and its Owner; signs the Owner in.
    pub async fn setup_first_org(&self, org: &str, email: &str) -> i64 {
        let now = self.state.clock.now();
        let secret = self
            .db(move |c| gatehouse::orgs::service::first_run_link(c, now).expect("link"))
            .await
            .expect("a fresh install offers a setup link");
        self.complete_setup(&secret, Some(org), "Olive", "Owner", email)
            .await;
        self.org_of(email).await
    }

    /// The setup link's two steps as a person takes them: the form, then the code emailed to
    /// the address; ends signed in as the new Owner.
    pub async fn complete_setup(
        &self,
        secret: &str,
        org: Option<&str>,
        first: &str,
        last: &str,
        email: &str,
    ) -> reqwest::Response {
        self.csrf.lock().unwrap().clear();
        let (status, _) = self.get_html(&format!("/setup?token={secret}")).await;
        assert_eq!(status, StatusCode::OK);
        let seen = self.smtp.as_ref().map_or(0, |s| s.count_to(email));
        let mut fields = vec![
            ("token", secret),
            ("first_name", first),
            ("last_name", last),
            ("email", email),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ];
        if let Some(org) = org {
            fields.push(("org_name", org));
        }
        let response = self.post_form("/setup", &fields).await;
        assert_redirect_to(&response, &format!("/setup?token={secret}"));
        let code = self.setup_code(email, seen).await;
        let (status, page) = self.get_html(&format!("/setup?token={secret}")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Confirm your email"), "{page}");
        let response = self
            .post_form("/setup/code", &[("token", secret), ("code", &code)])
            .await;
        assert_redirect_to(&response, "/users");
        self.csrf.lock().unwrap().clear();
        self.get_html("/account").await;
        response
    }

    /// The newest setup code sent to `email` after the first `seen` messages to it: from the
    /// test SMTP server, or from the outbox when the app delivers elsewhere.
    pub async fn setup_code(&self, email: &str, seen: usize) -> String {
        if let Some(smtp) = &self.smtp {
            return smtp.setup_code(email, seen).await;
        }
        let to = email.trim().to_lowercase();
        let text = self
            .db(move |c| {
                use gatehouse::db::schema::email_outbox;
                email_outbox::table
                    .filter(email_outbox::recipient.eq(to))
                    .filter(email_outbox::kind.eq("setup_code"))
                    .order(email_outbox::id.desc())
                    .select(email_outbox::text_body)
                    .first::<String>(c)
                    .expect("a setup code in the outbox")
            })
            .await;
        let at = text.find("setup code is ").expect("the code") + "setup code is ".len();
        text[at..at + 6].to_owned()
    }

    pub async fn org_of(&self, email: &str) -> i64 {
        let email = email.to_owned();
        self.db(move |c| {
            use gatehouse::db::schema::users;
            users::table
                .filter(users::email.eq(email))
                .select(users::org_id)
                .first::<i64>(c)
                .expect("user")
        })
        .await
    }

    /// The organization's sign-up domains, in alphabetical order.
    pub async fn signup_domains(&self, org_id: i64) -> Vec<String> {
        self.db(move |c| gatehouse::orgs::store::signup_domains_of(c, org_id).expect("domains"))
            .await
    }

    /// The id of the organization's Owner.
    pub async fn org_owner(&self, org_id: i64) -> i64 {
        self.db(move |c| {
            use gatehouse::db::schema::{roles, user_roles, users};
            users::table
                .inner_join(user_roles::table.inner_join(roles::table))
                .filter(users::org_id.eq(org_id))
                .filter(roles::name.eq("Owner"))
                .select(users::id)
                .first::<i64>(c)
                .expect("owner")
        })
        .await
    }

    /// The test SMTP server.
    pub fn mail(&self) -> &crate::smtp::TestSmtp {
        self.smtp
            .as_ref()
            .expect("this app delivers to the test SMTP server")
    }

    /// An htmx form post (header token, as htmx sends it).
    pub async fn hx_post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf().await;
        self.client
            .post(self.url(path))
            .header("HX-Request", "true")
            .header("X-CSRF-Token", token)
            .form(fields)
            .send()
            .await
            .expect("hx POST")
    }

    /// In `browser`, opens `url` and submits its form with the page's CSRF token and `fields`,
    /// as a person does.
    pub async fn submit_page_form(
        &self,
        browser: &reqwest::Client,
        url: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let url = if url.starts_with("http") {
            url.to_owned()
        } else {
            self.url(url)
        };
        let page = browser
            .get(&url)
            .send()
            .await
            .expect("GET form")
            .text()
            .await
            .expect("page");
        let token = csrf_of(&page).expect("the page has a form with a CSRF token");
        let mut body: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        body.extend_from_slice(fields);
        browser
            .post(url)
            .form(&body)
            .send()
            .await
            .expect("POST form")
    }

    /// In `browser`, loads `page` for its CSRF token and posts `fields` to `action` (a form on
    /// one page that posts elsewhere).
    pub async fn post_from_page(
        &self,
        browser: &reqwest::Client,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let html = browser
            .get(self.url(page))
            .send()
            .await
            .expect("GET page")
            .text()
            .await
            .expect("page");
        let token = csrf_of(&html).expect("the page has a CSRF token");
        let mut body: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        body.extend_from_slice(fields);
        browser
            .post(self.url(action))
            .form(&body)
            .send()
            .await
            .expect("POST")
    }

    /// The details of the organization's audit events of `action`, newest first.
    pub async fn audit_details(&self, org_id: i64, action: &str) -> Vec<serde_json::Value> {
        let action = action.to_owned();
        self.db(move |c| {
            gatehouse::audit::store::recent(c, org_id, 500)
                .expect("events")
                .into_iter()
                .filter(|e| e.action == action)
                .map(|e| serde_json::from_str(&e.details).expect("JSON details"))
                .collect()
        })
        .await
    }

    /// A new browser signed in as `email`, with the sign-in response.
    pub async fn browser_login(
        &self,
        email: &str,
        password: &str,
    ) -> (reqwest::Client, reqwest::Response) {
        let browser = self.new_browser();
        let seen = self.smtp.as_ref().map_or(0, |s| s.count_to(email));
        let mut response = self
            .submit_page_form(
                &browser,
                "/login",
                &[("email", email), ("password", password)],
            )
            .await;
        if location_of(&response).as_deref() == Some("/login/mfa") {
            let code = self.mail().sign_in_code(email, seen).await;
            response = self
                .submit_page_form(&browser, "/login/mfa", &[("code", &code)])
                .await;
        }
        (browser, response)
    }

    /// A second browser: its own cookies, same server.
    pub fn new_browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .expect("client")
    }

    pub async fn audit_actions(&self, org_id: i64) -> Vec<String> {
        self.db(move |c| {
            gatehouse::audit::store::recent(c, org_id, 100)
                .expect("events")
                .into_iter()
                .map(|e| e.action)
                .collect()
        })
        .await
    }
}

/// Someone to put in the list directly (test data, not a feature under test).
pub struct Person {
    pub first: &'static str,
    pub last: &'static str,
    pub email: &'static str,
    pub status: &'static str,
    pub roles: &'static [&'static str],
    /// Minutes before now of the last activity; `None`: never.
    pub active_minutes_ago: Option<i64>,
}

impl TestApp {
    /// Inserts people into an organization with a usable password; returns their ids in order.
    pub async fn add_people(&self, org_id: i64, people: Vec<Person>) -> Vec<i64> {
        let hash = self.state.hasher.hash(PASSWORD.into()).await.expect("hash");
        let now = self.state.clock.now();
        self.db(move |c| {
            use gatehouse::db::schema::users;
            use gatehouse::users::store::{add_role, insert_user, role_id_by_name, NewUser};
            let mut ids = Vec::new();
            for p in &people {
                let mut new_user = NewUser::new(org_id, p.email, p.first, p.last, p.status, now);
                new_user.password_hash = Some(&hash);
                let id = insert_user(c, &new_user).expect("insert user");
                let active = p
                    .active_minutes_ago
                    .map(|m| now - chrono::Duration::minutes(m));
                diesel::update(users::table.find(id))
                    .set(users::last_active_at.eq(active))
                    .execute(c)
                    .expect("active");
                for role in p.roles {
                    let role_id = role_id_by_name(c, org_id, role).expect("role");
                    add_role(c, id, role_id).expect("add role");
                }
                ids.push(id);
            }
            ids
        })
        .await
    }
}

impl TestApp {
    pub async fn role_id(&self, org_id: i64, name: &'static str) -> i64 {
        self.db(move |c| gatehouse::users::store::role_id_by_name(c, org_id, name).expect("role"))
            .await
    }

    pub async fn product_id(&self, org_id: i64, name: &'static str) -> i64 {
        self.db(move |c| {
            use gatehouse::db::schema::products;
            products::table
                .filter(products::org_id.eq(org_id))
                .filter(products::name.eq(name))
                .select(products::id)
                .first::<i64>(c)
                .expect("product")
        })
        .await
    }

    /// (seats, seats used) of a product.
    pub async fn seats(&self, product_id: i64) -> (i32, i32) {
        self.db(move |c| {
            use gatehouse::db::schema::products;
            products::table
                .find(product_id)
                .select((products::seats, products::seats_used))
                .first(c)
                .expect("product")
        })
        .await
    }

    /// Gives the user a license, taking the seat (test setup, not the feature under test).
    pub async fn give_license(&self, user_id: i64, product_id: i64) {
        let now = self.state.clock.now();
        self.db(move |c| {
            assert!(gatehouse::licenses::store::take_seat(c, product_id).expect("seat"));
            gatehouse::licenses::store::assign(c, user_id, product_id, now).expect("license");
        })
        .await
    }

    /// Makes the user own `count` records of `kind` (references `KIND-<user>-<n>`).
    pub async fn add_records(&self, org_id: i64, owner: i64, kind: &'static str, count: usize) {
        let now = self.state.clock.now();
        self.db(move |c| {
            use gatehouse::db::schema::owned_records;
            for n in 0..count {
                diesel::insert_into(owned_records::table)
                    .values((
                        owned_records::org_id.eq(org_id),
                        owned_records::kind.eq(kind),
                        owned_records::reference.eq(format!("{kind}-{owner}-{n}")),
                        owned_records::owner_id.eq(owner),
                        owned_records::created_at.eq(now),
                        owned_records::updated_at.eq(now),
                    ))
                    .execute(c)
                    .expect("record");
            }
        })
        .await
    }

    /// Owners of the organization's records of `kind`, by reference order.
    pub async fn record_owners(&self, org_id: i64) -> Vec<Option<i64>> {
        self.db(move |c| {
            use gatehouse::db::schema::owned_records;
            owned_records::table
                .filter(owned_records::org_id.eq(org_id))
                .order(owned_records::reference)
                .select(owned_records::owner_id)
                .load(c)
                .expect("records")
        })
        .await
    }

    pub async fn status_of(&self, user_id: i64) -> Option<String> {
        self.db(move |c| {
            use gatehouse::db::schema::users;
            users::table
                .find(user_id)
                .select(users::status)
                .first::<String>(c)
                .optional()
                .expect("status")
        })
        .await
    }
}

/// Someone for a test: an active user with one role, never signed in.
pub fn someone(first: &'static str, email: &'static str, role: &'static str) -> Person {
    let roles: &'static [&'static str] = match role {
        "Admin" => &["Admin"],
        "Manager" => &["Manager"],
        "Supervisor" => &["Supervisor"],
        _ => &["Agent"],
    };
    Person {
        first,
        last: "Test",
        email,
        status: "active",
        roles,
        active_minutes_ago: None,
    }
}

/// Emails in the list, in order (from the `<td class="email">` cells).
pub fn emails_in(html: &str) -> Vec<String> {
    html.split("<td class=\"email\">")
        .skip(1)
        .filter_map(|rest| rest.split('<').next())
        .map(str::to_owned)
        .collect()
}

/// The `href` of the link with `rel="next"` (or prev), HTML entities decoded.
pub fn link_rel(html: &str, rel: &str) -> Option<String> {
    let marker = format!("rel=\"{rel}\"");
    let end = html.find(&marker)?;
    let start = html[..end].rfind("<a href=\"")? + "<a href=\"".len();
    let href = &html[start..];
    Some(
        href[..href.find('"')?]
            .replace("&#38;", "&")
            .replace("&amp;", "&"),
    )
}

/// `spawn_app` with live updates quick enough for tests: the poller runs every 100 ms,
/// sessions behind live connections are re-checked every second, and a connection whose
/// instance stopped beating is stale after 3 seconds.
pub async fn spawn_live_app(backend: Backend) -> Option<TestApp> {
    let smtp = crate::smtp::TestSmtp::start();
    let url = smtp.url();
    let mut app = spawn_app_with(backend, move |config| {
        config.smtp_url = Some(url);
        quick_live(config);
    })
    .await?;
    app.smtp = Some(smtp);
    Some(app)
}

fn quick_live(config: &mut Config) {
    config.live_poll_ms = 100;
    config.live_session_check_secs = 1;
    config.presence_stale_secs = 3;
}

/// Another instance of the app on the same database, as behind a load balancer.
pub struct Instance {
    pub address: String,
    pub state: Arc<AppState>,
}

impl Instance {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }
}

impl TestApp {
    /// Starts a second instance on this app's database (PostgreSQL: several instances share
    /// one; SQLite serves one). Cookies of this app's clients work there too (same key, same
    /// sessions table, same host).
    pub async fn start_another_instance(&self) -> Instance {
        self.start_another_instance_with(quick_live).await
    }

    /// `start_another_instance` with its settings changed by `configure`.
    pub async fn start_another_instance_with(
        &self,
        configure: impl FnOnce(&mut Config),
    ) -> Instance {
        let mut config = self.state.config.clone();
        config.addr = "127.0.0.1:0".into();
        configure(&mut config);
        let app = Application::build(config, Clock::default())
            .await
            .expect("second instance starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        let state = app.state.clone();
        actix_web::rt::spawn(app.run_until_stopped());
        Instance { address, state }
    }
}
