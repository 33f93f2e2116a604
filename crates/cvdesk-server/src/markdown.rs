//! Text people write to each other (messages on a report) as Markdown, made safe to show:
//! pulldown-cmark renders it, ammonia keeps only harmless tags and attributes, so a
//! message can never carry script, styles, images from elsewhere or forms.

use pulldown_cmark::{html, Options, Parser};

pub fn to_safe_html(text: &str) -> String {
    let mut rendered = String::new();
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    html::push_html(&mut rendered, Parser::new_ext(text, options));
    ammonia::Builder::default()
        // Images would load from other sites: the CSP forbids them anyway.
        .rm_tags(&["img"])
        .url_schemes(["https", "http", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&rendered)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::to_safe_html;

    #[test]
    fn markdown_is_rendered() {
        assert_eq!(
            to_safe_html("**Thanks!** See `q=1'`\n\n1. one\n2. two"),
            "<p><strong>Thanks!</strong> See <code>q=1'</code></p>\n<ol>\n<li>one</li>\n<li>two</li>\n</ol>\n"
        );
    }

    #[test]
    fn nothing_active_survives() {
        for attack in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[click](javascript:alert(1))",
            "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
            "<p style=\"background:url(https://evil.example)\">x</p>",
            "<form action=https://evil.example><input name=a></form>",
            "<iframe src=https://evil.example></iframe>",
        ] {
            let html = to_safe_html(attack);
            for banned in [
                "<script",
                "onerror",
                "javascript:",
                "data:",
                "style=",
                "<form",
                "<input",
                "<iframe",
                "<img",
            ] {
                assert!(!html.contains(banned), "{attack} -> {html}");
            }
        }
    }

    #[test]
    fn links_do_not_leak_or_endorse() {
        let html = to_safe_html("[advisory](https://example.org/a)");
        assert!(
            html.contains("rel=\"noopener noreferrer nofollow\""),
            "{html}"
        );
    }
}
