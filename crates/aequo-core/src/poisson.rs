//! Poisson draws for the bootstrap.
//!
//! A replicate of the count tensor takes one Poisson(λ) draw per slot (λ the slot's count): 1000
//! replicates of a 40-cell audit take 160,000 draws. rand_distr's sampler (a rejection method
//! with a logarithm, a tangent and a log-gamma per try) on ChaCha12 took ~34 ns a draw, about a
//! third of the bootstrap's time. Two exact samplers replace it:
//! - [`Pd`] for λ ≥ 10: Ahrens & Dieter's sampler from a modified normal distribution (R's),
//!   with its constants computed once per slot: nearly every draw is one normal variate, one
//!   uniform and a compare, ~7 ns on xoshiro256++;
//! - [`PoissonTable`] below λ = 10: the distribution function tabulated once per slot (a few
//!   dozen entries) and inverted through a guide table (Chen & Asau 1974; Devroye 1986,
//!   §III.2.4), X = min{k : F(k) > U}: one 64-bit random number and a comparison or two.
//!
//! [`Ptrs`] (Hörmann's transformed rejection, numpy's sampler for λ ≥ 10) was the bootstrap's
//! sampler before [`Pd`]: ~15 ns a draw, for its logarithm on most tries. It stays, tested, as
//! the comparison `cargo run --release -p aequo-core --example poisson_draws` prints.
//!
//! Tabulating large λ as well was measured and dropped: the table has ~17√λ entries (4,350 at
//! λ = 62,500) at ~5 ns each, so at 1000 draws a slot it costs more than a rejection sampler from λ ≈ 1000 on.
//!
//! **The table's exactness.** Its probabilities are built by the recurrences
//! p(k+1) = p(k)·λ/(k+1) and p(k−1) = p(k)·k/λ outward from the mode and normalised by their
//! sum, so no special function (and none of its error) enters. It stops where a probability
//! falls below 2⁻⁶⁴; the mass cut off in both tails together is below 2⁻⁵³, the resolution of
//! the uniform variate itself (its values are multiples of 2⁻⁵³), and goes to the table's end
//! values. The law drawn is Poisson(λ) up to that resolution and to rounding in the sums
//! (relative 10⁻¹³), which is what any inversion of a double-precision uniform achieves.

use rand::{Rng, RngCore};

/// The normalised probability below which the table stops (per tail, with the tails' geometric
/// decay, the mass cut off stays below 2⁻⁵³ for λ up to ~10⁸, where tables are not built).
const CUT: f64 = 1.0 / 18_446_744_073_709_551_616.0; // 2⁻⁶⁴
/// 2⁻⁵³: the spacing of the uniform variates.
const UNIT: f64 = 1.0 / 9_007_199_254_740_992.0;

/// Poisson(λ)'s distribution function around its mass, with a guide table for inversion.
/// Its buffers are reused by [`PoissonTable::set`], one table per thread.
#[derive(Debug, Default)]
pub struct PoissonTable {
    /// The first tabulated value.
    first: f64,
    /// `cdf[i]` = P(X ≤ first + i); the last entry is exactly 1.
    cdf: Vec<f64>,
    /// `guide[j]` = the smallest i with `cdf[i]` > j / `guide.len()`.
    guide: Vec<u32>,
    /// Scratch: the probabilities below the mode, outward.
    below: Vec<f64>,
}

impl PoissonTable {
    /// The number of entries of λ's table, roughly (the normal approximation of its tails).
    pub fn entries(lambda: f64) -> f64 {
        let z = (2.0 * (-CUT.ln()) - (2.0 * std::f64::consts::PI * lambda.max(1.0)).ln()).sqrt();
        2.0 * z * lambda.sqrt() + 1.0
    }

