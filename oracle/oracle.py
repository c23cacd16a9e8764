#!/usr/bin/env python3
"""Reference values for aequo's oracle tests, computed with Fairlearn and AIF360.

Run through scripts/oracle.sh (which fetches the fixtures and builds the venv), or directly:

    python oracle/oracle.py ROOT        # ROOT = the fixtures root (data/ must be there)

Writes
    ROOT/prepared/adult.csv, ROOT/prepared/german.csv    inputs with label, score and pred
    ROOT/oracle/{compas,adult,adult_weighted,german}.json expected values (see oracle/README.md)

Everything is deterministic: fixed features, lbfgs logistic regression, one BLAS thread.
"""
import csv
import itertools
import json
import logging
import math
import os
import platform
import sys
import warnings
from functools import partial
from pathlib import Path

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import sklearn  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import (  # noqa: E402
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    f1_score,
    precision_score,
)
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402

logging.getLogger().setLevel(logging.ERROR)  # aif360 logs missing optional deps at WARNING
import fairlearn  # noqa: E402
import fairlearn.metrics as flm  # noqa: E402
import aif360  # noqa: E402
from aif360.datasets import BinaryLabelDataset  # noqa: E402
from aif360.metrics import ClassificationMetric  # noqa: E402

warnings.filterwarnings("ignore")  # sklearn UndefinedMetricWarning etc.; `defined` records them

VERSIONS = {
    "fairlearn": fairlearn.__version__,
    "aif360": aif360.__version__,
    "scikit_learn": sklearn.__version__,
    "python": platform.python_version(),
}
SEED = 0


# ---------------------------------------------------------------- metrics ---
def base_rate(y_true, y_pred, sample_weight=None):
    return float(np.average(np.asarray(y_true, dtype=float), weights=sample_weight))


def _cm(y_true, y_pred, sample_weight=None):
    tn, fp, fn, tp = confusion_matrix(
        y_true, y_pred, labels=[0, 1], sample_weight=sample_weight
    ).ravel()
    return tn, fp, fn, tp


def _ratio(num, den):
    return float(num / den) if den != 0 else 0.0  # Fairlearn/sklearn 0/0 convention


def npv(y_true, y_pred, sample_weight=None):
    tn, fp, fn, tp = _cm(y_true, y_pred, sample_weight)
    return _ratio(tn, tn + fn)


def fdr(y_true, y_pred, sample_weight=None):
    tn, fp, fn, tp = _cm(y_true, y_pred, sample_weight)
    return _ratio(fp, fp + tp)


def false_omission_rate(y_true, y_pred, sample_weight=None):
    tn, fp, fn, tp = _cm(y_true, y_pred, sample_weight)
    return _ratio(fn, fn + tn)


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


def defined(metric, tn, fp, fn, tp):
    """Whether the metric has a non-zero denominator (else Fairlearn/sklearn returned a
    0/0 convention). Counts are unweighted; weights are all positive, so same answer."""
    n, p, q = tn + fp + fn + tp, tp + fn, tn + fp
    rule = {
        "count": n > 0,
        "base_rate": n > 0,
        "selection_rate": n > 0,
        "accuracy": n > 0,
        "tpr": p > 0,
        "fnr": p > 0,
        "fpr": q > 0,
        "tnr": q > 0,
        "ppv": tp + fp > 0,
        "fdr": tp + fp > 0,
        "npv": tn + fn > 0,
        "for": tn + fn > 0,
        "balanced_accuracy": p > 0 and q > 0,  # sklearn drops a missing class's recall
        "f1": p > 0 and tp + fp > 0,  # both recall and precision defined
    }
    return bool(rule[metric])


def num(v):
    """JSON number with full precision (json uses repr), or null for NaN/inf/None."""
    if v is None:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    v = float(v)
    return v if math.isfinite(v) else None


