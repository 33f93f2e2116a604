//! Atom 1.0 feeds (RFC 4287), written with quick-xml so every text and attribute is
//! escaped by the XML writer rather than by hand.

use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;

use crate::timestamp::Timestamp;

const ATOM_NAMESPACE: &str = "http://www.w3.org/2005/Atom";

/// A feed. RFC 4287 requires an author on the feed or on every entry; the feed always
/// has one here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    /// A permanent IRI, e.g. the feed's own URL.
    pub id: String,
    pub title: String,
    pub updated: Timestamp,
    /// The feed's own URL (`rel="self"`).
    pub self_link: String,
    /// The web page the feed mirrors (`rel="alternate"`).
    pub alternate_link: Option<String>,
    pub author: Person,
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub id: String,
    pub title: String,
    pub updated: Timestamp,
    pub published: Option<Timestamp>,
    /// The entry's web page (`rel="alternate"`, `type="text/html"`).
    pub link: String,
    pub summary: Option<String>,
    pub author: Option<Person>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub uri: Option<String>,
}

#[derive(Debug, thiserror::Error)]
#[error("could not write the Atom feed: {0}")]
pub struct AtomError(#[from] std::io::Error);

impl Feed {
    /// The feed as an XML document.
    pub fn to_xml(&self) -> Result<String, AtomError> {
        let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
        writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
        writer
            .create_element("feed")
            .with_attribute(("xmlns", ATOM_NAMESPACE))
            .write_inner_content(|writer| {
                text_element(writer, "id", &self.id)?;
                text_element(writer, "title", &self.title)?;
                text_element(writer, "updated", &self.updated.to_string())?;
                link(
                    writer,
                    "self",
                    Some("application/atom+xml"),
                    &self.self_link,
                )?;
                if let Some(alternate) = &self.alternate_link {
                    link(writer, "alternate", Some("text/html"), alternate)?;
                }
                person(writer, "author", &self.author)?;
                for entry in &self.entries {
                    write_entry(writer, entry)?;
                }
                Ok(())
            })?;
        // quick-xml writes only what it was given, which was valid UTF-8.
        Ok(String::from_utf8_lossy(&writer.into_inner()).into_owned())
    }
}

fn write_entry(writer: &mut Writer<Vec<u8>>, entry: &Entry) -> std::io::Result<()> {
    writer
        .create_element("entry")
        .write_inner_content(|writer| {
            text_element(writer, "id", &entry.id)?;
            text_element(writer, "title", &entry.title)?;
            text_element(writer, "updated", &entry.updated.to_string())?;
            if let Some(published) = entry.published {
                text_element(writer, "published", &published.to_string())?;
            }
            link(writer, "alternate", Some("text/html"), &entry.link)?;
            if let Some(summary) = &entry.summary {
                text_element(writer, "summary", summary)?;
            }
            if let Some(author) = &entry.author {
                person(writer, "author", author)?;
            }
            Ok(())
        })?;
    Ok(())
}

fn text_element(writer: &mut Writer<Vec<u8>>, name: &str, text: &str) -> std::io::Result<()> {
    writer
        .create_element(name)
        .write_text_content(BytesText::new(&xml_chars(text)))?;
    Ok(())
}

fn link(
    writer: &mut Writer<Vec<u8>>,
    rel: &str,
    media_type: Option<&str>,
    href: &str,
) -> std::io::Result<()> {
    let href = xml_chars(href);
    let mut element = writer.create_element("link").with_attribute(("rel", rel));
    if let Some(media_type) = media_type {
        element = element.with_attribute(("type", media_type));
    }
    element
        .with_attribute(("href", href.as_str()))
        .write_empty()?;
    Ok(())
}

fn person(writer: &mut Writer<Vec<u8>>, role: &str, person: &Person) -> std::io::Result<()> {
    writer.create_element(role).write_inner_content(|writer| {
        text_element(writer, "name", &person.name)?;
        if let Some(uri) = &person.uri {
            text_element(writer, "uri", uri)?;
        }
        Ok(())
    })?;
    Ok(())
}

/// XML 1.0 cannot carry most control characters even escaped; they are dropped so a
/// stray one in user-written text cannot make the whole feed unreadable.
fn xml_chars(text: &str) -> String {
    text.chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn feed(entries: Vec<Entry>) -> Feed {
        Feed {
            id: "https://example.com/advisories.atom".to_owned(),
            title: "Example Corp security advisories".to_owned(),
            updated: datetime!(2026-11-02 10:00 UTC).into(),
            self_link: "https://example.com/advisories.atom".to_owned(),
            alternate_link: Some("https://example.com/advisories".to_owned()),
            author: Person {
                name: "Example Corp PSIRT".to_owned(),
                uri: Some("https://example.com".to_owned()),
            },
            entries,
        }
    }

    #[test]
    fn writes_a_whole_feed() {
        let entry = Entry {
            id: "https://example.com/advisories/CVD-SA-2026-0001".to_owned(),
            title: "Portal: stored XSS <script> & more".to_owned(),
            updated: datetime!(2026-11-02 10:00 UTC).into(),
            published: Some(datetime!(2026-11-01 10:00 UTC).into()),
            link: "https://example.com/advisories/CVD-SA-2026-0001?a=1&b=2".to_owned(),
            summary: Some("Upgrade to 4.2.1.\u{1}".to_owned()),
            author: None,
        };
        let xml = feed(vec![entry]).to_xml().expect("writes");
        assert_eq!(
            xml,
            r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>https://example.com/advisories.atom</id>
  <title>Example Corp security advisories</title>
  <updated>2026-11-02T10:00:00.000Z</updated>
  <link rel="self" type="application/atom+xml" href="https://example.com/advisories.atom"/>
  <link rel="alternate" type="text/html" href="https://example.com/advisories"/>
  <author>
    <name>Example Corp PSIRT</name>
    <uri>https://example.com</uri>
  </author>
  <entry>
    <id>https://example.com/advisories/CVD-SA-2026-0001</id>
    <title>Portal: stored XSS &lt;script&gt; &amp; more</title>
    <updated>2026-11-02T10:00:00.000Z</updated>
    <published>2026-11-01T10:00:00.000Z</published>
    <link rel="alternate" type="text/html" href="https://example.com/advisories/CVD-SA-2026-0001?a=1&amp;b=2"/>
    <summary>Upgrade to 4.2.1.</summary>
  </entry>
</feed>"#
        );
    }

    #[test]
    fn reads_back_as_xml() {
        let xml = feed(vec![]).to_xml().expect("writes");
        let mut reader = quick_xml::Reader::from_str(&xml);
        let mut elements = Vec::new();
        loop {
            match reader.read_event().expect("well-formed") {
                Event::Eof => break,
                Event::Start(start) | Event::Empty(start) => {
                    elements.push(String::from_utf8_lossy(start.name().as_ref()).into_owned());
                }
                _ => {}
            }
        }
        assert_eq!(
            elements,
            ["feed", "id", "title", "updated", "link", "link", "author", "name", "uri"]
        );
    }
}
