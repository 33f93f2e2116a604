//! Credits for the people who found, reported or helped fix a vulnerability, with the
//! finder's consent (ETSI clause 5.5.3: consult the finder on the text and on whether they
//! want to be named). A credit is proposed by staff; the finder accepts it, accepts it in
//! words of their own ("changed"), or declines; an accepted credit can later be withdrawn.
//! Only accepted and changed credits are ever published.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use url::Url;

use cvdesk_formats::cve_record::CreditType as CveCreditType;
use cvdesk_formats::osv::CreditType as OsvCreditType;

pub const NAME_MAX_CHARS: usize = 100;
pub const ORGANIZATION_MAX_CHARS: usize = 100;
pub const URL_MAX_CHARS: usize = 500;

/// The ten roles CVE, OSV and GitHub share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CreditRole {
    Finder,
    Reporter,
    Analyst,
    Coordinator,
    RemediationDeveloper,
    RemediationReviewer,
    RemediationVerifier,
    Tool,
    Sponsor,
    Other,
}

impl CreditRole {
    pub const ALL: [CreditRole; 10] = [
        CreditRole::Finder,
        CreditRole::Reporter,
        CreditRole::Analyst,
        CreditRole::Coordinator,
        CreditRole::RemediationDeveloper,
        CreditRole::RemediationReviewer,
        CreditRole::RemediationVerifier,
        CreditRole::Tool,
        CreditRole::Sponsor,
        CreditRole::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CreditRole::Finder => "finder",
            CreditRole::Reporter => "reporter",
            CreditRole::Analyst => "analyst",
            CreditRole::Coordinator => "coordinator",
            CreditRole::RemediationDeveloper => "remediation_developer",
            CreditRole::RemediationReviewer => "remediation_reviewer",
            CreditRole::RemediationVerifier => "remediation_verifier",
            CreditRole::Tool => "tool",
            CreditRole::Sponsor => "sponsor",
            CreditRole::Other => "other",
        }
    }

    /// The role in words, as CSAF's acknowledgment summary and the pages show it.
    pub fn label(self) -> &'static str {
        match self {
            CreditRole::Finder => "finder",
            CreditRole::Reporter => "reporter",
            CreditRole::Analyst => "analyst",
            CreditRole::Coordinator => "coordinator",
            CreditRole::RemediationDeveloper => "remediation developer",
            CreditRole::RemediationReviewer => "remediation reviewer",
            CreditRole::RemediationVerifier => "remediation verifier",
            CreditRole::Tool => "tool",
            CreditRole::Sponsor => "sponsor",
            CreditRole::Other => "other",
        }
    }

    pub fn parse(text: &str) -> Option<CreditRole> {
        CreditRole::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
    }

    pub fn cve(self) -> CveCreditType {
        match self {
            CreditRole::Finder => CveCreditType::Finder,
            CreditRole::Reporter => CveCreditType::Reporter,
            CreditRole::Analyst => CveCreditType::Analyst,
            CreditRole::Coordinator => CveCreditType::Coordinator,
            CreditRole::RemediationDeveloper => CveCreditType::RemediationDeveloper,
            CreditRole::RemediationReviewer => CveCreditType::RemediationReviewer,
            CreditRole::RemediationVerifier => CveCreditType::RemediationVerifier,
            CreditRole::Tool => CveCreditType::Tool,
            CreditRole::Sponsor => CveCreditType::Sponsor,
            CreditRole::Other => CveCreditType::Other,
        }
    }

    pub fn osv(self) -> OsvCreditType {
        match self {
            CreditRole::Finder => OsvCreditType::Finder,
            CreditRole::Reporter => OsvCreditType::Reporter,
            CreditRole::Analyst => OsvCreditType::Analyst,
            CreditRole::Coordinator => OsvCreditType::Coordinator,
            CreditRole::RemediationDeveloper => OsvCreditType::RemediationDeveloper,
            CreditRole::RemediationReviewer => OsvCreditType::RemediationReviewer,
            CreditRole::RemediationVerifier => OsvCreditType::RemediationVerifier,
            CreditRole::Tool => OsvCreditType::Tool,
            CreditRole::Sponsor => OsvCreditType::Sponsor,
            CreditRole::Other => OsvCreditType::Other,
        }
    }
}

/// Where the finder's consent stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Consent {
    /// Staff proposed the text; the finder has not answered.
    Proposed,
    /// The finder agreed to the proposed text.
    Accepted,
    /// The finder agreed, in words of their own.
    Changed,
    Declined,
    /// The finder took back an agreement; the credit leaves the next revision.
    Withdrawn,
}

