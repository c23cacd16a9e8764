//! A byte-level BPE tokenizer rebuilt from a GGUF file's `tokenizer.ggml.*` metadata.
//!
//! GGUF files carry the whole vocabulary (`tokenizer.ggml.tokens`), the merge list
//! (`tokenizer.ggml.merges`, one `"left right"` string per rank), the token types (3 = control,
//! 4 = user-defined: both are matched literally in the input) and the pre-tokenizer's name
//! (`tokenizer.ggml.pre`). Writing the ~200 lines here avoids the `tokenizers` crate and its
//! oniguruma C build; correctness is pinned by tests whose expected ids come from Hugging Face
//! `tokenizers` configured with the same vocabulary, merges and pre-tokenizer.
//!
//! Pre-tokenization follows llama.cpp's table for the `smollm`/`starcoder` family: every digit is
//! split off on its own, then the GPT-2 regex splits the rest. Other `pre` names fall back to plain
//! GPT-2 (`gpt2`, `default`), and unknown names are an error rather than a silent mismatch.

use std::collections::HashMap;

use candle_core::quantized::gguf_file;
use fancy_regex::Regex;

use crate::error::{ProbeError, Result};

/// The GPT-2 pre-tokenizer regex.
const GPT2_PATTERN: &str =
    r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

/// Token id in the model's vocabulary.
pub type TokenId = u32;

/// A byte-level BPE tokenizer.
#[derive(Debug, Clone)]
pub struct BpeTokenizer {
    /// Token strings in byte-level (GPT-2 unicode) form, indexed by id.
    tokens: Vec<String>,
    ids: HashMap<String, TokenId>,
    merge_ranks: HashMap<(String, String), usize>,
    /// Control and user-defined tokens, longest first, matched literally before BPE.
    specials: Vec<(String, TokenId)>,
    special_ids: Vec<bool>,
    split_digits: bool,
    regex: Regex,
    byte_to_char: [char; 256],
    char_to_byte: HashMap<char, u8>,
    /// End-of-sequence token.
    pub eos: TokenId,
    /// Beginning-of-sequence token.
    pub bos: TokenId,
}

/// GPT-2's reversible map from bytes to printable unicode characters.
fn bytes_to_unicode() -> [char; 256] {
    let mut out = ['\0'; 256];
    let mut n = 0u32;
    for b in 0..=255u32 {
        let printable =
            (0x21..=0x7e).contains(&b) || (0xa1..=0xac).contains(&b) || (0xae..=0xff).contains(&b);
        let c = if printable {
            b
        } else {
            let c = 256 + n;
            n += 1;
            c
        };
        out[b as usize] = char::from_u32(c).expect("code points below 512 are valid chars");
    }
    out
}

impl BpeTokenizer {
    /// Builds the tokenizer from GGUF metadata.
    pub fn from_gguf(content: &gguf_file::Content) -> Result<Self> {
        let md = |k: &str| {
            content
                .metadata
                .get(k)
                .ok_or_else(|| ProbeError::Tokenizer(format!("metadata key {k} is missing")))
        };
        let bad = |k: &str, e: candle_core::Error| ProbeError::Tokenizer(format!("{k}: {e}"));
        let model = md("tokenizer.ggml.model")?
            .to_string()
            .map_err(|e| bad("tokenizer.ggml.model", e))?;
        if model != "gpt2" {
            return Err(ProbeError::Tokenizer(format!(
                "tokenizer.ggml.model is {model:?}"
            )));
        }
        let pre = match content.metadata.get("tokenizer.ggml.pre") {
            Some(v) => v
                .to_string()
                .map_err(|e| bad("tokenizer.ggml.pre", e))?
                .clone(),
            None => "default".to_string(),
        };
        let split_digits = match pre.as_str() {
            "smollm" | "starcoder" | "refact" | "codeshell" => true,
            "gpt2" | "default" => false,
            other => {
                return Err(ProbeError::Tokenizer(format!(
                    "pre-tokenizer {other:?} is not implemented"
                )))
            }
        };
        let strings = |k: &str| -> Result<Vec<String>> {
            md(k)?
                .to_vec()
                .map_err(|e| bad(k, e))?
                .iter()
                .map(|v| v.to_string().cloned().map_err(|e| bad(k, e)))
                .collect()
        };
        let tokens = strings("tokenizer.ggml.tokens")?;
        let merges = strings("tokenizer.ggml.merges")?;
        let types: Vec<i32> = match content.metadata.get("tokenizer.ggml.token_type") {
            Some(v) => v
                .to_vec()
                .map_err(|e| bad("tokenizer.ggml.token_type", e))?
                .iter()
                .map(|v| v.to_i32().map_err(|e| bad("tokenizer.ggml.token_type", e)))
                .collect::<Result<_>>()?,
            None => vec![1; tokens.len()],
        };
        let id_of = |k: &str, default: u32| -> Result<u32> {
            match content.metadata.get(k) {
                Some(v) => v.to_u32().map_err(|e| bad(k, e)),
                None => Ok(default),
            }
        };
        let eos = id_of("tokenizer.ggml.eos_token_id", 0)?;
        let bos = id_of("tokenizer.ggml.bos_token_id", 0)?;
        let mut merge_pairs = Vec::with_capacity(merges.len());
        for m in merges {
            let (l, r) = m
                .split_once(' ')
                .ok_or_else(|| ProbeError::Tokenizer(format!("merge {m:?} has no space")))?;
            merge_pairs.push((l.to_string(), r.to_string()));
        }
        let specials = tokens
            .iter()
            .zip(&types)
            .enumerate()
            .filter(|(_, (_, t))| **t == 3 || **t == 4)
            .map(|(i, (s, _))| (s.clone(), i as TokenId))
            .collect();
        Self::new(tokens, merge_pairs, specials, split_digits, bos, eos)
    }

