//! The signed-in person's own account: password change and two-factor sign-in (enrolment
//! by QR code or key, recovery codes shown once), and for admins the rule that every
//! account must use two factors. Each change is one store call that records its audit
//! entry in the same transaction, and a new password or second factor signs the account
//! out everywhere else.

use askama::Template;
use axum::extract::rejection::FormRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use cvdesk_domain::access::StaffAction;
use cvdesk_domain::totp::{self, TotpSecret};
use cvdesk_store::{NewSecondFactor, REQUIRE_SECOND_FACTOR};
use qrcode::render::svg;
use qrcode::QrCode;
use serde::Deserialize;

use crate::auth::{audit, password, StaffUser};
use crate::error::{PageError, WebError};
use crate::random::random_bytes;
use crate::routes::staff::form;
use crate::routes::staff::layout::StaffLayout;
use crate::views::render;
use crate::AppState;

#[derive(Template)]
#[template(path = "staff/account.html")]
struct AccountPage {
    layout: StaffLayout,
    notice: Option<String>,
    problem: Option<String>,
    has_second_factor: bool,
    second_factor_required: bool,
    enrolment: Option<Enrolment>,
    recovery_codes: Vec<String>,
}

struct Enrolment {
    secret: String,
    qr_svg: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AccountQuery {
    done: String,
}

pub async fn second_factor_required(state: &AppState) -> Result<bool, WebError> {
    Ok(state.store.setting(REQUIRE_SECOND_FACTOR).await?.as_deref() == Some("true"))
}

async fn show(
    state: &AppState,
    staff: &StaffUser,
    notice: Option<String>,
    problem: Option<String>,
    recovery_codes: Vec<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let has_second_factor = staff.user.totp_secret.is_some();
    let enrolment = match (&staff.session.pending_totp, has_second_factor) {
        (Some(bytes), false) => {
            let secret = TotpSecret::from_bytes(bytes.clone())
                .map_err(|e| WebError::Internal(format!("pending secret: {e}").into()))?;
            let issuer = format!("{} security desk", state.settings.organization_name);
            let uri = secret.otpauth_uri(&issuer, &staff.user.email);
            let qr = QrCode::new(uri.as_bytes())
                .map_err(|e| WebError::Internal(format!("QR code: {e}").into()))?;
            let qr_svg = qr
                .render::<svg::Color>()
                .min_dimensions(200, 200)
                .quiet_zone(true)
                .build();
            // The XML declaration is not allowed inside HTML.
            let qr_svg = qr_svg
                .split_once("?>")
                .map_or(qr_svg.clone(), |(_, svg)| svg.trim().to_owned());
            Some(Enrolment {
                secret: secret.to_base32_grouped(),
                qr_svg,
            })
        }
        _ => None,
    };
    let page = AccountPage {
        layout: StaffLayout::of(state, staff),
        notice,
        problem,
        has_second_factor,
        second_factor_required: second_factor_required(state).await?,
        enrolment,
        recovery_codes,
    };
    Ok((status, render(&page)?).into_response())
}

pub async fn get_account(
    State(state): State<AppState>,
    staff: StaffUser,
    Query(query): Query<AccountQuery>,
) -> Result<Response, PageError> {
    let notice = match query.done.as_str() {
        "password" => Some("Your password is changed.".to_owned()),
        "off" => Some("Two-factor sign-in is off.".to_owned()),
        "rule" => Some("Saved.".to_owned()),
        _ => None,
    };
    show(&state, &staff, notice, None, Vec::new(), StatusCode::OK).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    csrf_token: String,
    current: String,
    password: String,
    confirmation: String,
}

pub async fn post_password(
    State(state): State<AppState>,
    staff: StaffUser,
    submitted: Result<Form<PasswordForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    staff.check_csrf(&submitted.csrf_token)?;
    if !password::verify(submitted.current, staff.user.password_hash.clone()).await? {
        let message = "Your current password is not right.".to_owned();
        return show(
            &state,
            &staff,
            None,
            Some(message),
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    if let Err(message) = password::check_new(&submitted.password, &submitted.confirmation) {
        return show(
            &state,
            &staff,
            None,
            Some(message),
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let hash = password::hash(submitted.password).await?;
    let entry = audit::event(
        &state,
        Some(&staff.user),
        "",
        "user.password_change",
        None,
        "other sessions ended",
    );
    state
        .store
        .change_password(staff.user.id, &hash, &staff.session.token_hash, &entry)
        .await?;
    Ok(Redirect::to("/staff/account?done=password").into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CsrfForm {
    csrf_token: String,
}

pub async fn post_two_factor_start(
    State(state): State<AppState>,
    staff: StaffUser,
    submitted: Result<Form<CsrfForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    staff.check_csrf(&submitted.csrf_token)?;
    let secret = TotpSecret::from_random_bytes(random_bytes()?);
    state
        .store
        .set_pending_totp(&staff.session.token_hash, Some(secret.as_bytes()))
        .await?;
    Ok(Redirect::to("/staff/account").into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConfirmForm {
    csrf_token: String,
    code: String,
}

pub async fn post_two_factor_confirm(
    State(state): State<AppState>,
    mut staff: StaffUser,
    submitted: Result<Form<ConfirmForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    staff.check_csrf(&submitted.csrf_token)?;
    let Some(pending) = staff.session.pending_totp.clone() else {
        return Ok(Redirect::to("/staff/account").into_response());
    };
    let secret = TotpSecret::from_bytes(pending)
        .map_err(|e| WebError::Internal(format!("pending secret: {e}").into()))?;
    let now = state.clock.now().unix_timestamp();
    let step = match totp::verify(&secret, &submitted.code, now, None) {
        Ok(step) => step,
        Err(refused) => {
            let message = format!("{refused} Check the time on your phone and try the next code.");
            return show(
                &state,
                &staff,
                None,
                Some(message),
                Vec::new(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let codes = totp::recovery_codes(&random_bytes()?);
    let factor = NewSecondFactor {
        secret: secret.as_bytes(),
        recovery_code_hashes: &codes.hashes,
        confirmed_step: step,
    };
    let entry = audit::event(
        &state,
        Some(&staff.user),
        "",
        "user.second_factor_on",
        None,
        "other sessions ended",
    );
    state
        .store
        .enable_second_factor(staff.user.id, &factor, &staff.session.token_hash, &entry)
        .await?;
    staff.user.totp_secret = Some(secret.as_bytes().to_vec());
    staff.session.pending_totp = None;
    show(&state, &staff, None, None, codes.display, StatusCode::OK).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RemoveForm {
    csrf_token: String,
    password: String,
}

pub async fn post_two_factor_remove(
    State(state): State<AppState>,
    staff: StaffUser,
    submitted: Result<Form<RemoveForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    staff.check_csrf(&submitted.csrf_token)?;
    if second_factor_required(&state).await? {
        let message = "An admin requires two-factor sign-in for every account.".to_owned();
        return show(
            &state,
            &staff,
            None,
            Some(message),
            Vec::new(),
            StatusCode::CONFLICT,
        )
        .await;
    }
    if !password::verify(submitted.password, staff.user.password_hash.clone()).await? {
        let message = "Your password is not right.".to_owned();
        return show(
            &state,
            &staff,
            None,
            Some(message),
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let entry = audit::event(
        &state,
        Some(&staff.user),
        "",
        "user.second_factor_off",
        None,
        "other sessions ended",
    );
    state
        .store
        .disable_second_factor(staff.user.id, &staff.session.token_hash, &entry)
        .await?;
    Ok(Redirect::to("/staff/account?done=off").into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RuleForm {
    csrf_token: String,
    value: String,
}

pub async fn post_require_second_factor(
    State(state): State<AppState>,
    staff: StaffUser,
    submitted: Result<Form<RuleForm>, FormRejection>,
) -> Result<Response, PageError> {
    let submitted = form(submitted)?;
    staff.check_csrf(&submitted.csrf_token)?;
    staff.require(
        StaffAction::ManageSettings,
        "Only an admin changes the desk's security rules.",
    )?;
    let value = if submitted.value == "yes" {
        "true"
    } else {
        "false"
    };
    let entry = audit::event(
        &state,
        Some(&staff.user),
        "",
        "settings.require_second_factor",
        None,
        value,
    );
    state
        .store
        .change_setting(REQUIRE_SECOND_FACTOR, value, state.clock.now(), &entry)
        .await?;
    Ok(Redirect::to("/staff/account?done=rule").into_response())
}
