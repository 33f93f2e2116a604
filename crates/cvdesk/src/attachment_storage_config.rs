//! Where attachment bytes are kept: with the store (`store`, the default: files in the data
//! folder beside SQLite, rows in PostgreSQL) or in an S3-compatible bucket (`s3`), from
//! `--attachment-storage`, `CVDESK_ATTACHMENT_STORAGE` or `attachments.storage`, with the
//! bucket's settings beside it and named the same way when refused. The secret access key
//! comes from `CVDESK_S3_SECRET_ACCESS_KEY`, a file named by
//! `CVDESK_S3_SECRET_ACCESS_KEY_FILE`, or a file named by
//! `attachments.s3_secret_access_key_file`, in that order, and never appears in a message
//! or a log.

use std::ffi::OsString;
use std::path::Path;

use anyhow::{bail, Context};
use cvdesk_store::{AttachmentStorage, BucketSettings, DEFAULT_REGION};

use crate::setting_names::{self as names, Named, Setting};

pub const SECRET_VARIABLE: &str = "CVDESK_S3_SECRET_ACCESS_KEY";
pub const SECRET_FILE_VARIABLE: &str = "CVDESK_S3_SECRET_ACCESS_KEY_FILE";
const SECRET_FILE_KEY: &str = "attachments.s3_secret_access_key_file";

/// The storage settings given one way: by flags and variables, or by the file.
#[derive(Debug, Default, Clone)]
pub struct StorageValues {
    pub storage: Option<String>,
    pub endpoint: Option<String>,
    pub bucket: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub path_style: Option<String>,
    pub prefix: Option<String>,
}

/// The attachment storage from the flags and variables (`given`), else the file.
pub fn resolve(
    given: StorageValues,
    file: StorageValues,
    secret_file_key: Option<&Path>,
) -> anyhow::Result<AttachmentStorage> {
    let secret = Secret {
        value: std::env::var_os(SECRET_VARIABLE),
        file_variable: std::env::var_os(SECRET_FILE_VARIABLE),
        file_key: secret_file_key.map(Path::to_path_buf),
    };
    resolve_with(given, file, secret)
}

/// Where the secret may come from, in order.
struct Secret {
    value: Option<OsString>,
    file_variable: Option<OsString>,
    file_key: Option<std::path::PathBuf>,
}

fn resolve_with(
    given: StorageValues,
    file: StorageValues,
    secret: Secret,
) -> anyhow::Result<AttachmentStorage> {
    let storage = names::ATTACHMENT_STORAGE.pick(given.storage, file.storage);
    let in_bucket = match &storage {
        None => false,
        Some(kind) => match kind.value.trim() {
            "store" => false,
            "s3" => true,
            other => bail!("{}: '{other}' is not one of: store, s3", kind.name),
        },
    };
    let endpoint = names::S3_ENDPOINT.pick(given.endpoint, file.endpoint);
    let bucket = names::S3_BUCKET.pick(given.bucket, file.bucket);
    let region = names::S3_REGION.pick(given.region, file.region);
    let access_key_id = names::S3_ACCESS_KEY_ID.pick(given.access_key_id, file.access_key_id);
    let path_style = names::S3_PATH_STYLE.pick(given.path_style, file.path_style);
    let prefix = names::S3_PREFIX.pick(given.prefix, file.prefix);
    if !in_bucket {
        let stray = [
            &endpoint,
            &bucket,
            &region,
            &access_key_id,
            &path_style,
            &prefix,
        ]
        .into_iter()
        .flatten()
        .next();
        if let Some(stray) = stray {
            bail!(
                "{}: a bucket setting, but {} is not s3; set the attachment storage to s3 \
                 to keep attachments in the bucket, or remove the bucket's settings",
                stray.name,
                storage.as_ref().map_or_else(
                    || names::ATTACHMENT_STORAGE.either(),
                    |kind| kind.name.clone()
                )
            );
        }
        return Ok(AttachmentStorage::Store);
    }
    let bucket = required(bucket, &names::S3_BUCKET, "the bucket's name")?;
    check_bucket_name(&bucket)?;
    let endpoint = endpoint.map(check_endpoint).transpose()?;
    let region = match region {
        None => DEFAULT_REGION.to_owned(),
        Some(region) => check_region(region)?,
    };
    let access_key_id = required(access_key_id, &names::S3_ACCESS_KEY_ID, "the access key id")?;
    if access_key_id.value.chars().any(char::is_whitespace) {
        bail!("{}: must not contain spaces", access_key_id.name);
    }
    let path_style = match path_style {
        None => false,
        Some(switch) => match switch.value.trim() {
            "off" => false,
            "on" => true,
            other => bail!("{}: '{other}' is not on or off", switch.name),
        },
    };
    Ok(AttachmentStorage::Bucket(BucketSettings {
        endpoint,
        bucket: bucket.value,
        region,
        access_key_id: access_key_id.value,
        secret_access_key: secret_access_key(secret)?,
        path_style,
        prefix: prefix.map(check_prefix).transpose()?.flatten(),
    }))
}

