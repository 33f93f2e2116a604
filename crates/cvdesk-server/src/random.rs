//! Fresh secrets from the operating system's random source.

use cvdesk_domain::secret::SecretToken;
use cvdesk_domain::TrackingToken;

use crate::error::WebError;

pub fn random_bytes<const N: usize>() -> Result<[u8; N], WebError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes)
        .map_err(|e| WebError::Internal(format!("the system random source failed: {e}").into()))?;
    Ok(bytes)
}

pub fn secret_token() -> Result<SecretToken, WebError> {
    Ok(SecretToken::from_random_bytes(random_bytes()?))
}

pub fn tracking_token() -> Result<TrackingToken, WebError> {
    Ok(TrackingToken::from_random_bytes(random_bytes()?))
}
