//! Randomness plumbing: every account draws from its own ChaCha streams, keyed by the run's seed,
//! the account's index and a per-account step counter, so one account's history never shifts the
//! random numbers of another (a different dialer choice for one debtor leaves everyone else alone).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// SplitMix64 finaliser.
fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Mixes several words into one well-distributed 64-bit value.
pub(crate) fn mix(words: &[u64]) -> u64 {
    words
        .iter()
        .fold(0x5eed_cafe_f00d_d00d, |h, &w| splitmix(h ^ splitmix(w)))
}

/// Purposes of independent streams.
pub(crate) const STREAM_TRAITS: u64 = 1;
pub(crate) const STREAM_STEP: u64 = 2;
pub(crate) const STREAM_DIALER: u64 = 3;
/// The paired oracle's agenda steps (keyed by replicate and instant) and its one contact.
pub(crate) const STREAM_PAIRED: u64 = 4;
pub(crate) const STREAM_PAIRED_CONTACT: u64 = 5;

/// A ChaCha8 generator for (seed, stream, a, b).
pub(crate) fn stream(seed: u64, purpose: u64, a: u64, b: u64) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    for (i, chunk) in key.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(&mix(&[seed, purpose, a, b, i as u64]).to_le_bytes());
    }
    ChaCha8Rng::from_seed(key)
}

/// True with probability `p` (clamped to [0, 1]).
pub(crate) fn chance<R: Rng + ?Sized>(rng: &mut R, p: f64) -> bool {
    rng.random::<f64>() < p.clamp(0.0, 1.0)
}

/// An index drawn in proportion to `weights` (at least one weight must be positive).
pub(crate) fn pick_weighted<R: Rng + ?Sized>(rng: &mut R, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut x = rng.random_range(0..total.max(1));
    for (i, &w) in weights.iter().enumerate() {
        if x < w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

/// An exponential waiting time with the given rate (per unit), `f64::INFINITY` for rate 0.
pub(crate) fn exp_wait<R: Rng + ?Sized>(rng: &mut R, rate: f64) -> f64 {
    if rate <= 0.0 {
        return f64::INFINITY;
    }
    let u: f64 = rng.random::<f64>();
    -(1.0 - u).ln() / rate
}