# ---------------------------------------------------------------- records ---
def fairlearn_records(df, y, pred, sens, w):
    recs = []
    sample_params = None
    if w is not None:
        sample_params = {m: {"sample_weight": w} for m in METRICS if m != "count"}
    yv, pv = y.to_numpy(), pred.to_numpy()
    subsets = [
        list(c) for k in range(1, len(sens) + 1) for c in itertools.combinations(sens, k)
    ]
    overall_done = False
    for grouping in subsets:
        sf = df[grouping] if len(grouping) > 1 else df[grouping[0]]
        mf = flm.MetricFrame(
            metrics=METRICS,
            y_true=yv,
            y_pred=pv,
            sensitive_features=sf,
            sample_params=sample_params,
        )
        if not overall_done:
            tn, fp, fn, tp = (int(v) for v in _cm(yv, pv))
            for m in METRICS:
                v = mf.overall[m]
                recs.append({"kind": "overall", "metric": m, "value": num(v),
                             "defined": defined(m, tn, fp, fn, tp)})
            overall_done = True
        # confusion counts per group (unweighted) for the `defined` flags
        t = df[grouping].astype(str).assign(_y=yv, _p=pv)
        cm = t.groupby(grouping + ["_y", "_p"]).size().to_dict()
        for key, row in mf.by_group.iterrows():
            group = list(key) if isinstance(key, tuple) else [key]
            if pd.isna(row["count"]) or row["count"] == 0:
                continue  # empty cell of the Cartesian product
            g = tuple(str(x) for x in group)
            c = {(a, b): int(cm.get(g + (a, b), 0)) for a in (0, 1) for b in (0, 1)}
            tn, fp, fn, tp = c[(0, 0)], c[(0, 1)], c[(1, 0)], c[(1, 1)]
            assert tn + fp + fn + tp == row["count"], (grouping, group)
            for m in METRICS:
                v = row[m]
                recs.append(
                    {
                        "kind": "by_group",
                        "grouping": grouping,
                        "group": [str(x) for x in group],
                        "metric": m,
                        "value": int(v) if m == "count" else num(v),
                        "defined": defined(m, tn, fp, fn, tp),
                    }
                )
        for method in ("between_groups", "to_overall"):
            d, r = mf.difference(method=method), mf.ratio(method=method)
            for m in METRICS:
                recs.append({"kind": "difference", "grouping": grouping, "method": method,
                             "metric": m, "value": num(d[m])})
            for m in METRICS:
                recs.append({"kind": "ratio", "grouping": grouping, "method": method,
                             "metric": m, "value": num(r[m])})
        kw = {"sample_weight": w} if w is not None else {}
        for method in ("between_groups", "to_overall"):
            for name in ("demographic_parity_difference", "demographic_parity_ratio",
                         "equalized_odds_difference", "equalized_odds_ratio",
                         "equal_opportunity_difference", "equal_opportunity_ratio"):
                aggs = ("worst_case", "mean") if name.startswith("equalized_odds") else (None,)
                for agg in aggs:
                    extra = {"agg": agg} if agg else {}
                    v = getattr(flm, name)(yv, pv, sensitive_features=sf, method=method,
                                           **kw, **extra)
                    recs.append({"kind": "criterion", "name": name, "grouping": grouping,
                                 "method": method, "agg": agg, "value": num(v)})
    return recs


AIF_PAIRWISE = [
    ("disparate_impact", None),
    ("statistical_parity_difference", None),
    ("equal_opportunity_difference", None),
    ("average_odds_difference", None),
    ("average_abs_odds_difference", None),
    ("equalized_odds_difference", None),
    ("between_group_theil_index", None),
    ("between_group_generalized_entropy_index", 2),
    ("between_group_coefficient_of_variation", None),
]


def aif_call(cm, name, alpha):
    with np.errstate(all="ignore"):
        try:
            f = getattr(cm, name)
            return num(f(alpha=alpha) if alpha is not None else f())
        except ZeroDivisionError:
            return None


