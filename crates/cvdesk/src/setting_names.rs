//! The names a setting goes by, so an error says where the wrong value came from: its flag
//! and environment variable when it was given either (`--smtp-url / CVDESK_SMTP_URL`), its
//! key when it was read from the configuration file (`mail.smtp_url`).

use cvdesk_server::MailConfigError;

/// One setting's flag, environment variable and key in the file.
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    pub flag: &'static str,
    pub env: &'static str,
    pub key: &'static str,
}

/// A value with the name to give it in an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named<T> {
    pub value: T,
    pub name: String,
}

impl Setting {
    /// The flag and variable together: clap does not say which of the two gave a value.
    pub fn given(&self) -> String {
        format!("{} / {}", self.flag, self.env)
    }

    /// Every name the setting goes by, for one that was not given at all: the file's key
    /// first, then the flag and variable.
    pub fn either(&self) -> String {
        format!("{} (or {})", self.key, self.given())
    }

    /// The value from the flag or variable, else from the file, with its name.
    pub fn pick<T>(&self, given: Option<T>, file: Option<T>) -> Option<Named<T>> {
        match (given, file) {
            (Some(value), _) => Some(Named {
                value,
                name: self.given(),
            }),
            (None, Some(value)) => Some(Named {
                value,
                name: self.key.to_owned(),
            }),
            (None, None) => None,
        }
    }

    /// A list from the flag or variable when it has any item, else from the file.
    pub fn pick_list<T>(&self, given: Vec<T>, file: Option<Vec<T>>) -> Named<Vec<T>> {
        if given.is_empty() {
            Named {
                value: file.unwrap_or_default(),
                name: self.key.to_owned(),
            }
        } else {
            Named {
                value: given,
                name: self.given(),
            }
        }
    }
}

pub const PUBLIC_URL: Setting = Setting {
    flag: "--public-url",
    env: "CVDESK_PUBLIC_URL",
    key: "public_url",
};
pub const ORGANIZATION_NAME: Setting = Setting {
    flag: "--organization-name",
    env: "CVDESK_ORGANIZATION_NAME",
    key: "organization_name",
};
pub const REFERENCE_PREFIX: Setting = Setting {
    flag: "--reference-prefix",
    env: "CVDESK_REFERENCE_PREFIX",
    key: "reference_prefix",
};
pub const ATTACHMENT_MAX_FILE_BYTES: Setting = Setting {
    flag: "--attachment-max-file-bytes",
    env: "CVDESK_ATTACHMENT_MAX_FILE_BYTES",
    key: "attachments.max_file_bytes",
};
pub const ATTACHMENT_MAX_TOTAL_BYTES: Setting = Setting {
    flag: "--attachment-max-total-bytes",
    env: "CVDESK_ATTACHMENT_MAX_TOTAL_BYTES",
    key: "attachments.max_total_bytes",
};
pub const LOG_FORMAT: Setting = Setting {
    flag: "--log-format",
    env: "CVDESK_LOG_FORMAT",
    key: "log_format",
};
pub const INTAKE_CHALLENGE: Setting = Setting {
    flag: "--intake-challenge",
    env: "CVDESK_INTAKE_CHALLENGE",
    key: "intake.challenge",
};
pub const CHALLENGE_DIFFICULTY: Setting = Setting {
    flag: "--challenge-difficulty",
    env: "CVDESK_CHALLENGE_DIFFICULTY",
    key: "intake.challenge_difficulty",
};
pub const RATE_LIMIT_REPORTS: Setting = Setting {
    flag: "--rate-limit-reports",
    env: "CVDESK_RATE_LIMIT_REPORTS",
    key: "rate_limits.reports",
};
pub const RATE_LIMIT_TRACKING: Setting = Setting {
    flag: "--rate-limit-tracking",
    env: "CVDESK_RATE_LIMIT_TRACKING",
    key: "rate_limits.tracking",
};
pub const RATE_LIMIT_REPLIES: Setting = Setting {
    flag: "--rate-limit-replies",
    env: "CVDESK_RATE_LIMIT_REPLIES",
    key: "rate_limits.replies",
};
pub const RATE_LIMIT_SIGN_IN: Setting = Setting {
    flag: "--rate-limit-sign-in",
    env: "CVDESK_RATE_LIMIT_SIGN_IN",
    key: "rate_limits.sign_in",
};
pub const RATE_LIMIT_QUESTION_ANSWERS: Setting = Setting {
    flag: "--rate-limit-question-answers",
    env: "CVDESK_RATE_LIMIT_QUESTION_ANSWERS",
    key: "rate_limits.question_answers",
};
pub const TRUSTED_PROXIES: Setting = Setting {
    flag: "--trusted-proxy",
    env: "CVDESK_TRUSTED_PROXIES",
    key: "trusted_proxies",
};
pub const CLIENT_ADDRESS_HEADER: Setting = Setting {
    flag: "--client-address-header",
    env: "CVDESK_CLIENT_ADDRESS_HEADER",
    key: "client_address_header",
};
pub const SMTP_URL: Setting = Setting {
    flag: "--smtp-url",
    env: "CVDESK_SMTP_URL",
    key: "mail.smtp_url",
};
pub const MAIL_FROM: Setting = Setting {
    flag: "--mail-from",
    env: "CVDESK_MAIL_FROM",
    key: "mail.from",
};
pub const MAIL_STAFF_RECIPIENTS: Setting = Setting {
    flag: "--mail-staff-recipient",
    env: "CVDESK_MAIL_STAFF_RECIPIENTS",
    key: "mail.staff_recipients",
};
pub const OUTBOUND_ALLOW_PRIVATE: Setting = Setting {
    flag: "--outbound-allow-private",
    env: "CVDESK_OUTBOUND_ALLOW_PRIVATE",
    key: "outbound.allow_private",
};
pub const DATABASE_URL: Setting = Setting {
    flag: "--database-url",
    env: "CVDESK_DATABASE_URL",
    key: "database_url",
};
pub const ATTACHMENT_STORAGE: Setting = Setting {
    flag: "--attachment-storage",
    env: "CVDESK_ATTACHMENT_STORAGE",
    key: "attachments.storage",
};
pub const S3_ENDPOINT: Setting = Setting {
    flag: "--s3-endpoint",
    env: "CVDESK_S3_ENDPOINT",
    key: "attachments.s3_endpoint",
};
pub const S3_BUCKET: Setting = Setting {
    flag: "--s3-bucket",
    env: "CVDESK_S3_BUCKET",
    key: "attachments.s3_bucket",
};
pub const S3_REGION: Setting = Setting {
    flag: "--s3-region",
    env: "CVDESK_S3_REGION",
    key: "attachments.s3_region",
};
pub const S3_ACCESS_KEY_ID: Setting = Setting {
    flag: "--s3-access-key-id",
    env: "CVDESK_S3_ACCESS_KEY_ID",
    key: "attachments.s3_access_key_id",
};
pub const S3_PREFIX: Setting = Setting {
    flag: "--s3-prefix",
    env: "CVDESK_S3_PREFIX",
    key: "attachments.s3_prefix",
};
pub const S3_PATH_STYLE: Setting = Setting {
    flag: "--s3-path-style",
    env: "CVDESK_S3_PATH_STYLE",
    key: "attachments.s3_path_style",
};

