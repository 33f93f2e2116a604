//! The dashboard as tables: each panel's numbers with a caption and column headings, shown
//! beside its chart, downloadable as CSV, and the data the chart is drawn from.

use cvdesk_domain::insights::SlaClock;
use cvdesk_domain::root_cause::RootCause;

use super::service::{ClockDurations, Dashboard, Figures, Series};

/// One panel's numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Its name in addresses: `/staff/insights/tables/{slug}.csv`.
    pub slug: &'static str,
    pub caption: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub chart: Chart,
}

/// What the panel's chart draws.
#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    /// One bar per category, with an optional marker on each (the 90th percentile).
    Bars {
        y_label: &'static str,
        categories: Vec<String>,
        bars: Vec<f64>,
        markers: Option<Vec<Option<f64>>>,
    },
    /// One line per series over the weeks.
    Lines {
        y_label: &'static str,
        weeks: Vec<String>,
        series: Vec<(String, Vec<f64>)>,
    },
}

/// Every panel's slug, in page order.
pub const SLUGS: [&str; 11] = [
    "time-to-first-response",
    "time-to-triage",
    "time-to-remediation",
    "deadlines",
    "open-by-state",
    "open-by-severity",
    "arrivals",
    "weaknesses",
    "root-causes",
    "duplicates-and-spam",
    "credits",
];

fn hours(seconds: Option<f64>) -> String {
    seconds.map_or_else(|| "–".to_owned(), |s| format!("{:.1}", s / 3600.0))
}

fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "–".to_owned(), |s| format!("{:.1}", s * 100.0))
}

fn rating_label(rating: Option<&str>) -> String {
    match rating {
        Some("none") => "None (0.0)".to_owned(),
        Some(rating) => {
            let mut letters = rating.chars();
            letters
                .next()
                .map(|first| first.to_uppercase().chain(letters).collect())
                .unwrap_or_default()
        }
        None => "Unscored".to_owned(),
    }
}

fn source_label(source: &str) -> String {
    source
        .parse::<cvdesk_domain::report_source::ReportSource>()
        .map_or_else(|_| source.to_owned(), |s| s.label().to_owned())
}

fn state_label(state: &str) -> String {
    match state {
        "new" => "New",
        "triaged" => "Triaged",
        "assigned" => "Assigned",
        other => other,
    }
    .to_owned()
}

fn clock_slug(clock: SlaClock) -> &'static str {
    match clock {
        SlaClock::FirstResponse => "time-to-first-response",
        SlaClock::Triage => "time-to-triage",
        SlaClock::Remediation => "time-to-remediation",
    }
}

impl Dashboard {
    /// Every panel, in page order.
    pub fn tables(&self) -> Vec<Table> {
        let mut tables: Vec<Table> = self
            .durations
            .iter()
            .map(|d| self.durations_table(d))
            .collect();
        tables.push(self.deadlines_table());
        tables.push(self.weekly_table(
            "open-by-state",
            "Open reports at the end of each week, by state",
            &self.open_by_state,
            state_label,
            "open reports",
        ));
        tables.push(self.weekly_table(
            "open-by-severity",
            "Open reports at the end of each week, by severity",
            &self.open_by_rating,
            |name| rating_label(Some(name).filter(|n| *n != "unscored")),
            "open reports",
        ));
        tables.push(self.weekly_table(
            "arrivals",
            "Reports received each week, by source",
            &self.arrivals_by_source,
            source_label,
            "reports received",
        ));
        tables.push(
            self.counts_table(
                "weaknesses",
                "Most frequent weaknesses (CWE)",
                "Weakness",
                self.weaknesses
                    .iter()
                    .map(|c| (c.name.clone().unwrap_or_default(), c.count))
                    .collect(),
            ),
        );
        tables.push(
            self.counts_table(
                "root-causes",
                "Root causes",
                "Root cause",
                self.root_causes
                    .iter()
                    .map(|c| {
                        let label = c
                            .name
                            .as_deref()
                            .and_then(|name| name.parse::<RootCause>().ok())
                            .map_or_else(
                                || "Not recorded".to_owned(),
                                |cause| cause.label().to_owned(),
                            );
                        (label, c.count)
                    })
                    .collect(),
            ),
        );
        tables.push(self.outcomes_table());
        tables.push(self.credits_table());
        tables
    }

