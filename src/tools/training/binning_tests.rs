//! Tests of the scorecard binning: monotone merging, the shapes chosen on validation rows, the
//! missing bin and categories.

use super::*;

/// Rows with value `v` and label-1 rate `rate` (per mille), `n` of each value.
fn rows(spec: &[(f64, u32)], n: u32) -> (Vec<f64>, Vec<u8>) {
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for &(v, rate) in spec {
        for i in 0..n {
            x.push(v);
            y.push(u8::from((i * 1000 / n) < rate));
        }
    }
    (x, y)
}

/// A deterministic pseudo-random stream in [0, 1).
fn uniform(seed: u64) -> impl FnMut() -> f64 {
    let mut s = seed;
    move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `n` rows of x uniform in [0, 1) with P(y = 1) = rate(x).
fn sample(n: usize, seed: u64, rate: impl Fn(f64) -> f64) -> (Vec<f64>, Vec<u8>) {
    let mut u = uniform(seed);
    (0..n)
        .map(|_| {
            let x = u();
            (x, u8::from(u() < rate(x)))
        })
        .unzip()
}

fn monotone(max_bins: usize) -> Candidate {
    Candidate {
        shape: Shape::Monotone,
        max_bins,
    }
}

fn values(b: &Binned) -> Vec<f64> {
    match &b.transform {
        Transform::Bins { values, .. } | Transform::Categories { values, .. } => values.clone(),
        Transform::Standard { .. } => unreachable!(),
    }
}

#[test]
fn monotone_bins_merge_until_the_woe_is_monotone() {
    // Rate of label 1 by value: 0 → 10%, 1 → 30%, 2 → 20% (a dip), 3 → 60%.
    let (x, y) = rows(&[(0.0, 100), (1.0, 300), (2.0, 200), (3.0, 600)], 100);
    let b = bin(&x, &y, monotone(4), 0.0);
    let v = values(&b);
    assert!(v.windows(2).all(|w| w[0] <= w[1]), "{v:?}");
    assert_eq!(v.len(), 3);
    let Transform::Bins { edges, missing, .. } = &b.transform else {
        panic!()
    };
    assert_eq!(edges, &vec![0.5, 2.5]);
    assert_eq!(*missing, None);
    assert_eq!(b.counts[1], (50, 150));
    // Smoothed WoE of the first bin: ln(10.5/90.5) − ln(120.5/280.5).
    let want = (10.5f64 / 90.5).ln() - (120.5f64 / 280.5).ln();
    assert!((v[0] - want).abs() < 1e-12);
    assert!(b.information_value > 0.0);
}

#[test]
fn a_falling_feature_falls_and_a_rare_value_keeps_its_bin() {
    let mut x = vec![0.0; 950];
    x.extend([1.0; 50]);
    let y: Vec<u8> = (0..1000)
        .map(|i| u8::from(if i < 950 { i % 2 == 0 } else { i % 10 == 0 }))
        .collect();
    let b = bin(&x, &y, monotone(10), 0.0);
    let v = values(&b);
    assert_eq!(v.len(), 2);
    assert!(v[0] > v[1]);
}

#[test]
fn a_u_shaped_feature_gets_a_valley_on_validation() {
    // Risk high at both ends (utilisation-like): 40% at the edges, 10% in the middle.
    let rate = |x: f64| 0.1 + 1.2 * (x - 0.5).powi(2);
    let (xf, yf) = sample(6000, 1, rate);
    let (xv, yv) = sample(3000, 2, rate);
    let offered = candidates(false, false, None);
    let (c, loss) = choose((&xf, &yf), (&xv, &yv), 0.5, &offered);
    assert_eq!(c.shape, Shape::Valley, "{c:?}");
    let (mono, mono_loss) = choose((&xf, &yf), (&xv, &yv), 0.5, &candidates(false, true, None));
    assert_eq!(mono.shape, Shape::Monotone);
    assert!(loss < mono_loss, "valley {loss} vs monotone {mono_loss}");
    let v = values(&bin(&xf, &yf, c, 0.5));
    let low = v
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))
        .unwrap()
        .0;
    assert!(low > 0 && low + 1 < v.len(), "the minimum is inside: {v:?}");
    assert!(v[..=low].windows(2).all(|w| w[0] >= w[1]), "falls: {v:?}");
    assert!(v[low..].windows(2).all(|w| w[0] <= w[1]), "rises: {v:?}");
}

