#!/usr/bin/env python3
"""Reference values for aequo-core's score, regression and multiclass modules (issue 3).

    python oracle/score_reference.py ROOT     # ROOT = the fixtures root (data/, prepared/)

Writes ROOT/oracle/score_reference.json with
  small       fixed small score data sets: roc_auc_score, brier_score_loss, roc_curve
              (drop_intermediate=False), calibration_curve (uniform, 5 bins)
  auc_groups  AUC by group with roc_auc_score: Adult `score` (prepared/adult.csv, label `label`)
              and COMPAS `decile_score` (label `two_year_recid`), groups race, sex, race x sex;
              Adult also Brier, calibration_curve (10 uniform bins) and ABROCA (sex) on a fine grid
  regression  fixed synthetic data: mean_absolute_error, mean_squared_error (weighted too) per
              group; ks_2samp and wasserstein_distance of each group's predictions vs the rest
  multiclass  fixed synthetic data: multilabel_confusion_matrix per group and class,
              precision/recall with zero_division=nan, macro averages

Only scikit-learn, scipy, numpy and pandas from oracle/requirements.txt. Deterministic.
NaN never appears in the output (null instead).
"""
import json
import math
import platform
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import scipy
import sklearn
from scipy.stats import ks_2samp, wasserstein_distance
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    brier_score_loss,
    mean_absolute_error,
    mean_squared_error,
    multilabel_confusion_matrix,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)


def num(x):
    x = float(x)
    return x if math.isfinite(x) else None


def lst(a):
    return [num(v) for v in a]


# ------------------------------------------------------------------- small score sets ---
SMALL = {
    # distinct scores
    "distinct": ([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.9], None),
    # ties across classes (counted half)
    "ties": ([0, 1, 0, 1, 1, 0, 0, 1], [0.3, 0.3, 0.5, 0.5, 0.7, 0.1, 0.7, 0.9], None),
    # weighted with ties
    "weighted": (
        [1, 0, 1, 0, 0, 1, 1],
        [0.2, 0.2, 0.6, 0.45, 0.05, 0.95, 0.6],
        [2.0, 0.5, 1.0, 3.0, 1.5, 0.25, 1.0],
    ),
    # few distinct values, many ties (a decile-like score scaled to [0, 1])
    "deciles": (
        [0, 0, 1, 0, 1, 1, 0, 1, 1, 0, 0, 1],
        [0.1, 0.1, 0.1, 0.3, 0.3, 0.5, 0.5, 0.5, 0.9, 0.9, 0.3, 0.7],
        None,
    ),
}


def small_sets():
    out = []
    for name, (y, s, w) in SMALL.items():
        y, s = np.array(y), np.array(s, dtype=float)
        fpr, tpr, thr = roc_curve(y, s, sample_weight=w, drop_intermediate=False)
        prob_true, prob_pred = calibration_curve(y, s, n_bins=5, strategy="uniform")
        out.append(
            {
                "name": name,
                "y": y.tolist(),
                "s": s.tolist(),
                "w": w,
                "auc": num(roc_auc_score(y, s, sample_weight=w)),
                "brier": num(brier_score_loss(y, s, sample_weight=w)),
                "roc_thin_fpr": lst(roc_curve(y, s, sample_weight=w)[0]),
                "roc_thin_tpr": lst(roc_curve(y, s, sample_weight=w)[1]),
                "roc_fpr": lst(fpr),
                "roc_tpr": lst(tpr),
                # calibration_curve takes no weights: only for unweighted sets
                "cal5_prob_true": lst(prob_true) if w is None else None,
                "cal5_prob_pred": lst(prob_pred) if w is None else None,
            }
        )
    return out


# ------------------------------------------------------------------------ auc by group ---
def roc_on_grid(y, s, grid):
    fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
    # np.interp needs increasing x; at a vertical run take the top (any value: measure zero)
    return np.interp(grid, fpr, tpr)


