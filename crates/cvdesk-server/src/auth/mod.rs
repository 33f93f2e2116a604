//! Staff authentication: passwords, sessions, CSRF, API tokens, and the audit entry that
//! records each staff action.

pub mod api_token;
pub mod audit;
pub mod password;
pub mod session;

pub use api_token::ApiStaff;
pub use session::StaffUser;
