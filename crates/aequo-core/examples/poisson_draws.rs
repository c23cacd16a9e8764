//! The cost of one Poisson draw, by sampler: what `aequo_core::poisson` chose from.
//!
//!     cargo run --release -p aequo-core --example poisson_draws
//!
//! For each λ: building the inversion table (per entry), a draw from it, a PTRS draw, an Ahrens–Dieter draw and a draw
//! of rand_distr's sampler (on xoshiro256++ and on ChaCha12, `StdRng`, the bootstrap's former
//! generator), and one 64-bit number of each generator; nanoseconds, best of five rounds.

use std::hint::black_box;
use std::time::Instant;

use aequo_core::poisson::{Pd, PoissonTable, Ptrs};
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use rand_distr::Distribution;
use rand_xoshiro::Xoshiro256PlusPlus;

const DRAWS: u32 = 1_000_000;

/// Nanoseconds per call of `f` (`calls` calls a round), best of five rounds.
fn best(calls: u32, mut f: impl FnMut() -> f64) -> f64 {
    (0..5)
        .map(|_| {
            let t = Instant::now();
            let mut s = 0.0;
            for _ in 0..calls {
                s += f();
            }
            black_box(s);
            t.elapsed().as_secs_f64() * 1e9 / f64::from(calls)
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let mut xo = Xoshiro256PlusPlus::seed_from_u64(1);
    let mut chacha = StdRng::seed_from_u64(1);
    println!(
        "u64: xoshiro256++ {:.1} ns, ChaCha12 {:.1} ns",
        best(DRAWS, || xo.next_u64() as f64),
        best(DRAWS, || chacha.next_u64() as f64)
    );
    println!("| λ | table entries | build / entry | table draw | PTRS | Ahrens–Dieter | rand_distr (xoshiro) | rand_distr (ChaCha12) |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    for lambda in [4.5, 100.0, 1000.0, 62_500.0, 625_000.0] {
        let mut table = PoissonTable::default();
        let entries = PoissonTable::entries(lambda);
        let build = best(200, || f64::from(u8::from(table.set(black_box(lambda))))) / entries;
        let invert = best(DRAWS, || table.invert(xo.next_u64()));
        let ptrs = Ptrs::new(lambda).map(|p| best(DRAWS, || p.sample(&mut xo)));
        let pd = Pd::new(lambda).map(|p| best(DRAWS, || p.sample(&mut xo)));
        let reference = rand_distr::Poisson::new(lambda).expect("λ > 0");
        let general = best(DRAWS, || reference.sample(&mut xo));
        let general_chacha = best(DRAWS, || reference.sample(&mut chacha));
        println!(
            "| {lambda} | {entries:.0} | {build:.2} ns | {invert:.1} ns | {} | {} | {general:.1} ns | {general_chacha:.1} ns |",
            ptrs.map_or("—".to_string(), |p| format!("{p:.1} ns")),
            pd.map_or("—".to_string(), |p| format!("{p:.1} ns"))
        );
    }
}
