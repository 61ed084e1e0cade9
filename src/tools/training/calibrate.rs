//! Calibration maps fitted on hold-out scores: Platt scaling (two parameters, Newton's method) and
//! isotonic regression (pool adjacent violators). Both produce the model file's [`Calibration`].

use crate::engine::scoring::Calibration;

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    (p / (1.0 - p)).ln()
}

/// Platt scaling: a, b minimising the log loss of sigmoid(a·logit(p) + b), by damped Newton steps
/// from the identity (a = 1, b = 0).
pub fn fit_platt(p: &[f64], y: &[u8]) -> Calibration {
    let z: Vec<f64> = p.iter().map(|&v| logit(v)).collect();
    let loss = |a: f64, b: f64| -> f64 {
        z.iter()
            .zip(y)
            .map(|(&z, &y)| {
                let t = a * z + b;
                // −log σ(t) for y = 1, −log σ(−t) for y = 0, computed stably.
                let s = if y == 1 { -t } else { t };
                if s > 0.0 {
                    s + (-s).exp().ln_1p()
                } else {
                    s.exp().ln_1p()
                }
            })
            .sum::<f64>()
    };
    let (mut a, mut b) = (1.0f64, 0.0f64);
    let mut cur = loss(a, b);
    for _ in 0..50 {
        // Gradient and Hessian of the summed log loss.
        let (mut ga, mut gb, mut haa, mut hab, mut hbb) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (&z, &y) in z.iter().zip(y) {
            let q = sigmoid(a * z + b);
            let r = q - f64::from(y);
            let w = q * (1.0 - q);
            ga += r * z;
            gb += r;
            haa += w * z * z;
            hab += w * z;
            hbb += w;
        }
        let ridge = 1e-9 * (haa + hbb).max(1.0);
        let (haa, hbb) = (haa + ridge, hbb + ridge);
        let det = haa * hbb - hab * hab;
        if det <= 0.0 || !det.is_finite() {
            break;
        }
        let da = (hbb * ga - hab * gb) / det;
        let db = (haa * gb - hab * ga) / det;
        let mut step = 1.0;
        let mut improved = false;
        while step > 1e-6 {
            let (na, nb) = (a - step * da, b - step * db);
            let l = loss(na, nb);
            if l <= cur {
                (a, b, cur) = (na, nb, l);
                improved = true;
                break;
            }
            step /= 2.0;
        }
        if !improved || (step * da).abs().max((step * db).abs()) < 1e-10 {
            break;
        }
    }
    Calibration::Platt { a, b }
}

/// Isotonic regression of the labels on the scores (pool adjacent violators, equal scores pooled
/// first), regularised so that a few rows cannot claim certainty: adjacent blocks are pooled until
/// each holds at least max(20, n/200) rows (pooling neighbours keeps the map monotone), and each
/// block's rate is smoothed to (events + 0.5) / (rows + 1). One point per block at (mean score,
/// rate); the scorer interpolates linearly between them.
pub fn fit_isotonic(p: &[f64], y: &[u8]) -> Calibration {
    let mut order: Vec<usize> = (0..p.len()).collect();
    order.sort_unstable_by(|&i, &j| p[i].total_cmp(&p[j]).then(i.cmp(&j)));
    // Blocks: (sum of scores, sum of labels, count).
    let mut blocks: Vec<(f64, f64, f64)> = Vec::new();
    let mut last: Option<f64> = None;
    for i in order {
        let (s, l) = (p[i], f64::from(y[i]));
        match (blocks.last_mut(), last) {
            (Some(b), Some(v)) if v == s => {
                b.0 += s;
                b.1 += l;
                b.2 += 1.0;
            }
            _ => blocks.push((s, l, 1.0)),
        }
        last = Some(s);
        // Pool while the last block's rate is not above the previous one's.
        while blocks.len() > 1 {
            let n = blocks.len();
            let (prev, cur) = (blocks[n - 2], blocks[n - 1]);
            if cur.1 / cur.2 <= prev.1 / prev.2 {
                blocks[n - 2] = (prev.0 + cur.0, prev.1 + cur.1, prev.2 + cur.2);
                blocks.pop();
            } else {
                break;
            }
        }
    }
    let min_rows = (p.len() as f64 / 200.0).max(20.0);
    let mut pooled: Vec<(f64, f64, f64)> = Vec::new();
    let mut acc = (0.0, 0.0, 0.0);
    for b in blocks {
        acc = (acc.0 + b.0, acc.1 + b.1, acc.2 + b.2);
        if acc.2 >= min_rows {
            pooled.push(acc);
            acc = (0.0, 0.0, 0.0);
        }
    }
    if acc.2 > 0.0 {
        match pooled.last_mut() {
            Some(l) => *l = (l.0 + acc.0, l.1 + acc.1, l.2 + acc.2),
            None => pooled.push(acc),
        }
    }
    let x = pooled.iter().map(|b| b.0 / b.2).collect();
    let mut y: Vec<f64> = pooled.iter().map(|b| (b.1 + 0.5) / (b.2 + 1.0)).collect();
    for i in 1..y.len() {
        y[i] = y[i].max(y[i - 1]);
    }
    Calibration::Isotonic { x, y }
}

