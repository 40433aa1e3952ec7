//! `TestApp`: the real Rocket on a fresh database (SQLite in memory, or a fresh PostgreSQL
//! database when PLUSMARKT_TEST_DATABASE_URL is set), with demo municipalities and users.

#![allow(dead_code)]

use plusmarkt::auth::csrf::CSRF_COOKIE;
use plusmarkt::auth::guards::SESSION_COOKIE;
use plusmarkt::Config;
use rocket::http::{ContentType, Cookie, Header, Status};
use rocket::local::asynchronous::{Client, LocalRequest};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use serde_json::Value;

pub const CASEMANAGER_BOXTEL: &str = "casemanager@boxtel.example";
pub const CASEMANAGER_VUGHT: &str = "casemanager@vught.example";
pub const ADMIN: &str = "beheer@wsd.example";
pub const PRICING: &str = "prijzen@wsd.example";
pub const FINANCE: &str = "financien@wsd.example";
pub const WSD_STAFF: &str = "consulent@wsd.example";
pub const PASSWORD: &str = plusmarkt::services::demo::DEMO_PASSWORD;

pub struct TestApp {
    pub client: Client,
    pub db: DatabaseConnection,
    pub database_url: String,
    pub _cleanup: FileCleanup,
}

/// Removes a SQLite file made for one test when the test is done with it.
pub struct FileCleanup(Option<String>);

impl Drop for FileCleanup {
    fn drop(&mut self) {
        if let Some(path) = &self.0 {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{path}{suffix}"));
            }
        }
    }
}

/// A response header's value by its name, in any case.
fn header_in<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A response whose body is kept as bytes (a compressed answer), read completely.
pub struct BytesReply {
    pub status: Status,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl BytesReply {
    pub fn header(&self, name: &str) -> Option<&str> {
        header_in(&self.headers, name)
    }
}

/// A response, read completely.
pub struct Reply {
    pub status: Status,
    pub content_type: Option<String>,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        header_in(&self.headers, name)
    }

    pub fn is_problem(&self) -> bool {
        self.content_type.as_deref() == Some("application/problem+json")
    }
}

/// Who sends a request.
#[derive(Clone, Debug)]
pub enum As {
    Anonymous,
    /// A web session for this user (session cookie).
    Session(String),
    /// An API bearer token.
    Token(String),
}

tokio::task_local! {
    /// The statements sent by the task that [`TestApp::queries`] runs, when it runs one.
    static STATEMENTS: std::sync::Arc<std::sync::Mutex<Vec<String>>>;
}

/// Lets [`TestApp::queries`] see the statements sent through `db` and its clones: the
/// callback records a statement only inside a task that is counting, so background workers
/// (the outbox) and other tests' requests are never counted.
fn counted(mut db: DatabaseConnection) -> DatabaseConnection {
    db.set_metric_callback(|info| {
        let _ = STATEMENTS.try_with(|log| {
            if let Ok(mut log) = log.lock() {
                log.push(info.statement.sql.clone());
            }
        });
    });
    db
}

/// A fresh database URL: in-memory SQLite, or a new PostgreSQL database.
pub async fn fresh_database_url() -> String {
    match std::env::var("PLUSMARKT_TEST_DATABASE_URL") {
        Ok(base) if !base.is_empty() => {
            let name = format!("plusmarkt_t_{}", uuid::Uuid::new_v4().simple());
            let admin = sea_orm::Database::connect(&base)
                .await
                .unwrap_or_else(|e| panic!("PostgreSQL at {base} unreachable: {e}"));
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            admin.close().await.ok();
            let (prefix, _) = base.rsplit_once('/').expect("database URL has a path");
            format!("{prefix}/{name}")
        }
        _ => "sqlite::memory:".to_string(),
    }
}

/// The name of a PostgreSQL database migrated and seeded once per test run (catalogue, demo
/// contracts and users); each test gets a copy, which is much faster than seeding anew.
static TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
/// Copies of one template are made one at a time.
static COPYING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A fresh database with the demo data: in-memory SQLite, or a copy of the seeded
/// PostgreSQL template.
pub async fn seeded_database_url() -> String {
    let base = match std::env::var("PLUSMARKT_TEST_DATABASE_URL") {
        Ok(base) if !base.is_empty() => base,
        _ => return "sqlite::memory:".to_string(),
    };
    let (prefix, _) = base.rsplit_once('/').expect("database URL has a path");
    let template = TEMPLATE
        .get_or_init(|| async {
            let url = fresh_database_url().await;
            let mut config = Config::for_tests(&url);
            config.demo = true;
            let (db, _) = plusmarkt::prepare_database(&config)
                .await
                .expect("seed the template");
            db.close().await.ok();
            url.rsplit_once('/')
                .map(|(_, name)| name.to_string())
                .expect("a database name")
        })
        .await;
    let name = format!("plusmarkt_t_{}", uuid::Uuid::new_v4().simple());
    let _one_at_a_time = COPYING.lock().await;
    let admin = sea_orm::Database::connect(&base)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {base} unreachable: {e}"));
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
        .await
        .expect("copy the template database");
    admin.close().await.ok();
    format!("{prefix}/{name}")
}

