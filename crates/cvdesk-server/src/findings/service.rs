//! Filing one finding: who may, for which product, and its one durable write.

use std::collections::BTreeMap;

use cvdesk_domain::access::{self, StaffAction};
use cvdesk_domain::finding::{Finding, ImportProblem};
use cvdesk_domain::staff::{Actor, ProductId};
use cvdesk_domain::Reference;
use cvdesk_store::{NewFindings, User};

use crate::auth::audit;
use crate::error::WebError;
use crate::random;
use crate::AppState;

/// Whether `actor` may file a finding about `product`: whoever may change its reports
/// (a member only for their teams' products, so a member names one).
pub fn may_file(actor: &Actor, product: Option<ProductId>) -> bool {
    access::check(actor, StaffAction::ChangeReport, product).is_allowed()
}

/// Stores one finding entered by `user` and returns its reference number. The product
/// must exist and be one the person may file for.
pub async fn create_finding(
    state: &AppState,
    user: &User,
    finding: Finding,
) -> Result<Reference, WebError> {
    let actor = user.actor();
    if let Some(product) = finding.product {
        let products = state.store.products().await?;
        if !products.iter().any(|known| known.id == product) {
            return Err(invalid_finding("product_id", "There is no such product."));
        }
    }
    if !may_file(&actor, finding.product) {
        return Err(WebError::Forbidden(match finding.product {
            Some(_) => "You may not file findings about this product.".to_owned(),
            None => "Name one of your teams' products for this finding.".to_owned(),
        }));
    }
    let source = finding.source;
    let token = random::tracking_token()?;
    let findings = [(finding, token.hash())];
    let outcome = state
        .store
        .store_findings(
            NewFindings {
                prefix: &state.settings.reference_prefix,
                received_at: state.clock.now(),
                findings: &findings,
            },
            &|outcome| {
                let subject = outcome.created.first().map(ToString::to_string);
                audit::event(
                    state,
                    Some(user),
                    "",
                    "finding.create",
                    subject.as_deref(),
                    format!("source {source}"),
                )
            },
        )
        .await?;
    outcome
        .created
        .into_iter()
        .next()
        .ok_or_else(|| WebError::Conflict("The finding was stored already.".to_owned()))
}

fn invalid_finding(field: &str, message: &str) -> WebError {
    WebError::Invalid {
        code: "invalid_finding",
        message: "The finding was not stored; each problem is named in fields.".to_owned(),
        fields: BTreeMap::from([(field.to_owned(), message.to_owned())]),
    }
}

/// An import's problems as one 422: `fields` maps each place (`row 3`,
/// `/runs/0/results/2`, `file` for the whole file) to what is wrong there.
pub fn import_refused(problems: &[ImportProblem]) -> WebError {
    let mut fields: BTreeMap<String, String> = BTreeMap::new();
    for problem in problems {
        let place = if problem.place.is_empty() {
            "file".to_owned()
        } else {
            problem.place.clone()
        };
        fields
            .entry(place)
            .and_modify(|said| {
                said.push_str("; ");
                said.push_str(&problem.message);
            })
            .or_insert_with(|| problem.message.clone());
    }
    WebError::Invalid {
        code: "invalid_import",
        message: format!(
            "Nothing was imported: {} problem{} in the file, each named in fields.",
            problems.len(),
            if problems.len() == 1 { "" } else { "s" }
        ),
        fields,
    }
}