#[test]
fn the_bin_count_follows_what_validation_supports() {
    // A step: two levels are all there is to learn.
    let step = |x: f64| if x < 0.5 { 0.15 } else { 0.45 };
    let (xf, yf) = sample(8000, 3, step);
    let (xv, yv) = sample(4000, 4, step);
    let offered = candidates(false, true, None);
    let (c, _) = choose((&xf, &yf), (&xv, &yv), 0.5, &offered);
    let step_bins = bin(&xf, &yf, c, 0.5).counts.len();
    assert!(step_bins <= 4, "{c:?} gave {step_bins} bins");
    // A steady slope rewards finer bins.
    let slope = |x: f64| 0.05 + 0.6 * x;
    let (xf, yf) = sample(8000, 5, slope);
    let (xv, yv) = sample(4000, 6, slope);
    let (c, _) = choose((&xf, &yf), (&xv, &yv), 0.5, &offered);
    let slope_bins = bin(&xf, &yf, c, 0.5).counts.len();
    assert!(slope_bins >= 6, "{c:?} gave {slope_bins} bins");
    assert!(slope_bins > step_bins);
    // --bins caps the budget.
    assert!(candidates(false, true, Some(4))
        .iter()
        .all(|c| c.max_bins <= 4));
}

#[test]
fn missing_values_get_their_own_bin_when_there_are_enough() {
    // 200 rows with values (rate 20%), 100 missing (rate 70%).
    let (mut x, mut y) = rows(&[(1.0, 200), (2.0, 200)], 100);
    x.extend([f64::NAN; 100]);
    y.extend((0..100).map(|i| u8::from(i < 70)));
    let b = bin(&x, &y, monotone(4), 1.5);
    let m = b.transform.missing().expect("a missing bin");
    assert_eq!(b.missing_counts, Some((70, 30)));
    assert!(m > values(&b)[0], "missing is riskier than any value");
    assert!(b.rate(f64::NAN, 1.5) > 0.6);
    // Fewer than MIN_BIN_ROWS missing rows take the median's bin instead.
    let (mut x, mut y) = rows(&[(1.0, 200), (2.0, 600)], 100);
    x.extend([f64::NAN; 5]);
    y.extend([1; 5]);
    let b = bin(&x, &y, monotone(4), 2.0);
    assert_eq!(b.transform.missing(), None);
    assert_eq!(b.missing_counts, None);
    assert_eq!(b.rate(f64::NAN, 2.0), b.rate(2.0, 2.0));
    // The missing rows were counted in the value-2 bin.
    assert_eq!(b.counts.iter().map(|c| c.0 + c.1).sum::<usize>(), 205);
}

#[test]
fn coded_columns_are_offered_categories_and_keep_them_when_they_validate() {
    // Codes with no order: 1 → 10%, 2 → 50%, 3 → 15%, 4 → 45%, 9 → rare (5 rows).
    let spec = [(1.0, 100), (2.0, 500), (3.0, 150), (4.0, 450)];
    let (mut xf, mut yf) = rows(&spec, 400);
    xf.extend([9.0; 5]);
    yf.extend([1; 5]);
    let (xv, yv) = rows(&spec, 200);
    assert!(is_coded(&xf));
    assert!(!is_coded(&[0.5, 1.0, 2.0]));
    assert!(!is_coded(&(0..100).map(f64::from).collect::<Vec<_>>()));
    let offered = candidates(is_coded(&xf), false, None);
    let (c, _) = choose((&xf, &yf), (&xv, &yv), 2.0, &offered);
    assert_eq!(c.shape, Shape::Categories);
    let b = bin(&xf, &yf, c, 2.0);
    let Transform::Categories {
        levels,
        values,
        other,
        ..
    } = &b.transform
    else {
        panic!()
    };
    assert_eq!(
        levels,
        &vec![1.0, 2.0, 3.0, 4.0],
        "code 9 is too rare for a level"
    );
    assert!(values[1] > values[0] && values[1] > values[2] && values[3] > values[2]);
    assert_eq!(
        b.counts.last(),
        Some(&(5, 0)),
        "the rare code is pooled as other"
    );
    assert!(*other > 0.0);
    assert_eq!(b.transform.apply(7.0), *other, "an unseen code is other");
    // A feature with an expected sign is never offered categories or bends.
    assert!(candidates(true, true, None)
        .iter()
        .all(|c| matches!(c.shape, Shape::Monotone | Shape::Linear)));
}