impl Consent {
    pub fn as_str(self) -> &'static str {
        match self {
            Consent::Proposed => "proposed",
            Consent::Accepted => "accepted",
            Consent::Changed => "changed",
            Consent::Declined => "declined",
            Consent::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(text: &str) -> Option<Consent> {
        [
            Consent::Proposed,
            Consent::Accepted,
            Consent::Changed,
            Consent::Declined,
            Consent::Withdrawn,
        ]
        .into_iter()
        .find(|consent| consent.as_str() == text)
    }

    pub fn is_publishable(self) -> bool {
        matches!(self, Consent::Accepted | Consent::Changed)
    }
}

/// How the credit reads in public.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CreditText {
    /// A name or handle, as the finder wishes.
    pub name: String,
    pub organization: Option<String>,
    pub url: Option<String>,
}

/// A credit as typed in, before any rule is applied.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditTextInput {
    pub name: String,
    #[serde(default)]
    pub organization: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditError {
    #[error("name: {0}")]
    Name(String),
    #[error("organization: {0}")]
    Organization(String),
    #[error("url: {0}")]
    Url(String),
    #[error("a {from} credit cannot become {to}")]
    Transition {
        from: &'static str,
        to: &'static str,
    },
}

impl CreditText {
    /// Checks a credit's text: a name of at most 100 characters that is not an e-mail
    /// address (a hall of fame never shows one), an optional organization, and an optional
    /// http(s) link.
    pub fn parse(input: &CreditTextInput) -> Result<CreditText, CreditError> {
        let name = single_line(&input.name, NAME_MAX_CHARS)
            .map_err(CreditError::Name)?
            .ok_or_else(|| CreditError::Name("a credit needs a name".to_owned()))?;
        if looks_like_email(&name) {
            return Err(CreditError::Name(
                "an e-mail address is never published; give a name or handle".to_owned(),
            ));
        }
        let organization = match &input.organization {
            Some(text) => {
                single_line(text, ORGANIZATION_MAX_CHARS).map_err(CreditError::Organization)?
            }
            None => None,
        };
        let url = match input.url.as_deref().map(str::trim) {
            Some("") | None => None,
            Some(text) => Some(parse_link(text).map_err(CreditError::Url)?),
        };
        Ok(CreditText {
            name,
            organization,
            url,
        })
    }
}

fn single_line(text: &str, max: usize) -> Result<Option<String>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().any(char::is_control) {
        return Err("must be one line of text".to_owned());
    }
    if text.chars().count() > max {
        return Err(format!("at most {max} characters"));
    }
    Ok(Some(text.to_owned()))
}

fn looks_like_email(text: &str) -> bool {
    text.split_whitespace().any(|word| {
        word.split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
    })
}

/// An absolute http or https URL, as typed (after trimming).
pub(crate) fn parse_link(text: &str) -> Result<String, String> {
    if text.chars().count() > URL_MAX_CHARS {
        return Err(format!("at most {URL_MAX_CHARS} characters"));
    }
    match Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            Ok(url.to_string())
        }
        _ => Err(format!(
            "'{}' is not an http(s) link",
            text.chars().take(40).collect::<String>()
        )),
    }
}

/// A credit on an advisory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Credit {
    pub text: CreditText,
    pub role: CreditRole,
    pub consent: Consent,
    /// When the finder last answered; `None` while proposed.
    pub answered_at: Option<OffsetDateTime>,
}

impl Credit {
    pub fn propose(text: CreditText, role: CreditRole) -> Credit {
        Credit {
            text,
            role,
            consent: Consent::Proposed,
            answered_at: None,
        }
    }

    pub fn accept(&self, at: OffsetDateTime) -> Result<Credit, CreditError> {
        self.answer(Consent::Accepted, self.text.clone(), at)
    }

    /// The finder agrees to be named, in their own words.
    pub fn change(&self, text: CreditText, at: OffsetDateTime) -> Result<Credit, CreditError> {
        self.answer(Consent::Changed, text, at)
    }

    pub fn decline(&self, at: OffsetDateTime) -> Result<Credit, CreditError> {
        self.answer(Consent::Declined, self.text.clone(), at)
    }

    pub fn withdraw(&self, at: OffsetDateTime) -> Result<Credit, CreditError> {
        self.answer(Consent::Withdrawn, self.text.clone(), at)
    }

    fn answer(
        &self,
        to: Consent,
        text: CreditText,
        at: OffsetDateTime,
    ) -> Result<Credit, CreditError> {
        use Consent as C;
        let allowed = matches!(
            (self.consent, to),
            (C::Proposed, C::Accepted | C::Changed | C::Declined)
                | (C::Accepted | C::Changed, C::Changed | C::Withdrawn)
        );
        if !allowed {
            return Err(CreditError::Transition {
                from: self.consent.as_str(),
                to: to.as_str(),
            });
        }
        Ok(Credit {
            text,
            role: self.role,
            consent: to,
            answered_at: Some(at),
        })
    }
}

/// A credit as a revision publishes it: only consented credits ever become one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PublishedCredit {
    pub text: CreditText,
    pub role: CreditRole,
}

/// The credits that may be published, in the order given.
pub fn publishable(credits: &[Credit]) -> Vec<PublishedCredit> {
    credits
        .iter()
        .filter(|credit| credit.consent.is_publishable())
        .map(|credit| PublishedCredit {
            text: credit.text.clone(),
            role: credit.role,
        })
        .collect()
}