    /// Tabulates Poisson(λ) (λ > 0 and finite; `false`, and the table unchanged, otherwise).
    pub fn set(&mut self, lambda: f64) -> bool {
        if !(lambda > 0.0 && lambda.is_finite()) || lambda > 1e15 {
            return false;
        }
        let mode = lambda.floor();
        // Relative to p(mode) = 1. The mode's normalised probability is at most 1 and about
        // 1/√(2πλ), so stopping at CUT·√(2πλ) relative stops near CUT normalised.
        let stop = CUT * (2.0 * std::f64::consts::PI * lambda).sqrt().max(1.0);
        self.below.clear();
        let (mut p, mut k) = (1.0, mode);
        while k > 0.0 {
            p *= k / lambda;
            k -= 1.0;
            if p < stop {
                break;
            }
            self.below.push(p);
        }
        self.first = mode - self.below.len() as f64;
        self.cdf.clear();
        self.cdf.extend(self.below.iter().rev());
        self.cdf.push(1.0);
        let (mut p, mut k) = (1.0, mode);
        loop {
            k += 1.0;
            p *= lambda / k;
            if p < stop {
                break;
            }
            self.cdf.push(p);
        }
        let total: f64 = self.cdf.iter().sum();
        let mut running = 0.0;
        for c in &mut self.cdf {
            running += *c;
            *c = running / total;
        }
        *self.cdf.last_mut().expect("the mode is tabulated") = 1.0;
        let m = self.cdf.len();
        self.guide.clear();
        let mut i = 0usize;
        for j in 0..m {
            let threshold = j as f64 / m as f64;
            while self.cdf[i] <= threshold {
                i += 1;
            }
            self.guide.push(i as u32);
        }
        true
    }

    /// The value drawn for the uniform variate `bits` (its top 53 bits are used): the smallest
    /// tabulated k with F(k) > U.
    #[inline]
    pub fn invert(&self, bits: u64) -> f64 {
        let u = uniform(bits);
        let m = self.guide.len();
        let j = ((u * m as f64) as usize).min(m - 1);
        let mut i = self.guide[j] as usize;
        // u < 1 = the last entry, so the search stops inside the table.
        while self.cdf[i] <= u {
            i += 1;
        }
        // The guide's index is exact up to the rounding of u·m; a step back mends it.
        while i > 0 && self.cdf[i - 1] > u {
            i -= 1;
        }
        self.first + i as f64
    }
}

/// Hörmann's PTRS, "transformed rejection with squeeze" (W. Hörmann, "The transformed rejection
/// method for generating Poisson random variables", Insurance: Mathematics and Economics 12,
/// 1993), for λ ≥ 10 with its constants computed once: the sampler numpy uses for λ ≥ 10. For
/// λ ≥ 1000 about four tries in five end at the squeeze, after two uniforms and a few
/// operations (a third at λ = 10); the others compare with the log-probability (a log-gamma by
/// Stirling's series); a draw takes 1.13 tries on average (1.33 at λ = 10; a simulation of the
/// algorithm). Exact up to rounding in that comparison.
#[derive(Debug, Clone, Copy)]
pub struct Ptrs {
    lambda: f64,
    log_lambda: f64,
    a: f64,
    b: f64,
    log_inv_alpha: f64,
    v_r: f64,
}

impl Ptrs {
    /// The sampler of Poisson(λ); `None` unless 10 ≤ λ < ∞, where the method's constants hold.
    pub fn new(lambda: f64) -> Option<Ptrs> {
        if !(lambda >= 10.0 && lambda.is_finite()) {
            return None;
        }
        let b = 0.931 + 2.53 * lambda.sqrt();
        Some(Ptrs {
            lambda,
            log_lambda: lambda.ln(),
            a: -0.059 + 0.02483 * b,
            b,
            log_inv_alpha: (1.1239 + 1.1328 / (b - 3.4)).ln(),
            v_r: 0.9277 - 3.6224 / (b - 2.0),
        })
    }

    /// One draw.
    #[inline]
    pub fn sample(&self, rng: &mut impl RngCore) -> f64 {
        loop {
            let u = uniform(rng.next_u64()) - 0.5;
            let v = uniform(rng.next_u64());
            let us = 0.5 - u.abs();
            let k = floor((2.0 * self.a / us + self.b) * u + self.lambda + 0.43);
            if us >= 0.07 && v <= self.v_r {
                return k;
            }
            // k is −∞ when us = 0 (u = −0.5).
            if k < 0.0 || (us < 0.013 && v > us) {
                continue;
            }
            let log_density = -self.lambda + k * self.log_lambda - ln_factorial(k);
            if v.ln() + self.log_inv_alpha - (self.a / (us * us) + self.b).ln() <= log_density {
                return k;
            }
        }
    }
}

