//! A minimal Chrome DevTools Protocol client: launches Chromium headless with a fresh profile,
//! connects to its browser endpoint over a loopback WebSocket, and sends commands while
//! collecting events. Just enough for the browser test; no async runtime.

use std::fs::File;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tungstenite::{Message, WebSocket};

/// Chromium, if it is installed: `AEQUO_CHROMIUM`, else `chromium` or `chromium-browser` on the
/// PATH.
pub fn find_chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("AEQUO_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser"] {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// A running headless Chromium and a DevTools connection to it.
pub struct Chromium {
    child: Child,
    ws: WebSocket<TcpStream>,
    next_id: u64,
    /// Events received and not yet consumed, in arrival order.
    pub events: Vec<Value>,
}

impl Chromium {
    /// Starts Chromium with the given fresh profile directory, logging its stderr to `log`.
    pub fn launch(bin: &Path, profile: &Path, log: &Path) -> Result<Chromium, String> {
        let child = Command::new(bin)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--hide-scrollbars",
                "--mute-audio",
                "--remote-debugging-port=0",
                "--window-size=1200,900",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(log).map_err(|e| format!("{}: {e}", log.display()))?)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let mut child = child;
        let ws = match connect(profile) {
            Ok(ws) => ws,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e);
            }
        };
        Ok(Chromium {
            child,
            ws,
            next_id: 1,
            events: Vec::new(),
        })
    }

    fn read(&mut self) -> Result<Value, String> {
        loop {
            match self.ws.read().map_err(|e| format!("devtools read: {e}"))? {
                Message::Text(t) => {
                    return serde_json::from_str(t.as_str())
                        .map_err(|e| format!("devtools json: {e}"))
                }
                Message::Close(_) => return Err("devtools connection closed".into()),
                _ => continue,
            }
        }
    }

    /// Sends a command (to a page session when given) and waits for its result.
    pub fn call(
        &mut self,
        session: Option<&str>,
        method: &str,
        params: Value,
    ) -> Result<Value, String> {
        let id = self.next_id;
        self.next_id += 1;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        self.ws
            .send(Message::text(msg.to_string()))
            .map_err(|e| format!("devtools send: {e}"))?;
        loop {
            let v = self.read()?;
            if v.get("id").and_then(Value::as_u64) == Some(id) {
                if let Some(e) = v.get("error") {
                    return Err(format!("{method}: {e}"));
                }
                return Ok(v["result"].clone());
            }
            self.events.push(v);
        }
    }

    /// Waits until an event with this method has arrived (it stays in [`Chromium::events`]).
    pub fn wait_for(&mut self, method: &str, timeout: Duration) -> Result<(), String> {
        let start = Instant::now();
        while !self.events.iter().any(|e| e["method"] == method) {
            if start.elapsed() > timeout {
                return Err(format!("no {method} within {timeout:?}"));
            }
            let v = self.read()?;
            self.events.push(v);
        }
        Ok(())
    }

    /// Evaluates an expression in the page and returns its value (awaiting promises).
    pub fn eval(&mut self, session: &str, expression: &str) -> Result<Value, String> {
        let r = self.call(
            Some(session),
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        )?;
        if let Some(e) = r.get("exceptionDetails") {
            return Err(format!("evaluation failed: {e}"));
        }
        Ok(r["result"]["value"].clone())
    }
}

fn connect(profile: &Path) -> Result<WebSocket<TcpStream>, String> {
    // Chromium writes its port and browser endpoint here once it listens.
    let file = profile.join("DevToolsActivePort");
    let start = Instant::now();
    let (port, path) = loop {
        if let Ok(s) = std::fs::read_to_string(&file) {
            let mut lines = s.lines();
            if let (Some(p), Some(path)) = (lines.next(), lines.next()) {
                if let Ok(p) = p.trim().parse::<u16>() {
                    break (p, path.trim().to_owned());
                }
            }
        }
        if start.elapsed() > Duration::from_secs(60) {
            return Err("chromium did not open its DevTools port within 60 s".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(|e| e.to_string())?;
    let (ws, _) = tungstenite::client::client(format!("ws://127.0.0.1:{port}{path}"), stream)
        .map_err(|e| format!("websocket handshake: {e}"))?;
    Ok(ws)
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let id = self.next_id;
        let _ = self.ws.send(Message::text(
            json!({"id": id, "method": "Browser.close"}).to_string(),
        ));
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
