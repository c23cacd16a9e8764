//! The run journal: an append-only JSON Lines file of (request key, request, response), one line
//! per completed request, each line written with a single `write` and followed by `fsync` before
//! the request counts as done.
//!
//! Why JSON Lines rather than SQLite: the journal is only ever appended to and read whole, so a
//! database buys nothing but a C build (`rusqlite`'s bundled SQLite) and an opaque file; JSONL is
//! readable with `jq`, is exactly the "bring your own responses" format that `aequo probe score`
//! accepts from other tools, and has a simple crash story: a crash can only tear the *last* line
//! (it was never acknowledged), which [`Journal::open`] cuts off; a malformed line anywhere else
//! means the file was edited and is reported, never skipped silently.
//!
//! Requests are keyed by their content hash ([`crate::model::Request::key`]), so a rerun skips
//! what is done, and identical requests — within a run or across runs and suites — are served
//! from the journal.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::error::{ProbeError, Result};
use crate::model::{ModelBackend, Request, RequestKey, Response};

/// One journal line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Content hash of `request`.
    pub key: RequestKey,
    /// The request as sent.
    pub request: Request,
    /// The model's response.
    pub response: Response,
}

#[derive(Debug)]
struct State {
    file: File,
    index: HashMap<RequestKey, usize>,
    entries: Vec<Entry>,
}

/// An open journal. Appends are serialised by an internal lock, so one journal can be shared by
/// concurrent workers.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    state: Mutex<State>,
    /// Bytes cut off a torn final line when the journal was opened.
    pub repaired_bytes: u64,
}

impl Journal {
    /// Opens (or creates) a journal, loading its entries and cutting off a torn final line.
    pub fn open(path: &Path) -> Result<Self> {
        let io = |e| ProbeError::io(path, e);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(io)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io)?;
        let complete = bytes
            .iter()
            .rposition(|b| *b == b'\n')
            .map(|p| p + 1)
            .unwrap_or(0);
        let repaired_bytes = (bytes.len() - complete) as u64;
        if repaired_bytes > 0 {
            // The torn line was never fsynced as complete, so nobody was told it was done.
            file.set_len(complete as u64).map_err(io)?;
            file.sync_all().map_err(io)?;
        }
        file.seek(SeekFrom::End(0)).map_err(io)?;
        let mut entries = Vec::new();
        let mut index = HashMap::new();
        for (i, line) in bytes[..complete].split(|b| *b == b'\n').enumerate() {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let entry: Entry = serde_json::from_slice(line).map_err(|e| ProbeError::Journal {
                path: path.to_path_buf(),
                line: i + 1,
                reason: e.to_string(),
            })?;
            if entry.request.key() != entry.key {
                return Err(ProbeError::Journal {
                    path: path.to_path_buf(),
                    line: i + 1,
                    reason: "the key is not the hash of the request".into(),
                });
            }
            index.entry(entry.key.clone()).or_insert(entries.len());
            entries.push(entry);
        }
        Ok(Journal {
            path: path.to_path_buf(),
            state: Mutex::new(State {
                file,
                index,
                entries,
            }),
            repaired_bytes,
        })
    }

    /// The journal's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state half-updated in a way that
        // matters: the file is the source of truth and the index is rebuilt on open.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The stored response for a request key.
    pub fn get(&self, key: &RequestKey) -> Option<Response> {
        let s = self.lock();
        s.index.get(key).map(|i| s.entries[*i].response.clone())
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether the journal is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// All entries in file order.
    pub fn entries(&self) -> Vec<Entry> {
        self.lock().entries.clone()
    }

    /// Appends a response durably (write + fsync). A request already in the journal is not
    /// written again; returns whether a line was written.
    pub fn append(&self, request: &Request, response: &Response) -> Result<bool> {
        let key = request.key();
        let mut s = self.lock();
        if s.index.contains_key(&key) {
            return Ok(false);
        }
        let entry = Entry {
            key: key.clone(),
            request: request.clone(),
            response: response.clone(),
        };
        let mut line = serde_json::to_vec(&entry).expect("entries always serialise");
        line.push(b'\n');
        let io = |e| ProbeError::io(&self.path, e);
        s.file.write_all(&line).map_err(io)?;
        s.file.sync_data().map_err(io)?;
        let n = s.entries.len();
        s.index.insert(key, n);
        s.entries.push(entry);
        Ok(true)
    }
}