def by_group(df, label, score, attrs, extra):
    records = []
    groupings = [[a] for a in attrs] + [attrs]
    records.append({"grouping": [], "key": [], **extra(df[label].to_numpy(), df[score].to_numpy())})
    for g in groupings:
        for key, part in df.groupby(g, sort=True):
            key = list(key) if isinstance(key, tuple) else [key]
            y = part[label].to_numpy()
            s = part[score].to_numpy()
            records.append({"grouping": g, "key": [str(k) for k in key], **extra(y, s)})
    return records


def auc_of(y, s):
    both = len(np.unique(y)) == 2
    return {
        "n": int(len(y)),
        "positives": int(y.sum()),
        "auc": num(roc_auc_score(y, s)) if both else None,
    }


def adult_extra(y, s):
    r = auc_of(y, s)
    r["brier"] = num(brier_score_loss(y, s))
    pt, pp = calibration_curve(y, s, n_bins=10, strategy="uniform")
    r["cal10_prob_true"] = lst(pt)
    r["cal10_prob_pred"] = lst(pp)
    # ECE (equal-width, 10 bins) in plain numpy, right-closed bins as calibration_curve
    bins = np.linspace(0.0, 1.0, 11)
    ids = np.searchsorted(bins[1:-1], s)
    ece = 0.0
    for b in range(10):
        m = ids == b
        if m.any():
            ece += m.sum() / len(s) * abs(y[m].mean() - s[m].mean())
    r["ece10"] = num(ece)
    if r["auc"] is not None:
        fpr, tpr, _ = roc_curve(y, s)  # drop_intermediate=True, the default
        r["roc_thin_fpr"] = lst(fpr)
        r["roc_thin_tpr"] = lst(tpr)
    return r


def auc_groups(root):
    adult = pd.read_csv(root / "prepared" / "adult.csv", float_precision="round_trip",
                        keep_default_na=False)
    adult = adult[["race", "sex", "label", "score"]]
    compas = pd.read_csv(root / "data" / "compas-scores-two-years.csv")
    compas = compas[["race", "sex", "two_year_recid", "decile_score"]]
    # exact ABROCA by a fine grid (Gardner et al. use 10,000 points; 2,000,001 here)
    grid = np.linspace(0.0, 1.0, 2_000_001)
    m = adult[adult.sex == "Male"]
    f = adult[adult.sex == "Female"]
    diff = np.abs(roc_on_grid(m.label.to_numpy(), m.score.to_numpy(), grid)
                  - roc_on_grid(f.label.to_numpy(), f.score.to_numpy(), grid))
    abroca = float(np.trapezoid(diff, grid))
    return {
        "adult": {
            "file": "prepared/adult.csv",
            "label": "label",
            "score": "score",
            "records": by_group(adult, "label", "score", ["race", "sex"], adult_extra),
            "abroca_sex_male_female_grid": abroca,
        },
        "compas": {
            "file": "data/compas-scores-two-years.csv",
            "label": "two_year_recid",
            "score": "decile_score",
            "records": by_group(compas, "two_year_recid", "decile_score", ["race", "sex"],
                                auc_of),
        },
    }


