//! The crate's error type. Each variant says whose fault it is — the user's input (a suite, a
//! path, a response file), the environment (I/O, a model file), the model server — and its
//! message states the fact first, then the remedy.

use std::path::PathBuf;

/// Everything that can go wrong while loading models, running probes or scoring a journal.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// A file could not be read or written.
    #[error("cannot access {path}: {source}; check that the path exists and is writable")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The GGUF model file is missing, truncated or of an unsupported architecture.
    #[error("model file {path} is not usable: {reason}; fetch it with `scripts/fixtures.sh models` or pass a llama-architecture GGUF")]
    Model {
        /// The model file.
        path: PathBuf,
        /// What was wrong with it.
        reason: String,
    },
    /// The sentence-encoder directory is missing, incomplete or not a BERT model, or encoding
    /// a text failed.
    #[error("sentence encoder {path} is not usable: {reason}; fetch it with `scripts/fixtures.sh models` or pass a sentence-transformers BERT directory")]
    Encoder {
        /// The encoder directory.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// The tokenizer metadata inside the GGUF cannot be turned into a tokenizer.
    #[error("tokenizer metadata is not usable: {0}; only byte-level BPE (tokenizer.ggml.model = gpt2) is supported")]
    Tokenizer(String),
    /// Inference itself failed inside candle.
    #[error(
        "inference failed: {0}; this is a bug or an out-of-memory condition, please report it"
    )]
    Inference(String),
    /// A request asked for something the backend cannot do.
    #[error("the request is not valid for this backend: {0}")]
    InvalidRequest(String),
    /// A suite file does not parse or is inconsistent.
    #[error("suite {origin} is invalid: {reason}; fix the suite file")]
    Suite {
        /// The file or built-in suite name.
        origin: String,
        /// What is wrong.
        reason: String,
    },
    /// A journal line is corrupt in the middle of the file (a torn final line is repaired
    /// silently; a corrupt line elsewhere means the file was edited or damaged).
    #[error(
        "journal {path} is corrupt at line {line}: {reason}; restore it or start a new journal"
    )]
    Journal {
        /// The journal file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A model server answered with an error that retries did not fix.
    #[error("model server error: {0}")]
    Server(String),
}

impl ProbeError {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ProbeError::Io {
            path: path.into(),
            source,
        }
    }
}

impl From<candle_core::Error> for ProbeError {
    fn from(e: candle_core::Error) -> Self {
        ProbeError::Inference(e.to_string())
    }
}

/// Result alias of this crate.
pub type Result<T, E = ProbeError> = std::result::Result<T, E>;
