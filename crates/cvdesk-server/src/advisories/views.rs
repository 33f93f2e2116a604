//! What the advisory pages show: the clause 5.5.4 text (Markdown made safe as messages
//! are), the vulnerabilities with scores, CVE IDs and versions, the acknowledgements the
//! finders agreed to, the dates, and each revision with a readable field-by-field diff.
//! The public page, the staff preview and the staff page share these views.

use askama::Template;
use cvdesk_domain::advisory::diff::{diff, Change, SegmentTag};
use cvdesk_domain::advisory::Revision;
use cvdesk_formats::cwe;

use super::service::Published;
use crate::markdown::to_safe_html;
use crate::views::{utc_minute, Layout};

pub struct VulnerabilityView {
    pub title: String,
    pub cwe: String,
    pub scores: Vec<String>,
    pub cves: Vec<String>,
    pub products: Vec<String>,
    pub remediation_html: Option<String>,
    pub workaround_html: Option<String>,
}

pub struct CreditView {
    pub name: String,
    pub organization: Option<String>,
    pub url: Option<String>,
    pub role: &'static str,
}

pub struct SegmentView {
    pub kind: &'static str,
    pub text: String,
}

pub struct ChangeView {
    pub field: String,
    pub segments: Vec<SegmentView>,
    pub before: Option<String>,
    pub after: Option<String>,
}

pub struct RevisionView {
    pub number: u32,
    pub date: String,
    pub date_display: String,
    pub summary: String,
    pub changes: Vec<ChangeView>,
}

/// One advisory as published (or as it would be, for a preview).
pub struct AdvisoryView {
    pub id: String,
    pub title: String,
    pub summary_html: String,
    pub description_html: String,
    pub impact_html: String,
    pub exploitability_html: Option<String>,
    pub remediation_html: String,
    pub tlp: &'static str,
    pub vulnerabilities: Vec<VulnerabilityView>,
    pub credits: Vec<CreditView>,
    pub first_published: String,
    pub first_published_display: String,
    pub latest: String,
    pub latest_display: String,
    pub version: u32,
    pub withdrawn: Option<String>,
    pub revisions: Vec<RevisionView>,
    pub csaf_url: String,
    pub osv_url: String,
    pub cve_urls: Vec<(String, String)>,
}

fn change_view(field: String, change: Change) -> ChangeView {
    let (segments, before, after) = match change {
        Change::Text { segments } => (
            segments
                .into_iter()
                .map(|segment| SegmentView {
                    kind: match segment.tag {
                        SegmentTag::Kept => "kept",
                        SegmentTag::Removed => "removed",
                        SegmentTag::Added => "added",
                    },
                    text: segment.text,
                })
                .collect(),
            None,
            None,
        ),
        Change::Value { before, after } => (Vec::new(), Some(before), Some(after)),
        Change::Added { value } => (Vec::new(), None, Some(value)),
        Change::Removed { value } => (Vec::new(), Some(value), None),
    };
    ChangeView {
        field,
        segments,
        before,
        after,
    }
}

fn revision_view(previous: Option<&Revision>, revision: &Revision) -> RevisionView {
    RevisionView {
        number: revision.number(),
        date: cvdesk_formats::timestamp::Timestamp::from(revision.date()).to_string(),
        date_display: utc_minute(revision.date()),
        summary: revision.summary().to_owned(),
        changes: previous
            .map(|previous| {
                diff(previous, revision)
                    .into_iter()
                    .map(|change| change_view(change.field, change.change))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

impl AdvisoryView {
    /// The view of the latest revision; `None` before the first publication.
    pub fn of(published: &Published, cve_urls: Vec<(String, String)>) -> Option<AdvisoryView> {
        let first = published.history.first()?;
        let latest = published.history.latest()?;
        let content = latest.content();
        let revisions = published.history.revisions();
        let mut views: Vec<RevisionView> = revisions
            .iter()
            .enumerate()
            .map(|(index, revision)| {
                revision_view(index.checked_sub(1).map(|i| &revisions[i]), revision)
            })
            .collect();
        views.reverse();
        let at = |t| cvdesk_formats::timestamp::Timestamp::from(t).to_string();
        Some(AdvisoryView {
            id: published.id.to_string(),
            title: content.title.clone(),
            summary_html: to_safe_html(&content.summary),
            description_html: to_safe_html(&content.description),
            impact_html: to_safe_html(&content.impact),
            exploitability_html: content.exploitability.as_deref().map(to_safe_html),
            remediation_html: to_safe_html(&content.remediation),
            tlp: content.tlp.as_str(),
            vulnerabilities: content
                .vulnerabilities
                .iter()
                .map(|vulnerability| VulnerabilityView {
                    title: vulnerability.title.clone().unwrap_or_else(|| {
                        cwe::lookup(vulnerability.cwe)
                            .map_or_else(|| vulnerability.cwe.to_string(), |w| w.name.to_owned())
                    }),
                    cwe: match cwe::lookup(vulnerability.cwe) {
                        Some(weakness) => format!("{} {}", weakness.id, weakness.name),
                        None => vulnerability.cwe.to_string(),
                    },
                    scores: vulnerability
                        .scores
                        .iter()
                        .map(|cvss| {
                            let scores = cvss.scores();
                            format!("{:.1} {} — {cvss}", scores.score, scores.severity)
                        })
                        .collect(),
                    cves: vulnerability.cves.iter().map(ToString::to_string).collect(),
                    products: vulnerability
                        .products
                        .iter()
                        .map(|product| {
                            let vendor = product
                                .vendor
                                .as_deref()
                                .map(|v| format!("{v} "))
                                .unwrap_or_default();
                            let affected: Vec<String> =
                                product.affected.iter().map(ToString::to_string).collect();
                            let mut text = format!(
                                "{vendor}{}: affected {}",
                                product.name,
                                affected.join("; ")
                            );
                            if !product.fixed.is_empty() {
                                text.push_str(&format!("; fixed in {}", product.fixed.join(", ")));
                            }
                            text
                        })
                        .collect(),
                    remediation_html: vulnerability.remediation.as_deref().map(to_safe_html),
                    workaround_html: vulnerability.workaround.as_deref().map(to_safe_html),
                })
                .collect(),
            credits: latest
                .credits()
                .iter()
                .map(|credit| CreditView {
                    name: credit.text.name.clone(),
                    organization: credit.text.organization.clone(),
                    url: credit.text.url.clone(),
                    role: credit.role.label(),
                })
                .collect(),
            first_published: at(first.date()),
            first_published_display: utc_minute(first.date()),
            latest: at(latest.date()),
            latest_display: utc_minute(latest.date()),
            version: latest.number(),
            withdrawn: published.withdrawn_at.map(utc_minute),
            revisions: views,
            osv_url: format!("{}/osv.json", published.urls.html),
            csaf_url: published.urls.csaf.clone(),
            cve_urls,
        })
    }
}

#[derive(Template)]
#[template(path = "advisories/page.html")]
pub struct AdvisoryPage {
    pub layout: Layout,
    pub advisory: AdvisoryView,
    /// Set on the staff preview: the page as it will look once published.
    pub preview: bool,
    /// Machine-readable files are linked only where the public can fetch them.
    pub public_files: bool,
}

pub struct ListedAdvisory {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub first_published: String,
    pub first_published_display: String,
    pub latest_display: String,
    pub version: u32,
    pub withdrawn: bool,
}

#[derive(Template)]
#[template(path = "advisories/list.html")]
pub struct AdvisoryListPage {
    pub layout: Layout,
    pub advisories: Vec<ListedAdvisory>,
}
