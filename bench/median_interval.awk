# The median of the numbers on stdin (one a line, any order) and its distribution-free 95%
# interval: the order statistics k and n + 1 − k, k the largest rank with P(Binomial(n, ½) < k)
# ≤ 2.5% (the binomial interval of a median). Prints "median lower upper", or "median" alone
# when there are too few numbers for the interval. Used by bench/bootstrap.sh and
# bench/sql_pairs.sh on the pairs of a paired benchmark.
{ d[++n] = $1 }
END {
  if (n == 0) exit 1
  # Insertion sort: a benchmark has tens to hundreds of pairs.
  for (i = 2; i <= n; i++) {
    x = d[i]
    for (j = i - 1; j >= 1 && d[j] > x; j--) d[j + 1] = d[j]
    d[j + 1] = x
  }
  med = (n % 2) ? d[(n + 1) / 2] : (d[n / 2] + d[n / 2 + 1]) / 2
  # Binomial(n, 1/2)'s lower tail, each term summed in logs.
  k = 0; tail = 0
  for (j = 0; j <= n; j++) {
    lp = 0
    for (m = 1; m <= j; m++) lp += log(n - j + m) - log(m)
    p = exp(lp - n * log(2))
    if (tail + p > 0.025) break
    tail += p; k = j + 1
  }
  if (k >= 1) print med, d[k], d[n + 1 - k]
  else print med
}