impl PublishedCredit {
    /// "Name (Organization)", the one-line form CVE credits take.
    pub fn display(&self) -> String {
        match &self.text.organization {
            Some(organization) => format!("{} ({organization})", self.text.name),
            None => self.text.name.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn text(name: &str) -> CreditText {
        CreditText::parse(&CreditTextInput {
            name: name.to_owned(),
            ..CreditTextInput::default()
        })
        .expect("valid credit text")
    }

    const AT: OffsetDateTime = datetime!(2026-11-01 10:00 UTC);

    /// Every consent state against every answer.
    #[test]
    fn consent_table() {
        use Consent as C;
        let allowed = [
            (C::Proposed, C::Accepted),
            (C::Proposed, C::Changed),
            (C::Proposed, C::Declined),
            (C::Accepted, C::Changed),
            (C::Accepted, C::Withdrawn),
            (C::Changed, C::Changed),
            (C::Changed, C::Withdrawn),
        ];
        let states = [
            C::Proposed,
            C::Accepted,
            C::Changed,
            C::Declined,
            C::Withdrawn,
        ];
        for from in states {
            for to in [C::Accepted, C::Changed, C::Declined, C::Withdrawn] {
                let credit = Credit {
                    consent: from,
                    ..Credit::propose(text("Jane"), CreditRole::Finder)
                };
                let result = match to {
                    C::Accepted => credit.accept(AT),
                    C::Changed => credit.change(text("J. Finder"), AT),
                    C::Declined => credit.decline(AT),
                    _ => credit.withdraw(AT),
                };
                let expected = allowed.contains(&(from, to));
                assert_eq!(result.is_ok(), expected, "{from:?} -> {to:?}");
                if let Ok(answered) = result {
                    assert_eq!(answered.consent, to);
                    assert_eq!(answered.answered_at, Some(AT));
                }
            }
        }
    }

    #[test]
    fn only_consented_credits_are_published() {
        let proposed = Credit::propose(text("Proposed"), CreditRole::Finder);
        let accepted = Credit::propose(text("Accepted"), CreditRole::Reporter)
            .accept(AT)
            .expect("accepts");
        let changed = Credit::propose(text("Old"), CreditRole::Analyst)
            .change(text("New words"), AT)
            .expect("changes");
        let declined = Credit::propose(text("Declined"), CreditRole::Finder)
            .decline(AT)
            .expect("declines");
        let withdrawn = accepted.withdraw(AT).expect("withdraws");
        let published = publishable(&[proposed, accepted, changed, declined, withdrawn]);
        let names: Vec<&str> = published.iter().map(|c| c.text.name.as_str()).collect();
        assert_eq!(names, ["Accepted", "New words"]);
    }

    #[test]
    fn credit_text_rules() {
        let parse = |name: &str, organization: Option<&str>, url: Option<&str>| {
            CreditText::parse(&CreditTextInput {
                name: name.to_owned(),
                organization: organization.map(str::to_owned),
                url: url.map(str::to_owned),
            })
        };
        assert!(matches!(parse("  ", None, None), Err(CreditError::Name(_))));
        assert!(matches!(
            parse("jane@example.com", None, None),
            Err(CreditError::Name(_))
        ));
        assert!(parse("@jane", None, None).is_ok());
        assert!(matches!(
            parse(&"x".repeat(101), None, None),
            Err(CreditError::Name(_))
        ));
        assert!(matches!(
            parse("Jane", Some("A\nB"), None),
            Err(CreditError::Organization(_))
        ));
        assert!(matches!(
            parse("Jane", None, Some("javascript:alert(1)")),
            Err(CreditError::Url(_))
        ));
        let credit = parse(
            " Jane ",
            Some(" Example Research "),
            Some("https://example.org/jane"),
        )
        .expect("valid");
        assert_eq!(credit.name, "Jane");
        assert_eq!(credit.organization.as_deref(), Some("Example Research"));
        let published = PublishedCredit {
            text: credit,
            role: CreditRole::Finder,
        };
        assert_eq!(published.display(), "Jane (Example Research)");
    }

    #[test]
    fn roles_round_trip_and_map_to_the_formats() {
        for role in CreditRole::ALL {
            assert_eq!(CreditRole::parse(role.as_str()), Some(role));
        }
        for consent in [
            Consent::Proposed,
            Consent::Accepted,
            Consent::Changed,
            Consent::Declined,
            Consent::Withdrawn,
        ] {
            assert_eq!(Consent::parse(consent.as_str()), Some(consent));
        }
        let cve = serde_json::to_string(&CreditRole::RemediationDeveloper.cve()).expect("json");
        assert_eq!(cve, "\"remediation developer\"");
        let osv = serde_json::to_string(&CreditRole::RemediationDeveloper.osv()).expect("json");
        assert_eq!(osv, "\"REMEDIATION_DEVELOPER\"");
    }
}
