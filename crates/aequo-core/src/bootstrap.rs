//! The Poisson bootstrap on the count tensor (DESIGN.md, principle 2).
//!
//! Under the Poisson bootstrap every row gets an independent weight W ~ Poisson(1) (Hanley &
//! MacGibbon 2006; Chamandy et al. 2012, "Estimating uncertainty for massive data streams"). A
//! cell slot holding n identical rows then has replicate count ΣW ~ Poisson(n), independent
//! across slots — so a replicate of the whole audit costs one Poisson draw per (cell, label,
//! prediction) slot, not a pass over the rows. B replicates of a 10⁹-row audit cost B × (#cells
//! × 4) draws.
//!
//! **Weighted rows.** The replicate of a weighted slot sum S = Σ w_i is ΣW_i w_i, a compound
//! Poisson variable with mean S and variance S₂ = Σ w_i². aequo uses the *moment-matched*
//! approximation S₂/S · Poisson(S²/S₂) (a scaled Poisson with the same mean and variance; exact
//! when all weights in the slot are equal), labelled as such in every result.
//!
//! Intervals are percentile intervals (the α/2 and 1 − α/2 quantiles of the replicates, linear
//! interpolation as `numpy.quantile`). A statistic that is undefined in more than 5% of the
//! replicates (e.g. a rate whose denominator is often zero in a tiny group) gets no interval.
//! Replicate b draws from its own generator (xoshiro256++) seeded by (seed, b), so results do not
//! depend on the number of threads; the draws are exact Poisson samplers ([`crate::poisson`]).
//!
//! The statistics are computed here by a lean evaluator over flat arrays (the hot path); a test
//! checks that on the original counts it reproduces the audit's point estimates exactly.

use rand::{RngCore, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use crate::counts::CountTensor;
use crate::interval::Interval;
use crate::poisson::{Pd, PoissonTable};

/// Settings of the bootstrap.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BootstrapOptions {
    /// Number of replicates.
    pub replicates: usize,
    /// Seed of the replicate generators.
    pub seed: u64,
    /// Threads to use (≥ 1).
    pub threads: usize,
    /// The interval of the gap between the two groups of a two-group grouping.
    #[serde(default)]
    pub gaps: GapInterval,
    /// Bias-corrected and accelerated (BCa) intervals instead of percentile intervals.
    #[serde(default)]
    pub bca: bool,
}

impl Default for BootstrapOptions {
    fn default() -> Self {
        BootstrapOptions {
            replicates: 1000,
            seed: 0x5EED,
            threads: std::thread::available_parallelism().map_or(1, usize::from),
            gaps: GapInterval::default(),
            bca: false,
        }
    }
}

/// How the interval of a two-group gap (|m₁ − m₀| and min/max) is formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GapInterval {
    /// The Feldman–Cousins interval of a folded normal ([`crate::folded`]), calibrated at every
    /// gap size.
    #[default]
    Folded,
    /// The percentile interval of the replicates' max − min, as Fairlearn's bootstrap gives it
    /// (conservative when the gap is within ~2 standard errors of zero).
    Percentile,
}

/// One slot's replicate law: `scale` × Poisson(λ), drawn by inverting a table below λ = 10
/// (a few dozen entries, shared by all replicates) and by Ahrens & Dieter's sampler from there
/// on ([`crate::poisson`]).
#[derive(Clone, Copy)]
enum Law {
    Zero,
    Table(f64, usize),
    Pd(f64, Pd),
}

/// A slot's law: `scale` × Poisson(λ), λ = 0 (or not finite) drawing 0.
fn law(scale: f64, lambda: f64, tables: &mut Vec<PoissonTable>) -> Law {
    if !(lambda > 0.0 && lambda.is_finite() && scale.is_finite()) {
        return Law::Zero;
    }
    // Ahrens & Dieter's sampler where it is defined ([`Pd::new`] decides: λ ≥ 10), the table
    // below.
    if let Some(p) = Pd::new(lambda) {
        return Law::Pd(scale, p);
    }
    let mut table = PoissonTable::default();
    if !table.set(lambda) {
        return Law::Zero;
    }
    tables.push(table);
    Law::Table(scale, tables.len() - 1)
}

/// Replicate laws of a tensor's slots: rates' counts (weighted or not) and unweighted rows.
pub struct Resampler {
    rate: Vec<[Law; 4]>,
    rows: Vec<[Law; 4]>,
    tables: Vec<PoissonTable>,
    weighted: bool,
}

impl Resampler {
    /// The laws of every slot of `t`.
    pub fn new(t: &CountTensor) -> Resampler {
        let mut rate = Vec::with_capacity(t.len());
        let mut rows = Vec::with_capacity(t.len());
        let mut tables = Vec::new();
        for c in t.cells() {
            let n = t.counts(c);
            let row_laws = n.map(|k| law(1.0, k as f64, &mut tables));
            rows.push(row_laws);
            match (t.confusion_weighted(c), t.weight_squares(c)) {
                (Some(w), Some(w2)) => {
                    let s = [w.tn, w.fp, w.fn_, w.tp];
                    let s2 = [w2.tn, w2.fp, w2.fn_, w2.tp];
                    // The moment-matched compound Poisson: (s2 / s) · Poisson(s² / s2).
                    rate.push(std::array::from_fn(|k| {
                        if s[k] > 0.0 && s2[k] > 0.0 {
                            law(s2[k] / s[k], s[k] * s[k] / s2[k], &mut tables)
                        } else {
                            Law::Zero
                        }
                    }));
                }
                _ => rate.push(row_laws),
            }
        }
        Resampler {
            rate,
            rows,
            tables,
            weighted: t.is_weighted(),
        }
    }

