//! Staff on the JSON API: `Authorization: Bearer TOKEN`, a token made by
//! `cvdesk token create`. Without a valid token (unknown, expired, revoked, or held by a
//! disabled account): 401.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use cvdesk_domain::secret::SecretToken;
use cvdesk_store::User;

use crate::error::{ApiError, WebError};
use crate::AppState;

pub struct ApiStaff {
    pub user: User,
}

impl FromRequestParts<AppState> for ApiStaff {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let presented = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split_once(' '))
            // The scheme name is case-insensitive (RFC 9110).
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .ok_or(ApiError(WebError::Unauthorized))?;
        let user = state
            .store
            .user_by_api_token(&SecretToken::hash_of(presented), state.clock.now())
            .await?
            .ok_or(ApiError(WebError::Unauthorized))?;
        Ok(ApiStaff { user })
    }
}