/// Applies a calibration map to a raw probability (same arithmetic as the scorer).
/// Applies a calibration: the serving code's own function.
pub fn apply(c: &Calibration, p: f64) -> f64 {
    crate::engine::scoring::apply_calibration(c, p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platt_recovers_a_known_map() {
        // Labels drawn exactly at rate sigmoid(2·logit(p) − 0.5) in large groups.
        let mut p = Vec::new();
        let mut y = Vec::new();
        for k in 1..20 {
            let raw = k as f64 / 20.0;
            let rate = sigmoid(2.0 * logit(raw) - 0.5);
            let ones = (rate * 10_000.0).round() as usize;
            for i in 0..10_000 {
                p.push(raw);
                y.push(u8::from(i < ones));
            }
        }
        match fit_platt(&p, &y) {
            Calibration::Platt { a, b } => {
                assert!((a - 2.0).abs() < 0.01, "a = {a}");
                assert!((b + 0.5).abs() < 0.01, "b = {b}");
            }
            _ => panic!(),
        }
    }

    #[test]
    fn isotonic_pools_violators() {
        // 40 rows at each of four scores; event counts 2, 10, 6, 30: the middle two are pooled.
        let mut p = Vec::new();
        let mut y = Vec::new();
        for (score, events) in [(0.1, 2), (0.2, 10), (0.3, 6), (0.4, 30)] {
            for i in 0..40 {
                p.push(score);
                y.push(u8::from(i < events));
            }
        }
        match fit_isotonic(&p, &y) {
            Calibration::Isotonic { x, y } => {
                assert_eq!(x.len(), 3);
                assert!((x[1] - 0.25).abs() < 1e-12);
                assert!((y[0] - 2.5 / 41.0).abs() < 1e-12);
                assert!((y[1] - 16.5 / 81.0).abs() < 1e-12);
                assert!(y.windows(2).all(|w| w[0] <= w[1]));
                let c = Calibration::Isotonic { x, y };
                assert!((apply(&c, 0.25) - 16.5 / 81.0).abs() < 1e-12);
            }
            _ => panic!(),
        }
        // Small blocks are pooled: 10 rows cannot form a step of their own.
        let p: Vec<f64> = (0..30).map(|i| i as f64 / 30.0).collect();
        let y: Vec<u8> = (0..30).map(|i| u8::from(i >= 10)).collect();
        match fit_isotonic(&p, &y) {
            Calibration::Isotonic { y, .. } => {
                assert_eq!(y.len(), 1);
                assert!(y[0] > 0.0 && y[0] < 1.0);
            }
            _ => panic!(),
        }
    }
}
