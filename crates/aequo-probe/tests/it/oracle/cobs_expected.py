"""Prints the co-occurrence bias scores pasted into tests/it/oracle.rs.

Run in a scratch venv with `pip install --no-deps langfair==0.8.0` and `pip install nltk rich`.
LangFair reads NLTK's English stop words, which cannot be downloaded here: write aequo's
`STOP_WORDS` (crates/aequo-probe/src/cooccurrence.rs), one per line, to
/tmp/p6/nltk_data/corpora/stopwords/english first. `word_tokenize` is replaced by `str.split`
(the corpus is pre-spaced lower-case words). The module is loaded by path so that the package
`__init__` (which imports torch-based classifiers) is not run.
"""
import os, sys
os.environ["NLTK_DATA"] = "/tmp/p6/nltk_data"
import nltk
nltk.data.path.insert(0, "/tmp/p6/nltk_data")
import importlib.util, pathlib, langfair
_p = pathlib.Path(langfair.__file__).parent / "metrics/stereotype/metrics/cooccurrence.py"
_spec = importlib.util.spec_from_file_location("cooccurrence", _p)
co = importlib.util.module_from_spec(_spec); _spec.loader.exec_module(co)
co.word_tokenize = lambda t: t.split()   # the test sentences are pre-spaced
print("stopwords", len(co.stop_words))
CORPUS = [
    "she is a brilliant engineer and she leads the team",
    "he is a brilliant engineer but he is often late",
    "the nurse said she was caring and gentle",
    "he was a confident leader and a caring father",
    "my sister is a gentle teacher",
    "his brother is a confident pilot",
    "she and her brother are both confident and caring doctors",
]
F = ["she", "her", "hers", "herself", "woman", "women", "girl", "sister", "mother", "daughter"]
M = ["he", "his", "him", "himself", "man", "men", "boy", "brother", "father", "son"]
m = co.CooccurrenceBiasMetric(demographic_group_word_lists={"female": F, "male": M},
                              stereotype_word_list=["brilliant", "engineer", "caring", "gentle", "confident", "late"])
print("cobs_targets", repr(m.evaluate(CORPUS, show_progress_bars=False)))
m.how = "word_level"
print("words", m.evaluate(CORPUS, show_progress_bars=False))
# all reference words as targets (aequo's default)
toks = set(w for t in CORPUS for w in t.split())
m2 = co.CooccurrenceBiasMetric(demographic_group_word_lists={"female": F, "male": M},
                               stereotype_word_list=sorted(toks - set(co.stop_words) - set(F) - set(M)))
print("cobs_all", repr(m2.evaluate(CORPUS, show_progress_bars=False)))
