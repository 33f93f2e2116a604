//! Charts drawn on the server as SVG with plotters, placed in the page itself: no script,
//! no style attribute (plotters writes presentation attributes only), readable with
//! JavaScript off and under the strict Content Security Policy. The numbers are always in
//! the table beside the chart too.

use plotters::coord::ranged1d::{IntoSegmentedCoord, SegmentValue};
use plotters::prelude::*;

use super::tables::Chart;
use crate::error::WebError;

const WIDTH: u32 = 640;
const HEIGHT: u32 = 300;
/// Colours that stay apart for the colour-blind (Okabe and Ito's palette).
const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
    RGBColor(240, 228, 66),
];
const FONT: &str = "sans-serif";

fn failed(error: impl std::fmt::Display) -> WebError {
    WebError::Internal(format!("drawing a chart failed: {error}").into())
}

/// The chart as an `<svg>` element labelled `label` for assistive technology.
pub fn svg(chart: &Chart, label: &str) -> Result<String, WebError> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(failed)?;
        match chart {
            Chart::Bars {
                y_label,
                categories,
                bars,
                markers,
            } => draw_bars(&root, y_label, categories, bars, markers.as_deref())?,
            Chart::Lines {
                y_label,
                weeks,
                series,
            } => draw_lines(&root, y_label, weeks, series)?,
        }
        root.present().map_err(failed)?;
    }
    Ok(labelled(&out, label))
}

/// Marks the drawing as one image with a name, as an `<img alt>` would be.
fn labelled(svg: &str, label: &str) -> String {
    let escaped = label
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    svg.replacen(
        "<svg ",
        &format!("<svg role=\"img\" aria-label=\"{escaped}\" focusable=\"false\" "),
        1,
    )
}

fn top_of(values: impl Iterator<Item = f64>) -> f64 {
    let top = values.fold(0.0_f64, f64::max);
    if top <= 0.0 {
        1.0
    } else {
        top * 1.1
    }
}

fn draw_bars(
    root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    y_label: &str,
    categories: &[String],
    bars: &[f64],
    markers: Option<&[Option<f64>]>,
) -> Result<(), WebError> {
    let count = categories.len().max(1);
    let top = top_of(
        bars.iter()
            .copied()
            .chain(markers.unwrap_or_default().iter().flatten().copied()),
    );
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d((0..count).into_segmented(), 0.0..top)
        .map_err(failed)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .y_desc(y_label)
        .x_labels(count)
        .x_label_formatter(&|value| match value {
            SegmentValue::CenterOf(index) => categories.get(*index).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .label_style((FONT, 12))
        .axis_desc_style((FONT, 12))
        .draw()
        .map_err(failed)?;
    chart
        .draw_series(bars.iter().enumerate().map(|(index, &value)| {
            let mut bar = Rectangle::new(
                [
                    (SegmentValue::Exact(index), 0.0),
                    (SegmentValue::Exact(index + 1), value),
                ],
                PALETTE[0].filled(),
            );
            bar.set_margin(0, 0, 8, 8);
            bar
        }))
        .map_err(failed)?;
    if let Some(markers) = markers {
        chart
            .draw_series(markers.iter().enumerate().filter_map(|(index, value)| {
                value.map(|value| {
                    Circle::new(
                        (SegmentValue::CenterOf(index), value),
                        5,
                        PALETTE[1].filled(),
                    )
                })
            }))
            .map_err(failed)?;
    }
    Ok(())
}

fn draw_lines(
    root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    y_label: &str,
    weeks: &[String],
    series: &[(String, Vec<f64>)],
) -> Result<(), WebError> {
    let last = weeks.len().saturating_sub(1).max(1);
    let top = top_of(series.iter().flat_map(|(_, values)| values.iter().copied()));
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(0..last, 0.0..top)
        .map_err(failed)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .y_desc(y_label)
        .x_desc("week ending")
        .x_labels(weeks.len().min(8))
        .x_label_formatter(&|index| weeks.get(*index).cloned().unwrap_or_default())
        .label_style((FONT, 12))
        .axis_desc_style((FONT, 12))
        .draw()
        .map_err(failed)?;
    for (position, (name, values)) in series.iter().enumerate() {
        let colour = PALETTE[position % PALETTE.len()];
        chart
            .draw_series(LineSeries::new(
                values
                    .iter()
                    .enumerate()
                    .map(|(week, &value)| (week, value)),
                colour.stroke_width(2),
            ))
            .map_err(failed)?
            .label(name.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2))
            });
    }
    if !series.is_empty() {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .label_font((FONT, 11))
            .draw()
            .map_err(failed)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars() -> Chart {
        Chart::Bars {
            y_label: "hours",
            categories: vec!["All".into(), "<Critical> & co".into()],
            bars: vec![3.0, 1.5],
            markers: Some(vec![Some(4.0), None]),
        }
    }

    #[test]
    fn charts_are_svg_without_script_or_style() {
        let lines = Chart::Lines {
            y_label: "open reports",
            weeks: vec!["2026-03-08".into(), "2026-03-15".into()],
            series: vec![
                ("New".into(), vec![2.0, 3.0]),
                ("Triaged".into(), vec![0.0, 1.0]),
            ],
        };
        for chart in [bars(), lines] {
            let drawn = svg(&chart, "A \"chart\"").expect("drawn");
            assert!(drawn.starts_with("<svg role=\"img\" aria-label=\"A &quot;chart&quot;\""));
            let lower = drawn.to_ascii_lowercase();
            for forbidden in ["<script", "style=", "<style", "javascript:"] {
                assert!(!lower.contains(forbidden), "{forbidden} in {drawn}");
            }
            well_formed(&drawn);
        }
        // Labels are escaped text, never markup.
        assert!(svg(&bars(), "x")
            .expect("drawn")
            .contains("&lt;Critical&gt; &amp; co"));
    }

    /// Reads the whole document with an XML parser, attribute by attribute, and refuses
    /// any event handler.
    fn well_formed(svg: &str) {
        let mut reader = quick_xml::Reader::from_str(svg);
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(quick_xml::events::Event::Start(element))
                | Ok(quick_xml::events::Event::Empty(element)) => {
                    for attribute in element.attributes() {
                        let attribute = attribute.expect("well-formed attribute");
                        let name = String::from_utf8_lossy(attribute.key.as_ref()).to_lowercase();
                        assert!(!name.starts_with("on") && name != "style", "{name}");
                    }
                }
                Ok(_) => {}
                Err(error) => panic!("not well-formed XML: {error}"),
            }
        }
    }

    #[test]
    fn empty_charts_still_draw() {
        let empty = Chart::Bars {
            y_label: "reports",
            categories: Vec::new(),
            bars: Vec::new(),
            markers: None,
        };
        assert!(svg(&empty, "nothing yet").is_ok());
    }
}
