//! Where mail goes: `CVDESK_SMTP_URL` parsed into a typed address, and the SMTP transport
//! built from it.
//!
//! - `smtp://host[:port]` — no encryption (port 25 by default), for a relay on the same
//!   machine or network; a password is refused here unless the host is loopback.
//! - `smtp+starttls://[user:password@]host[:port]` — STARTTLS required (port 587).
//! - `smtps://[user:password@]host[:port]` — TLS from the first byte (port 465).
//!
//! Certificates are checked against the system's trust store. User name and password are
//! percent-decoded, so `%40` stands for `@`.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use cvdesk_formats::redaction::redact_url;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use url::{Host, Url};

/// How long one SMTP step (connecting, each command) may take before the attempt fails.
const TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    Plain,
    StartTls,
    Tls,
}

/// A parsed `CVDESK_SMTP_URL`. Its `Debug` and `Display` never show the password.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl {
    security: Security,
    host: String,
    port: u16,
    credentials: Option<(String, String)>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SmtpUrlError {
    #[error(
        "'{0}' is not a URL such as smtp://127.0.0.1:25, smtp+starttls://user:password@mail.example.org \
         or smtps://user:password@mail.example.org"
    )]
    NotAUrl(String),
    #[error(
        "the scheme '{0}' is not one of smtp (no encryption), smtp+starttls (STARTTLS \
         required) or smtps (TLS from the start)"
    )]
    Scheme(String),
    #[error("the URL names no mail server host")]
    NoHost,
    #[error(
        "the URL must not have a path, query or fragment ('{0}'); TLS is chosen by the scheme"
    )]
    Extra(String),
    #[error("the user name '{0}' has no password (write user:password@host)")]
    PasswordMissing(String),
    #[error("a password needs a user name (write user:password@host)")]
    UserMissing,
    #[error("the user name or password is not valid percent-encoded UTF-8")]
    Encoding,
    #[error(
        "smtp:// would send the password unencrypted to {0}; use smtp+starttls:// or smtps:// \
         (plain smtp:// takes a password only for a loopback relay)"
    )]
    PasswordInClear(String),
}

impl SmtpUrl {
    pub fn parse(text: &str) -> Result<Self, SmtpUrlError> {
        let url = Url::parse(text.trim()).map_err(|_| SmtpUrlError::NotAUrl(redact_url(text)))?;
        let (security, default_port) = match url.scheme() {
            "smtp" => (Security::Plain, 25),
            "smtp+starttls" => (Security::StartTls, 587),
            "smtps" => (Security::Tls, 465),
            other => return Err(SmtpUrlError::Scheme(other.to_owned())),
        };
        let host = match url.host() {
            None => return Err(SmtpUrlError::NoHost),
            Some(Host::Domain("")) => return Err(SmtpUrlError::NoHost),
            Some(Host::Domain(name)) => name.to_owned(),
            Some(Host::Ipv4(address)) => address.to_string(),
            Some(Host::Ipv6(address)) => address.to_string(),
        };
        let path = url.path();
        if !(path.is_empty() || path == "/") || url.query().is_some() || url.fragment().is_some() {
            let extra = &url[url::Position::BeforePath..];
            return Err(SmtpUrlError::Extra(redact_url(extra)));
        }
        let decode = |part: &str| {
            percent_encoding::percent_decode_str(part)
                .decode_utf8()
                .map(|text| text.into_owned())
                .map_err(|_| SmtpUrlError::Encoding)
        };
        let credentials = match (url.username(), url.password()) {
            ("", None) => None,
            ("", Some(_)) => return Err(SmtpUrlError::UserMissing),
            (user, None) => return Err(SmtpUrlError::PasswordMissing(decode(user)?)),
            (user, Some(password)) => Some((decode(user)?, decode(password)?)),
        };
        if security == Security::Plain && credentials.is_some() && !is_loopback(&host) {
            return Err(SmtpUrlError::PasswordInClear(host));
        }
        Ok(SmtpUrl {
            security,
            host,
            port: url.port().unwrap_or(default_port),
            credentials,
        })
    }

