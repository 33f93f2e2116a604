//! The advisory as an entry of the desk's Atom feed.

use cvdesk_formats::atom::Entry;

use super::{ExportError, Publication};

/// The feed entry: the page's URL as its id, updated with each revision (and on
/// withdrawal), the summary as the entry's summary.
pub fn atom_entry(publication: &Publication) -> Result<Entry, ExportError> {
    let (first, latest) = publication.first_and_latest()?;
    let content = latest.content();
    let mut updated = latest.date();
    let mut title = format!("{}: {}", publication.id, content.title);
    if let Some(withdrawn_at) = publication.withdrawn_at {
        updated = updated.max(withdrawn_at);
        title.push_str(" (withdrawn)");
    }
    Ok(Entry {
        id: publication.urls.html.clone(),
        title,
        updated: updated.into(),
        published: Some(first.date().into()),
        link: publication.urls.html.clone(),
        summary: Some(content.summary.clone()),
        author: None,
    })
}