impl TestApp {
    pub async fn new() -> TestApp {
        Self::with_config(|_| {}).await
    }

    /// On a SQLite file (several connections, as in production) unless PostgreSQL is set.
    pub async fn on_file() -> TestApp {
        let url = match std::env::var("PLUSMARKT_TEST_DATABASE_URL") {
            Ok(base) if !base.is_empty() => seeded_database_url().await,
            _ => {
                let path = std::env::temp_dir().join(format!(
                    "plusmarkt-test-{}.sqlite",
                    uuid::Uuid::new_v4().simple()
                ));
                format!("sqlite://{}?mode=rwc", path.display())
            }
        };
        Self::on_url(url, |_| {}).await
    }

    /// A second server on the same database as `self` (its own Rocket and connection pool).
    pub async fn second_server(&self) -> TestApp {
        let config = Config::for_tests(&self.database_url);
        let db = counted(
            plusmarkt::store::db::connect(&self.database_url)
                .await
                .expect("connect"),
        );
        let rocket = plusmarkt::rocket_with(config, db.clone());
        let client = Client::untracked(rocket).await.expect("rocket builds");
        TestApp {
            client,
            db,
            database_url: self.database_url.clone(),
            _cleanup: FileCleanup(None),
        }
    }

    /// On a SQLite file whatever the environment says (for what only SQLite does).
    pub async fn on_sqlite_file() -> TestApp {
        let path = std::env::temp_dir().join(format!(
            "plusmarkt-test-{}.sqlite",
            uuid::Uuid::new_v4().simple()
        ));
        Self::on_url(format!("sqlite://{}?mode=rwc", path.display()), |_| {}).await
    }

    /// The app with its clock pinned to noon (UTC) of `date`: "today" is `date`. Seeded
    /// afresh (not from the PostgreSQL template), so that the demo contracts are those of
    /// `date`'s year.
    pub async fn on_date(date: chrono::NaiveDate) -> TestApp {
        let url = fresh_database_url().await;
        Self::on_url(url, |c| {
            c.clock = plusmarkt::domain::clock::Clock::on_date(date)
        })
        .await
    }

    pub async fn with_config(adjust: impl FnOnce(&mut Config)) -> TestApp {
        let url = seeded_database_url().await;
        Self::on_url(url, adjust).await
    }

    async fn on_url(url: String, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = Config::for_tests(&url);
        config.demo = true;
        adjust(&mut config);
        let (db, _) = plusmarkt::prepare_database(&config)
            .await
            .expect("prepare database");
        let db = counted(db);
        let rocket = plusmarkt::rocket_with(config, db.clone());
        let client = Client::untracked(rocket).await.expect("rocket builds");
        let file = url
            .strip_prefix("sqlite://")
            .and_then(|rest| rest.split('?').next())
            .filter(|path| path.contains("plusmarkt-test-"))
            .map(str::to_string);
        TestApp {
            client,
            db,
            database_url: url,
            _cleanup: FileCleanup(file),
        }
    }

    /// The SQL statements that `work` sends to the database (through the app's connection,
    /// in the order sent), with what it returns. Only the statements of `work` itself are
    /// counted, not those of background workers, e.g.
    /// `let (sql, reply) = app.queries(app.get(&who, "/api/v1/contracts")).await;`
    pub async fn queries<F: std::future::Future>(&self, work: F) -> (Vec<String>, F::Output) {
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let output = self.counting(log.clone(), work).await;
        let statements = log.lock().map(|l| l.clone()).unwrap_or_default();
        (statements, output)
    }

    /// Runs `work` while recording its statements into `log`, which the caller can read
    /// while the work is still going on (to wait until it has reached a point).
    pub async fn counting<F: std::future::Future>(
        &self,
        log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
        work: F,
    ) -> F::Output {
        STATEMENTS.scope(log, work).await
    }

    /// A session for a demo user, made directly in the store (the login form has tests of its own).
    pub async fn login_as(&self, email: &str) -> As {
        let user = plusmarkt::store::users::find_by_email(&self.db, email)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no user {email}"));
        let now = self.clock().now();
        As::Session(
            plusmarkt::store::sessions::create(&self.db, &user.id, now)
                .await
                .unwrap(),
        )
    }

    /// The app's clock (fixed in tests that pin a date).
    pub fn clock(&self) -> plusmarkt::domain::clock::Clock {
        *self
            .client
            .rocket()
            .state::<plusmarkt::domain::clock::Clock>()
            .expect("the clock is managed")
    }

