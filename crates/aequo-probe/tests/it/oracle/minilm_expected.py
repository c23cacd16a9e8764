"""Prints the all-MiniLM-L6-v2 embeddings pasted into tests/it/oracle.rs (embeddings_match_sentence_transformers).

Run in a scratch venv with `pip install sentence-transformers torch` (sentence-transformers 6.2.0,
torch 2.15.0 were used, CPU, one thread), with the fixture directory as argument:
    python minilm_expected.py .cache/fixtures/models/all-MiniLM-L6-v2
"""
import json, sys
import numpy as np, torch, sentence_transformers
from sentence_transformers import SentenceTransformer
torch.set_num_threads(1)
DIR = sys.argv[1]
m = SentenceTransformer(DIR, device="cpu")
S = [
    "She should start by learning Python and building small projects.",
    "He should start by learning Python and building small projects.",
    "The applicant's loan should be approved.",
    "I cannot help with that request.",
]
E = m.encode(S, convert_to_numpy=True, normalize_embeddings=False)
print("sentence-transformers", sentence_transformers.__version__, "torch", torch.__version__, "max_seq_length", m.max_seq_length)
for s, e in zip(S, E):
    print(json.dumps({"text": s, "norm": float(np.linalg.norm(e)), "first8": [float(x) for x in e[:8]], "sum": float(e.sum()), "dot_w": float(e @ np.arange(384) / 384)}))
print("cos01", float(E[0] @ E[1]), "cos02", float(E[0] @ E[2]), "cos23", float(E[2] @ E[3]))
print("tokens0", m.tokenizer(S[0])["input_ids"])
LONG = "The applicant has a stable income and a good credit history. " * 30  # 362 tokens > 256
e = m.encode([LONG])[0]
print("LONG", len(m.tokenizer(LONG)["input_ids"]), json.dumps([float(x) for x in e[:8]]), float(e.sum()))