/// A setting the bucket cannot do without.
fn required(
    value: Option<Named<String>>,
    setting: &Setting,
    what: &str,
) -> anyhow::Result<Named<String>> {
    match value {
        Some(value) if !value.value.trim().is_empty() => Ok(Named {
            value: value.value.trim().to_owned(),
            name: value.name,
        }),
        Some(value) => bail!("{}: must not be empty", value.name),
        None => bail!(
            "{}: set {what} when the attachment storage is s3",
            setting.either()
        ),
    }
}

/// Bucket names as S3 allows them: 3 to 63 lower-case letters, digits, dots and hyphens,
/// beginning and ending with a letter or digit.
fn check_bucket_name(bucket: &Named<String>) -> anyhow::Result<()> {
    let name = bucket.value.as_str();
    let valid = (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if !valid {
        bail!(
            "{}: '{name}' is not a bucket name (3 to 63 lower-case letters, digits, dots and \
             hyphens, such as cvdesk-attachments)",
            bucket.name
        );
    }
    Ok(())
}

/// `https://host[:port]` (or `http://` for a server on a trusted network), without a path.
fn check_endpoint(endpoint: Named<String>) -> anyhow::Result<String> {
    let url = endpoint.value.trim().trim_end_matches('/');
    let host = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let valid = host.is_some_and(|host| {
        !host.is_empty()
            && !host.contains(['/', '?', '#', '@'])
            && !host.contains(char::is_whitespace)
    });
    if !valid {
        bail!(
            "{}: '{}' is not an endpoint such as https://s3.eu-central-1.amazonaws.com or \
             http://127.0.0.1:9000 (scheme, host and port only)",
            endpoint.name,
            endpoint.value
        );
    }
    Ok(url.to_owned())
}

/// Whether an endpoint's host is this machine (`localhost`, `127.0.0.1`, `[::1]`).
pub fn is_loopback(endpoint: &str) -> bool {
    let rest = endpoint
        .split_once("://")
        .map_or(endpoint, |(_, rest)| rest);
    let host = match rest.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => rest.split([':', '/']).next().unwrap_or_default(),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|address| address.is_loopback())
}

/// A folder such as `desks/security`: letters, digits, `.`, `_` and `-` between slashes;
/// slashes around it are dropped, and nothing left means the bucket's top.
fn check_prefix(prefix: Named<String>) -> anyhow::Result<Option<String>> {
    let folder = prefix.value.trim().trim_matches('/');
    if folder.is_empty() {
        return Ok(None);
    }
    let valid = folder.split('/').all(|part| {
        !part.is_empty()
            && part != "."
            && part != ".."
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    });
    if !valid {
        bail!(
            "{}: '{}' is not a folder such as desks/security (letters, digits, '.', '_' and \
             '-' between slashes)",
            prefix.name,
            prefix.value
        );
    }
    Ok(Some(folder.to_owned()))
}

fn check_region(region: Named<String>) -> anyhow::Result<String> {
    let name = region.value.trim();
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !valid {
        bail!(
            "{}: '{name}' is not a region such as eu-central-1",
            region.name
        );
    }
    Ok(name.to_owned())
}