    /// Whether the rates are weighted (and so resampled by the moment-matched law).
    pub fn is_weighted(&self) -> bool {
        self.weighted
    }

    #[inline(always)]
    fn sample(&self, law: &Law, rng: &mut Xoshiro256PlusPlus) -> f64 {
        match law {
            Law::Zero => 0.0,
            Law::Table(scale, i) => scale * self.tables[*i].invert(rng.next_u64()),
            Law::Pd(scale, p) => scale * p.sample(rng),
        }
    }

    /// Fills a block of replicates, one lane each (`rngs[l]` draws lane l's replicate; lanes
    /// past `rngs.len()` get zero counts): per cell, the rate counts `[tn, fp, fn, tp]` and the
    /// row totals. Slot by slot across the lanes, so that each slot's law is read once a block
    /// and the counts land where the evaluator reads them; every replicate still takes its
    /// draws from its own generator in slot order.
    pub fn draw(
        &self,
        rngs: &mut [Xoshiro256PlusPlus],
        rate: &mut [[Lanes; 4]],
        rows: &mut [Lanes],
    ) {
        let lanes = rngs.len();
        for (i, (laws, rlaws)) in self.rate.iter().zip(&self.rows).enumerate() {
            rows[i] = [0.0; LANES];
            for k in 0..4 {
                let (c, w) = (&mut rate[i][k], &mut rows[i]);
                c[lanes..].fill(0.0);
                if self.weighted {
                    for (l, rng) in rngs.iter_mut().enumerate() {
                        c[l] = self.sample(&laws[k], rng);
                        w[l] += self.sample(&rlaws[k], rng);
                    }
                } else {
                    // The law's kind chosen once for the lanes, not per draw.
                    match &laws[k] {
                        Law::Zero => c[..lanes].fill(0.0),
                        Law::Table(scale, t) => {
                            let t = &self.tables[*t];
                            fill_lanes(rngs, c, w, |rng| scale * t.invert(rng.next_u64()));
                        }
                        Law::Pd(scale, p) => fill_lanes(rngs, c, w, |rng| scale * p.sample(rng)),
                    }
                }
            }
        }
    }
}

/// Lane l's draw into `counts[l]`, added to `rows[l]`.
#[inline(always)]
fn fill_lanes(
    rngs: &mut [Xoshiro256PlusPlus],
    counts: &mut Lanes,
    rows: &mut Lanes,
    mut draw: impl FnMut(&mut Xoshiro256PlusPlus) -> f64,
) {
    for (l, rng) in rngs.iter_mut().enumerate() {
        let x = draw(rng);
        counts[l] = x;
        rows[l] += x;
    }
}

