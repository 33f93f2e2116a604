//! At start, `serve` tries the organization key with the configured passphrase and says
//! in one line whether it unlocks, so a missing or wrong passphrase is noticed then and
//! not at the first signed security.txt. The desk starts either way: finders can still
//! report, only what needs the key stops.

use cvdesk_server::openpgp::{self, KeyError, LoadError, Passphrase};
use cvdesk_store::Store;
use time::OffsetDateTime;

/// What stops working while the key cannot be unlocked.
const WITHOUT_THE_KEY: &str = "security.txt, CSAF documents and mail to finders are not \
    signed and encrypted reports and mail cannot be read until it is fixed";

/// The variables that give the passphrase.
const PASSPHRASE_SETTINGS: &str = "CVDESK_PGP_PASSPHRASE or CVDESK_PGP_PASSPHRASE_FILE";

/// Logs one line about the organization key: unlocked, absent, or why it cannot be used.
pub async fn log_organization_key(
    store: &dyn Store,
    passphrase: Option<&Passphrase>,
    now: OffsetDateTime,
) {
    match openpgp::load(store, passphrase.map(Passphrase::as_str), now).await {
        Ok(Some(key)) => tracing::info!(
            fingerprint = %key.fingerprint(),
            protected = key.is_protected(),
            "the organization key unlocks"
        ),
        Ok(None) => tracing::warn!(
            "no organization OpenPGP key: security.txt and mail are not signed and finders \
             cannot encrypt to the desk; make one with `cvdesk pgp generate` or \
             `cvdesk pgp import`"
        ),
        Err(LoadError::Key(KeyError::PassphraseNeeded)) => tracing::warn!(
            fingerprint = %fingerprint(store).await,
            "the organization key is protected by a passphrase and none is set \
             ({PASSPHRASE_SETTINGS}): {WITHOUT_THE_KEY}"
        ),
        Err(LoadError::Key(KeyError::WrongPassphrase)) => tracing::warn!(
            fingerprint = %fingerprint(store).await,
            "the passphrase from {PASSPHRASE_SETTINGS} does not unlock the organization key: \
             {WITHOUT_THE_KEY}"
        ),
        Err(error) => tracing::warn!(
            %error,
            "the organization key cannot be used: {WITHOUT_THE_KEY}"
        ),
    }
}

/// The stored key's fingerprint, which needs no passphrase, or "unknown".
async fn fingerprint(store: &dyn Store) -> String {
    match openpgp::load_published(store).await {
        Ok(Some(published)) => published.fingerprint().to_owned(),
        Ok(None) | Err(_) => "unknown".to_owned(),
    }
}