    /// Builds a tokenizer from its parts (used by `from_gguf` and by tests).
    pub fn new(
        tokens: Vec<String>,
        merges: Vec<(String, String)>,
        mut specials: Vec<(String, TokenId)>,
        split_digits: bool,
        bos: TokenId,
        eos: TokenId,
    ) -> Result<Self> {
        let ids = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as TokenId))
            .collect();
        let merge_ranks = merges
            .into_iter()
            .enumerate()
            .map(|(r, p)| (p, r))
            .collect();
        specials.sort_by_key(|s| std::cmp::Reverse(s.0.len()));
        let mut special_ids = vec![false; tokens.len()];
        for (_, id) in &specials {
            if let Some(s) = special_ids.get_mut(*id as usize) {
                *s = true;
            }
        }
        let regex = Regex::new(GPT2_PATTERN).map_err(|e| ProbeError::Tokenizer(e.to_string()))?;
        let byte_to_char = bytes_to_unicode();
        let char_to_byte = byte_to_char
            .iter()
            .enumerate()
            .map(|(b, c)| (*c, b as u8))
            .collect();
        Ok(Self {
            tokens,
            ids,
            merge_ranks,
            specials,
            special_ids,
            split_digits,
            regex,
            byte_to_char,
            char_to_byte,
            eos,
            bos,
        })
    }

    /// Size of the vocabulary.
    pub fn vocab_size(&self) -> usize {
        self.tokens.len()
    }

    /// The id of a special (control) token such as `<|im_end|>`, if the vocabulary has it.
    pub fn special(&self, text: &str) -> Option<TokenId> {
        self.specials
            .iter()
            .find(|(s, _)| s == text)
            .map(|(_, i)| *i)
    }

    /// Whether a token is a control token (never printed).
    pub fn is_special(&self, id: TokenId) -> bool {
        self.special_ids.get(id as usize).copied().unwrap_or(false)
    }

    /// Encodes text; control-token strings in it (e.g. `<|im_start|>`) become their ids.
    pub fn encode(&self, text: &str) -> Vec<TokenId> {
        let mut out = Vec::new();
        let mut rest = text;
        'outer: while !rest.is_empty() {
            // Find the earliest special token occurrence.
            let mut best: Option<(usize, &str, TokenId)> = None;
            for (s, id) in &self.specials {
                if let Some(pos) = rest.find(s.as_str()) {
                    if best.is_none_or(|(p, _, _)| pos < p) {
                        best = Some((pos, s, *id));
                    }
                }
            }
            match best {
                Some((pos, s, id)) => {
                    self.encode_plain(&rest[..pos], &mut out);
                    out.push(id);
                    rest = &rest[pos + s.len()..];
                }
                None => {
                    self.encode_plain(rest, &mut out);
                    break 'outer;
                }
            }
        }
        out
    }

    /// Encodes text with no special-token matching.
    fn encode_plain(&self, text: &str, out: &mut Vec<TokenId>) {
        if text.is_empty() {
            return;
        }
        let mut segments: Vec<&str> = Vec::new();
        if self.split_digits {
            let mut start = 0;
            for (i, c) in text.char_indices() {
                if c.is_numeric() {
                    if start < i {
                        segments.push(&text[start..i]);
                    }
                    segments.push(&text[i..i + c.len_utf8()]);
                    start = i + c.len_utf8();
                }
            }
            if start < text.len() {
                segments.push(&text[start..]);
            }
        } else {
            segments.push(text);
        }
        for seg in segments {
            for m in self.regex.find_iter(seg) {
                // The pattern has a catch-all `\s+` alternative, so a regex failure can only be
                // the backtracking limit on pathological input; fall back to the raw piece.
                let piece = match m {
                    Ok(m) => m.as_str(),
                    Err(_) => seg,
                };
                self.bpe(piece, out);
            }
        }
    }

    /// Applies the merges to one pre-tokenized piece.
    fn bpe(&self, piece: &str, out: &mut Vec<TokenId>) {
        let mut parts: Vec<String> = piece
            .bytes()
            .map(|b| self.byte_to_char[b as usize].to_string())
            .collect();
        loop {
            let mut best: Option<(usize, usize)> = None;
            for i in 0..parts.len().saturating_sub(1) {
                if let Some(&rank) = self
                    .merge_ranks
                    .get(&(parts[i].clone(), parts[i + 1].clone()))
                {
                    if best.is_none_or(|(r, _)| rank < r) {
                        best = Some((rank, i));
                    }
                }
            }
            let Some((_, i)) = best else { break };
            let right = parts.remove(i + 1);
            parts[i].push_str(&right);
        }
        for p in parts {
            match self.ids.get(&p) {
                Some(id) => out.push(*id),
                // A byte-level vocabulary holds every single byte; a missing piece means a merge
                // produced a token absent from the vocabulary, so fall back to its bytes.
                None => {
                    for c in p.chars() {
                        if let Some(id) = self.ids.get(&c.to_string()) {
                            out.push(*id);
                        }
                    }
                }
            }
        }
    }

    /// The bytes a token stands for (control tokens give their literal text).
    pub fn token_bytes(&self, id: TokenId) -> Vec<u8> {
        let Some(t) = self.tokens.get(id as usize) else {
            return Vec::new();
        };
        if self.is_special(id) {
            return t.as_bytes().to_vec();
        }
        t.chars()
            .map(|c| self.char_to_byte.get(&c).copied().unwrap_or(b'?'))
            .collect()
    }

    /// The text of one token (lossy if the token is a partial UTF-8 sequence).
    pub fn token_text(&self, id: TokenId) -> String {
        String::from_utf8_lossy(&self.token_bytes(id)).into_owned()
    }

    /// Decodes ids to text, skipping control tokens.
    pub fn decode(&self, ids: &[TokenId]) -> String {
        let bytes: Vec<u8> = ids
            .iter()
            .filter(|i| !self.is_special(**i))
            .flat_map(|i| self.token_bytes(*i))
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A toy vocabulary: all bytes as single chars, plus a few merges.
    fn toy() -> BpeTokenizer {
        let b2u = bytes_to_unicode();
        let mut tokens: Vec<String> = b2u.iter().map(|c| c.to_string()).collect();
        let merges = vec![
            ("h".to_string(), "e".to_string()),
            ("he".to_string(), "l".to_string()),
            ("Ġ".to_string(), "w".to_string()),
        ];
        for (l, r) in &merges {
            tokens.push(format!("{l}{r}"));
        }
        tokens.push("<|im_end|>".to_string());
        let end = (tokens.len() - 1) as TokenId;
        BpeTokenizer::new(
            tokens,
            merges,
            vec![("<|im_end|>".into(), end)],
            true,
            0,
            end,
        )
        .expect("toy tokenizer builds")
    }

    #[test]
    fn merges_apply_by_rank_and_roundtrip() {
        let t = toy();
        let ids = t.encode("hello world<|im_end|>12");
        assert_eq!(t.token_text(ids[0]), "hel");
        assert!(ids.contains(&t.eos));
        assert_eq!(t.decode(&ids), "hello world12");
        // digits are isolated
        let ids = t.encode("12");
        assert_eq!(ids.len(), 2);
    }

    #[test]
    fn byte_map_is_a_bijection() {
        let m = bytes_to_unicode();
        let set: std::collections::HashSet<char> = m.iter().copied().collect();
        assert_eq!(set.len(), 256);
        assert_eq!(m[b' ' as usize], 'Ġ');
    }
}