/// The generator of replicate `b`: xoshiro256++ (Blackman & Vigna 2021), its state filled from
/// the seed by SplitMix64. A draw needs one to three 64-bit numbers, and ChaCha12 (`StdRng`, a
/// cryptographic generator) took a fifth of a draw's time producing them; the bootstrap needs
/// statistical quality, not unpredictability.
pub fn replicate_rng(seed: u64, b: usize) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed ^ (b as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// The replicates of the statistics a bootstrap keeps, statistic by statistic (what the
/// intervals read), as each thread computed them.
pub struct Replicates {
    /// Per thread, in replicate order: its number of replicates and their values laid out
    /// `[kept statistic][replicate]`.
    parts: Vec<(usize, Store)>,
    /// Statistic → its position among the kept ones.
    position: Vec<Option<usize>>,
    total: usize,
}

impl Replicates {
    /// The number of replicates.
    pub fn replicates(&self) -> usize {
        self.total
    }

    /// The replicates of statistic `s` in replicate order (NaN where undefined); `None` when it
    /// was not kept.
    pub fn column(&self, s: usize) -> Option<impl Iterator<Item = f64> + '_> {
        Some(self.pieces(s)?.into_iter().flatten().copied())
    }

    /// Statistic `s`'s replicates as each thread's contiguous piece, in replicate order.
    fn pieces(&self, s: usize) -> Option<Vec<&[f64]>> {
        let k = self.position.get(s).copied().flatten()?;
        Some(self.parts.iter().map(|(r, v)| &v[k * r..][..*r]).collect())
    }

    /// The percentile interval of statistic `s`; `None` when it was not kept or more than 5% of
    /// its replicates are undefined.
    pub fn percentile_interval(&self, s: usize, level: f64) -> Option<Interval> {
        let columns = self.pieces(s)?;
        let a = (1.0 - level) / 2.0;
        let (defined, tails) = tail_quantiles(&columns, a, 1.0 - a);
        if defined == 0 || (defined as f64) < 0.95 * self.total as f64 {
            return None;
        }
        if let Some((lower, upper)) = tails {
            return Some(Interval { lower, upper });
        }
        let values = columns
            .iter()
            .flat_map(|c| c.iter().copied())
            .filter(|x| x.is_finite())
            .collect();
        percentile_of(values, self.total, level)
    }

    /// The BCa interval (Efron 1987; DiCiccio & Efron 1996) of statistic `s` from its
    /// replicates, its `estimate` and its `acceleration` a: the replicates' quantiles at
    /// Φ(z₀ + (z₀ ± z) / (1 − a (z₀ ± z))), where z₀ = Φ⁻¹ of the share of defined replicates
    /// below the estimate (ties count half, as `scipy.stats.bootstrap` counts them). `None`
    /// where it is not defined: a statistic not kept, over 5% of replicates undefined, all of
    /// them on one side of the estimate, or a non-finite estimate or acceleration.
    pub fn bca_interval(
        &self,
        s: usize,
        estimate: f64,
        acceleration: f64,
        level: f64,
    ) -> Option<Interval> {
        if !estimate.is_finite() || !acceleration.is_finite() {
            return None;
        }
        let mut values: Vec<f64> = self
            .pieces(s)?
            .into_iter()
            .flatten()
            .copied()
            .filter(|x| x.is_finite())
            .collect();
        let n = values.len();
        if n == 0 || (n as f64) < 0.95 * self.total as f64 {
            return None;
        }
        let below = values.iter().filter(|&&x| x < estimate).count() as f64;
        let ties = values.iter().filter(|&&x| x == estimate).count() as f64;
        let share = (below + 0.5 * ties) / n as f64;
        if share <= 0.0 || share >= 1.0 {
            return None;
        }
        let z0 = crate::interval::normal_quantile(share);
        let z = crate::interval::normal_quantile(0.5 + level / 2.0);
        let adjusted = |zq: f64| {
            let w = z0 + zq;
            let d = 1.0 - acceleration * w;
            (d > 0.0).then(|| crate::folded::normal_cdf(z0 + w / d))
        };
        let (q1, q2) = (adjusted(-z)?, adjusted(z)?);
        if !(0.0..=1.0).contains(&q1) || !(q1..=1.0).contains(&q2) {
            return None;
        }
        let (lower, upper) = two_quantiles(&mut values, q1, q2);
        Some(Interval { lower, upper })
    }

    /// [`percentile_interval`](Self::percentile_interval) of each statistic in `wanted`,
    /// computed across `threads`; indexed by statistic (`None` for those not wanted).
    pub fn percentile_intervals(
        &self,
        wanted: &[usize],
        level: f64,
        threads: usize,
    ) -> Vec<Option<Interval>> {
        self.intervals(wanted, threads, |s| self.percentile_interval(s, level))
    }

    /// `interval(s)` of each statistic in `wanted`, computed across `threads`; indexed by
    /// statistic (`None` for those not wanted).
    pub fn intervals<F>(
        &self,
        wanted: &[usize],
        threads: usize,
        interval: F,
    ) -> Vec<Option<Interval>>
    where
        F: Fn(usize) -> Option<Interval> + Sync,
    {
        let mut out = vec![None; self.position.len()];
        if wanted.is_empty() {
            return out;
        }
        let per = wanted.len().div_ceil(threads.max(1));
        let interval = &interval;
        let work = |chunk: &[usize]| -> Vec<(usize, Option<Interval>)> {
            chunk.iter().map(|&s| (s, interval(s))).collect()
        };
        // The first chunk on this thread, the others on threads of their own.
        let parts: Vec<Vec<(usize, Option<Interval>)>> = std::thread::scope(|scope| {
            let work = &work;
            let mut chunks = wanted.chunks(per);
            let first = chunks.next().unwrap_or_default();
            let handles: Vec<_> = chunks.map(|c| scope.spawn(move || work(c))).collect();
            let mut parts = vec![work(first)];
            parts.extend(
                handles
                    .into_iter()
                    .map(|h| h.join().expect("interval worker panicked")),
            );
            parts
        });
        for (s, ci) in parts.into_iter().flatten() {
            out[s] = ci;
        }
        out
    }
}

/// Zeroed memory for the replicates a thread keeps whole (656 statistics × 500 replicates of a
/// three-attribute audit: 2.6 MB a thread). Fresh memory costs a page fault per 4 KiB page on
/// first write (~1.6 µs each on this machine: 2 ms of CPU for the 5.4 MB of 1000 replicates, as
/// much as evaluating them), so a buffer of 2 MiB or more gets an anonymous mapping of its own
/// whose 2 MiB-aligned part is advised into transparent huge pages: where the kernel grants
/// them, one fault maps 2 MiB (1,260 faults fewer in that audit). A smaller buffer, or one whose
/// mapping fails, is an ordinary vector.
enum Store {
    Mapped {
        map: memmap2::MmapMut,
        offset: usize,
        len: usize,
    },
    Heap(Vec<f64>),
}

impl Store {
    /// `len` zeros.
    fn zeroed(len: usize) -> Store {
        const HUGE: usize = 2 << 20;
        let bytes = len * std::mem::size_of::<f64>();
        if bytes >= HUGE {
            if let Ok(map) = memmap2::MmapMut::map_anon(bytes + HUGE) {
                // `align_offset` may decline (usize::MAX): then the start, unaligned.
                let offset = Some(map.as_ptr().align_offset(HUGE))
                    .filter(|&o| o < HUGE)
                    .unwrap_or(0);
                // Advice only: where it is refused the pages stay 4 KiB.
                #[cfg(target_os = "linux")]
                let _ = map.advise_range(memmap2::Advice::HugePage, offset, bytes);
                return Store::Mapped { map, offset, len };
            }
        }
        Store::Heap(vec![0.0; len])
    }
}

impl std::ops::Deref for Store {
    type Target = [f64];
    fn deref(&self) -> &[f64] {
        match self {
            // An anonymous mapping is zero-filled and page-aligned: valid, aligned f64 values.
            Store::Mapped { map, offset, len } => bytemuck::cast_slice(&map[*offset..][..len * 8]),
            Store::Heap(v) => v,
        }
    }
}

impl std::ops::DerefMut for Store {
    fn deref_mut(&mut self) -> &mut [f64] {
        match self {
            Store::Mapped { map, offset, len } => {
                bytemuck::cast_slice_mut(&mut map[*offset..][..*len * 8])
            }
            Store::Heap(v) => v,
        }
    }
}