/// Ahrens & Dieter's sampler from a modified normal distribution (J. H. Ahrens, U. Dieter,
/// "Computer generation of Poisson deviates from modified normal distributions", ACM TOMS 8,
/// 1982, Case A; R's `rpois` for μ ≥ 10), its constants computed once per slot. A draw starts
/// from a normal variate G = μ + √μ·T: K = ⌊G⌋ is taken at once when K ≥ ⌊μ − 1.1484⌋ (where
/// the Poisson probability is at least the proposal's), after one uniform and a cube when K
/// passes the squeeze, and otherwise after comparing the Poisson probability of K with the
/// proposal's (step Q); the mass the normal proposal misses comes from a double-exponential
/// proposal (steps E and H). At μ = 62,500 almost every draw is a normal variate and a compare:
/// ~6 ns against PTRS's ~15 (`cargo run --release -p aequo-core --example poisson_draws`).
///
/// Exact up to rounding: the Poisson probabilities in steps Q and H are evaluated in double
/// precision (ln(1 + v) by `ln_1p` where the paper uses a single-precision polynomial, and four
/// terms of Stirling's series where it uses two).
#[derive(Debug, Clone, Copy)]
pub struct Pd {
    mu: f64,
    s: f64,
    /// 6μ², the squeeze's scale.
    d: f64,
    /// ⌊μ − 1.1484⌋: from here on a normal proposal is accepted at once.
    big_l: f64,
    /// 1 / (√(2π) s), and the correction polynomial's coefficients of the proposal density.
    omega: f64,
    c: [f64; 4],
    /// 0.1069 / μ, step H's bound.
    c_h: f64,
}

impl Pd {
    /// The sampler of Poisson(μ); `None` unless 10 ≤ μ ≤ 2⁵², where the method's constants
    /// hold and ⌊·⌋ is exact.
    pub fn new(mu: f64) -> Option<Pd> {
        if !(10.0..=4_503_599_627_370_496.0).contains(&mu) {
            return None;
        }
        let s = mu.sqrt();
        let b1 = 1.0 / (24.0 * mu);
        let b2 = 0.3 * b1 * b1;
        let c3 = b1 * b2 / 7.0;
        let c2 = b2 - 15.0 * c3;
        let c1 = b1 - 6.0 * b2 + 45.0 * c3;
        let c0 = 1.0 - b1 + 3.0 * b2 - 15.0 * c3;
        Some(Pd {
            mu,
            s,
            d: 6.0 * mu * mu,
            big_l: (mu - 1.1484).floor(),
            omega: 1.0 / ((2.0 * std::f64::consts::PI).sqrt() * s),
            c: [c0, c1, c2, c3],
            c_h: 0.1069 / mu,
        })
    }

    /// One draw.
    #[inline]
    pub fn sample(&self, rng: &mut impl RngCore) -> f64 {
        // Step N: a normal proposal, and the uniform of step S drawn before it is needed so
        // that steps I and S make one branch, taken almost always (K ≥ L half the time, the
        // squeeze nearly always otherwise), instead of a 50:50 one.
        let t: f64 = rng.sample(rand_distr::StandardNormal);
        let u = uniform(rng.next_u64());
        let g = self.mu + self.s * t;
        let k = floor(g);
        let difmuk = self.mu - k;
        // Step I (K ≥ L) or step S (the squeeze), evaluated without short circuits.
        if (g >= 0.0) & ((k >= self.big_l) | (self.d * u >= difmuk * difmuk * difmuk)) {
            return k;
        }
        if g >= 0.0 {
            // Step Q: the Poisson probability against the proposal's.
            let (px, py, fx, fy) = self.densities(k);
            if fy - u * fy <= py * (px - fx).exp() {
                return k;
            }
        }
        self.double_exponential(rng)
    }

    /// Steps E and H: the double-exponential proposal, until one is accepted.
    #[cold]
    fn double_exponential(&self, rng: &mut impl RngCore) -> f64 {
        loop {
            let e: f64 = rng.sample(rand_distr::Exp1);
            let u = 2.0 * uniform(rng.next_u64()) - 1.0;
            let t = 1.8 + if u < 0.0 { -e } else { e };
            if t > -0.6744 {
                // μ + s·t > μ − 0.6744·√μ > 0 for μ ≥ 10.
                let k = floor(self.mu + self.s * t);
                let (px, py, fx, fy) = self.densities(k);
                if self.c_h * u.abs() <= py * (px + e).exp() - fy * (fx + e).exp() {
                    return k;
                }
            }
        }
    }