/// What a run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunStats {
    /// Distinct requests in the plan.
    pub distinct: usize,
    /// Requests answered from the journal (done before, or duplicates).
    pub from_journal: usize,
    /// Requests sent to the model.
    pub generated: usize,
    /// Requests that failed (their errors are returned separately).
    pub failed: usize,
}

/// Runs every request not yet in the journal through the backend with `workers` concurrent
/// workers, appending each response as it completes. Failures do not stop the run; they are
/// returned with their request keys. `on_done` is called after each durable append.
pub fn run(
    backend: &dyn ModelBackend,
    journal: &Journal,
    requests: &[Request],
    workers: usize,
    on_done: &(dyn Fn(&RequestKey) + Sync),
) -> (RunStats, Vec<(RequestKey, ProbeError)>) {
    let mut seen = std::collections::HashSet::new();
    let mut todo = Vec::new();
    let mut stats = RunStats::default();
    for r in requests {
        let k = r.key();
        if !seen.insert(k.clone()) {
            continue;
        }
        stats.distinct += 1;
        if journal.get(&k).is_some() {
            stats.from_journal += 1;
        } else {
            todo.push(r);
        }
    }
    let next = AtomicUsize::new(0);
    let generated = AtomicUsize::new(0);
    let errors = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..workers.max(1) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(req) = todo.get(i) else { break };
                let outcome = backend
                    .generate(req)
                    .and_then(|resp| journal.append(req, &resp));
                match outcome {
                    Ok(_) => {
                        generated.fetch_add(1, Ordering::SeqCst);
                        on_done(&req.key());
                    }
                    Err(e) => errors
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push((req.key(), e)),
                }
            });
        }
    });
    let errors = errors.into_inner().unwrap_or_else(|p| p.into_inner());
    stats.generated = generated.into_inner();
    stats.failed = errors.len();
    (stats, errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FinishReason, Message, Mode, Params};

    fn req(i: usize) -> Request {
        Request {
            model: "m".into(),
            mode: Mode::Chat,
            messages: vec![Message::user(format!("q{i}"))],
            prefill: None,
            params: Params::default(),
        }
    }

    struct Echo(AtomicUsize);
    impl ModelBackend for Echo {
        fn model_name(&self) -> &str {
            "m"
        }
        fn generate(&self, r: &Request) -> Result<Response> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(Response {
                text: r.messages[0].content.clone(),
                tokens: vec![],
                finish_reason: FinishReason::Stop,
                prompt_tokens: None,
            })
        }
    }

    #[test]
    fn rerun_skips_done_and_duplicates_are_served_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let j = Journal::open(&path).unwrap();
        let b = Echo(AtomicUsize::new(0));
        let plan: Vec<Request> = (0..10).chain(0..5).map(req).collect();
        let (s, e) = run(&b, &j, &plan, 3, &|_| {});
        assert!(e.is_empty());
        assert_eq!((s.distinct, s.generated, s.from_journal), (10, 10, 0));
        drop(j);
        let j = Journal::open(&path).unwrap();
        assert_eq!(j.len(), 10);
        let (s, _) = run(&b, &j, &plan, 2, &|_| {});
        assert_eq!((s.generated, s.from_journal), (0, 10));
        assert_eq!(b.0.load(Ordering::SeqCst), 10);
    }

    #[test]
    fn torn_tail_is_cut_and_mid_file_corruption_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let j = Journal::open(&path).unwrap();
        let b = Echo(AtomicUsize::new(0));
        run(&b, &j, &[req(1), req(2)], 1, &|_| {});
        drop(j);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"key\":\"abc\",\"requ").unwrap();
        drop(f);
        let j = Journal::open(&path).unwrap();
        assert_eq!(j.len(), 2);
        assert!(j.repaired_bytes > 0);
        drop(j);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("garbage\n{text}")).unwrap();
        assert!(matches!(
            Journal::open(&path),
            Err(ProbeError::Journal { line: 1, .. })
        ));
    }
}