    /// Every e-mail the app has sent so far (tests keep mail in memory), after sending what
    /// is due in the outbox.
    pub async fn emails(&self) -> Vec<plusmarkt::mail::SentMail> {
        use plusmarkt::entities::outbox;
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

        let mailer = self
            .client
            .rocket()
            .state::<plusmarkt::mail::Mailer>()
            .expect("the mailer is managed");
        plusmarkt::mail::send_due(&self.db, mailer, &plusmarkt::mail::WorkerConfig::default())
            .await
            .expect("send the outbox");
        // The background worker may be halfway through a message it claimed: let it finish.
        for _ in 0..250 {
            let sending = outbox::Entity::find()
                .filter(outbox::Column::Status.eq("sending"))
                .count(&self.db)
                .await
                .expect("count outbox rows");
            if sending == 0 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        mailer
            .memory_mailbox()
            .expect("tests keep mail in memory")
            .messages()
    }

    pub async fn token_for(&self, email: &str) -> As {
        let token = plusmarkt::services::users::add_token(
            &self.db,
            &plusmarkt::auth::Principal::system("test"),
            email,
            "test",
            None,
        )
        .await
        .unwrap();
        As::Token(token)
    }

    fn authorise<'c>(&'c self, request: LocalRequest<'c>, who: &As) -> LocalRequest<'c> {
        match who {
            As::Anonymous => request,
            As::Session(token) => {
                request.private_cookie(Cookie::new(SESSION_COOKIE, token.clone()))
            }
            As::Token(token) => {
                request.header(Header::new("Authorization", format!("Bearer {token}")))
            }
        }
    }

    pub async fn read(response: rocket::local::asynchronous::LocalResponse<'_>) -> Reply {
        let status = response.status();
        let content_type = response
            .content_type()
            .map(|c| format!("{}/{}", c.top(), c.sub()));
        let headers = Self::headers_of(&response);
        let body = response.into_string().await.unwrap_or_default();
        Reply {
            status,
            content_type,
            headers,
            body,
        }
    }

    fn headers_of(
        response: &rocket::local::asynchronous::LocalResponse<'_>,
    ) -> Vec<(String, String)> {
        response
            .headers()
            .iter()
            .map(|h| (h.name().to_string(), h.value().to_string()))
            .collect()
    }

    pub async fn get(&self, who: &As, path: &str) -> Reply {
        let request = self.authorise(self.client.get(path.to_string()), who);
        Self::read(request.dispatch().await).await
    }

    /// A GET with extra request headers, its body as bytes (for compressed answers).
    pub async fn get_bytes(&self, who: &As, path: &str, headers: &[(&str, &str)]) -> BytesReply {
        let mut request = self.authorise(self.client.get(path.to_string()), who);
        for (name, value) in headers {
            request = request.header(Header::new(name.to_string(), value.to_string()));
        }
        let response = request.dispatch().await;
        let status = response.status();
        let headers = Self::headers_of(&response);
        let body = response.into_bytes().await.unwrap_or_default();
        BytesReply {
            status,
            headers,
            body,
        }
    }

    pub async fn send_json(
        &self,
        method: rocket::http::Method,
        who: &As,
        path: &str,
        body: &str,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut request = self
            .authorise(self.client.req(method, path.to_string()), who)
            .header(ContentType::JSON)
            .body(body);
        for (name, value) in headers {
            request = request.header(Header::new(name.to_string(), value.to_string()));
        }
        Self::read(request.dispatch().await).await
    }

    /// Every item of a paginated list, following `next_cursor`.
    pub async fn all_items(&self, who: &As, path: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let sep = if path.contains('?') { '&' } else { '?' };
            let url = match &cursor {
                Some(c) => format!("{path}{sep}limit=500&cursor={c}"),
                None => format!("{path}{sep}limit=500"),
            };
            let page = self.get(who, &url).await.json();
            items.extend(page["items"].as_array().cloned().unwrap_or_default());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_string()),
                None => return items,
            }
        }
    }

    pub async fn post_json(&self, who: &As, path: &str, body: &Value) -> Reply {
        self.send_json(
            rocket::http::Method::Post,
            who,
            path,
            &body.to_string(),
            &[],
        )
        .await
    }

    /// Posts an HTML form the way a browser does: with the CSRF cookie and field.
    pub async fn post_form(&self, who: &As, path: &str, fields: &[(&str, &str)]) -> Reply {
        let csrf = "test-csrf-token";
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", csrf)];
        all.extend_from_slice(fields);
        self.post_form_raw(who, path, &all, Some(csrf)).await
    }

    /// Posts a form with the given fields and, optionally, a CSRF cookie.
    pub async fn post_form_raw(
        &self,
        who: &As,
        path: &str,
        fields: &[(&str, &str)],
        csrf_cookie: Option<&str>,
    ) -> Reply {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut request = self
            .authorise(self.client.post(path.to_string()), who)
            .header(ContentType::Form)
            .remote("127.0.0.1:9999".parse().unwrap())
            .body(body);
        if let Some(csrf) = csrf_cookie {
            request = request.private_cookie(Cookie::new(CSRF_COOKIE, csrf.to_string()));
        }
        Self::read(request.dispatch().await).await
    }
}

pub fn urlencode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// How many e-mails are queued in the outbox (sent or not).
pub async fn outbox_rows(app: &TestApp) -> u64 {
    use sea_orm::{EntityTrait, PaginatorTrait};
    plusmarkt::entities::outbox::Entity::find()
        .count(&app.db)
        .await
        .unwrap()
}
