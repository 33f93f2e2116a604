//! The fields of a report as the form and the API name them, and the messages that say
//! what to fix in each: shared by intake and everything a report carries (its third-party
//! component), so none of them needs the others.

use std::collections::BTreeMap;

/// The fields of the clause 5.3.2 report template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Asset,
    Weakness,
    Severity,
    Title,
    Summary,
    StepsToReproduce,
    Impact,
    Mitigation,
    Attachments,
    ContactName,
    ContactEmail,
    ContactPgpKey,
    Credit,
    ThirdPartyComponent,
    ThirdPartyVersion,
    ThirdPartySupplier,
    KnownCves,
}

impl Field {
    /// The HTML form field name.
    pub fn form_name(self) -> &'static str {
        match self {
            Field::Asset => "asset",
            Field::Weakness => "weakness",
            Field::Severity => "severity",
            Field::Title => "title",
            Field::Summary => "summary",
            Field::StepsToReproduce => "steps_to_reproduce",
            Field::Impact => "impact",
            Field::Mitigation => "mitigation",
            Field::Attachments => "attachments",
            Field::ContactName => "contact_name",
            Field::ContactEmail => "contact_email",
            Field::ContactPgpKey => "contact_pgp_key",
            Field::Credit => "credit",
            Field::ThirdPartyComponent => "third_party_component",
            Field::ThirdPartyVersion => "third_party_version",
            Field::ThirdPartySupplier => "third_party_supplier",
            Field::KnownCves => "known_cves",
        }
    }

    /// The field's path in the JSON API body.
    pub fn json_path(self) -> &'static str {
        match self {
            Field::ContactName => "contact.name",
            Field::ContactEmail => "contact.email",
            Field::ContactPgpKey => "contact.pgp_key",
            Field::ThirdPartyComponent => "third_party.component",
            Field::ThirdPartyVersion => "third_party.version",
            Field::ThirdPartySupplier => "third_party.supplier",
            other => other.form_name(),
        }
    }
}

/// One message per refused field, in form order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<Field, String>);

impl FieldErrors {
    pub fn add(&mut self, field: Field, message: impl Into<String>) {
        self.0.entry(field).or_insert_with(|| message.into());
    }

    pub fn get(&self, field: Field) -> Option<&str> {
        self.0.get(&field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (Field, &str)> {
        self.0
            .iter()
            .map(|(field, message)| (*field, message.as_str()))
    }
}
