//! Line charts as PNG files (plotters): one helper for every chart arrears draws (cumulative
//! collections in the backtest, model-evaluation curves).

use std::path::Path;

use anyhow::Context;
use plotters::prelude::*;

/// One named line.
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

const COLORS: [RGBColor; 9] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(23, 190, 207),
];

/// Draws `series` as lines on one chart and writes it as a PNG.
pub fn line_chart(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
) -> anyhow::Result<()> {
    let styles: Vec<(usize, usize)> = (0..series.len()).map(|i| (i, 0)).collect();
    line_chart_styled(path, title, x_label, y_label, series, &styles)
}

/// [`line_chart`] with a (colour, dash) pair per series: dash 0 is solid, 1 dashed, 2 dotted.
pub fn line_chart_styled(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
    styles: &[(usize, usize)],
) -> anyhow::Result<()> {
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, 0.0f64, f64::MIN);
    for s in series {
        for &(x, y) in &s.points {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
    }
    if x0 >= x1 {
        x1 = x0 + 1.0;
    }
    if y0 >= y1 {
        y1 = y0 + 1.0;
    }
    let root = BitMapBackend::new(path, (1000, 600)).into_drawing_area();
    root.fill(&WHITE).context("drawing the chart")?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 24))
        .margin(20)
        .x_label_area_size(45)
        .y_label_area_size(90)
        .build_cartesian_2d(x0..x1, y0..y1 * 1.05)
        .context("laying out the chart")?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .draw()
        .context("drawing the axes")?;
    for (i, s) in series.iter().enumerate() {
        let (c, dash) = styles.get(i).copied().unwrap_or((i, 0));
        let color = COLORS[c % COLORS.len()];
        let style = color.stroke_width(2);
        let points = s.points.iter().copied();
        let drawn = match dash % 3 {
            0 => chart.draw_series(LineSeries::new(points, style)),
            1 => chart.draw_series(DashedLineSeries::new(points, 10, 6, style)),
            _ => chart.draw_series(DashedLineSeries::new(points, 3, 5, style)),
        };
        drawn
            .context("drawing a series")?
            .label(s.name.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperLeft)
        .draw()
        .context("drawing the legend")?;
    root.present()
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
