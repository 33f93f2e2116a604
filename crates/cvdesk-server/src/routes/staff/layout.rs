//! What every signed-in staff page shows around its content.

use cvdesk_domain::staff::Role;

use crate::auth::StaffUser;
use crate::AppState;

pub struct StaffLayout {
    pub organization_name: String,
    pub email: String,
    pub role: Role,
    pub is_admin: bool,
    pub csrf_token: String,
}

impl StaffLayout {
    pub fn of(state: &AppState, staff: &StaffUser) -> Self {
        StaffLayout {
            organization_name: state.settings.organization_name.clone(),
            email: staff.user.email.clone(),
            role: staff.user.role,
            is_admin: staff.user.role == Role::Admin,
            csrf_token: staff.session.csrf_token.clone(),
        }
    }
}