def aif360_records(df, y, pred, sens, w, privileged):
    levels = {a: sorted(df[a].astype(str).unique()) for a in sens}
    code = {a: {lv: float(i) for i, lv in enumerate(levels[a])} for a in sens}
    adf = pd.DataFrame({a: df[a].astype(str).map(code[a]).astype(float) for a in sens})
    adf["label"] = y.to_numpy().astype(float)
    adf["w"] = 1.0 if w is None else np.asarray(w, dtype=float)
    ds = BinaryLabelDataset(
        favorable_label=1.0,
        unfavorable_label=0.0,
        df=adf,
        label_names=["label"],
        protected_attribute_names=list(sens),
        instance_weights_name="w",
        privileged_protected_attributes=[[code[a][privileged[a]]] for a in sens],
        unprivileged_protected_attributes=[
            [code[a][lv] for lv in levels[a] if lv != privileged[a]] for a in sens
        ],
    )
    dsp = ds.copy(deepcopy=True)
    dsp.labels = pred.to_numpy().astype(float).reshape(-1, 1)

    recs = []
    first_cm = None
    for a in sens:
        p = privileged[a]
        others = [lv for lv in levels[a] if lv != p]
        for u in others + [None]:
            ug = [{a: code[a][u]}] if u is not None else [{a: code[a][lv]} for lv in others]
            cm = ClassificationMetric(ds, dsp, unprivileged_groups=ug,
                                      privileged_groups=[{a: code[a][p]}])
            if first_cm is None:
                first_cm = cm
            for name, alpha in AIF_PAIRWISE:
                recs.append({"kind": "aif360", "name": name, "attribute": a, "privileged": p,
                             "unprivileged": u, "alpha": alpha,
                             "value": aif_call(cm, name, alpha)})
    cm = first_cm
    base = {"kind": "aif360", "attribute": None, "privileged": None, "unprivileged": None}
    recs.append({**base, "name": "theil_index", "alpha": None,
                 "value": aif_call(cm, "theil_index", None)})
    for alpha in (0, 0.5, 2, 3):
        v = aif_call(cm, "generalized_entropy_index", alpha)
        if v is None and alpha == 0:
            continue  # GE(0) is infinite whenever some b_i = 0 (a false negative)
        recs.append({**base, "name": "generalized_entropy_index", "alpha": alpha, "value": v})
    recs.append({**base, "name": "coefficient_of_variation", "alpha": None,
                 "value": aif_call(cm, "coefficient_of_variation", None)})
    star = {**base, "attribute": "*"}
    recs.append({**star, "name": "between_all_groups_theil_index", "alpha": None,
                 "value": aif_call(cm, "between_all_groups_theil_index", None)})
    recs.append({**star, "name": "between_all_groups_generalized_entropy_index", "alpha": 2,
                 "value": aif_call(cm, "between_all_groups_generalized_entropy_index", 2)})
    return recs, code


# ------------------------------------------------------------ hand checks ---
def ge_by_hand(y, p, alpha):
    b = p - y + 1.0
    mu = b.mean()
    if alpha == 1:
        r = b / mu
        return float(np.mean(np.where(b > 0, r * np.log(np.where(b > 0, r, 1.0)), 0.0)))
    return float(np.mean((b / mu) ** alpha - 1) / (alpha * (alpha - 1)))


def sanity(name, recs, df, y, pred, sens, w, privileged):
    yv, pv = y.to_numpy().astype(float), pred.to_numpy().astype(float)
    wv = np.ones(len(yv)) if w is None else np.asarray(w, dtype=float)

    def get(**kv):
        hits = [r for r in recs if all(r.get(k) == v for k, v in kv.items())]
        assert len(hits) == 1, (kv, len(hits))
        return hits[0]["value"]

    close = lambda a, b: abs(a - b) <= 1e-12 * max(1.0, abs(b))  # noqa: E731
    assert get(kind="overall", metric="count") == len(df)
    assert close(get(kind="overall", metric="selection_rate"), np.average(pv, weights=wv))
    assert close(get(kind="overall", metric="base_rate"), np.average(yv, weights=wv))
    tp = wv[(yv == 1) & (pv == 1)].sum()
    assert close(get(kind="overall", metric="tpr"), tp / wv[yv == 1].sum())
    for a in sens:
        cnt = sum(r["value"] for r in recs if r["kind"] == "by_group"
                  and r["grouping"] == [a] and r["metric"] == "count")
        assert cnt == len(df), (a, cnt)
        # AIF360 SPD with U = all others, by hand
        priv = (df[a].astype(str) == privileged[a]).to_numpy()
        sr = lambda m: np.average(pv[m], weights=wv[m])  # noqa: E731
        spd = get(kind="aif360", name="statistical_parity_difference", attribute=a,
                  unprivileged=None)
        assert close(spd, sr(~priv) - sr(priv)), (a, spd)
        # Fairlearn DP difference == max - min of selection rates
        rates = [r["value"] for r in recs if r["kind"] == "by_group" and r["grouping"] == [a]
                 and r["metric"] == "selection_rate"]
        dpd = get(kind="criterion", name="demographic_parity_difference", grouping=[a],
                  method="between_groups")
        assert close(dpd, max(rates) - min(rates))
        # AIF360 quirk, pinned here so nobody "fixes" it on the Rust side by accident:
        # between_group_* with ONE unprivileged level gives every row outside
        # privileged+unprivileged b = 0 (it stays in n and in the mean of b).
        lv = df[a].astype(str).to_numpy()
        u = sorted(set(lv) - {privileged[a]})[0]
        unp = lv == u
        bq = np.zeros(len(yv))
        for m in (priv, unp):
            bq[m] = np.mean(pv[m] - yv[m] + 1.0)
        mu = bq.mean()
        bg2 = float(np.mean((bq / mu) ** 2 - 1) / 2)
        got = get(kind="aif360", name="between_group_generalized_entropy_index", attribute=a,
                  unprivileged=u)
        assert close(got, bg2), (a, u, got, bg2)
    assert close(get(kind="aif360", name="generalized_entropy_index", alpha=2), ge_by_hand(yv, pv, 2))
    assert close(get(kind="aif360", name="theil_index"), ge_by_hand(yv, pv, 1))
    full = [r for r in recs if r["kind"] == "by_group" and r["grouping"] == list(sens)
            and r["metric"] == "count"]
    return full


