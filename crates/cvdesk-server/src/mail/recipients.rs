//! Who on staff hears about a report: the team owning the report's product, when the team
//! gave addresses for its notices, and otherwise the desk's global staff recipients.
//! Team addresses are checked when they are set, with the same rule as the global ones.

use cvdesk_domain::staff::ProductId;
use cvdesk_store::{StoreError, Team};
use lettre::Address;

use crate::AppState;

/// An address a team's notices cannot go to.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an e-mail address such as security@example.org")]
pub struct InvalidRecipient(pub String);

/// Addresses as typed, trimmed and checked; blank entries are skipped and a repeated one
/// counts once.
pub fn parse_recipients(texts: &[String]) -> Result<Vec<Address>, InvalidRecipient> {
    let mut addresses: Vec<Address> = Vec::with_capacity(texts.len());
    for text in texts.iter().map(|text| text.trim()) {
        if text.is_empty() {
            continue;
        }
        let address = text
            .parse::<Address>()
            .map_err(|_| InvalidRecipient(text.to_owned()))?;
        if !addresses.contains(&address) {
            addresses.push(address);
        }
    }
    Ok(addresses)
}

/// The staff addresses for a report whose product belongs to `team`.
pub fn team_or_global(team: Option<&Team>, global: &[Address]) -> Vec<Address> {
    let own: Vec<Address> = team
        .map(|team| {
            team.recipients
                .iter()
                .filter_map(|text| match text.parse::<Address>() {
                    Ok(address) => Some(address),
                    Err(_) => {
                        tracing::warn!(team = %team.name, "a stored team address cannot be mailed to; skipped");
                        None
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    if own.is_empty() {
        global.to_vec()
    } else {
        own
    }
}

/// The staff addresses for a report about `product`.
pub async fn staff_recipients(
    state: &AppState,
    product: Option<ProductId>,
) -> Result<Vec<Address>, StoreError> {
    let global = state.mailer.staff_recipients();
    let Some(product) = product else {
        return Ok(global.to_vec());
    };
    let team = state.store.product(product).await?.and_then(|p| p.team);
    Ok(team_or_global(team.as_ref(), global))
}

#[cfg(test)]
mod tests {
    use cvdesk_domain::staff::TeamId;

    use super::*;

    fn addresses(texts: &[&str]) -> Vec<Address> {
        texts.iter().map(|t| t.parse().expect("address")).collect()
    }

    fn team(recipients: &[&str]) -> Team {
        Team {
            id: TeamId(1),
            name: "Payments".into(),
            recipients: recipients.iter().map(|r| (*r).to_owned()).collect(),
        }
    }

    #[test]
    fn a_team_with_addresses_hears_instead_of_the_global_list() {
        let global = addresses(&["triage@example.org"]);
        assert_eq!(
            team_or_global(
                Some(&team(&["pay@example.org", "oncall@example.org"])),
                &global
            ),
            addresses(&["pay@example.org", "oncall@example.org"])
        );
        assert_eq!(team_or_global(Some(&team(&[])), &global), global);
        assert_eq!(team_or_global(None, &global), global);
        assert_eq!(
            team_or_global(Some(&team(&["not an address"])), &global),
            global
        );
    }

    #[test]
    fn typed_addresses_are_checked_trimmed_and_counted_once() {
        let typed = |texts: &[&str]| {
            parse_recipients(&texts.iter().map(|t| (*t).to_owned()).collect::<Vec<_>>())
        };
        assert_eq!(
            typed(&[
                " pay@example.org",
                "",
                "pay@example.org",
                "oncall@example.org "
            ]),
            Ok(addresses(&["pay@example.org", "oncall@example.org"]))
        );
        let refused = typed(&["pay@example.org", "pay at example"]).expect_err("refused");
        assert_eq!(
            refused.to_string(),
            "'pay at example' is not an e-mail address such as security@example.org"
        );
    }
}
