//! Charts as inline SVG, drawn on the server so pages need no JavaScript.
//!
//! Each chart is an `<svg role="img">` labelled by its `<title>` and `<desc>` (the text
//! alternative); the page puts the data table beside it. Colours reach at least 3:1 against
//! the white background (WCAG 2.1 1.4.11), series are named in a legend, and every text is
//! escaped. Values are exact decimals; only the drawing coordinates are floating point.

use std::fmt::Write;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// Dark teal, 8.0:1 on white.
pub const TEAL: &str = "#00567a";
/// Dark orange, 3.9:1 on white and 2.1:1 against the teal.
pub const ORANGE: &str = "#d35f00";
/// Near black, for reference lines and the plan.
pub const INK: &str = "#1a1a1a";
/// Dark red, 8.1:1 on white, dashed for forecasts.
pub const RED: &str = "#a4001d";
const GRID: &str = "#c8c8c8";
const MUTED: &str = "#4a4a4a";

/// Escapes text for SVG (XML) content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    Bars,
    /// A line through the middle of each category, with a dot per value.
    Line,
}

#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub colour: &'static str,
    pub mark: Mark,
    pub values: Vec<Decimal>,
}

/// A horizontal line across the plot at a value, such as a budget ceiling.
#[derive(Debug, Clone)]
pub struct RefLine {
    /// In the legend: "Budgetplafond".
    pub name: String,
    /// On the line: "Budgetplafond € 120.000,00".
    pub label: String,
    pub value: Decimal,
    pub colour: &'static str,
    pub dashed: bool,
}

/// Vertical bars per category (months), several series side by side, optional lines.
#[derive(Debug, Clone)]
pub struct ColumnChart {
    /// Unique within the page; prefixes the ids of title and description.
    pub id: String,
    pub title: String,
    pub desc: String,
    pub categories: Vec<String>,
    pub series: Vec<Series>,
    pub lines: Vec<RefLine>,
}

/// One horizontal bar.
#[derive(Debug, Clone)]
pub struct BarRow {
    pub label: String,
    pub value: Decimal,
    /// Shown at the end of the bar, e.g. "€ 2.450,00".
    pub value_label: String,
}

/// Horizontal bars, one per row, for long category names (products, target groups).
#[derive(Debug, Clone)]
pub struct BarList {
    pub id: String,
    pub title: String,
    pub desc: String,
    pub colour: &'static str,
    pub rows: Vec<BarRow>,
}

/// A round step for about `ticks` grid lines up to `max`: 1, 2, 2.5 or 5 times a power of ten.
pub fn nice_step(max: Decimal, ticks: u32) -> Decimal {
    if max <= Decimal::ZERO || ticks == 0 {
        return Decimal::ONE;
    }
    let raw = max / Decimal::from(ticks);
    let ten = Decimal::TEN;
    let mut magnitude = Decimal::ONE;
    while magnitude * ten <= raw {
        magnitude *= ten;
    }
    while magnitude > raw && magnitude > Decimal::new(1, 2) {
        magnitude /= ten;
    }
    for factor in [
        Decimal::ONE,
        Decimal::TWO,
        Decimal::new(25, 1),
        Decimal::new(5, 0),
        Decimal::TEN,
    ] {
        if magnitude * factor >= raw {
            return magnitude * factor;
        }
    }
    magnitude * ten
}

/// The top of the axis: the first multiple of the step at or above `max` (at least one step).
pub fn axis_top(max: Decimal, step: Decimal) -> Decimal {
    let steps = (max / step).ceil().max(Decimal::ONE);
    steps * step
}

/// An axis label in euros: whole euros grouped ("€ 125.000"), cents only when needed.
pub fn euro_tick(value: Decimal) -> String {
    if value.fract().is_zero() {
        let whole = value.trunc().to_i128().unwrap_or(0);
        let text = crate::domain::money::group_thousands(whole.unsigned_abs());
        if whole < 0 {
            format!("-€ {text}")
        } else {
            format!("€ {text}")
        }
    } else {
        crate::domain::money::round_half_up(value).format_nl()
    }
}

