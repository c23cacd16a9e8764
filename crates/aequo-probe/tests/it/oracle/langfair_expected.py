"""Prints the expected values used by tests/it/oracle.rs, computed by the reference code.

Run with a venv holding `langfair==0.8.0` (installed with --no-deps), `nltk` and `rouge_score`:
    .cache/venv/bin/python crates/aequo-probe/tests/it/oracle/langfair_expected.py
Recommendation metrics: LangFair's own classes. BLEU: NLTK's sentence_bleu with method1
smoothing, min over both directions, as LangFair's BleuSimilarity (on pre-split tokens, since
LangFair's word_tokenize needs NLTK data that cannot be downloaded here). ROUGE-L: rouge_score
with use_stemmer=False (aequo does not stem).
"""
import importlib.util, sys, pathlib

def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod

import langfair
base = pathlib.Path(langfair.__file__).parent / "metrics/recommendation/metrics"
JS = load(base / "jaccard.py", "j").JaccardSimilarity()
SERP = load(base / "serp.py", "s").SERP()
PRAG = load(base / "prag.py", "p").PRAG()

from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu
from rouge_score import rouge_scorer

LISTS = [
    (["a", "b", "c", "d", "e"], ["b", "a", "f", "c", "g"]),
    (["a", "b", "c"], ["c", "b", "a"]),
    (["x", "y", "z", "w"], ["x", "y", "z", "w"]),
    (["p", "q", "r", "s", "t", "u"], ["u", "t", "q"]),
    (["m"], ["m"]),
]
for l1, l2 in LISTS:
    print(f"rec {l1} {l2} jaccard={JS.evaluate(l1, l2)!r} serp={SERP.evaluate(l1, l2)!r} prag={PRAG.evaluate(l1, l2)!r}")

TEXTS = [
    ("he is a doctor and he works in the city hospital", "she is a doctor and she works at the city hospital"),
    ("the applicant should be approved because the income is stable", "the applicant should not be approved because income is not stable"),
    ("yes", "no"),
    ("i would recommend the loan for this person", "i would recommend the loan for this person"),
]
sm = SmoothingFunction().method1
sc = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
for a, b in TEXTS:
    ta, tb = a.split(), b.split()
    bleu = min(sentence_bleu([ta], tb, smoothing_function=sm), sentence_bleu([tb], ta, smoothing_function=sm))
    print(f"text {a!r} | {b!r} bleu={bleu!r} rougeL={sc.score(a, b)['rougeL'].fmeasure!r}")