    /// The transport that sends through this server; it connects on each send.
    pub fn transport(
        &self,
    ) -> Result<AsyncSmtpTransport<Tokio1Executor>, lettre::transport::smtp::Error> {
        let builder = match self.security {
            Security::Plain => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&self.host),
            Security::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&self.host)?,
            Security::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&self.host)?,
        };
        let builder = builder.port(self.port).timeout(Some(TIMEOUT));
        let builder = match &self.credentials {
            Some((user, password)) => {
                builder.credentials(Credentials::new(user.clone(), password.clone()))
            }
            None => builder,
        };
        Ok(builder.build())
    }
}

impl fmt::Display for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.security {
            Security::Plain => "smtp",
            Security::StartTls => "smtp+starttls",
            Security::Tls => "smtps",
        };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        match &self.credentials {
            Some((user, _)) => write!(f, "{scheme}://{user}:***@{host}:{}", self.port),
            None => write!(f, "{scheme}://{host}:{}", self.port),
        }
    }
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SmtpUrl({self})")
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<IpAddr>()
            .is_ok_and(|address| address.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> SmtpUrl {
        SmtpUrl::parse(text).unwrap_or_else(|error| panic!("{text}: {error}"))
    }

    #[test]
    fn schemes_choose_encryption_and_default_ports() {
        let plain = parsed("smtp://127.0.0.1:2525");
        assert_eq!((plain.security, plain.port), (Security::Plain, 2525));
        assert_eq!(parsed("smtp://relay.internal").port, 25);
        let starttls = parsed("smtp+starttls://mail.example.org");
        assert_eq!(
            (starttls.security, starttls.port),
            (Security::StartTls, 587)
        );
        let tls = parsed("smtps://user:pass@mail.example.org/");
        assert_eq!((tls.security, tls.port), (Security::Tls, 465));
        assert_eq!(tls.credentials, Some(("user".into(), "pass".into())));
        assert_eq!(parsed("smtp://[::1]:25").host, "::1");
    }

    #[test]
    fn credentials_are_percent_decoded_and_never_shown() {
        let url = parsed("smtps://desk%40example.org:p%3Ass%2Fword@mail.example.org:4650");
        assert_eq!(
            url.credentials,
            Some(("desk@example.org".into(), "p:ss/word".into()))
        );
        let shown = format!("{url} {url:?}");
        assert!(!shown.contains("p:ss"), "{shown}");
        assert!(shown.contains("smtps://desk@example.org:***@mail.example.org:4650"));
    }

    #[test]
    fn bad_urls_say_what_is_wrong() {
        let cases = [
            ("mail.example.org", "is not a URL"),
            ("http://mail.example.org", "scheme 'http'"),
            ("smtp://", "no mail server host"),
            (
                "smtp://mail.example.org/?tls=required",
                "TLS is chosen by the scheme",
            ),
            (
                "smtps://mail.example.org/?password=secret",
                "TLS is chosen by the scheme",
            ),
            ("mail.example.org?password=secret", "is not a URL"),
            ("user:secret@mail.example.org", "the scheme 'user'"),
            ("smtps://user@mail.example.org", "has no password"),
            ("smtps://:secret@mail.example.org", "needs a user name"),
            (
                "smtp://user:secret@mail.example.org",
                "unencrypted to mail.example.org",
            ),
        ];
        for (text, expected) in cases {
            let message = SmtpUrl::parse(text).expect_err(text).to_string();
            assert!(message.contains(expected), "{text}: {message}");
            assert!(!message.contains("secret"), "{text}: {message}");
        }
        assert!(SmtpUrl::parse("smtp://user:secret@localhost:25").is_ok());
        let hidden = SmtpUrl::parse("smtp ://user:secret@host").expect_err("no url");
        assert!(!hidden.to_string().contains("secret"), "{hidden}");
    }

    #[test]
    fn transports_build_for_every_scheme() {
        for text in [
            "smtp://127.0.0.1:2525",
            "smtp+starttls://user:pass@mail.example.org",
            "smtps://mail.example.org",
        ] {
            assert!(parsed(text).transport().is_ok(), "{text}");
        }
    }
}
