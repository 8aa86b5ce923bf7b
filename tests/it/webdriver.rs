//! A small W3C WebDriver client over reqwest, driving Debian's Chromium
//! through chromedriver: enough for the browser tests, with no extra
//! dependency.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};

pub struct Browser {
    driver: Child,
    /// Where downloads land (a fresh directory per browser).
    pub downloads: std::path::PathBuf,
    base: String,
    session: String,
    http: reqwest::Client,
}

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with a fresh profile.
    /// Fails loudly when either is missing (`scripts/test.sh` installs
    /// them from Debian's packages).
    pub async fn start() -> Browser {
        let port = free_port();
        let driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is not installed: run scripts/test.sh, which installs chromium-driver");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        for _ in 0..100 {
            if http.get(format!("{base}/status")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = std::env::temp_dir().join(format!("consol-chrome-{port}"));
        let downloads = std::env::temp_dir().join(format!("consol-downloads-{port}"));
        let _ = std::fs::remove_dir_all(&downloads);
        std::fs::create_dir_all(&downloads).unwrap();
        let caps = json!({"capabilities": {"alwaysMatch": {"goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "prefs": {
                "download.default_directory": downloads.display().to_string(),
                "download.prompt_for_download": false,
            },
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--window-size=1280,1000", format!("--user-data-dir={}", profile.display())]
        }}}});
        let r: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = r["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no browser session: {r}"))
            .to_string();
        Browser {
            driver,
            downloads,
            base,
            session,
            http,
        }
    }

    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let req = match method {
            "POST" => self.http.post(url).json(&body.unwrap_or(json!({}))),
            "DELETE" => self.http.delete(url),
            _ => self.http.get(url),
        };
        let v: Value = req.send().await.unwrap().json().await.unwrap();
        if v["value"].get("error").is_some() {
            panic!("webdriver {method} {path}: {}", v["value"]);
        }
        v["value"].clone()
    }

    /// Resizes the window, as a tablet or a narrower screen would be.
    pub async fn set_window_size(&self, width: u32, height: u32) {
        self.call(
            "POST",
            "/window/rect",
            Some(json!({ "width": width, "height": height })),
        )
        .await;
    }

    pub async fn goto(&self, url: &str) {
        self.call("POST", "/url", Some(json!({ "url": url }))).await;
    }

    pub async fn url(&self) -> String {
        self.call("GET", "/url", None)
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn find(&self, css: &str) -> String {
        let v = self
            .call(
                "POST",
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        v[ELEMENT].as_str().unwrap().to_string()
    }

    /// Waits (bounded) for an element to appear.
    pub async fn wait_for(&self, css: &str) -> String {
        for _ in 0..200 {
            let url = format!("{}/session/{}/element", self.base, self.session);
            let v: Value = self
                .http
                .post(url)
                .json(&json!({"using": "css selector", "value": css}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if let Some(id) = v["value"][ELEMENT].as_str() {
                return id.to_string();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // What the page says instead (an error page, a busy answer), so a
        // failure under load tells why.
        let shown = self
            .execute("return document.body ? document.body.innerText.slice(0, 600) : '';")
            .await;
        panic!(
            "{css} never appeared on {}; the page shows: {}",
            self.url().await,
            shown.as_str().unwrap_or_default()
        );
    }

    pub async fn click(&self, css: &str) {
        let id = self.find(css).await;
        self.call("POST", &format!("/element/{id}/click"), None)
            .await;
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css).await;
        self.call("POST", &format!("/element/{id}/clear"), None)
            .await;
        self.call(
            "POST",
            &format!("/element/{id}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    /// Chooses a file in an `<input type=file>`.
    pub async fn choose_file(&self, css: &str, path: &std::path::Path) {
        let id = self.find(css).await;
        self.call(
            "POST",
            &format!("/element/{id}/value"),
            Some(json!({ "text": path.display().to_string() })),
        )
        .await;
    }

    pub async fn text(&self, css: &str) -> String {
        let id = self.find(css).await;
        self.call("GET", &format!("/element/{id}/text"), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Runs `script` (a function body) in the page and returns its value.
    pub async fn execute(&self, script: &str) -> Value {
        self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    /// Waits (bounded) for a finished download named `name`.
    pub async fn downloaded(&self, name: &str) -> Vec<u8> {
        let path = self.downloads.join(name);
        for _ in 0..200 {
            // Chromium writes `<name>.crdownload` and renames it when done.
            if let Ok(bytes) = std::fs::read(&path) {
                return bytes;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let found: Vec<_> = std::fs::read_dir(&self.downloads)
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name()).collect())
            .unwrap_or_default();
        panic!("{name} was never downloaded (found {found:?})");
    }

    pub async fn page(&self) -> String {
        self.call("GET", "/source", None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Whether the page is wider than the window (a horizontal scroll bar
    /// for the whole page, not inside a `.table-wrap`).
    pub async fn overflows(&self) -> bool {
        self.execute(
            "return document.documentElement.scrollWidth > document.documentElement.clientWidth;",
        )
        .await
            == json!(true)
    }

    /// Saves a PNG under `target/screenshots/`, kept as a test artefact.
    pub async fn screenshot(&self, name: &str) {
        let png = self.call("GET", "/screenshot", None).await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), bytes).unwrap();
    }

    pub async fn quit(mut self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.base, self.session))
            .send()
            .await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.downloads);
    }
}