fn secret_access_key(secret: Secret) -> anyhow::Result<String> {
    let (value, name) = match (secret.value, secret.file_variable, secret.file_key) {
        (Some(_), Some(_), _) => {
            bail!("set {SECRET_VARIABLE} or {SECRET_FILE_VARIABLE}, not both")
        }
        (Some(value), None, _) => (
            value
                .into_string()
                .map_err(|_| anyhow::anyhow!("{SECRET_VARIABLE}: not valid UTF-8"))?,
            SECRET_VARIABLE,
        ),
        (None, Some(path), _) => (
            read_secret(Path::new(&path), SECRET_FILE_VARIABLE)?,
            SECRET_FILE_VARIABLE,
        ),
        (None, None, Some(path)) => (read_secret(&path, SECRET_FILE_KEY)?, SECRET_FILE_KEY),
        (None, None, None) => bail!(
            "{SECRET_VARIABLE}, {SECRET_FILE_VARIABLE} or {SECRET_FILE_KEY}: set the bucket's \
             secret access key when the attachment storage is s3"
        ),
    };
    let value = value.trim();
    if value.is_empty() {
        bail!("{name}: the secret access key is empty");
    }
    Ok(value.to_owned())
}

fn read_secret(path: &Path, name: &str) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {name} {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s3(given: StorageValues) -> StorageValues {
        StorageValues {
            storage: Some("s3".to_owned()),
            bucket: Some("desk-files".to_owned()),
            access_key_id: Some("AKIDEXAMPLE".to_owned()),
            ..given
        }
    }

    fn secret(value: &str) -> Secret {
        Secret {
            value: Some(value.into()),
            file_variable: None,
            file_key: None,
        }
    }

    fn no_secret() -> Secret {
        Secret {
            value: None,
            file_variable: None,
            file_key: None,
        }
    }

    fn refusal(given: StorageValues, file: StorageValues, secret: Secret) -> String {
        resolve_with(given, file, secret)
            .expect_err("refused")
            .to_string()
    }

    #[test]
    fn the_default_keeps_attachments_with_the_store() {
        let storage = resolve_with(
            StorageValues::default(),
            StorageValues::default(),
            no_secret(),
        )
        .expect("valid");
        assert!(matches!(storage, AttachmentStorage::Store));
        let file = StorageValues {
            storage: Some("store".to_owned()),
            ..StorageValues::default()
        };
        let storage = resolve_with(StorageValues::default(), file, no_secret()).expect("valid");
        assert!(matches!(storage, AttachmentStorage::Store));
    }

    #[test]
    fn a_bucket_from_flags_and_the_file() {
        let given = s3(StorageValues {
            endpoint: Some("http://127.0.0.1:9000/".to_owned()),
            path_style: Some("on".to_owned()),
            ..StorageValues::default()
        });
        let file = StorageValues {
            region: Some("eu-central-1".to_owned()),
            prefix: Some("/desks/security/".to_owned()),
            ..StorageValues::default()
        };
        let AttachmentStorage::Bucket(bucket) =
            resolve_with(given, file, secret(" s3cr3t\n")).expect("valid")
        else {
            panic!("a bucket");
        };
        assert_eq!(bucket.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(bucket.region, "eu-central-1");
        assert_eq!(bucket.secret_access_key, "s3cr3t");
        assert_eq!(bucket.prefix.as_deref(), Some("desks/security"));
        assert!(bucket.path_style);
        let AttachmentStorage::Bucket(aws) = resolve_with(
            s3(StorageValues::default()),
            StorageValues::default(),
            secret("k"),
        )
        .expect("valid") else {
            panic!("a bucket");
        };
        assert_eq!((aws.endpoint, aws.region.as_str()), (None, "us-east-1"));
        assert!(!aws.path_style);
    }

    #[test]
    fn refusals_name_where_the_value_came_from() {
        let message = refusal(
            StorageValues {
                storage: Some("disk".to_owned()),
                ..StorageValues::default()
            },
            StorageValues::default(),
            no_secret(),
        );
        assert_eq!(
            message,
            "--attachment-storage / CVDESK_ATTACHMENT_STORAGE: 'disk' is not one of: store, s3"
        );
        let message = refusal(
            StorageValues::default(),
            StorageValues {
                bucket: Some("Desk_Files".to_owned()),
                ..s3(StorageValues::default())
            },
            secret("k"),
        );
        assert!(
            message.starts_with("attachments.s3_bucket: 'Desk_Files' is not a bucket name"),
            "{message}"
        );
        let message = refusal(
            s3(StorageValues {
                endpoint: Some("s3.example.org".to_owned()),
                ..StorageValues::default()
            }),
            StorageValues::default(),
            secret("k"),
        );
        assert!(
            message.starts_with("--s3-endpoint / CVDESK_S3_ENDPOINT: 's3.example.org'"),
            "{message}"
        );
        let message = refusal(
            StorageValues {
                bucket: None,
                ..s3(StorageValues::default())
            },
            StorageValues::default(),
            secret("k"),
        );
        assert!(
            message.starts_with("attachments.s3_bucket (or --s3-bucket / CVDESK_S3_BUCKET)"),
            "{message}"
        );
        let message = refusal(
            s3(StorageValues {
                path_style: Some("yes".to_owned()),
                ..StorageValues::default()
            }),
            StorageValues::default(),
            secret("k"),
        );
        assert_eq!(
            message,
            "--s3-path-style / CVDESK_S3_PATH_STYLE: 'yes' is not on or off"
        );
        let message = refusal(
            s3(StorageValues::default()),
            StorageValues {
                prefix: Some("desks/../other".to_owned()),
                ..StorageValues::default()
            },
            secret("k"),
        );
        assert!(
            message.starts_with("attachments.s3_prefix: 'desks/../other' is not a folder"),
            "{message}"
        );
    }

    #[test]
    fn loopback_endpoints() {
        for url in [
            "http://127.0.0.1:9000",
            "http://localhost",
            "http://[::1]:9000",
        ] {
            assert!(is_loopback(url), "{url}");
        }
        for url in [
            "http://10.0.0.5:9000",
            "http://s3.example.org",
            "http://127.example.org",
        ] {
            assert!(!is_loopback(url), "{url}");
        }
    }

    #[test]
    fn bucket_settings_without_the_s3_storage_are_refused() {
        let message = refusal(
            StorageValues::default(),
            StorageValues {
                bucket: Some("desk-files".to_owned()),
                ..StorageValues::default()
            },
            no_secret(),
        );
        assert!(
            message.starts_with("attachments.s3_bucket: a bucket setting, but attachments.storage"),
            "{message}"
        );
    }

    #[test]
    fn the_secret_is_required_and_never_shown() {
        let message = refusal(
            s3(StorageValues::default()),
            StorageValues::default(),
            no_secret(),
        );
        assert!(message.contains(SECRET_FILE_VARIABLE), "{message}");
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("secret");
        std::fs::write(&path, "from-the-file\n").expect("written");
        let from_file = Secret {
            value: None,
            file_variable: None,
            file_key: Some(path.clone()),
        };
        let AttachmentStorage::Bucket(bucket) = resolve_with(
            s3(StorageValues::default()),
            StorageValues::default(),
            from_file,
        )
        .expect("valid") else {
            panic!("a bucket");
        };
        assert_eq!(bucket.secret_access_key, "from-the-file");
        assert!(!format!("{bucket:?}").contains("from-the-file"));
        let both = Secret {
            value: Some("a".into()),
            file_variable: Some(path.into_os_string()),
            file_key: None,
        };
        let message = refusal(s3(StorageValues::default()), StorageValues::default(), both);
        assert!(message.contains("not both"), "{message}");
        let message = refusal(
            s3(StorageValues::default()),
            StorageValues::default(),
            secret(" "),
        );
        assert_eq!(
            message,
            "CVDESK_S3_SECRET_ACCESS_KEY: the secret access key is empty"
        );
    }
}