    /// The panel called `slug`, if there is one.
    pub fn table(&self, slug: &str) -> Option<Table> {
        self.tables().into_iter().find(|table| table.slug == slug)
    }

    fn group_label(&self, figures: &Figures, by_product: bool) -> String {
        match (&figures.group, by_product) {
            (Some(id), true) => id
                .parse::<i64>()
                .ok()
                .and_then(|id| self.product_names.get(&id).cloned())
                .unwrap_or_else(|| format!("Product {id}")),
            (None, true) => "No product".to_owned(),
            (group, false) => rating_label(group.as_deref()),
        }
    }

    fn durations_table(&self, durations: &ClockDurations) -> Table {
        let row = |label: String, f: &Figures| {
            vec![
                label,
                f.count.to_string(),
                hours(f.median_seconds),
                hours(f.p90_seconds),
            ]
        };
        let mut rows = vec![row("All reports".to_owned(), &durations.overall)];
        for figures in &durations.by_rating {
            rows.push(row(
                format!("Severity {}", self.group_label(figures, false)),
                figures,
            ));
        }
        for figures in &durations.by_product {
            rows.push(row(self.group_label(figures, true), figures));
        }
        let mut categories = vec!["All".to_owned()];
        let mut bars = vec![durations.overall.median_seconds.unwrap_or(0.0) / 3600.0];
        let mut markers = vec![durations.overall.p90_seconds.map(|s| s / 3600.0)];
        for figures in &durations.by_rating {
            categories.push(self.group_label(figures, false));
            bars.push(figures.median_seconds.unwrap_or(0.0) / 3600.0);
            markers.push(figures.p90_seconds.map(|s| s / 3600.0));
        }
        Table {
            slug: clock_slug(durations.clock),
            caption: format!(
                "Time from receipt to {}, in hours: median and 90th percentile",
                durations.clock.label()
            ),
            headers: [
                "Reports of",
                "Reports",
                "Median (hours)",
                "90th percentile (hours)",
            ]
            .map(str::to_owned)
            .to_vec(),
            rows,
            chart: Chart::Bars {
                y_label: "hours (bar: median, dot: 90th percentile)",
                categories,
                bars,
                markers: Some(markers),
            },
        }
    }

    fn deadlines_table(&self) -> Table {
        let rows = self
            .compliance
            .iter()
            .map(|c| {
                vec![
                    c.clock.label().to_owned(),
                    c.counts.met.to_string(),
                    c.counts.missed.to_string(),
                    c.counts.overdue.to_string(),
                    c.counts.running.to_string(),
                    percent(c.share),
                ]
            })
            .collect();
        Table {
            slug: "deadlines",
            caption:
                "Deadlines met: the share of decided clocks (met, missed, overdue) that were met"
                    .to_owned(),
            headers: [
                "Deadline",
                "Met",
                "Missed",
                "Overdue",
                "Still running",
                "Met (%)",
            ]
            .map(str::to_owned)
            .to_vec(),
            rows,
            chart: Chart::Bars {
                y_label: "% met",
                categories: self
                    .compliance
                    .iter()
                    .map(|c| c.clock.label().to_owned())
                    .collect(),
                bars: self
                    .compliance
                    .iter()
                    .map(|c| c.share.unwrap_or(0.0) * 100.0)
                    .collect(),
                markers: None,
            },
        }
    }

    fn weekly_table(
        &self,
        slug: &'static str,
        caption: &str,
        series: &[Series],
        label: impl Fn(&str) -> String,
        y_label: &'static str,
    ) -> Table {
        let weeks: Vec<String> = self.week_ends.iter().map(ToString::to_string).collect();
        let mut headers = vec!["Week ending".to_owned()];
        headers.extend(series.iter().map(|s| label(&s.name)));
        let rows = weeks
            .iter()
            .enumerate()
            .map(|(week, end)| {
                let mut row = vec![end.clone()];
                row.extend(
                    series
                        .iter()
                        .map(|s| s.values.get(week).copied().unwrap_or(0).to_string()),
                );
                row
            })
            .collect();
        Table {
            slug,
            caption: caption.to_owned(),
            headers,
            rows,
            chart: Chart::Lines {
                y_label,
                weeks,
                series: series
                    .iter()
                    .map(|s| (label(&s.name), s.values.iter().map(|&v| v as f64).collect()))
                    .collect(),
            },
        }
    }

