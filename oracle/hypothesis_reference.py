"""Reference values for aequo_core::hypothesis's unit tests, from scipy and statsmodels.

Run:  python oracle/hypothesis_reference.py   (needs scipy==1.15.3, statsmodels==0.14.4)
The printed numbers are pasted into crates/aequo-core/src/hypothesis.rs's tests.
"""
import numpy as np
from scipy.stats import chi2_contingency, fisher_exact
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

z, p = proportions_ztest([30, 45], [100, 110])
print("z test [30/100 vs 45/110]:", repr(float(z)), repr(float(p)))
for t in ([[8, 2], [1, 5]], [[3, 1], [1, 3]], [[5, 0], [0, 5]], [[40, 60], [55, 45]]):
    r = fisher_exact(t)
    print("fisher", t, repr(float(r[0])), repr(float(r[1])))
s, p, dof, _ = chi2_contingency(np.array([[10, 20], [20, 20], [30, 10]]), correction=False)
print("chi2 [[10,20],[20,20],[30,10]]:", repr(float(s)), repr(float(p)), dof)
ps = [0.01, 0.04, 0.03, 0.005, 0.2]
print("holm", [repr(float(x)) for x in multipletests(ps, method="holm")[1]])
print("fdr_bh", [repr(float(x)) for x in multipletests(ps, method="fdr_bh")[1]])
