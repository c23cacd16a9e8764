//! A run killed with SIGKILL mid-way resumes with no duplicate and no lost response.
//!
//! The test re-executes its own binary as the child (`child_run` with an environment variable
//! set), which runs a slow fake backend and prints each request key once its journal line is
//! durable. The parent kills it (SIGKILL via `Child::kill`) after some acknowledgements, then
//! reruns the plan in-process.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aequo_probe::journal::{run, Journal};
use aequo_probe::model::{FinishReason, Message, Mode, ModelBackend, Params, Request, Response};

const CHILD_ENV: &str = "AEQUO_PROBE_KILL_TEST_JOURNAL";
const N: usize = 120;

fn plan() -> Vec<Request> {
    (0..N)
        .map(|i| Request {
            model: "slow".into(),
            mode: Mode::Chat,
            messages: vec![Message::user(format!("question {i}"))],
            prefill: None,
            params: Params::default(),
        })
        .collect()
}

struct Slow(AtomicUsize);
impl ModelBackend for Slow {
    fn model_name(&self) -> &str {
        "slow"
    }
    fn generate(&self, r: &Request) -> aequo_probe::Result<Response> {
        self.0.fetch_add(1, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(10));
        Ok(Response {
            text: format!("answer to {}", r.messages[0].content),
            tokens: vec![],
            finish_reason: FinishReason::Stop,
            prompt_tokens: None,
        })
    }
}

/// The child's body; a no-op unless started by `sigkill_mid_run_resumes_without_loss`.
#[test]
fn child_run() {
    let Some(path) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let journal = Journal::open(&PathBuf::from(path)).expect("journal opens");
    let backend = Slow(AtomicUsize::new(0));
    run(&backend, &journal, &plan(), 2, &|k| {
        println!("done {k}");
    });
}

#[test]
fn sigkill_mid_run_resumes_without_loss() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("run.jsonl");
    let mut child = Command::new(std::env::current_exe().expect("test binary path"))
        .args([
            "journal_kill::child_run",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("child starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut acknowledged = Vec::new();
    let start = Instant::now();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("child output is text");
        if let Some(k) = line.strip_prefix("done ") {
            acknowledged.push(k.to_string());
        }
        if acknowledged.len() >= N / 3 || start.elapsed() > Duration::from_secs(30) {
            break;
        }
    }
    child.kill().expect("SIGKILL delivered");
    child.wait().expect("child reaped");
    assert!(acknowledged.len() >= N / 3, "child too slow to acknowledge");

    let journal = Journal::open(&path).expect("journal reopens after the kill");
    let before = journal.entries();
    assert!(before.len() < N, "the child finished before it was killed");
    for k in &acknowledged {
        assert!(
            before.iter().any(|e| &e.key.0 == k),
            "acknowledged response {k} was lost"
        );
    }
    let backend = Slow(AtomicUsize::new(0));
    let (stats, errors) = run(&backend, &journal, &plan(), 2, &|_| {});
    assert!(errors.is_empty());
    assert_eq!(stats.from_journal, before.len());
    assert_eq!(stats.generated, N - before.len());
    assert_eq!(backend.0.load(Ordering::SeqCst), N - before.len());
    drop(journal);

    let after = Journal::open(&path).expect("journal reopens").entries();
    assert_eq!(after.len(), N);
    let keys: std::collections::HashSet<_> = after.iter().map(|e| e.key.clone()).collect();
    assert_eq!(keys.len(), N, "a request was journaled twice");
    assert_eq!(
        &after[..before.len()],
        &before[..],
        "earlier responses changed"
    );
}