fn f(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// In place of a chart without data (all values zero, or none): a sentence that says so,
/// rather than an empty plot with a lone axis.
fn empty_chart(title: &str) -> String {
    format!(
        "<p class=\"chart-empty\"><strong>{}</strong>: nog geen gegevens om te tonen. \
         Zodra er bestellingen of facturen zijn, verschijnt hier de grafiek.</p>",
        esc(title)
    )
}

fn open_svg(out: &mut String, id: &str, width: u32, height: u32, title: &str, desc: &str) {
    let id = esc(id);
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" \
         viewBox=\"0 0 {width} {height}\" width=\"{width}\" height=\"{height}\" \
         aria-labelledby=\"{id}-title {id}-desc\" font-family=\"system-ui, sans-serif\" font-size=\"13\">\
         <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>\
         <rect width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>",
        esc(title),
        esc(desc)
    );
}

/// The column chart as SVG.
pub fn column_chart(chart: &ColumnChart) -> String {
    let no_data = chart
        .series
        .iter()
        .flat_map(|s| s.values.iter())
        .all(|v| v.is_zero());
    if no_data {
        return empty_chart(&chart.title);
    }
    const WIDTH: u32 = 760;
    const HEIGHT: u32 = 380;
    let (left, right, top, bottom) = (96.0, 16.0, 24.0, 78.0);
    let plot_w = f64::from(WIDTH) - left - right;
    let plot_h = f64::from(HEIGHT) - top - bottom;
    let max = chart
        .series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .chain(chart.lines.iter().map(|l| l.value))
        .fold(Decimal::ZERO, Decimal::max);
    // Headroom, so a line at the largest value and its label stay clear of the top edge.
    let max = max * Decimal::new(108, 2);
    let step = nice_step(max, 5);
    let top_value = axis_top(max, step);
    let y = |v: Decimal| top + plot_h - plot_h * f(v) / f(top_value);
    let mut out = String::new();
    open_svg(
        &mut out,
        &chart.id,
        WIDTH,
        HEIGHT,
        &chart.title,
        &chart.desc,
    );
    // Grid and axis labels.
    let mut tick = Decimal::ZERO;
    while tick <= top_value {
        let ty = y(tick);
        let _ = write!(
            out,
            "<line x1=\"{left}\" x2=\"{:.1}\" y1=\"{ty:.1}\" y2=\"{ty:.1}\" stroke=\"{}\" stroke-width=\"1\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"{MUTED}\">{}</text>",
            left + plot_w,
            if tick.is_zero() { INK } else { GRID },
            left - 8.0,
            ty + 4.0,
            esc(&euro_tick(tick))
        );
        tick += step;
    }
    let n = chart.categories.len().max(1);
    let group_w = plot_w / n as f64;
    let bar_series: Vec<&Series> = chart
        .series
        .iter()
        .filter(|s| s.mark == Mark::Bars)
        .collect();
    let inner = group_w * 0.78;
    let bar_w = inner / bar_series.len().max(1) as f64;
    for (i, category) in chart.categories.iter().enumerate() {
        let gx = left + group_w * i as f64 + (group_w - inner) / 2.0;
        for (k, s) in bar_series.iter().enumerate() {
            let v = s.values.get(i).copied().unwrap_or_default();
            if v > Decimal::ZERO {
                let by = y(v);
                let _ = write!(
                    out,
                    "<rect x=\"{:.1}\" y=\"{by:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{}\"/>",
                    gx + bar_w * k as f64 + 1.0,
                    (bar_w - 2.0).max(1.0),
                    top + plot_h - by,
                    s.colour
                );
            }
        }
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{INK}\">{}</text>",
            left + group_w * (i as f64 + 0.5),
            top + plot_h + 18.0,
            esc(category)
        );
    }
    // Line series through the middle of each category.
    for s in chart.series.iter().filter(|s| s.mark == Mark::Line) {
        let points: Vec<(f64, f64)> = s
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| (left + group_w * (i as f64 + 0.5), y(*v)))
            .collect();
        let path: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{x:.1},{y:.1}"))
            .collect();
        let _ = write!(
            out,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>",
            path.join(" "),
            s.colour
        );
        for (x, y) in points {
            let _ = write!(
                out,
                "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3.5\" fill=\"{}\"/>",
                s.colour
            );
        }
    }
    // Reference lines, then their labels: the first at the right end, the next at the left;
    // a label goes below its line when another line runs just above it.
    let heights: Vec<f64> = chart.lines.iter().map(|l| y(l.value)).collect();
    for (l, ly) in chart.lines.iter().zip(&heights) {
        let _ = write!(
            out,
            "<line x1=\"{left}\" x2=\"{:.1}\" y1=\"{ly:.1}\" y2=\"{ly:.1}\" stroke=\"{}\" stroke-width=\"2.5\"{}/>",
            left + plot_w,
            l.colour,
            if l.dashed {
                " stroke-dasharray=\"8 5\""
            } else {
                ""
            },
        );
    }
    for (k, (l, ly)) in chart.lines.iter().zip(&heights).enumerate() {
        let crowded = heights
            .iter()
            .enumerate()
            .any(|(j, other)| j != k && *other < *ly && *ly - *other < 20.0);
        let label_y = if crowded { ly + 17.0 } else { ly - 6.0 };
        let (label_x, anchor) = if k % 2 == 0 {
            (left + plot_w - 4.0, "end")
        } else {
            (left + 4.0, "start")
        };
        let _ = write!(
            out,
            "<text x=\"{label_x:.1}\" y=\"{label_y:.1}\" text-anchor=\"{anchor}\" fill=\"{}\" font-weight=\"600\" \
             paint-order=\"stroke\" stroke=\"#ffffff\" stroke-width=\"4\">{}</text>",
            l.colour,
            esc(&l.label)
        );
    }
    legend(
        &mut out,
        (left, f64::from(WIDTH) - right),
        top + plot_h + 46.0,
        &chart
            .series
            .iter()
            .map(|s| (s.name.as_str(), s.colour, s.mark == Mark::Line, false))
            .chain(
                chart
                    .lines
                    .iter()
                    .map(|l| (l.name.as_str(), l.colour, true, l.dashed)),
            )
            .collect::<Vec<_>>(),
    );
    out.push_str("</svg>");
    out
}