/// The percentile interval of the defined `values` among `total` replicates; `None` when more
/// than 5% of them are undefined.
fn percentile_of(mut values: Vec<f64>, total: usize, level: f64) -> Option<Interval> {
    if values.is_empty() || (values.len() as f64) < 0.95 * total as f64 {
        return None;
    }
    let a = (1.0 - level) / 2.0;
    let (lower, upper) = two_quantiles(&mut values, a, 1.0 - a);
    Some(Interval { lower, upper })
}

/// Replicates evaluated together, one lane each (a block of [`run`]).
pub const LANES: usize = 16;
/// One number of [`LANES`] replicates.
pub type Lanes = [f64; LANES];

/// Runs `compute` on `options.replicates` replicates of `t`, in parallel and [`LANES`] at a
/// time: `compute` gets per cell the rate counts `[tn, fp, fn, tp]` and the row totals of each
/// lane's replicate and fills their statistics (NaN where undefined), `stats` of them, of which
/// those in `keep` are kept. Lanes past the last replicate hold zero counts and are dropped.
pub fn run<F>(
    t: &CountTensor,
    options: &BootstrapOptions,
    stats: usize,
    keep: &[usize],
    compute: F,
) -> Replicates
where
    F: Fn(&[[Lanes; 4]], &[Lanes], &mut [Lanes]) + Sync,
{
    let mut position = vec![None; stats];
    for (k, &s) in keep.iter().enumerate() {
        position[s] = Some(k);
    }
    let b = options.replicates;
    if b == 0 || stats == 0 || keep.is_empty() {
        return Replicates {
            parts: Vec::new(),
            position,
            total: b,
        };
    }
    let resampler = Resampler::new(t);
    let threads = options.threads.clamp(1, b);
    let per = b.div_ceil(threads);
    let chunk = |chunk_index: usize| {
        let first = chunk_index * per;
        let r = per.min(b - first);
        let mut block_rate = vec![[[0.0; LANES]; 4]; t.len()];
        let mut block_rows = vec![[0.0; LANES]; t.len()];
        let mut block = vec![[f64::NAN; LANES]; stats];
        // Every value is written below: zeroed memory (no fill pass) will do.
        let mut store = Store::zeroed(keep.len() * r);
        let part: &mut [f64] = &mut store;
        let mut rngs = Vec::with_capacity(LANES);
        for start in (0..r).step_by(LANES) {
            let lanes = LANES.min(r - start);
            rngs.clear();
            rngs.extend((0..lanes).map(|l| replicate_rng(options.seed, first + start + l)));
            resampler.draw(&mut rngs, &mut block_rate, &mut block_rows);
            compute(&block_rate, &block_rows, &mut block);
            for (k, &s) in keep.iter().enumerate() {
                let to = &mut part[k * r + start..][..lanes];
                match <&mut Lanes>::try_from(&mut *to) {
                    // A whole block: a copy of fixed size, inlined.
                    Ok(to) => *to = block[s],
                    Err(_) => to.copy_from_slice(&block[s][..lanes]),
                }
            }
        }
        (r, store)
    };
    // The first chunk on this thread, which would otherwise wait: one thread fewer to start.
    let parts = std::thread::scope(|scope| {
        let chunk = &chunk;
        let handles: Vec<_> = (1..b.div_ceil(per))
            .map(|chunk_index| scope.spawn(move || chunk(chunk_index)))
            .collect();
        let mut parts = vec![chunk(0)];
        parts.extend(
            handles
                .into_iter()
                .map(|h| h.join().expect("replicate worker panicked")),
        );
        parts
    });
    Replicates {
        parts,
        position,
        total: b,
    }
}

/// The `q` quantile of sorted values, with linear interpolation (`numpy.quantile`'s default).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// The `q1 ≤ q2` quantiles of `v` as [`quantile_sorted`] gives them on the sorted values, by
/// selection instead of a full sort (O(n): two `select_nth_unstable` and two minima). Reorders
/// `v`.
pub fn two_quantiles(v: &mut [f64], q1: f64, q2: f64) -> (f64, f64) {
    if let (n, Some(q)) = tail_quantiles(&[v], q1, q2) {
        if n == v.len() {
            return q;
        }
    }
    let n = v.len();
    let ((h1, lo1, hi1), (h2, lo2, hi2)) = (rank(n, q1), rank(n, q2));
    // After selecting index k, v[k] is the k-th smallest and v[k+1..] holds the larger ones:
    // the (k+1)-th smallest is their minimum.
    let min_of = |s: &[f64]| s.iter().copied().fold(f64::INFINITY, f64::min);
    let (_, &mut x_lo1, right) = v.select_nth_unstable_by(lo1, f64::total_cmp);
    let x_hi1 = if hi1 > lo1 { min_of(right) } else { x_lo1 };
    let lower = x_lo1 + (h1 - lo1 as f64) * (x_hi1 - x_lo1);
    let upper = if lo2 == lo1 {
        let x_hi2 = if hi2 > lo2 { min_of(right) } else { x_lo1 };
        x_lo1 + (h2 - lo2 as f64) * (x_hi2 - x_lo1)
    } else {
        let (_, &mut x_lo2, right2) = right.select_nth_unstable_by(lo2 - lo1 - 1, f64::total_cmp);
        let x_hi2 = if hi2 > lo2 { min_of(right2) } else { x_lo2 };
        x_lo2 + (h2 - lo2 as f64) * (x_hi2 - x_lo2)
    };
    (lower, upper)
}

