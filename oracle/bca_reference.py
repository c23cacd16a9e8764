"""scipy's BCa bootstrap intervals on COMPAS, for comparison with aequo's `--ci bca`.

scipy.stats.bootstrap(method="BCa") resamples the rows with replacement and takes the
acceleration from the row-by-row jackknife; aequo draws Poisson(n) per cell of the count tensor
and takes the jackknife one tensor slot at a time. Both estimate the same interval (Efron 1987),
so their endpoints should agree within Monte-Carlo error. The statistics are those aequo gives a
bootstrap interval by group (F1 and balanced accuracy; proportions keep their Wilson interval).

    python oracle/bca_reference.py ROOT     (run by scripts/oracle.sh in its venv)

Writes ROOT/oracle/compas_bca.json; skips when that file was made by this script's current text
(its sha256 is stored inside).
"""
import hashlib
import json
import os
import sys
import time

import numpy as np
import pandas as pd
from scipy.stats import bootstrap

ROOT = sys.argv[1]
OUT = os.path.join(ROOT, "oracle", "compas_bca.json")
ME = hashlib.sha256(open(__file__, "rb").read()).hexdigest()
N_RESAMPLES = 4000

if os.path.exists(OUT):
    try:
        if json.load(open(OUT)).get("script_sha256") == ME:
            print("BCa reference up to date", file=sys.stderr)
            sys.exit(0)
    except (ValueError, OSError):
        pass

df = pd.read_csv(os.path.join(ROOT, "data", "compas-scores-two-years.csv"))
y = df["two_year_recid"].to_numpy().astype(int)
p = (df["decile_score"] >= 5).to_numpy().astype(int)


def confusion(yy, pp):
    tp = np.sum(yy & pp)
    fp = np.sum((1 - yy) & pp)
    fn = np.sum(yy & (1 - pp))
    tn = np.sum((1 - yy) & (1 - pp))
    return tn, fp, fn, tp


def f1(yy, pp):
    tn, fp, fn, tp = confusion(yy, pp)
    return 2 * tp / (2 * tp + fp + fn)


def balanced_accuracy(yy, pp):
    tn, fp, fn, tp = confusion(yy, pp)
    return 0.5 * (tp / (tp + fn) + tn / (tn + fp))


records = []
t0 = time.time()
for attr in ["race", "sex"]:
    values = df[attr].to_numpy()
    for group in sorted(set(values)):
        member = (values == group).astype(int)
        if member.sum() < 300:
            continue
        for name, metric in [("f1", f1), ("balanced_accuracy", balanced_accuracy)]:
            # The statistic of the whole (resampled) data set: the metric on the group's rows.
            def statistic(yy, pp, mm, metric=metric):
                keep = mm.astype(bool)
                return metric(yy[keep], pp[keep])

            r = bootstrap((y, p, member), statistic, paired=True, vectorized=False,
                          n_resamples=N_RESAMPLES, method="BCa", confidence_level=0.95,
                          random_state=np.random.default_rng(0))
            records.append({"attribute": attr, "group": str(group), "metric": name,
                            "rows": int(member.sum()),
                            "lower": float(r.confidence_interval.low),
                            "upper": float(r.confidence_interval.high),
                            "standard_error": float(r.standard_error)})
elapsed = time.time() - t0
json.dump({"script_sha256": ME, "n_resamples": N_RESAMPLES, "seconds": elapsed, "records": records},
          open(OUT, "w"), indent=1)
print(f"BCa reference: {len(records)} intervals, scipy n_resamples={N_RESAMPLES} took {elapsed:.1f} s",
      file=sys.stderr)