    /// Procedure F: the Poisson probability of k as py·exp(px) and the proposal's density at k
    /// as fy·exp(fx).
    fn densities(&self, k: f64) -> (f64, f64, f64, f64) {
        let difmuk = self.mu - k;
        let (px, py) = if k < 10.0 {
            // k! exactly, μᵏ by repeated products (k ≤ 9).
            let (mut power, mut factorial) = (1.0, 1.0);
            for i in 1..=(k as u32) {
                power *= self.mu;
                factorial *= f64::from(i);
            }
            (-self.mu, power / factorial)
        } else {
            // ln p(k) = k ln(1 + v) − (μ − k) − δ(k) − ½ ln(2πk), v = (μ − k) / k, δ the
            // Stirling series' remainder of ln k! (four terms: below 10⁻¹¹ from k = 10 on).
            let r = 1.0 / (k * k);
            let del = (1.0 / 12.0 - r * (1.0 / 360.0 - r * (1.0 / 1260.0 - r / 1680.0))) / k;
            (
                k * (difmuk / k).ln_1p() - difmuk - del,
                1.0 / (2.0 * std::f64::consts::PI * k).sqrt(),
            )
        };
        let x = (0.5 - difmuk) / self.s;
        let xx = x * x;
        let [c0, c1, c2, c3] = self.c;
        (
            px,
            py,
            -0.5 * xx,
            self.omega * (((c3 * xx + c2) * xx + c1) * xx + c0),
        )
    }
}

/// ⌊x⌋: below 2⁵² in magnitude (every draw of a slot under 4.5·10¹⁵ rows) by a conversion to
/// an integer and a compare, where `f64::floor` on baseline x86-64 (no SSE4.1) is a call.
#[inline]
fn floor(x: f64) -> f64 {
    if x.abs() < 4_503_599_627_370_496.0 {
        let t = x as i64 as f64;
        t - f64::from(u8::from(t > x))
    } else {
        x.floor()
    }
}

/// A uniform variate on [0, 1) from the top 53 bits of `bits`.
#[inline]
fn uniform(bits: u64) -> f64 {
    (bits >> 11) as f64 * UNIT
}