/// Where the `q` quantile of `n` sorted values lies: (h, ⌊h⌋, ⌈h⌉) with h = (n − 1)·q.
fn rank(n: usize, q: f64) -> (f64, usize, usize) {
    let h = (n - 1) as f64 * q;
    (h, h.floor() as usize, h.ceil() as usize)
}

/// The number of finite values of `columns` and, when both are tail quantiles (an interval's:
/// the few smallest and largest values decide them), their [`two_quantiles`] (non-finite values
/// skipped), in one pass without sorting the values; `None` for other quantiles.
///
/// The values beyond mean ± 1.5 standard deviations (of the first [`TAIL_SAMPLE`] values) are
/// filtered out, branch-free, while the finite ones are counted, and the quantiles are selected
/// among them only (as `f64::total_cmp` orders them): every filtered value is below (above)
/// every other one, so when there are at least as many as the quantiles need, they hold them
/// exactly. Otherwise (a skewed column, a constant one) two bounded heaps find them.
fn tail_quantiles(columns: &[&[f64]], q1: f64, q2: f64) -> (usize, Option<(f64, f64)>) {
    // The thresholds, from the first values (the replicates come in random order).
    let (mut count, mut sum, mut squares) = (0usize, 0.0, 0.0);
    for &x in columns.iter().flat_map(|c| c.iter()).take(TAIL_SAMPLE) {
        if x.is_finite() {
            count += 1;
            sum += x;
            squares += x * x;
        }
    }
    let mean = sum / count as f64;
    let spread = TAIL_SPREAD * (squares / count as f64 - mean * mean).max(0.0).sqrt();
    let (below, above) = (mean - spread, mean + spread);
    let filter = count > 1 && spread > 0.0 && below.is_finite() && above.is_finite();
    let cut = filter.then_some((below, above));
    let (n, found) = TAILS.with_borrow_mut(|kept| {
        kept.0.clear();
        kept.1.clear();
        let mut finite = 0usize;
        for column in columns {
            finite += filter_column(column, cut, kept);
        }
        let (small, large) = (&mut kept.0, &mut kept.1);
        let n = finite;
        if n == 0 {
            return (0, None);
        }
        let ((h1, lo1, hi1), (h2, lo2, hi2)) = (rank(n, q1), rank(n, q2));
        let (k_small, k_large) = (hi1 + 1, n - lo2);
        let (ns, nl) = (small.len(), large.len());
        let infinite = |v: &[u64]| v.iter().any(|&k| !from_order_key(k).is_finite());
        if !filter || ns < k_small || nl < k_large || infinite(small) || infinite(large) {
            return (n, None);
        }
        // The values of rank i and i + 1 (from 0) in `v`.
        let pair = |v: &mut [u64], i: usize| {
            let (_, &mut x, right) = v.select_nth_unstable(i);
            let next = right.iter().copied().min().unwrap_or(x);
            (from_order_key(x), from_order_key(next))
        };
        let (x1, y1) = pair(small, lo1);
        // Among the nl largest values, value lo2 of all n is number nl − (n − lo2).
        let (x2, y2) = pair(large, nl - k_large);
        let interpolate = |h: f64, lo: usize, x: f64, y: f64| x + (h - lo as f64) * (y - x);
        (
            n,
            Some((
                interpolate(h1, lo1, x1, if hi1 > lo1 { y1 } else { x1 }),
                interpolate(h2, lo2, x2, if hi2 > lo2 { y2 } else { x2 }),
            )),
        )
    });
    if found.is_some() || n == 0 {
        return (n, found);
    }
    let ((h1, lo1, hi1), (h2, lo2, hi2)) = (rank(n, q1), rank(n, q2));
    if hi1 + 1 + (n - lo2) > n / 8 {
        return (n, None);
    }
    (
        n,
        tail_quantiles_by_heaps(columns, n, (h1, lo1, hi1), (h2, lo2, hi2)),
    )
}

/// [`tail_quantiles`]' pass over one column: the number of finite values, and (when there is a
/// `cut`, (below, above)) the order keys of those below `below` pushed to `kept.0`, above
/// `above` to `kept.1`.
///
/// On a CPU with AVX2 the same code runs compiled for it (four comparisons per instruction and
/// mask moves instead of SSE2's two), as [`crate::uncertainty`]'s evaluator does; comparisons
/// are exact, so the result is the same. Calling that copy is `unsafe` only because it must not
/// run on a CPU without AVX2, which is checked first.
#[allow(unsafe_code)]
fn filter_column(
    column: &[f64],
    cut: Option<(f64, f64)>,
    kept: &mut (Vec<u64>, Vec<u64>),
) -> usize {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked just above.
        return unsafe { filter_column_avx2(column, cut, kept) };
    }
    filter_column_portable(column, cut, kept)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn filter_column_avx2(
    column: &[f64],
    cut: Option<(f64, f64)>,
    kept: &mut (Vec<u64>, Vec<u64>),
) -> usize {
    filter_column_portable(column, cut, kept)
}

