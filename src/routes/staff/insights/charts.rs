//! The Insights page's charts, laid out here and drawn by the template as SVG: horizontal bars
//! (one row a label, its bar and its value) and columns over time (one group of bars a period).
//! Every chart has a title and a description for assistive technology, and a data table beside it
//! on the page holds the same figures.

/// The width of every chart's view box; the page scales it to the column it sits in.
pub const WIDTH: u32 = 320;
const BAR_SPACE: f64 = 320.0;
const ROW: u32 = 38;

pub struct HBars {
    pub id: &'static str,
    pub title: String,
    pub desc: String,
    pub height: u32,
    pub rows: Vec<HBar>,
}

/// A row: its label on the left and its figure on the right, the bar under both.
pub struct HBar {
    pub label: String,
    pub label_y: u32,
    pub bar_y: u32,
    pub width: String,
    pub shown: String,
}

/// One row per `(label, value, shown)`, bars scaled to the largest value (or to `scale_to`).
pub fn hbars(
    id: &'static str,
    title: &str,
    desc: String,
    rows: &[(String, i64, String)],
    scale_to: Option<i64>,
) -> HBars {
    let max = scale_to
        .unwrap_or_else(|| rows.iter().map(|r| r.1).max().unwrap_or(0))
        .max(1);
    let rows: Vec<HBar> = rows
        .iter()
        .enumerate()
        .map(|(i, (label, value, shown))| {
            let top = i as u32 * ROW;
            let width = BAR_SPACE * (*value).max(0) as f64 / max as f64;
            HBar {
                label: label.clone(),
                label_y: top + 13,
                bar_y: top + 18,
                width: format!("{width:.1}"),
                shown: shown.clone(),
            }
        })
        .collect();
    HBars {
        id,
        title: title.to_owned(),
        desc,
        height: rows.len() as u32 * ROW + 4,
        rows,
    }
}

pub struct Columns {
    pub id: &'static str,
    pub title: String,
    pub desc: String,
    pub legend: Vec<Legend>,
    pub bars: Vec<Column>,
    pub ticks: Vec<Tick>,
    pub max: i64,
}

pub struct Legend {
    pub name: &'static str,
    pub class: &'static str,
}

pub struct Column {
    pub x: String,
    pub y: String,
    pub width: String,
    pub height: String,
    pub class: &'static str,
    pub tip: String,
}

pub struct Tick {
    pub x: String,
    pub anchor: &'static str,
    pub text: String,
}

const PLOT_LEFT: f64 = 36.0;
const PLOT_TOP: f64 = 12.0;
const PLOT_HEIGHT: f64 = 150.0;
const SERIES_CLASSES: [&str; 4] = ["s0", "s1", "s2", "s3"];

/// One group of columns per period (`labels`), one column per series.
pub fn columns(
    id: &'static str,
    title: &str,
    desc: String,
    labels: &[String],
    series: &[(&'static str, Vec<i64>)],
) -> Columns {
    let max = series
        .iter()
        .flat_map(|(_, values)| values.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1);
    let plot_width = f64::from(WIDTH) - PLOT_LEFT - 4.0;
    let group = plot_width / labels.len().max(1) as f64;
    let bar = (group * 0.8 / series.len().max(1) as f64).max(0.5);
    let mut bars = Vec::new();
    for (p, label) in labels.iter().enumerate() {
        for (s, (name, values)) in series.iter().enumerate() {
            let value = values.get(p).copied().unwrap_or(0).max(0);
            let height = PLOT_HEIGHT * value as f64 / max as f64;
            bars.push(Column {
                x: format!(
                    "{:.2}",
                    PLOT_LEFT + group * p as f64 + group * 0.1 + bar * s as f64
                ),
                y: format!("{:.2}", PLOT_TOP + PLOT_HEIGHT - height),
                width: format!("{bar:.2}"),
                height: format!("{height:.2}"),
                class: SERIES_CLASSES[s % SERIES_CLASSES.len()],
                tip: format!("{label}: {value} {name}"),
            });
        }
    }
    let tick = |p: usize, anchor| Tick {
        x: format!("{:.1}", PLOT_LEFT + group * p as f64 + group / 2.0),
        anchor,
        text: labels[p].clone(),
    };
    let ticks = match labels.len() {
        0 => Vec::new(),
        1 => vec![tick(0, "middle")],
        n => vec![tick(0, "start"), tick(n - 1, "end")],
    };
    Columns {
        id,
        title: title.to_owned(),
        desc,
        legend: series
            .iter()
            .enumerate()
            .map(|(s, (name, _))| Legend {
                name,
                class: SERIES_CLASSES[s % SERIES_CLASSES.len()],
            })
            .collect(),
        bars,
        ticks,
        max,
    }
}

/// `part` of `whole` as a percentage with one decimal, or a dash when there is no whole.
pub fn percent(part: i64, whole: i64) -> String {
    if whole <= 0 {
        "—".to_owned()
    } else {
        format!("{:.1}\u{a0}%", part as f64 * 100.0 / whole as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_value_and_columns_to_the_tallest() {
        let rows = [
            ("a".to_owned(), 10, "10".to_owned()),
            ("b".to_owned(), 5, "5".to_owned()),
        ];
        let chart = hbars("c", "t", String::new(), &rows, None);
        assert_eq!(chart.rows[0].width, "320.0");
        assert_eq!(chart.rows[1].width, "160.0");
        let cols = columns(
            "d",
            "t",
            String::new(),
            &["1 Dec".to_owned(), "2 Dec".to_owned()],
            &[("started", vec![4, 2]), ("active", vec![0, 1])],
        );
        assert_eq!(cols.bars.len(), 4);
        assert_eq!(cols.bars[0].height, "150.00");
        assert_eq!(cols.bars[3].height, "37.50");
        assert_eq!(cols.ticks.len(), 2);
        assert_eq!(percent(1, 3), "33.3\u{a0}%");
        assert_eq!(percent(1, 0), "—");
    }
}
