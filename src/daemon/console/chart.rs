//! Inline SVG charts for the console (no script, no external asset): horizontal bars for counts
//! by category, and columns over days for a series. Labels are escaped; sizes are SVG attributes
//! (the Content-Security-Policy allows no inline style).

use std::fmt::Write;

use super::html::esc;

const PALETTE: [&str; 6] = [
    "#1f5fbf", "#1b7f4b", "#a35a00", "#7a3fb0", "#b3261e", "#3a7f8f",
];

/// Horizontal bars: one per `(label, value)`, with the value printed at the bar's end.
pub fn bars(title: &str, rows: &[(String, f64)]) -> String {
    let width = 420.0;
    let label_w = 130.0;
    let bar_h = 18.0;
    let gap = 6.0;
    let height = 28.0 + rows.len().max(1) as f64 * (bar_h + gap);
    let max = rows.iter().map(|r| r.1).fold(0.0_f64, f64::max).max(1e-9);
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg role=\"img\" aria-label=\"{t}\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\"><title>{t}</title>",
        t = esc(title)
    );
    let _ = write!(
        s,
        "<text x=\"0\" y=\"14\" font-weight=\"600\">{}</text>",
        esc(title)
    );
    if rows.is_empty() {
        s.push_str("<text x=\"0\" y=\"40\">no data yet</text>");
    }
    for (i, (label, value)) in rows.iter().enumerate() {
        let y = 26.0 + i as f64 * (bar_h + gap);
        let w = ((width - label_w - 60.0) * value / max).max(0.0);
        let color = PALETTE[i % PALETTE.len()];
        let _ = write!(
            s,
            "<text x=\"0\" y=\"{ty}\">{l}</text><rect x=\"{label_w}\" y=\"{y}\" width=\"{w:.1}\" height=\"{bar_h}\" rx=\"2\" fill=\"{color}\"/><text x=\"{vx:.1}\" y=\"{ty}\">{v}</text>",
            ty = y + 13.0,
            l = esc(label),
            vx = label_w + w + 4.0,
            v = fmt_value(*value),
        );
    }
    s.push_str("</svg>");
    s
}

/// Columns over days: one series of `values` (oldest first) with its day labels; the first,
/// middle and last labels are printed.
pub fn columns(title: &str, days: &[String], values: &[f64], color_index: usize) -> String {
    let width = 460.0;
    let height = 170.0;
    let (left, top, bottom) = (52.0, 22.0, 22.0);
    let plot_h = height - top - bottom;
    let n = values.len().max(1) as f64;
    let slot = (width - left - 4.0) / n;
    // Net series (money net of reversals) can dip below zero: the axis sits at zero.
    let max = values.iter().copied().fold(0.0_f64, f64::max);
    let min = values.iter().copied().fold(0.0_f64, f64::min);
    let scale = if max > min { plot_h / (max - min) } else { 0.0 };
    let color = PALETTE[color_index % PALETTE.len()];
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg role=\"img\" aria-label=\"{t}\" viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\"><title>{t}</title><text x=\"0\" y=\"14\" font-weight=\"600\">{t}</text>",
        t = esc(title)
    );
    let zero = top + max * scale;
    let _ = write!(
        s,
        "<line x1=\"{left}\" y1=\"{zero:.1}\" x2=\"{width}\" y2=\"{zero:.1}\" stroke=\"#9aa3b2\"/><text x=\"0\" y=\"{ty:.1}\">{m}</text><text x=\"0\" y=\"{zero:.1}\">0</text>",
        ty = top + 10.0,
        m = compact(max)
    );
    // The lowest value's label, unless it would sit on the zero label.
    if min < 0.0 && top + plot_h - zero > 12.0 {
        let _ = write!(
            s,
            "<text x=\"0\" y=\"{:.1}\">{}</text>",
            top + plot_h,
            compact(min)
        );
    }
    for (i, v) in values.iter().enumerate() {
        let h = v.abs() * scale;
        let y = if *v >= 0.0 { zero - h } else { zero };
        let x = left + i as f64 * slot + slot * 0.1;
        let _ = write!(
            s,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" fill=\"{color}\"><title>{d}: {v}</title></rect>",
            w = slot * 0.8,
            d = esc(days.get(i).map(String::as_str).unwrap_or("")),
            v = fmt_value(*v),
        );
    }
    let last = days.len().saturating_sub(1);
    for (i, anchor) in [(0, "start"), (last / 2, "middle"), (last, "end")] {
        let repeated = anchor != "start" && (i == 0 || (anchor == "middle" && i == last));
        if let Some(d) = days.get(i).filter(|_| !repeated) {
            let x = match anchor {
                "start" => left + i as f64 * slot,
                "end" => left + (i + 1) as f64 * slot,
                _ => left + (i as f64 + 0.5) * slot,
            };
            let _ = write!(
                s,
                "<text x=\"{x:.1}\" y=\"{y}\" text-anchor=\"{anchor}\">{}</text>",
                esc(d.get(5..).unwrap_or(d)),
                y = height - 6.0
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// An axis label: at most about five characters (`16.9k`, `2.1M`).
fn compact(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.1}k", v / 1e3)
    } else {
        format!("{}", v.round() as i64)
    }
}

fn fmt_value(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_escape_labels_and_scale_to_the_largest() {
        let svg = bars(
            "by <stage>",
            &[("<b>".to_string(), 10.0), ("m2".to_string(), 5.0)],
        );
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
        assert!(svg.contains("width=\"230.0\""), "{svg}");
        assert!(svg.contains("width=\"115.0\""), "{svg}");
        assert!(!svg.contains("style="));
    }

    #[test]
    fn columns_draw_one_rect_per_day() {
        let days: Vec<String> = (1..=3).map(|d| format!("2026-04-0{d}")).collect();
        let svg = columns("collected", &days, &[1.0, 0.0, 2.0], 0);
        assert_eq!(svg.matches("<rect").count(), 3);
        assert!(svg.contains("04-01") && svg.contains("04-02") && svg.contains("04-03"));
        assert_eq!(
            svg.matches("04-0").count(),
            3 + 3,
            "3 labels and 3 bar titles"
        );
    }

    #[test]
    fn columns_below_zero_hang_from_the_axis() {
        let days: Vec<String> = (1..=2).map(|d| format!("2026-04-0{d}")).collect();
        let svg = columns("net", &days, &[3.0, -1.0], 0);
        assert!(!svg.contains("height=\"-"), "no negative height: {svg}");
        // Plot height 126 over a range of 4: the zero line at 22 + 3 × 31.5.
        assert!(svg.contains("y1=\"116.5\""), "{svg}");
        assert!(
            svg.contains("y=\"116.5\" width=\"161.6\" height=\"31.5\""),
            "{svg}"
        );
    }
}
