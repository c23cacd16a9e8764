"""Prints the statsmodels MixedLM (REML) fit pasted into tests/it/oracle.rs.

Run in a scratch venv with `pip install statsmodels pandas` (statsmodels 0.15.0 was used).
"""
import numpy as np, pandas as pd, statsmodels, statsmodels.formula.api as smf
rows = [
 ("t1","b",0.3),("t1","g",1.1),("t1","h",-0.4),("t1","g",1.5),
 ("t2","b",2.0),("t2","g",2.9),
 ("t3","b",-1.0),("t3","h",-1.2),("t3","g",0.2),
 ("t4","b",0.8),("t4","g",1.4),("t4","h",0.1),("t4","b",1.2),
 ("t5","g",3.1),("t5","h",1.9),
 ("t6","b",-0.5),("t6","g",0.6),("t6","h",-1.3),
]
df = pd.DataFrame(rows, columns=["t","g","y"])
m = smf.mixedlm("y ~ C(g, Treatment('b'))", df, groups=df["t"]).fit(reml=True)
print(statsmodels.__version__)
print(repr(m.fe_params.values.tolist()))
print(repr(m.bse_fe.values.tolist()))
print("cov_re", repr(float(m.cov_re.iloc[0,0])), "scale", repr(float(m.scale)), "llf", repr(float(m.llf)))