    fn counts_table(
        &self,
        slug: &'static str,
        caption: &str,
        heading: &str,
        counts: Vec<(String, u64)>,
    ) -> Table {
        Table {
            slug,
            caption: caption.to_owned(),
            headers: vec![heading.to_owned(), "Reports".to_owned()],
            rows: counts
                .iter()
                .map(|(name, count)| vec![name.clone(), count.to_string()])
                .collect(),
            chart: Chart::Bars {
                y_label: "reports",
                categories: counts.iter().map(|(name, _)| name.clone()).collect(),
                bars: counts.iter().map(|&(_, count)| count as f64).collect(),
                markers: None,
            },
        }
    }

    fn outcomes_table(&self) -> Table {
        let o = &self.outcomes;
        Table {
            slug: "duplicates-and-spam",
            caption: "Duplicates and spam among the reports received".to_owned(),
            headers: ["Reports", "Count", "Share (%)"]
                .map(str::to_owned)
                .to_vec(),
            rows: vec![
                vec![
                    "Received".to_owned(),
                    o.received.to_string(),
                    percent(Some(1.0).filter(|_| o.received > 0)),
                ],
                vec![
                    "Duplicates".to_owned(),
                    o.duplicates.to_string(),
                    percent(o.duplicate_share),
                ],
                vec!["Spam".to_owned(), o.spam.to_string(), percent(o.spam_share)],
            ],
            chart: Chart::Bars {
                y_label: "% of reports received",
                categories: vec!["Duplicates".to_owned(), "Spam".to_owned()],
                bars: vec![
                    o.duplicate_share.unwrap_or(0.0) * 100.0,
                    o.spam_share.unwrap_or(0.0) * 100.0,
                ],
                markers: None,
            },
        }
    }

    fn credits_table(&self) -> Table {
        let c = &self.credits;
        let answers = [
            ("Awaiting an answer", c.proposed),
            ("Accepted", c.accepted),
            ("Declined", c.declined),
            ("Withdrawn", c.withdrawn),
        ];
        let mut rows: Vec<Vec<String>> = answers
            .iter()
            .map(|(name, count)| vec![(*name).to_owned(), count.to_string()])
            .collect();
        rows.push(vec![
            "Accepted among answers (%)".to_owned(),
            percent(c.acceptance),
        ]);
        Table {
            slug: "credits",
            caption: "Finders' answers to the credits proposed to them".to_owned(),
            headers: vec!["Answer".to_owned(), "Credits".to_owned()],
            rows,
            chart: Chart::Bars {
                y_label: "credits",
                categories: answers.iter().map(|(name, _)| (*name).to_owned()).collect(),
                bars: answers.iter().map(|&(_, count)| count as f64).collect(),
                markers: None,
            },
        }
    }
}

/// The table as CSV (RFC 4180), with cells that a spreadsheet would run as a formula
/// made harmless by a leading apostrophe.
pub fn csv(table: &Table) -> String {
    let cell = |text: &str| {
        let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            format!("'{text}")
        } else {
            text.to_owned()
        };
        if text.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text
        }
    };
    let mut out = String::new();
    for row in std::iter::once(&table.headers).chain(&table.rows) {
        let cells: Vec<String> = row.iter().map(|text| cell(text)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_cells() {
        let table = Table {
            slug: "weaknesses",
            caption: String::new(),
            headers: vec!["Name".into(), "Reports".into()],
            rows: vec![
                vec!["Shop, \"EU\"".into(), "3".into()],
                vec!["=HYPERLINK(\"x\")".into(), "1".into()],
            ],
            chart: Chart::Bars {
                y_label: "",
                categories: Vec::new(),
                bars: Vec::new(),
                markers: None,
            },
        };
        assert_eq!(
            csv(&table),
            "Name,Reports\r\n\"Shop, \"\"EU\"\"\",3\r\n\"'=HYPERLINK(\"\"x\"\")\",1\r\n"
        );
    }

    #[test]
    fn durations_read_in_hours() {
        assert_eq!(hours(Some(5400.0)), "1.5");
        assert_eq!(hours(None), "–");
        assert_eq!(percent(Some(2.0 / 3.0)), "66.7");
        assert_eq!(rating_label(Some("critical")), "Critical");
        assert_eq!(rating_label(None), "Unscored");
    }
}