/// [`filter_column`] for any CPU; inlined into the AVX2 copy.
#[inline(always)]
fn filter_column_portable(
    column: &[f64],
    cut: Option<(f64, f64)>,
    kept: &mut (Vec<u64>, Vec<u64>),
) -> usize {
    let (below, above) = cut.unwrap_or((f64::NEG_INFINITY, f64::INFINITY));
    // Blocks of 64 values: a bit mask per condition (comparisons that compile to vector
    // compares and mask moves), then only the kept values are visited (NaN is never kept;
    // an infinite one sends the column to the heaps).
    let mut finite = 0usize;
    for block in column.chunks(64) {
        let (mut defined, mut low, mut high) = (0u64, 0u64, 0u64);
        for (i, &x) in block.iter().enumerate() {
            defined |= u64::from(x.abs() < f64::INFINITY) << i;
            low |= u64::from(x < below) << i;
            high |= u64::from(x > above) << i;
        }
        finite += defined.count_ones() as usize;
        if cut.is_some() {
            for (mask, to) in [(low, &mut kept.0), (high, &mut kept.1)] {
                let mut m = mask;
                while m != 0 {
                    to.push(order_key(block[m.trailing_zeros() as usize]));
                    m &= m - 1;
                }
            }
        }
    }
    finite
}

/// An order-preserving map of f64, as `f64::total_cmp` orders them, onto u64.
fn order_key(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | 1 << 63
    }
}

/// The inverse of [`order_key`].
fn from_order_key(k: u64) -> f64 {
    if k >> 63 == 1 {
        f64::from_bits(k & !(1 << 63))
    } else {
        f64::from_bits(!k)
    }
}

/// How many of the first values set [`tail_quantiles`]' thresholds.
const TAIL_SAMPLE: usize = 128;
/// [`tail_quantiles`]' thresholds: the sample's mean ± this many standard deviations (for normal
/// replicates, 6.7% of them lie beyond on each side, where an interval at 95% needs 2.5%).
const TAIL_SPREAD: f64 = 1.5;

