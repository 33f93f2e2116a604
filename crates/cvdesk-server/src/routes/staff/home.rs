//! The staff start page.

use axum::response::{IntoResponse, Response};

use crate::auth::StaffUser;

pub async fn get_home(staff: StaffUser) -> Response {
    format!("signed in as {}", staff.user.email).into_response()
}