/// ln k! for a whole k ≥ 0: Stirling's series at k + 1 (shifted up to ≥ 8 for small k, where
/// the series is accurate to rounding).
fn ln_factorial(k: f64) -> f64 {
    // B₂ₙ / (2n (2n − 1)), n = 1…7.
    const SERIES: [f64; 7] = [
        1.0 / 12.0,
        -1.0 / 360.0,
        1.0 / 1260.0,
        -1.0 / 1680.0,
        1.0 / 1188.0,
        -691.0 / 360_360.0,
        1.0 / 156.0,
    ];
    let mut x = k + 1.0;
    let mut shift = 0.0;
    while x < 8.0 {
        shift += x.ln();
        x += 1.0;
    }
    let x2 = 1.0 / (x * x);
    let series = SERIES.iter().rev().fold(0.0, |acc, c| acc * x2 + c) / x;
    (x - 0.5) * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI).ln() + series - shift
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use statrs::distribution::{DiscreteCDF, Poisson};

    /// F(k) at λ = 1000, 62,500.5 and 2.5·10⁶ from `scipy.stats.poisson.cdf` (scipy 1.15; checked
    /// against a 60-digit `decimal` sum to 10⁻¹⁶). statrs' regularised gamma function is off by
    /// up to 10⁻¹⁰ at such λ (10⁻¹³ at λ = 1000), so it is the reference for all k only up to
    /// λ = 1000, within 10⁻¹².
    const SCIPY: [(f64, u64, f64); 17] = [
        (1000.0, 900, 6.977_673_277_963_054e-4),
        (1000.0, 965, 0.137_405_780_065_442),
        (1000.0, 1000, 0.508_409_367_168_506),
        (1000.0, 1040, 0.899_279_412_823_461),
        (1000.0, 1100, 0.999_132_359_036_556_5),
        (62_500.5, 61_500, 3.035_245_356_150_087_4e-5),
        (62_500.5, 62_000, 0.022_642_365_457_446_505),
        (62_500.5, 62_400, 0.344_785_141_387_218_94),
        (62_500.5, 62_500, 0.500_265_960_941_061_8),
        (62_500.5, 62_600, 0.655_627_321_388_751_8),
        (62_500.5, 63_000, 0.977_141_669_636_671_8),
        (62_500.5, 63_500, 0.999_966_970_712_495_3),
        (2.5e6, 2_495_000, 7.810_010_562_152_031e-4),
        (2.5e6, 2_499_000, 0.263_668_603_051_351_2),
        (2.5e6, 2_500_000, 0.500_168_208_826_203_9),
        (2.5e6, 2_501_000, 0.736_579_288_895_232_9),
        (2.5e6, 2_505_000, 0.999_215_598_798_211_8),
    ];

    #[test]
    fn table_is_the_poisson_distribution_function() {
        for lambda in [0.004, 0.3, 1.0, 4.5, 12.0, 37.5, 1000.0, 62_500.5, 2.5e6] {
            let mut t = PoissonTable::default();
            assert!(t.set(lambda));
            let at = |k: u64| t.cdf[(k as f64 - t.first) as usize];
            let last = t.first as u64 + t.cdf.len() as u64 - 1;
            let mut compared = 0;
            if lambda <= 1000.0 {
                let reference = Poisson::new(lambda).unwrap();
                for k in t.first as u64..=last {
                    assert!(
                        (at(k) - reference.cdf(k)).abs() < 1e-12,
                        "λ = {lambda}, k = {k}"
                    );
                    compared += 1;
                }
                // The tails cut off hold less than the uniform's resolution.
                if t.first > 0.0 {
                    assert!(reference.cdf(t.first as u64 - 1) < UNIT, "λ = {lambda}");
                }
                assert!(reference.sf(last) < UNIT, "λ = {lambda}");
            }
            if lambda >= 1000.0 {
                for &(_, k, f) in SCIPY.iter().filter(|r| r.0 == lambda) {
                    assert!(
                        (at(k) - f).abs() < 1e-13,
                        "λ = {lambda}, k = {k}: {} vs {f}",
                        at(k)
                    );
                    compared += 1;
                }
                // ±8 standard deviations lie inside (the tails beyond hold ~10⁻¹⁵).
                let sd = lambda.sqrt();
                assert!(t.first < lambda - 8.0 * sd && (last as f64) > lambda + 8.0 * sd);
            }
            assert!(compared >= 5, "λ = {lambda}");
            if lambda >= 100.0 {
                let expected = PoissonTable::entries(lambda);
                let n = t.cdf.len() as f64;
                assert!(
                    (n / expected - 1.0).abs() < 0.1,
                    "λ = {lambda}: {n} vs {expected}"
                );
            }
        }
    }

    #[test]
    fn inversion_finds_the_first_value_whose_distribution_function_exceeds_u() {
        for lambda in [0.3, 7.0, 900.0, 62_500.0] {
            let mut t = PoissonTable::default();
            t.set(lambda);
            let mut bits = 0x1234_5678_9abc_def0u64;
            let check = |b: u64| {
                let u = (b >> 11) as f64 * UNIT;
                let k = t.invert(b);
                let i = (k - t.first) as usize;
                assert!(t.cdf[i] > u, "λ = {lambda}, u = {u}");
                assert!(i == 0 || t.cdf[i - 1] <= u, "λ = {lambda}, u = {u}");
            };
            for _ in 0..20_000 {
                bits = bits.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                check(bits);
            }
            // The extremes of u, and u exactly at tabulated values and guide boundaries.
            check(0);
            check(u64::MAX);
            for &c in t.cdf.iter().step_by(7) {
                if c < 1.0 {
                    check(((c / UNIT) as u64) << 11);
                }
            }
            let m = t.guide.len();
            for j in (0..m).step_by(5) {
                check((((j as f64 / m as f64) / UNIT) as u64) << 11);
            }
        }
    }

    #[test]
    fn no_sampler_for_a_rate_that_is_not_positive_and_finite() {
        let mut t = PoissonTable::default();
        for lambda in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(!t.set(lambda));
            assert!(Ptrs::new(lambda).is_none());
            assert!(Pd::new(lambda).is_none());
        }
        assert!(Ptrs::new(9.99).is_none());
        assert!(Pd::new(9.99).is_none());
        assert!(Pd::new(1e16).is_none());
    }

    /// Pearson's χ² of 200,000 draws of `sample` against Poisson(λ) (bins of ≥ 50 expected
    /// draws, tails merged into their neighbours): its p-value.
    fn chi_square_p(lambda: f64, mut sample: impl FnMut() -> f64) -> f64 {
        use statrs::distribution::{ChiSquared, ContinuousCDF};
        let mut table = PoissonTable::default();
        table.set(lambda);
        let n = 200_000;
        let mut counts = vec![0u64; table.cdf.len()];
        for _ in 0..n {
            let k = sample();
            assert!(k >= 0.0 && k == k.floor(), "λ = {lambda}: drew {k}");
            let i = (k - table.first).clamp(0.0, (counts.len() - 1) as f64);
            counts[i as usize] += 1;
        }
        let (mut chi2, mut bins) = (0.0, 0);
        let (mut observed, mut expected, mut previous) = (0.0, 0.0, 0.0);
        for (i, &c) in table.cdf.iter().enumerate() {
            observed += counts[i] as f64;
            expected += (c - previous) * n as f64;
            previous = c;
            let rest = (1.0 - c) * n as f64;
            if expected >= 50.0 && (rest >= 50.0 || i + 1 == table.cdf.len()) {
                chi2 += (observed - expected).powi(2) / expected;
                bins += 1;
                (observed, expected) = (0.0, 0.0);
            }
        }
        1.0 - ChiSquared::new(f64::from(bins - 1)).unwrap().cdf(chi2)
    }

    #[test]
    fn ptrs_draws_follow_the_poisson_law() {
        for (lambda, seed) in [(10.0, 1), (37.5, 2), (1000.0, 3), (62_500.5, 4), (2.5e6, 5)] {
            let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
            let sampler = Ptrs::new(lambda).unwrap();
            let p = chi_square_p(lambda, || sampler.sample(&mut rng));
            assert!(p > 1e-4, "λ = {lambda}: p = {p}");
        }
    }

    #[test]
    fn pd_draws_follow_the_poisson_law() {
        for (lambda, seed) in [
            (10.0, 1),
            (11.3, 6),
            (37.5, 2),
            (1000.0, 3),
            (62_500.5, 4),
            (2.5e6, 5),
        ] {
            let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
            let sampler = Pd::new(lambda).unwrap();
            let p = chi_square_p(lambda, || sampler.sample(&mut rng));
            assert!(p > 1e-4, "λ = {lambda}: p = {p}");
        }
    }

    #[test]
    fn pd_probabilities_are_the_poisson_law_and_the_proposal_is_below_it_where_taken_at_once() {
        use statrs::distribution::{Discrete, Poisson};
        for mu in [10.0, 10.7, 23.0, 150.0, 1000.0, 62_500.5] {
            let pd = Pd::new(mu).unwrap();
            let reference = Poisson::new(mu).unwrap();
            let sd = mu.sqrt();
            let (from, to) = ((mu - 6.0 * sd).max(0.0) as u64, (mu + 6.0 * sd) as u64);
            for k in from..=to {
                let (px, py, fx, fy) = pd.densities(k as f64);
                let p = py * px.exp();
                let exact = reference.ln_pmf(k).exp();
                assert!(
                    (p / exact - 1.0).abs() < 1e-9,
                    "μ = {mu}, k = {k}: {p} vs {exact}"
                );
                // Step I takes K ≥ L at once: it relies on p(K) ≥ the proposal's f(K) there.
                if (k as f64) >= pd.big_l {
                    assert!(p >= fy * fx.exp(), "μ = {mu}, k = {k}");
                }
            }
        }
    }

    #[test]
    fn floor_is_floor_where_ptrs_needs_it() {
        for x in [
            0.0,
            0.5,
            1.0,
            1.5,
            -0.0,
            -0.5,
            -1.0,
            -1.5,
            62_500.43,
            -3.0e9,
            4.5e15 + 0.5,
        ] {
            assert_eq!(floor(x), x.floor(), "{x}");
        }
        assert!(floor(f64::NEG_INFINITY) < -4e18);
    }
}