# -------------------------------------------------------------------------- regression ---
def regression():
    rng = np.random.default_rng(20261129)
    n = 600
    group = rng.choice(["a", "b", "c"], size=n, p=[0.5, 0.3, 0.2])
    shift = np.where(group == "a", 0.0, np.where(group == "b", 0.4, -0.3))
    y = np.round(rng.normal(2.0 + shift, 1.0), 6)
    yhat = np.round(y + rng.normal(0.1 * shift, 0.5 + 0.2 * (group == "c")), 6)
    w = np.round(rng.uniform(0.5, 2.0, size=n), 6)
    # a discrete prediction (integers 0..6) where fine bins make KS and W1 exact
    ydisc = np.clip(np.round(yhat), 0, 6)
    groups = []
    for g in ["a", "b", "c"]:
        m = group == g
        rest = ~m
        groups.append(
            {
                "group": g,
                "n": int(m.sum()),
                "mae": mean_absolute_error(y[m], yhat[m]),
                "mse": mean_squared_error(y[m], yhat[m]),
                "mae_w": mean_absolute_error(y[m], yhat[m], sample_weight=w[m]),
                "mse_w": mean_squared_error(y[m], yhat[m], sample_weight=w[m]),
                "mean_y": float(y[m].mean()),
                "mean_yhat": float(yhat[m].mean()),
                "ks_rest": float(ks_2samp(yhat[m], yhat[rest]).statistic),
                "w1_rest": float(wasserstein_distance(yhat[m], yhat[rest])),
                "w1_rest_w": float(wasserstein_distance(yhat[m], yhat[rest], w[m], w[rest])),
                "ks_all": float(ks_2samp(yhat[m], yhat).statistic),
                "w1_all": float(wasserstein_distance(yhat[m], yhat)),
                "disc_ks_rest": float(ks_2samp(ydisc[m], ydisc[rest]).statistic),
                "disc_w1_rest": float(wasserstein_distance(ydisc[m], ydisc[rest])),
            }
        )
    return {
        "group": group.tolist(),
        "y": y.tolist(),
        "yhat": yhat.tolist(),
        "w": w.tolist(),
        "ydisc": ydisc.tolist(),
        "overall": {
            "mae": mean_absolute_error(y, yhat),
            "mse": mean_squared_error(y, yhat),
        },
        "groups": groups,
    }


# -------------------------------------------------------------------------- multiclass ---
def multiclass():
    rng = np.random.default_rng(1212)
    n = 400
    classes = ["low", "medium", "high"]
    group = rng.choice(["x", "y"], size=n, p=[0.6, 0.4])
    y = rng.choice(3, size=n, p=[0.5, 0.3, 0.2])
    noise = rng.random(n) < np.where(group == "x", 0.25, 0.45)
    yhat = np.where(noise, rng.choice(3, size=n), y)
    # group "z": only classes 0 and 1 in labels and predictions (class 2 undefined)
    gz = np.array(["z"] * 6)
    yz = np.array([0, 1, 0, 1, 1, 0])
    pz = np.array([0, 1, 1, 1, 0, 0])
    group = np.concatenate([group, gz])
    y = np.concatenate([y, yz])
    yhat = np.concatenate([yhat, pz])
    out = []
    for g in ["x", "y", "z"]:
        m = group == g
        mcm = multilabel_confusion_matrix(y[m], yhat[m], labels=[0, 1, 2])
        out.append(
            {
                "group": g,
                "n": int(m.sum()),
                # per class [tn, fp, fn, tp]
                "ovr": [c.ravel().tolist() for c in mcm],
                "recall": lst(recall_score(y[m], yhat[m], labels=[0, 1, 2], average=None,
                                           zero_division=np.nan)),
                "precision": lst(precision_score(y[m], yhat[m], labels=[0, 1, 2], average=None,
                                                 zero_division=np.nan)),
                "macro_recall": num(recall_score(y[m], yhat[m], labels=[0, 1, 2],
                                                 average="macro", zero_division=np.nan)),
                "macro_precision": num(precision_score(y[m], yhat[m], labels=[0, 1, 2],
                                                       average="macro", zero_division=np.nan)),
                "accuracy": float((y[m] == yhat[m]).mean()),
            }
        )
    return {
        "classes": classes,
        "group": group.tolist(),
        "y": y.tolist(),
        "yhat": yhat.tolist(),
        "groups": out,
    }


def main():
    root = Path(sys.argv[1] if len(sys.argv) > 1 else ".cache/fixtures")
    out = {
        "oracle": {
            "scikit_learn": sklearn.__version__,
            "scipy": scipy.__version__,
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "python": platform.python_version(),
        },
        "small": small_sets(),
        "auc_groups": auc_groups(root),
        "regression": regression(),
        "multiclass": multiclass(),
    }
    dest = root / "oracle" / "score_reference.json"
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".json.tmp")
    with open(tmp, "w") as f:
        json.dump(out, f, indent=None, separators=(",", ":"), allow_nan=False)
    tmp.replace(dest)
    print(f"score_reference: wrote {dest}", file=sys.stderr)


if __name__ == "__main__":
    main()
