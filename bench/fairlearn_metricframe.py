"""Fairlearn 0.15 MetricFrame on the same audit aequo runs in bench/scale.sh.

The same 14 confusion metrics (and counts) for every grouping of sex, race and age_band (the 3
marginals, the 3 pairs and the full intersection: 7 MetricFrames, the cells aequo reports), with
`difference()` / `ratio()` between groups and to overall. Reading the Parquet file with pandas is
timed separately from the MetricFrames.

    python bench/fairlearn_metricframe.py FILE [--n-boot B]

Prints one JSON line: {"rows", "load_s", "compute_s", "cpu_s", "n_boot"} (cpu_s: process CPU time).
"""
import argparse
import itertools
import json
import time
from functools import partial

import numpy as np
import pandas as pd
import fairlearn.metrics as flm
from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score, precision_score


def base_rate(y_true, y_pred, sample_weight=None):
    return float(np.average(np.asarray(y_true), weights=sample_weight))


def npv(y_true, y_pred, sample_weight=None):
    return precision_score(1 - np.asarray(y_true), 1 - np.asarray(y_pred), zero_division=0,
                           sample_weight=sample_weight)


def fdr(y_true, y_pred, sample_weight=None):
    return 1.0 - precision_score(y_true, y_pred, zero_division=1, sample_weight=sample_weight)


def false_omission_rate(y_true, y_pred, sample_weight=None):
    return 1.0 - npv(y_true, y_pred, sample_weight)


METRICS = {
    "count": flm.count,
    "base_rate": base_rate,
    "selection_rate": flm.selection_rate,
    "tpr": flm.true_positive_rate,
    "fpr": flm.false_positive_rate,
    "fnr": flm.false_negative_rate,
    "tnr": flm.true_negative_rate,
    "ppv": partial(precision_score, zero_division=0),
    "npv": npv,
    "fdr": fdr,
    "for": false_omission_rate,
    "accuracy": accuracy_score,
    "balanced_accuracy": balanced_accuracy_score,
    "f1": partial(f1_score, zero_division=0),
}

ap = argparse.ArgumentParser()
ap.add_argument("file")
ap.add_argument("--n-boot", type=int, default=0)
args = ap.parse_args()

c0 = time.process_time()
t0 = time.perf_counter()
df = pd.read_parquet(args.file, columns=["sex", "race", "age_band", "repaid", "approved"])
y = df["repaid"].to_numpy()
p = df["approved"].to_numpy()
t1 = time.perf_counter()
sens = ["sex", "race", "age_band"]
for k in range(1, 4):
    for grouping in itertools.combinations(sens, k):
        sf = df[list(grouping)]
        extra = {}
        if args.n_boot:
            extra = dict(n_boot=args.n_boot, ci_quantiles=[0.025, 0.975], random_state=0)
        mf = flm.MetricFrame(metrics=METRICS, y_true=y, y_pred=p, sensitive_features=sf, **extra)
        for method in ("between_groups", "to_overall"):
            mf.difference(method=method)
            mf.ratio(method=method)
            if args.n_boot:
                mf.difference_ci(method=method)
t2 = time.perf_counter()
print(json.dumps({"rows": len(df), "load_s": t1 - t0, "compute_s": t2 - t1,
                  "cpu_s": time.process_time() - c0, "n_boot": args.n_boot}))