/// A legend: a swatch (box for bars, line for lines) and the name of each item, from left to
/// right between `x_range`, wrapping to a second row when the first is full.
fn legend(out: &mut String, x_range: (f64, f64), y0: f64, items: &[(&str, &str, bool, bool)]) {
    let (x0, x_max) = x_range;
    let (mut x, mut y) = (x0, y0);
    for (name, colour, is_line, dashed) in items {
        let swatch = if *is_line { 28.0 } else { 20.0 };
        // Roughly 7.2 pixels per character at 13px.
        let width = swatch + 7.2 * name.chars().count() as f64;
        if x > x0 && x + width > x_max {
            x = x0;
            y += 20.0;
        }
        if *is_line {
            let _ = write!(
                out,
                "<line x1=\"{x:.1}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"{colour}\" stroke-width=\"2.5\"{}/>",
                x + 22.0,
                y - 4.0,
                y - 4.0,
                if *dashed { " stroke-dasharray=\"6 4\"" } else { "" }
            );
        } else {
            let _ = write!(
                out,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"14\" height=\"14\" fill=\"{colour}\"/>",
                y - 11.0
            );
        }
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{y:.1}\" fill=\"{INK}\">{}</text>",
            x + swatch,
            esc(name)
        );
        x += width + 24.0;
    }
}

/// Cuts a label to `max` characters with an ellipsis (the table has the full text).
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s = s.trim_end().to_string();
        s.push('…');
        s
    }
}

