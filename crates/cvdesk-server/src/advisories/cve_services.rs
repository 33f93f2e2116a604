//! The optional CVE Services client, for a CVE Numbering Authority: reserve a CVE ID
//! (`POST /cve-id`), publish the CNA container of a published advisory (`POST
//! /cve/{id}/cna`) and update it (`PUT /cve/{id}/cna`), as CVE Services' OpenAPI document
//! describes them, authenticated with the `CVE-API-ORG`, `CVE-API-USER` and `CVE-API-KEY`
//! headers. A refusal is reported with the service's own `error` and `message`. Without
//! an account the desk still serves each record for upload by hand.

use std::fmt;
use std::time::Duration;

use cvdesk_formats::cve_id::CveId;
use cvdesk_formats::cve_record::{CnaContainer, CnaUpload};
use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;

/// How long one call may take before the desk gives up on the service.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The most of a service's answer the desk reads.
const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// The API key: sent to the service, never shown or logged.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: String) -> Self {
        ApiKey(key)
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey(…)")
    }
}

/// The CNA's account at CVE Services.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CveServicesAccount {
    /// The API's base URL, e.g. `https://cveawg.mitre.org/api`.
    pub url: String,
    /// The CNA's short name (`CVE-API-ORG`, and the owner of reserved IDs).
    pub org: String,
    pub user: String,
    pub key: ApiKey,
}

/// Why a call did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceError {
    /// The service answered with an error: its status, `error` name and `message`.
    Refused {
        status: u16,
        error: String,
        message: String,
        details: Option<String>,
    },
    /// The service could not be reached or did not answer in time.
    Unreachable(String),
    /// The service answered, but not as its API document says.
    Unexpected(String),
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServiceError::Refused {
                status,
                error,
                message,
                details,
            } => {
                write!(f, "CVE Services answered {status} {error}: {message}")?;
                if let Some(details) = details {
                    write!(f, " ({details})")?;
                }
                Ok(())
            }
            ServiceError::Unreachable(why) => write!(f, "CVE Services could not be reached: {why}"),
            ServiceError::Unexpected(why) => {
                write!(f, "CVE Services answered in an unexpected way: {why}")
            }
        }
    }
}

/// `{"error", "message", "details"?}`, the shape of every error the service documents.
#[derive(Deserialize)]
struct ErrorAnswer {
    error: Option<String>,
    message: Option<String>,
    details: Option<Value>,
}

#[derive(Deserialize)]
struct ReservedAnswer {
    cve_ids: Vec<ReservedId>,
}

#[derive(Deserialize)]
struct ReservedId {
    cve_id: String,
}

#[derive(Deserialize)]
struct RecordAnswer {
    message: Option<String>,
}

pub struct CveServicesClient<'a> {
    account: &'a CveServicesAccount,
    http: reqwest::Client,
}

impl<'a> CveServicesClient<'a> {
    pub fn new(account: &'a CveServicesAccount) -> Result<Self, ServiceError> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("cvdesk/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| ServiceError::Unreachable(error.to_string()))?;
        Ok(CveServicesClient { account, http })
    }

    fn endpoint(&self, path: &str) -> String {
        format!("{}/{path}", self.account.url.trim_end_matches('/'))
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&CnaUpload>,
    ) -> Result<Vec<u8>, ServiceError> {
        let mut request = self
            .http
            .request(method, self.endpoint(path))
            .query(query)
            .header("CVE-API-ORG", &self.account.org)
            .header("CVE-API-USER", &self.account.user)
            .header("CVE-API-KEY", &self.account.key.0);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(|error| {
            let why = if error.is_timeout() {
                format!("no answer within {} seconds", TIMEOUT.as_secs())
            } else {
                // reqwest's message names the URL, which is the operator's own.
                error.to_string()
            };
            ServiceError::Unreachable(why)
        })?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|error| ServiceError::Unreachable(error.to_string()))?;
        if bytes.len() > MAX_ANSWER_BYTES {
            return Err(ServiceError::Unexpected(format!(
                "an answer of {} bytes",
                bytes.len()
            )));
        }
        if status.is_success() {
            return Ok(bytes.to_vec());
        }
        let answer: Option<ErrorAnswer> = serde_json::from_slice(&bytes).ok();
        let (error, message, details) = match answer {
            Some(answer) => (answer.error, answer.message, answer.details),
            None => (None, None, None),
        };
        Err(ServiceError::Refused {
            status: status.as_u16(),
            error: error.unwrap_or_else(|| {
                status
                    .canonical_reason()
                    .unwrap_or("error")
                    .to_uppercase()
                    .replace(' ', "_")
            }),
            message: message.unwrap_or_else(|| "the answer gave no message".to_owned()),
            details: details.map(|details| details.to_string()),
        })
    }

    /// Reserves one CVE ID of `year` for the account's CNA.
    pub async fn reserve(&self, year: u16) -> Result<CveId, ServiceError> {
        let bytes = self
            .call(
                Method::POST,
                "cve-id",
                &[
                    ("amount", "1".to_owned()),
                    ("cve_year", year.to_string()),
                    ("short_name", self.account.org.clone()),
                ],
                None,
            )
            .await?;
        let answer: ReservedAnswer = serde_json::from_slice(&bytes)
            .map_err(|error| ServiceError::Unexpected(format!("the reservation: {error}")))?;
        let first = answer
            .cve_ids
            .first()
            .ok_or_else(|| ServiceError::Unexpected("no CVE ID was reserved".to_owned()))?;
        first
            .cve_id
            .parse()
            .map_err(|_| ServiceError::Unexpected(format!("'{}' is not a CVE ID", first.cve_id)))
    }

    /// Publishes the record of `cve` with `container`; the service's words on success.
    pub async fn publish(
        &self,
        cve: CveId,
        container: &CnaContainer,
    ) -> Result<String, ServiceError> {
        self.send_record(Method::POST, cve, container).await
    }

    /// Replaces the published CNA container of `cve`.
    pub async fn update(
        &self,
        cve: CveId,
        container: &CnaContainer,
    ) -> Result<String, ServiceError> {
        self.send_record(Method::PUT, cve, container).await
    }

    async fn send_record(
        &self,
        method: Method,
        cve: CveId,
        container: &CnaContainer,
    ) -> Result<String, ServiceError> {
        let upload = CnaUpload {
            cna_container: container.clone(),
        };
        let bytes = self
            .call(method, &format!("cve/{cve}/cna"), &[], Some(&upload))
            .await?;
        let answer: RecordAnswer = serde_json::from_slice(&bytes)
            .map_err(|error| ServiceError::Unexpected(format!("the record: {error}")))?;
        Ok(answer
            .message
            .unwrap_or_else(|| format!("{cve} was accepted.")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_never_printed() {
        let account = CveServicesAccount {
            url: "https://cveawg-test.mitre.org/api".to_owned(),
            org: "example".to_owned(),
            user: "publisher@example.org".to_owned(),
            key: ApiKey::new("secret-key-value".to_owned()),
        };
        assert!(!format!("{account:?}").contains("secret-key-value"));
    }

    #[test]
    fn a_refusal_reads_as_the_service_said_it() {
        let refused = ServiceError::Refused {
            status: 401,
            error: "UNAUTHORIZED".to_owned(),
            message: "Unauthorized".to_owned(),
            details: None,
        };
        assert_eq!(
            refused.to_string(),
            "CVE Services answered 401 UNAUTHORIZED: Unauthorized"
        );
    }
}
