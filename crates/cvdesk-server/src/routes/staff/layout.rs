//! What every signed-in staff page shows around its content.

use cvdesk_domain::access::{self, StaffAction};
use cvdesk_domain::staff::Role;

use crate::auth::StaffUser;
use crate::AppState;

pub struct StaffLayout {
    pub organization_name: String,
    pub email: String,
    pub role: Role,
    /// Whether the admin pages are this person's to use (and so in the navigation).
    pub is_admin: bool,
    pub csrf_token: String,
}

impl StaffLayout {
    pub fn of(state: &AppState, staff: &StaffUser) -> Self {
        StaffLayout {
            organization_name: state.settings.organization_name.clone(),
            email: staff.user.email.clone(),
            role: staff.user.role,
            is_admin: access::check(&staff.user.actor(), StaffAction::ManageSettings, None)
                .is_allowed(),
            csrf_token: staff.session.csrf_token.clone(),
        }
    }

    /// Whether this person drafts and publishes advisories (publishers and admins).
    pub fn writes_advisories(&self) -> bool {
        cvdesk_domain::access::check_role(
            &cvdesk_domain::staff::Actor {
                user_id: cvdesk_domain::staff::UserId(0),
                role: self.role,
                products: Default::default(),
            },
            cvdesk_domain::access::StaffAction::WriteAdvisory,
        )
        .is_allowed()
    }
}