std::thread_local! {
    /// [`tail_quantiles`]' buffers of filtered values, kept from one statistic to the next.
    static TAILS: std::cell::RefCell<(Vec<u64>, Vec<u64>)> =
        const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

/// [`tail_quantiles`] by two bounded heaps, in one pass: they keep the smallest and largest
/// values, ordered as `f64::total_cmp` orders them.
fn tail_quantiles_by_heaps(
    columns: &[&[f64]],
    n: usize,
    (h1, lo1, hi1): (f64, usize, usize),
    (h2, lo2, hi2): (f64, usize, usize),
) -> Option<(f64, f64)> {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    let (k_small, k_large) = (hi1 + 1, n - lo2);
    let (key, value) = (order_key, from_order_key);
    // The first values fill both heaps; then a value enters a heap only past its top.
    let fill = k_small.max(k_large);
    let mut first: Vec<u64> = Vec::with_capacity(fill);
    let mut small: BinaryHeap<u64> = BinaryHeap::new();
    let mut large: BinaryHeap<Reverse<u64>> = BinaryHeap::new();
    let (mut below, mut above) = (0u64, u64::MAX);
    let mut seen = 0usize;
    for column in columns {
        for &x in *column {
            if !x.is_finite() {
                continue;
            }
            let k = key(x);
            seen += 1;
            if seen <= fill {
                first.push(k);
                if seen == fill {
                    first.sort_unstable();
                    small = first[..k_small].iter().copied().collect();
                    large = first[fill - k_large..]
                        .iter()
                        .map(|&k| Reverse(k))
                        .collect();
                    below = small.peek().copied()?;
                    above = large.peek()?.0;
                }
                continue;
            }
            if k < below {
                if let Some(mut top) = small.peek_mut() {
                    *top = k;
                }
                below = small.peek().copied()?;
            }
            if k > above {
                if let Some(mut top) = large.peek_mut() {
                    *top = Reverse(k);
                }
                above = large.peek()?.0;
            }
        }
    }
    if seen != n || seen < fill {
        return None;
    }
    let small: Vec<f64> = small.into_sorted_vec().into_iter().map(value).collect();
    let mut large: Vec<f64> = large
        .into_sorted_vec()
        .into_iter()
        .map(|k| value(k.0))
        .collect();
    large.reverse();
    let interpolate = |h: f64, lo: usize, x: f64, y: f64| x + (h - lo as f64) * (y - x);
    let first = n - k_large;
    Some((
        interpolate(h1, lo1, small[lo1], small[hi1]),
        interpolate(h2, lo2, large[lo2 - first], large[hi2 - first]),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::counts::TensorBuilder;
    use rand::rngs::StdRng;
    use rand::Rng;

    #[test]
    fn selected_quantiles_equal_sorted_quantiles() {
        let mut rng = StdRng::seed_from_u64(3);
        for n in [1usize, 2, 3, 7, 40, 999, 1000, 1001, 4000] {
            for (q1, q2) in [
                (0.025, 0.975),
                (0.05, 0.95),
                (0.005, 0.995),
                (0.0, 0.999),
                (0.0, 1.0),
                (0.5, 0.5),
                (0.1, 0.11),
                (0.3, 0.9),
            ] {
                let mut v: Vec<f64> = (0..n)
                    .map(|i| match i % 3 {
                        0 => (rng.random::<f64>() * 20.0).round() - 10.0,
                        1 => rng.random::<f64>() - 0.5,
                        _ => 0.0 * (rng.random::<f64>() - 0.5).signum(),
                    })
                    .collect();
                let mut sorted = v.clone();
                sorted.sort_unstable_by(f64::total_cmp);
                let want = (quantile_sorted(&sorted, q1), quantile_sorted(&sorted, q2));
                assert_eq!(two_quantiles(&mut v, q1, q2), want, "n {n}, q {q1} {q2}");
            }
        }
    }

    /// The filtered tails (and their fall-back, the heaps) against a full sort, on columns split
    /// in pieces with undefined values: normal, skewed, heavy-tailed, two-point and constant
    /// columns, where the filter holds enough values and where it does not.
    #[test]
    fn tail_quantiles_equal_sorted_quantiles_on_pieces() {
        let mut rng = StdRng::seed_from_u64(11);
        let shapes: [fn(f64, f64) -> f64; 6] = [
            |u, v| (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos(),
            |u, _| -u.ln(),
            |u, _| 1.0 / u,
            |u, _| if u < 0.97 { 0.0 } else { 1.0 },
            |_, _| 0.25,
            |u, v| if v < 0.5 { -0.0 } else { (u * 4.0).round() },
        ];
        for (i, shape) in shapes.iter().enumerate() {
            for n in [200usize, 999, 1000, 3001] {
                let mut values: Vec<f64> = (0..n)
                    .map(|_| shape(rng.random::<f64>().max(1e-300), rng.random::<f64>()))
                    .collect();
                for k in (0..n).step_by(37) {
                    values[k] = if k % 2 == 0 { f64::NAN } else { f64::INFINITY };
                }
                let mut finite: Vec<f64> =
                    values.iter().copied().filter(|x| x.is_finite()).collect();
                finite.sort_unstable_by(f64::total_cmp);
                let cut = n / 3;
                let pieces = [&values[..cut], &values[cut..]];
                for (q1, q2) in [(0.025, 0.975), (0.005, 0.995), (0.05, 0.95)] {
                    let want = (quantile_sorted(&finite, q1), quantile_sorted(&finite, q2));
                    let (n, got) = tail_quantiles(&pieces, q1, q2);
                    assert_eq!(n, finite.len());
                    let got = got.unwrap();
                    assert_eq!(
                        (got.0.to_bits(), got.1.to_bits()),
                        (want.0.to_bits(), want.1.to_bits()),
                        "shape {i}, n {n}, q {q1} {q2}: {got:?} vs {want:?}"
                    );
                }
            }
        }
    }

    /// BCa endpoints against the formula evaluated independently: statrs' normal distribution
    /// (not the module's own Φ and Φ⁻¹) and a full sort, on skewed replicates split between two
    /// threads, with ties at the estimate and undefined replicates.
    #[test]
    fn bca_interval_follows_efrons_formula() {
        use statrs::distribution::{ContinuousCDF, Normal};
        let mut rng = StdRng::seed_from_u64(21);
        let values: Vec<f64> = (0..1000)
            .map(|i| match i % 50 {
                0 => f64::NAN,
                1..=4 => 0.4,
                _ => 0.2 + 0.1 * -rng.random::<f64>().max(1e-12).ln(),
            })
            .collect();
        let reps = Replicates {
            parts: vec![
                (400, Store::Heap(values[..400].to_vec())),
                (600, Store::Heap(values[400..].to_vec())),
            ],
            position: vec![Some(0)],
            total: 1000,
        };
        let unit = Normal::new(0.0, 1.0).unwrap();
        let mut finite: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        finite.sort_unstable_by(f64::total_cmp);
        for (estimate, a, level) in [(0.4, 0.05, 0.95), (0.3, -0.02, 0.9), (0.25, 0.0, 0.95)] {
            let n = finite.len() as f64;
            let share = (finite.iter().filter(|&&x| x < estimate).count() as f64
                + 0.5 * finite.iter().filter(|&&x| x == estimate).count() as f64)
                / n;
            let z0 = unit.inverse_cdf(share);
            let z = unit.inverse_cdf(0.5 + level / 2.0);
            let q = |zq: f64| unit.cdf(z0 + (z0 + zq) / (1.0 - a * (z0 + zq)));
            let want = (
                quantile_sorted(&finite, q(-z)),
                quantile_sorted(&finite, q(z)),
            );
            let got = reps.bca_interval(0, estimate, a, level).unwrap();
            assert!(
                (got.lower - want.0).abs() < 1e-6 && (got.upper - want.1).abs() < 1e-6,
                "estimate {estimate}, a {a}: {got:?} vs {want:?}"
            );
        }
        // Undefined cases: every replicate on one side, no acceleration, a statistic not kept.
        assert!(reps.bca_interval(0, -1.0, 0.0, 0.95).is_none());
        assert!(reps.bca_interval(0, 0.3, f64::NAN, 0.95).is_none());
        assert!(reps.bca_interval(1, 0.3, 0.0, 0.95).is_none());
    }

    #[test]
    fn quantiles_match_numpy() {
        // numpy.quantile([1, 2, 3, 4], [0.025, 0.5, 0.975]) = [1.075, 2.5, 3.925]
        let v = [1.0, 2.0, 3.0, 4.0];
        assert!((quantile_sorted(&v, 0.025) - 1.075).abs() < 1e-12);
        assert!((quantile_sorted(&v, 0.5) - 2.5).abs() < 1e-12);
        assert!((quantile_sorted(&v, 0.975) - 3.925).abs() < 1e-12);
    }

    /// Each lane's sum of every cell's rate counts.
    fn lane_totals(rate: &[[Lanes; 4]]) -> Lanes {
        std::array::from_fn(|l| rate.iter().flatten().map(|x| x[l]).sum())
    }

    fn tensor(weighted: bool) -> CountTensor {
        let mut b = TensorBuilder::new(vec!["g".into()], weighted, None).unwrap();
        for i in 0..2000u32 {
            let g = if i % 3 == 0 { "a" } else { "b" };
            let c = [b.code(0, Some(g)).unwrap()];
            b.add(
                &c,
                i % 2 == 0,
                i % 5 < 2,
                weighted.then_some(1.0 + f64::from(i % 4)),
            );
        }
        b.finish().unwrap()
    }

    #[test]
    fn replicates_are_reproducible_and_thread_independent() {
        let t = tensor(false);
        let total = |rate: &[[Lanes; 4]], _: &[Lanes], out: &mut [Lanes]| {
            out[0] = lane_totals(rate);
        };
        let one = run(
            &t,
            &BootstrapOptions {
                replicates: 50,
                seed: 1,
                threads: 1,
                ..BootstrapOptions::default()
            },
            1,
            &[0],
            total,
        )
        .column(0)
        .unwrap()
        .collect::<Vec<_>>();
        let two = run(
            &t,
            &BootstrapOptions {
                replicates: 50,
                seed: 1,
                threads: 2,
                ..BootstrapOptions::default()
            },
            1,
            &[0],
            total,
        )
        .column(0)
        .unwrap()
        .collect::<Vec<_>>();
        assert_eq!(one, two);
        let other = run(
            &t,
            &BootstrapOptions {
                replicates: 50,
                seed: 2,
                threads: 2,
                ..BootstrapOptions::default()
            },
            1,
            &[0],
            total,
        )
        .column(0)
        .unwrap()
        .collect::<Vec<_>>();
        assert_ne!(one, other);
    }

    /// Replicates kept in stores of 2 MiB and more (their own mappings, huge pages where the
    /// kernel grants them) read back as in vectors: the same values for one thread and two.
    #[test]
    fn large_replicate_stores_read_back() {
        let small = Store::zeroed(10);
        assert!(matches!(small, Store::Heap(_)) && small.len() == 10);
        let mut large = Store::zeroed(300_000);
        assert!(matches!(large, Store::Mapped { .. }), "the mapping failed");
        assert_eq!(large.len(), 300_000);
        assert!(large.iter().all(|&x| x == 0.0));
        for (i, x) in large.iter_mut().enumerate() {
            *x = i as f64;
        }
        assert_eq!(large[299_999], 299_999.0);
        // 600 statistics × 1000 replicates: 4.8 MB on one thread, 2.4 MB on each of two.
        let t = tensor(false);
        let stats = 600;
        let keep: Vec<usize> = (0..stats).collect();
        let by = |threads: usize| {
            run(
                &t,
                &BootstrapOptions {
                    replicates: 1000,
                    seed: 3,
                    threads,
                    ..BootstrapOptions::default()
                },
                stats,
                &keep,
                |r, _, o| {
                    let total = lane_totals(r);
                    for (s, out) in o.iter_mut().enumerate() {
                        *out = total.map(|x| x * (s + 1) as f64);
                    }
                },
            )
        };
        let (one, two) = (by(1), by(2));
        assert!(one
            .parts
            .iter()
            .all(|(_, p)| matches!(p, Store::Mapped { .. })));
        assert!(two
            .parts
            .iter()
            .all(|(_, p)| matches!(p, Store::Mapped { .. })));
        let first: Vec<f64> = one.column(0).unwrap().collect();
        assert!(first.iter().all(|&x| x > 0.0));
        for s in [0, 1, 299, 599] {
            let a: Vec<f64> = one.column(s).unwrap().collect();
            let b: Vec<f64> = two.column(s).unwrap().collect();
            assert_eq!(a, b, "statistic {s}");
            assert!(a.iter().zip(&first).all(|(x, y)| *x == y * (s + 1) as f64));
        }
    }

    #[test]
    fn replicate_totals_have_poisson_moments() {
        // The replicate of the total row count is Poisson(2000): mean 2000, variance 2000.
        let t = tensor(false);
        let reps = run(
            &t,
            &BootstrapOptions {
                replicates: 4000,
                seed: 7,
                threads: 2,
                ..BootstrapOptions::default()
            },
            1,
            &[0],
            |r, _, o| {
                o[0] = lane_totals(r);
            },
        )
        .column(0)
        .unwrap()
        .collect::<Vec<f64>>();
        let mean = reps.iter().sum::<f64>() / reps.len() as f64;
        let var = reps.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (reps.len() - 1) as f64;
        assert!(
            (mean - 2000.0).abs() < 4.0 * (2000.0f64 / 4000.0).sqrt() * 1.5,
            "{mean}"
        );
        assert!((var / 2000.0 - 1.0).abs() < 0.1, "{var}");
    }

    #[test]
    fn weighted_replicates_match_compound_poisson_moments() {
        // Weighted slot sums: mean Σw, variance Σw² (moment-matched).
        let t = tensor(true);
        let s: f64 = t
            .cells()
            .map(|c| t.confusion_weighted(c).unwrap().total())
            .sum();
        let s2: f64 = t
            .cells()
            .map(|c| t.weight_squares(c).unwrap().total())
            .sum();
        let reps = run(
            &t,
            &BootstrapOptions {
                replicates: 4000,
                seed: 9,
                threads: 2,
                ..BootstrapOptions::default()
            },
            1,
            &[0],
            |r, _, o| {
                o[0] = lane_totals(r);
            },
        )
        .column(0)
        .unwrap()
        .collect::<Vec<f64>>();
        let mean = reps.iter().sum::<f64>() / reps.len() as f64;
        let var = reps.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (reps.len() - 1) as f64;
        assert!((mean / s - 1.0).abs() < 0.01, "{mean} vs {s}");
        assert!((var / s2 - 1.0).abs() < 0.1, "{var} vs {s2}");
    }

    #[test]
    fn mostly_undefined_statistics_get_no_interval() {
        assert!(percentile_of(vec![1.0, 2.0], 4, 0.95).is_none());
        let i = percentile_of(vec![1.0, 2.0, 3.0, 4.0], 4, 0.95).unwrap();
        assert!((i.lower - 1.075).abs() < 1e-12);
    }
}