# ------------------------------------------------------------- datasets ---
ADULT_COLS = ["age", "workclass", "fnlwgt", "education", "education_num", "marital_status",
              "occupation", "relationship", "race", "sex", "capital_gain", "capital_loss",
              "hours_per_week", "native_country", "income"]
ADULT_NUM = ["age", "fnlwgt", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
ADULT_FEAT_NUM = ["age", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
ADULT_FEAT_CAT = ["workclass", "marital_status", "occupation", "relationship", "race", "sex"]


def logreg(num_cols, cat_cols):
    return make_pipeline(
        ColumnTransformer([
            ("num", StandardScaler(), num_cols),
            ("cat", OneHotEncoder(handle_unknown="ignore"), cat_cols),
        ]),
        LogisticRegression(C=1.0, solver="lbfgs", max_iter=5000, random_state=SEED),
    )


def write_csv(path, df, cols):
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="") as f:
        wr = csv.writer(f, lineterminator="\n")
        wr.writerow(cols)
        for row in df[cols].itertuples(index=False):
            wr.writerow(["" if v is None or (isinstance(v, float) and math.isnan(v))
                         else repr(float(v)) if isinstance(v, (float, np.floating))
                         else str(v) for v in row])
    os.replace(tmp, path)


def prepare_adult(root):
    def read(name, skip):
        d = pd.read_csv(root / "data" / name, header=None, names=ADULT_COLS, dtype=str,
                        skiprows=skip, keep_default_na=False, skip_blank_lines=True)
        d = d.apply(lambda s: s.str.strip())
        d = d[d["age"] != ""]
        d["income"] = d["income"].str.rstrip(".")
        return d

    train, test = read("adult.data", 0), read("adult.test", 1)
    assert (len(train), len(test)) == (32561, 16281), (len(train), len(test))
    d = pd.concat([train, test], ignore_index=True)
    for c in ADULT_COLS:
        if c not in ADULT_NUM:
            d[c] = d[c].replace("?", "")
    for c in ADULT_NUM:
        d[c] = d[c].astype(np.int64)
    assert set(d["income"]) == {"<=50K", ">50K"}, set(d["income"])
    d["label"] = (d["income"] == ">50K").astype(int)
    X = d[ADULT_FEAT_NUM + ADULT_FEAT_CAT].copy()
    for c in ADULT_FEAT_CAT:
        X[c] = X[c].replace("", "missing")
    model = logreg(ADULT_FEAT_NUM, ADULT_FEAT_CAT).fit(X.iloc[: len(train)], d["label"].iloc[: len(train)])
    d["score"] = model.predict_proba(X)[:, 1].astype(float)
    d["pred"] = (d["score"] >= 0.5).astype(int)
    cols = ADULT_COLS + ["label", "score", "pred"]
    write_csv(root / "prepared" / "adult.csv", d, cols)
    return d, cols


def prepare_german(root):
    g = pd.read_csv(root / "data" / "germancredit.csv", dtype=str, keep_default_na=False)
    orig = list(g.columns)
    assert len(g) == 1000
    num_cols = [c for c in orig if g[c].str.fullmatch(r"-?\d+").all()]
    for c in num_cols:
        g[c] = g[c].astype(np.int64)
    cat_cols = [c for c in orig if c not in num_cols and c != "creditability"]
    ps = g["personal_status_and_sex"]
    assert ps.str.match(r"^(male|female) : ").all(), ps.unique()
    g["sex"] = ps.str.split(" : ").str[0]
    g["age_group"] = np.where(g["age_in_years"] >= 25, "25+", "<25")
    assert set(g["creditability"]) == {"good", "bad"}
    g["label"] = (g["creditability"] == "good").astype(int)
    model = logreg(num_cols, cat_cols).fit(g[num_cols + cat_cols], g["label"])
    g["score"] = model.predict_proba(g[num_cols + cat_cols])[:, 1].astype(float)
    g["pred"] = (g["score"] >= 0.5).astype(int)
    cols = orig + ["sex", "age_group", "label", "score", "pred"]
    write_csv(root / "prepared" / "german.csv", g, cols)
    return g, cols, num_cols, cat_cols


def build(name, file, df, y, pred, sens, weight, privileged, spec):
    w = None if weight is None else df[weight].to_numpy().astype(float)
    recs = fairlearn_records(df, y, pred, sens, w)
    arecs, _ = aif360_records(df, y, pred, sens, w, privileged)
    recs += arecs
    full = sanity(name, recs, df, y, pred, sens, w, privileged)
    out = {"dataset": name, "oracle": VERSIONS, "file": file, **spec,
           "sensitive": list(sens), "weight": weight,
           "privileged": privileged, "rows": int(len(df)), "records": recs}
    return out, full


def dump(root, out):
    path = root / "oracle" / f"{out['dataset']}.json"
    tmp = path.with_suffix(".json.tmp")
    with open(tmp, "w") as f:
        json.dump(out, f, indent=None, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    os.replace(tmp, path)
    return path


def summary(out, full):
    kinds = {}
    for r in out["records"]:
        kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
    ov = {r["metric"]: r["value"] for r in out["records"] if r["kind"] == "overall"}
    print(f"{out['dataset']}: rows={out['rows']} records={len(out['records'])} {kinds}")
    print(f"  overall selection_rate={ov['selection_rate']!r} base_rate={ov['base_rate']!r} "
          f"accuracy={ov['accuracy']!r}")
    cells = ", ".join(f"{'/'.join(r['group'])}={r['value']}" for r in full)
    print(f"  cells ({'x'.join(out['sensitive'])}): {cells}")


def main():
    root = Path(sys.argv[1] if len(sys.argv) > 1 else os.environ["AEQUO_FIXTURES"]).resolve()
    for d in ("prepared", "oracle"):
        (root / d).mkdir(parents=True, exist_ok=True)

    # COMPAS: read as-is. The raw header repeats decile_score and priors_count (identical
    # values); pandas names the second copies decile_score.1 / priors_count.1.
    c = pd.read_csv(root / "data" / "compas-scores-two-years.csv")
    assert len(c) == 7214 and (c["decile_score"] == c["decile_score.1"]).all()
    c["race"], c["sex"] = c["race"].astype(str), c["sex"].astype(str)
    out, full = build(
        "compas", "data/compas-scores-two-years.csv", c, c["two_year_recid"].astype(int),
        (c["decile_score"] >= 5).astype(int), ["race", "sex"], None,
        {"race": "Caucasian", "sex": "Female"},
        {"label": "two_year_recid", "pos_label": None, "pred": None, "score": "decile_score",
         "threshold": 5})
    dump(root, out); summary(out, full)

    a, _ = prepare_adult(root)
    spec = {"label": "label", "pos_label": None, "pred": "pred", "score": None, "threshold": None}
    for name, w in (("adult", None), ("adult_weighted", "fnlwgt")):
        out, full = build(name, "prepared/adult.csv", a, a["label"], a["pred"], ["race", "sex"],
                          w, {"race": "White", "sex": "Male"}, spec)
        dump(root, out); summary(out, full)

    g, _, gnum, gcat = prepare_german(root)
    out, full = build("german", "prepared/german.csv", g, g["label"], g["pred"],
                      ["sex", "age_group", "foreign_worker"], None,
                      {"sex": "male", "age_group": "25+", "foreign_worker": "no"}, spec)
    dump(root, out); summary(out, full)
    print(f"oracle: wrote {root / 'oracle'} and {root / 'prepared'} ({VERSIONS})")


if __name__ == "__main__":
    main()
