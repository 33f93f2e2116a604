//! TLP 2.0 as coordination applies it: every shared item, page and mail carries the label
//! of the participant's share (in FIRST's exact spelling, in mail subjects too), and the
//! label limits what the participant may do with it.

use cvdesk_formats::tlp::Tlp;

/// The label a share gets when the coordinator names none: the organisation and its
/// clients, on a need-to-know basis.
pub const DEFAULT_SHARE: Tlp = Tlp::Amber;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlpRefused {
    #[error("TLP:CLEAR allows publication, which the embargo does not allow yet: choose TLP:GREEN or narrower")]
    ClearUnderEmbargo,
    #[error(
        "{0} limits the information to its recipients, so they may not bring in another vendor"
    )]
    NoNomination(Tlp),
}

/// A share may be TLP:CLEAR only when no embargo is running.
pub fn check_share(tlp: Tlp, embargo_running: bool) -> Result<(), TlpRefused> {
    if tlp == Tlp::Clear && embargo_running {
        Err(TlpRefused::ClearUnderEmbargo)
    } else {
        Ok(())
    }
}

/// Whether a participant holding information under `tlp` may nominate another vendor.
/// TLP:RED is for named recipients only and TLP:AMBER+STRICT for the recipient's own
/// organisation, so neither may be passed to someone new, not even through the
/// coordinator.
pub fn check_nomination(tlp: Tlp) -> Result<(), TlpRefused> {
    match tlp {
        Tlp::Red | Tlp::AmberStrict => Err(TlpRefused::NoNomination(tlp)),
        Tlp::Amber | Tlp::Green | Tlp::Clear => Ok(()),
    }
}

/// The label of what every participant reads (a message to all of them): the narrowest
/// of their labels, so nobody receives it under a wider one than their own share.
pub fn for_everyone(labels: impl IntoIterator<Item = Tlp>) -> Tlp {
    labels.into_iter().max().unwrap_or(DEFAULT_SHARE)
}

/// A mail subject with its label first: `[TLP:AMBER] CVD-2027-0001: …`.
pub fn subject(tlp: Tlp, text: &str) -> String {
    format!("[{tlp}] {text}")
}

/// What the label asks of the reader, in FIRST's words.
pub fn meaning(tlp: Tlp) -> &'static str {
    match tlp {
        Tlp::Red => "For the eyes and ears of individual recipients only, no further disclosure.",
        Tlp::AmberStrict => "Limited disclosure, restricted to the recipient's organisation only.",
        Tlp::Amber => {
            "Limited disclosure, recipients may share it within their organisation and its \
             clients on a need-to-know basis."
        }
        Tlp::Green => {
            "Limited disclosure, recipients may share it within their community, not \
                       through public channels."
        }
        Tlp::Clear => "Recipients may spread this to the world; there is no limit on disclosure.",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clear_only_once_the_embargo_is_over() {
        for tlp in Tlp::ALL {
            assert!(check_share(tlp, false).is_ok(), "{tlp}");
            assert_eq!(check_share(tlp, true).is_ok(), tlp != Tlp::Clear, "{tlp}");
        }
    }

    #[test]
    fn who_may_nominate() {
        let table = [
            (Tlp::Red, false),
            (Tlp::AmberStrict, false),
            (Tlp::Amber, true),
            (Tlp::Green, true),
            (Tlp::Clear, true),
        ];
        for (tlp, allowed) in table {
            assert_eq!(check_nomination(tlp).is_ok(), allowed, "{tlp}");
        }
    }

    #[test]
    fn a_message_to_everyone_carries_the_narrowest_label() {
        assert_eq!(
            for_everyone([Tlp::Green, Tlp::AmberStrict, Tlp::Amber]),
            Tlp::AmberStrict
        );
        assert_eq!(for_everyone([Tlp::Clear]), Tlp::Clear);
        assert_eq!(for_everyone([]), DEFAULT_SHARE);
    }

    #[test]
    fn subjects_carry_first_s_exact_spelling() {
        assert_eq!(
            subject(Tlp::AmberStrict, "CVD-2027-0001"),
            "[TLP:AMBER+STRICT] CVD-2027-0001"
        );
        for tlp in Tlp::ALL {
            assert!(subject(tlp, "x").starts_with(&format!("[{}]", tlp.as_str())));
            assert!(!meaning(tlp).is_empty());
        }
    }
}