/// The horizontal bar list as SVG.
pub fn bar_list(chart: &BarList) -> String {
    if chart.rows.iter().all(|r| r.value.is_zero()) {
        return empty_chart(&chart.title);
    }
    const WIDTH: u32 = 760;
    const ROW: f64 = 30.0;
    let (label_w, value_w, top, bottom) = (290.0, 130.0, 12.0, 12.0);
    let height = (top + bottom + ROW * chart.rows.len().max(1) as f64).ceil() as u32;
    let plot_w = f64::from(WIDTH) - label_w - value_w;
    let max = chart
        .rows
        .iter()
        .map(|r| r.value)
        .fold(Decimal::ZERO, Decimal::max);
    let mut out = String::new();
    open_svg(
        &mut out,
        &chart.id,
        WIDTH,
        height,
        &chart.title,
        &chart.desc,
    );
    let _ = write!(
        out,
        "<line x1=\"{label_w}\" x2=\"{label_w}\" y1=\"{top}\" y2=\"{:.1}\" stroke=\"{INK}\" stroke-width=\"1\"/>",
        f64::from(height) - bottom
    );
    for (i, r) in chart.rows.iter().enumerate() {
        let ry = top + ROW * i as f64;
        let w = if max > Decimal::ZERO && r.value > Decimal::ZERO {
            (plot_w * f(r.value) / f(max)).max(1.5)
        } else {
            0.0
        };
        let _ = write!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"{INK}\">{}</text>\
             <rect x=\"{label_w}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"{}\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" fill=\"{INK}\">{}</text>",
            label_w - 8.0,
            ry + ROW / 2.0 + 4.5,
            esc(&shorten(&r.label, 38)),
            ry + 5.0,
            ROW - 10.0,
            chart.colour,
            label_w + w + 6.0,
            ry + ROW / 2.0 + 4.5,
            esc(&r.value_label)
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            esc("<a & \"b\" 'c'>"),
            "&lt;a &amp; &quot;b&quot; &#39;c&#39;&gt;"
        );
        let svg = bar_list(&BarList {
            id: "x".into(),
            title: "Titel <script>".into(),
            desc: "a & b".into(),
            colour: TEAL,
            rows: vec![BarRow {
                label: "Werk & <Fit>".into(),
                value: dec!(10),
                value_label: "€ 10,00".into(),
            }],
        });
        assert!(svg.contains("Titel &lt;script&gt;"));
        assert!(svg.contains("a &amp; b"));
        assert!(svg.contains("Werk &amp; &lt;Fit&gt;"));
        assert!(!svg.contains("<script>"));
    }

    #[test]
    fn steps_are_round() {
        assert_eq!(nice_step(dec!(120000), 5), dec!(25000));
        assert_eq!(nice_step(dec!(1500000), 5), dec!(500000));
        assert_eq!(nice_step(dec!(100), 5), dec!(20));
        assert_eq!(nice_step(dec!(7), 5), dec!(2));
        assert_eq!(nice_step(dec!(0), 5), dec!(1));
        assert_eq!(axis_top(dec!(120000), dec!(25000)), dec!(125000));
        assert_eq!(axis_top(dec!(0), dec!(1)), dec!(1));
        assert_eq!(euro_tick(dec!(125000)), "€ 125.000");
        assert_eq!(euro_tick(dec!(0)), "€ 0");
        assert_eq!(euro_tick(dec!(2.5)), "€ 2,50");
    }

    fn budget_chart() -> ColumnChart {
        ColumnChart {
            id: "budget".into(),
            title: "Budget 2025".into(),
            desc: "Vastgelegd en gefactureerd per maand.".into(),
            categories: vec!["jan".into(), "feb".into()],
            series: vec![
                Series {
                    name: "Vastgelegd".into(),
                    colour: TEAL,
                    mark: Mark::Bars,
                    values: vec![dec!(50), dec!(100)],
                },
                Series {
                    name: "Gefactureerd".into(),
                    colour: ORANGE,
                    mark: Mark::Bars,
                    values: vec![dec!(0), dec!(25)],
                },
            ],
            lines: vec![RefLine {
                name: "Budgetplafond".into(),
                label: "Budgetplafond € 200,00".into(),
                value: dec!(200),
                colour: INK,
                dashed: false,
            }],
        }
    }

    #[test]
    fn a_column_chart_is_an_image_with_a_text_alternative() {
        let svg = column_chart(&budget_chart());
        assert!(svg.starts_with("<svg "));
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains("role=\"img\""));
        assert!(svg.contains("aria-labelledby=\"budget-title budget-desc\""));
        assert!(svg.contains("<title id=\"budget-title\">Budget 2025</title>"));
        assert!(
            svg.contains("<desc id=\"budget-desc\">Vastgelegd en gefactureerd per maand.</desc>")
        );
        // Three bars (a zero draws nothing), the ceiling line, the month labels, the legend.
        assert_eq!(svg.matches(&format!("fill=\"{TEAL}\"/>")).count(), 2 + 1);
        assert_eq!(svg.matches(&format!("fill=\"{ORANGE}\"/>")).count(), 1 + 1);
        assert!(svg.contains(">jan</text>") && svg.contains(">feb</text>"));
        assert!(svg.contains(">Budgetplafond € 200,00</text>"));
        assert!(svg.contains(">Budgetplafond</text>"));
        assert!(svg.contains(">Vastgelegd</text>") && svg.contains(">Gefactureerd</text>"));
        // The axis runs to 250 in steps of 50, leaving room above the ceiling.
        assert!(svg.contains(">€ 250</text>") && svg.contains(">€ 50</text>"));
    }

    #[test]
    fn a_chart_without_data_says_so_instead_of_drawing_an_empty_plot() {
        let mut chart = budget_chart();
        for s in &mut chart.series {
            s.values.iter_mut().for_each(|v| *v = Decimal::ZERO);
        }
        let out = column_chart(&chart);
        assert!(!out.contains("<svg"), "{out}");
        assert!(
            out.contains("Budget 2025</strong>: nog geen gegevens"),
            "{out}"
        );
        let list = bar_list(&BarList {
            id: "p".into(),
            title: "Per <product>".into(),
            desc: String::new(),
            colour: TEAL,
            rows: Vec::new(),
        });
        assert!(
            list.contains("Per &lt;product&gt;</strong>: nog geen gegevens"),
            "{list}"
        );
    }

    #[test]
    fn bar_heights_are_proportional() {
        let svg = column_chart(&budget_chart());
        // The axis runs to 250 (200 plus headroom, in steps of 50); plot height
        // 380 - 24 - 78 = 278: 100 is 111.2 high, 50 is 55.6.
        assert!(svg.contains("height=\"111.2\" fill=\"#00567a\""), "{svg}");
        assert!(svg.contains("height=\"55.6\" fill=\"#00567a\""), "{svg}");
        let list = bar_list(&BarList {
            id: "p".into(),
            title: "t".into(),
            desc: "d".into(),
            colour: TEAL,
            rows: vec![
                BarRow {
                    label: "a".into(),
                    value: dec!(200),
                    value_label: "200".into(),
                },
                BarRow {
                    label: "b".into(),
                    value: dec!(50),
                    value_label: "50".into(),
                },
            ],
        });
        // Plot width 760 - 290 - 130 = 340: 200 → 340, 50 → 85.
        assert!(list.contains("width=\"340.0\""));
        assert!(list.contains("width=\"85.0\""));
    }

    #[test]
    fn a_long_legend_wraps_inside_the_chart() {
        let mut chart = budget_chart();
        chart.series[0].name = "Vastgelegd (cumulatief)".into();
        chart.series[1].name = "Gefactureerd (cumulatief)".into();
        chart.lines.push(RefLine {
            name: "Prognose jaareinde".into(),
            label: "Prognose jaareinde € 150,00".into(),
            value: dec!(150),
            colour: RED,
            dashed: true,
        });
        let svg = column_chart(&chart);
        // The first row sits at 302 + 46 = 348, the wrapped item on the next row, 368.
        assert!(svg.contains("y=\"348.0\" fill=\"#1a1a1a\">Vastgelegd (cumulatief)</text>"));
        assert!(
            svg.contains("y=\"368.0\" fill=\"#1a1a1a\">Prognose jaareinde</text>"),
            "{svg}"
        );
    }

    #[test]
    fn long_labels_are_shortened() {
        assert_eq!(shorten("kort", 10), "kort");
        assert_eq!(shorten("een heel lange naam", 10), "een heel…");
    }
}
