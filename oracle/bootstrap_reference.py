"""Fairlearn 0.15.0 bootstrap intervals on COMPAS, for comparison with aequo's Poisson bootstrap.

Fairlearn's `MetricFrame(n_boot=…)` resamples all rows with replacement and rebuilds the whole
frame per replicate (group-fairness.md §2.1). aequo draws Poisson(n) per cell of the count
tensor instead. Both estimate the same sampling distribution, so their percentile intervals
should agree within Monte-Carlo error for groups that are not tiny.

    python oracle/bootstrap_reference.py ROOT     (run by scripts/oracle.sh in its venv)

Writes ROOT/oracle/compas_bootstrap.json; skips when that file was made by this script's
current text (its sha256 is stored inside).
"""
import hashlib
import json
import os
import sys
import time

import pandas as pd
from fairlearn.metrics import MetricFrame, selection_rate, true_positive_rate, false_positive_rate

ROOT = sys.argv[1]
OUT = os.path.join(ROOT, "oracle", "compas_bootstrap.json")
ME = hashlib.sha256(open(__file__, "rb").read()).hexdigest()
N_BOOT = 1000

if os.path.exists(OUT):
    try:
        if json.load(open(OUT)).get("script_sha256") == ME:
            print("bootstrap reference up to date", file=sys.stderr)
            sys.exit(0)
    except (ValueError, OSError):
        pass

df = pd.read_csv(os.path.join(ROOT, "data", "compas-scores-two-years.csv"))
y = df["two_year_recid"].astype(int)
p = (df["decile_score"] >= 5).astype(int)
metrics = {"selection_rate": selection_rate, "tpr": true_positive_rate, "fpr": false_positive_rate}
records = []
t0 = time.time()
for attr in ["race", "sex"]:
    mf = MetricFrame(
        metrics=metrics,
        y_true=y,
        y_pred=p,
        sensitive_features=df[[attr]],
        n_boot=N_BOOT,
        ci_quantiles=[0.025, 0.975],
        random_state=0,
    )
    lo, hi = mf.by_group_ci
    for m in metrics:
        for g in lo.index:
            key = g[0] if isinstance(g, tuple) else g
            records.append({"kind": "by_group", "attribute": attr, "group": key, "metric": m,
                            "rows": int((df[attr] == key).sum()),
                            "lower": float(lo.loc[g, m]), "upper": float(hi.loc[g, m])})
    dlo, dhi = mf.difference_ci(method="between_groups")
    for m in metrics:
        records.append({"kind": "difference", "attribute": attr, "metric": m, "method": "between_groups",
                        "lower": float(dlo[m]), "upper": float(dhi[m])})
elapsed = time.time() - t0
json.dump({"script_sha256": ME, "fairlearn_n_boot": N_BOOT, "seconds": elapsed, "records": records},
          open(OUT, "w"), indent=1)
print(f"bootstrap reference: {len(records)} intervals, Fairlearn n_boot={N_BOOT} took {elapsed:.1f} s",
      file=sys.stderr)