/// The names the mail settings were given by: their refusal comes from the mail module,
/// which knows the values but not where they came from.
#[derive(Debug, Clone)]
pub struct MailNames {
    pub smtp_url: String,
    pub from: String,
    pub staff_recipients: String,
}

impl MailNames {
    /// The mail settings' refusal, naming the setting as it was given.
    pub fn refusal(&self, error: &MailConfigError) -> anyhow::Error {
        let names = self;
        match error {
            MailConfigError::SmtpUrl(reason) => anyhow::anyhow!("{}: {reason}", names.smtp_url),
            MailConfigError::Transport(reason) => anyhow::anyhow!(
                "{}: the SMTP transport cannot be set up: {reason}",
                names.smtp_url
            ),
            MailConfigError::FromMissing => anyhow::anyhow!(
                "{}: set the address mail is sent from, e.g. security@example.org, whenever \
                 an SMTP URL is set ({})",
                names.from,
                names.smtp_url
            ),
            MailConfigError::From(text) => anyhow::anyhow!(
                "{}: '{text}' is not an e-mail address such as security@example.org or \
                 \"Example Security <security@example.org>\"",
                names.from
            ),
            MailConfigError::StaffRecipient(text) => anyhow::anyhow!(
                "{}: '{text}' is not an e-mail address such as security@example.org",
                names.staff_recipients
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_is_named_by_where_it_came_from() {
        let flag = SMTP_URL.pick(Some(1), Some(2)).expect("given");
        assert_eq!(
            (flag.value, flag.name.as_str()),
            (1, "--smtp-url / CVDESK_SMTP_URL")
        );
        let file = SMTP_URL.pick(None, Some(2)).expect("file");
        assert_eq!((file.value, file.name.as_str()), (2, "mail.smtp_url"));
        assert_eq!(SMTP_URL.pick::<u8>(None, None), None);
        let list = TRUSTED_PROXIES.pick_list(vec![], Some(vec![1]));
        assert_eq!(list.name, "trusted_proxies");
        let list = TRUSTED_PROXIES.pick_list(vec![3], Some(vec![1]));
        assert_eq!(
            (list.value, list.name.as_str()),
            (vec![3], "--trusted-proxy / CVDESK_TRUSTED_PROXIES")
        );
    }
}
