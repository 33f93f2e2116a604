//! Attachment bytes as objects in an S3-compatible bucket, with either database. An upload
//! is hashed and sent as a multipart upload while it arrives (at most one part of
//! `PART_BYTES` buffered and one in flight, whatever the file's size) to a staging key
//! under `incoming/`; linking copies it to `blobs/XX/<sha256>`, the layout of the data
//! folder's `blobs/`, and deletes the staged object. Both live under the configured prefix,
//! when there is one, so several desks may share a bucket. A crash leaves only staged objects,
//! which the sweep removes by age, and objects no attachment names, which it removes
//! once no transaction can be about to name them (see `Linking` in `sql_store`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt, RetryConfig, WriteMultipart};
use sha2::{Digest, Sha256};
use tokio::sync::RwLock;

use super::{BlobSink, StagedBlob, StagedPlace};
use crate::StoreError;

/// The smallest part S3 accepts before the last one.
const PART_BYTES: usize = 5 * 1024 * 1024;
/// Where uploads wait for the transaction that names them.
const INCOMING: &str = "incoming";
/// Where named bytes live, by hash.
const BLOBS: &str = "blobs";
/// The region when none is configured, as the AWS tools assume.
pub const DEFAULT_REGION: &str = "us-east-1";

/// How to reach the bucket. The secret never appears in `Debug` or in an error.
#[derive(Clone)]
pub struct BucketSettings {
    /// `https://…` (or `http://…` on a trusted network); `None` for AWS itself.
    pub endpoint: Option<String>,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// `https://host/bucket/key` instead of `https://bucket.host/key` (MinIO and other
    /// servers without a name per bucket).
    pub path_style: bool,
    /// A folder of the bucket the desk keeps its objects in, without slashes around it;
    /// `None` for the bucket's top.
    pub prefix: Option<String>,
}

impl std::fmt::Debug for BucketSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BucketSettings")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"(hidden)")
            .field("path_style", &self.path_style)
            .field("prefix", &self.prefix)
            .finish()
    }
}

impl BucketSettings {
    /// The bucket for people: its name and where it is.
    pub fn describe(&self) -> String {
        let folder = self
            .prefix
            .as_deref()
            .map_or_else(String::new, |prefix| format!(" (under {prefix}/)"));
        match &self.endpoint {
            Some(endpoint) => format!("bucket {}{folder} at {endpoint}", self.bucket),
            None => format!(
                "bucket {}{folder} in AWS region {}",
                self.bucket, self.region
            ),
        }
    }
}

/// The bucket attachments are kept in.
#[derive(Debug, Clone)]
pub struct BlobBucket {
    store: Arc<dyn ObjectStore>,
    /// Keys begin with this: empty, or the prefix and a slash.
    prefix: String,
    described: String,
    /// Within one process: held for reading from the first copy to a final key until the
    /// commit that names it, and for writing while unnamed objects are removed.
    links: Arc<RwLock<()>>,
}

impl BlobBucket {
    /// Connects to the bucket and proves, with a small object written, listed and deleted
    /// under `incoming/`, that the bucket exists and the credentials may do all the desk
    /// does; otherwise says what is wrong, so a wrong secret stops the desk at start
    /// rather than failing a finder's upload.
    pub async fn connect(settings: &BucketSettings) -> Result<Self, StoreError> {
        let bucket = Self::new(settings)?;
        bucket.check().await?;
        Ok(bucket)
    }

    fn new(settings: &BucketSettings) -> Result<Self, StoreError> {
        let described = settings.describe();
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&settings.bucket)
            .with_region(&settings.region)
            .with_access_key_id(&settings.access_key_id)
            .with_secret_access_key(&settings.secret_access_key)
            .with_virtual_hosted_style_request(!settings.path_style)
            .with_client_options(
                ClientOptions::new()
                    .with_allow_http(
                        settings
                            .endpoint
                            .as_deref()
                            .is_some_and(|url| url.starts_with("http://")),
                    )
                    .with_connect_timeout(Duration::from_secs(5))
                    .with_timeout(Duration::from_secs(60)),
            )
            // An unreachable bucket is said within seconds, not after minutes of retries.
            .with_retry(RetryConfig {
                max_retries: 3,
                retry_timeout: Duration::from_secs(20),
                ..RetryConfig::default()
            });
        if let Some(endpoint) = &settings.endpoint {
            builder = builder.with_endpoint(bucket_endpoint(endpoint, settings)?);
        }
        let store = builder
            .build()
            .map_err(|error| StoreError::Bucket(format!("{described}: {}", explain(&error))))?;
        Ok(BlobBucket {
            store: Arc::new(store),
            prefix: settings
                .prefix
                .as_deref()
                .map_or_else(String::new, |prefix| format!("{prefix}/")),
            described,
            links: Arc::new(RwLock::new(())),
        })
    }

    async fn check(&self) -> Result<(), StoreError> {
        let probe = self.key(&format!("{INCOMING}/check-{}", random_name()?));
        self.store
            .put(&probe, b"cvdesk".to_vec().into())
            .await
            .map_err(|e| self.error("cannot write to the", &e))?;
        let listed = self
            .store
            .list(Some(&self.key(INCOMING)))
            .try_next()
            .await
            .map_err(|e| self.error("cannot list the", &e));
        let deleted = self
            .store
            .delete(&probe)
            .await
            .map_err(|e| self.error("cannot delete from the", &e));
        listed?;
        deleted
    }

    /// The bucket's name and place, for messages.
    pub fn describe(&self) -> &str {
        &self.described
    }

    pub fn links(&self) -> &RwLock<()> {
        &self.links
    }

    /// A new multipart upload to a staging key.
    pub async fn begin(&self) -> Result<Box<dyn BlobSink>, StoreError> {
        let key = self.key(&format!("{INCOMING}/{}", random_name()?));
        let upload = self
            .store
            .put_multipart(&key)
            .await
            .map_err(|e| self.error("cannot start an upload to the", &e))?;
        Ok(Box::new(ObjectSink {
            upload: Some(WriteMultipart::new_with_chunk_size(upload, PART_BYTES)),
            staged: Some(StagedObject {
                key,
                bucket: self.clone(),
                linked: AtomicBool::new(false),
            }),
        }))
    }

    /// Copies a staged object to its final key (an object with the same content there is
    /// simply replaced by the same bytes) and deletes the staged one.
    pub async fn link(&self, staged: &StagedObject, sha256: &str) -> Result<(), StoreError> {
        let final_key = self.key_of(sha256)?;
        self.store
            .copy(&staged.key, &final_key)
            .await
            .map_err(|e| self.error("cannot store an attachment in the", &e))?;
        staged.linked.store(true, Ordering::Release);
        if let Err(error) = self.store.delete(&staged.key).await {
            tracing::warn!(
                error = %explain(&error),
                "a staged attachment is left to the sweep"
            );
        }
        Ok(())
    }

    pub async fn read(&self, sha256: &str) -> Result<Vec<u8>, StoreError> {
        let key = self.key_of(sha256)?;
        let object = self
            .store
            .get(&key)
            .await
            .map_err(|e| self.error("cannot read an attachment from the", &e))?;
        let bytes = object
            .bytes()
            .await
            .map_err(|e| self.error("cannot read an attachment from the", &e))?;
        Ok(bytes.to_vec())
    }

    /// Whether the object of `sha256` is in the bucket.
    pub async fn holds(&self, sha256: &str) -> Result<bool, StoreError> {
        match self.store.head(&self.key_of(sha256)?).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(error) => Err(self.error("cannot look into the", &error)),
        }
    }

    /// Deletes the named objects. Call only once nothing names them and no transaction can
    /// be about to (see `links`).
    pub async fn remove(&self, sha256s: &[String]) -> Result<u64, StoreError> {
        let mut removed = 0;
        for sha256 in sha256s {
            self.store
                .delete(&self.key_of(sha256)?)
                .await
                .map_err(|e| self.error("cannot delete an attachment from the", &e))?;
            removed += 1;
        }
        Ok(removed)
    }

    /// Every stored object's hash, in the bucket's listing order (by key, so by hash).
    pub fn stored(
        &self,
    ) -> impl futures_util::stream::Stream<Item = Result<String, StoreError>> + Send + '_ {
        self.store
            .list(Some(&self.key(BLOBS)))
            .map_err(|e| self.error("cannot list the", &e))
            .try_filter_map(|meta| async move {
                Ok(meta
                    .location
                    .filename()
                    .filter(|name| is_blob_name(name))
                    .map(str::to_owned))
            })
    }

    /// Deletes staged objects last written before `cutoff`: uploads refused, abandoned or
    /// cut short by a crash after they completed.
    pub async fn sweep_incoming(&self, cutoff: time::OffsetDateTime) -> Result<u64, StoreError> {
        let cutoff_millis =
            i64::try_from(cutoff.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MIN);
        let stale: Vec<Path> =
            self.store
                .list(Some(&self.key(INCOMING)))
                .try_filter_map(|meta| async move {
                    Ok((meta.last_modified.timestamp_millis() < cutoff_millis)
                        .then_some(meta.location))
                })
                .try_collect()
                .await
                .map_err(|e| self.error("cannot list the", &e))?;
        let mut removed = 0;
        for key in stale {
            self.store
                .delete(&key)
                .await
                .map_err(|e| self.error("cannot delete from the", &e))?;
            removed += 1;
        }
        Ok(removed)
    }

    /// `rest` under the prefix.
    fn key(&self, rest: &str) -> Path {
        Path::from(format!("{}{rest}", self.prefix))
    }

    /// `blobs/XX/<sha256>` under the prefix, as in the data folder.
    fn key_of(&self, sha256: &str) -> Result<Path, StoreError> {
        if !is_blob_name(sha256) {
            return Err(StoreError::Corrupt(format!(
                "'{sha256}' is not a blob name"
            )));
        }
        Ok(self.key(&format!("{BLOBS}/{}/{sha256}", &sha256[..2])))
    }

    fn error(&self, action: &str, error: &object_store::Error) -> StoreError {
        StoreError::Bucket(format!("{action} {}: {}", self.described, explain(error)))
    }
}

/// The endpoint object_store is given: the service's own with path-style addressing, or
/// the service's with the bucket's name in front of the host.
fn bucket_endpoint(endpoint: &str, settings: &BucketSettings) -> Result<String, StoreError> {
    let endpoint = endpoint.trim_end_matches('/');
    if settings.path_style {
        return Ok(endpoint.to_owned());
    }
    let (scheme, host) = endpoint.split_once("://").ok_or_else(|| {
        StoreError::Bucket(format!("'{endpoint}' is not an http:// or https:// URL"))
    })?;
    Ok(format!("{scheme}://{}.{host}", settings.bucket))
}

/// An S3 error in a sentence: the service's code and message where it sent them, and
/// otherwise the innermost cause (a refused connection, a name that does not resolve),
/// never the request's signature.
pub fn explain(error: &object_store::Error) -> String {
    let text = error.to_string();
    if let Some(code) = between(&text, "<Code>", "</Code>") {
        let message = between(&text, "<Message>", "</Message>").unwrap_or_default();
        let hint = match code {
            "NoSuchBucket" => " (no such bucket: check the bucket's name and the endpoint)",
            "InvalidAccessKeyId" | "SignatureDoesNotMatch" => {
                " (the credentials are refused: check the access key id and the secret)"
            }
            "AccessDenied" => " (the credentials may not do this: the desk needs to put, get, list and delete objects)",
            "PermanentRedirect" | "AuthorizationHeaderMalformed" => {
                " (check the region, and the path-style setting)"
            }
            _ => "",
        };
        return format!("{code}: {message}{hint}");
    }
    let mut innermost: &dyn std::error::Error = error;
    while let Some(source) = innermost.source() {
        innermost = source;
    }
    let cause = innermost.to_string();
    let cause: String = cause.chars().take(300).collect();
    if cause == text {
        cause
    } else {
        format!("{cause} ({})", text.chars().take(300).collect::<String>())
    }
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let to = text[from..].find(end)? + from;
    Some(&text[from..to])
}

fn random_name() -> Result<String, StoreError> {
    let mut random = [0u8; 16];
    getrandom::fill(&mut random)
        .map_err(|e| StoreError::Corrupt(format!("no randomness for a staging name: {e}")))?;
    Ok(hex::encode(random))
}

fn is_blob_name(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A completed upload under `incoming/`, deleted when dropped unless it was linked.
#[derive(Debug)]
pub struct StagedObject {
    key: Path,
    bucket: BlobBucket,
    linked: AtomicBool,
}

impl Drop for StagedObject {
    fn drop(&mut self) {
        if self.linked.load(Ordering::Acquire) {
            return;
        }
        let (key, store) = (self.key.clone(), Arc::clone(&self.bucket.store));
        // Without a runtime the sweep removes it once stale.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            drop(runtime.spawn(async move {
                if let Err(error) = store.delete(&key).await {
                    tracing::warn!(error = %explain(&error), "cannot delete a staged attachment");
                }
            }));
        }
    }
}

/// An upload on its way to the bucket.
struct ObjectSink {
    /// `None` once finished.
    upload: Option<WriteMultipart>,
    staged: Option<StagedObject>,
}

#[async_trait]
impl BlobSink for ObjectSink {
    async fn write(&mut self, chunk: Vec<u8>, mut hasher: Sha256) -> Result<Sha256, StoreError> {
        let upload = self.upload.as_mut().ok_or_else(interrupted)?;
        let staged = self.staged.as_ref().ok_or_else(interrupted)?;
        // One part in flight at a time: memory stays at a part or two per upload.
        upload
            .wait_for_capacity(1)
            .await
            .map_err(|e| staged.bucket.error("cannot upload to the", &e))?;
        let (chunk, hasher) = tokio::task::spawn_blocking(move || {
            hasher.update(&chunk);
            (chunk, hasher)
        })
        .await
        .map_err(|error| StoreError::Corrupt(format!("hashing did not finish: {error}")))?;
        upload.write(&chunk);
        Ok(hasher)
    }

    async fn finish(
        mut self: Box<Self>,
        sha256: String,
        size_bytes: u64,
    ) -> Result<StagedBlob, StoreError> {
        let upload = self.upload.take().ok_or_else(interrupted)?;
        let staged = self.staged.take().ok_or_else(interrupted)?;
        upload
            .finish()
            .await
            .map_err(|e| staged.bucket.error("cannot upload to the", &e))?;
        Ok(StagedBlob {
            sha256,
            size_bytes,
            place: StagedPlace::Object(staged),
        })
    }
}

impl Drop for ObjectSink {
    /// An upload given up halfway is aborted, so the bucket drops its parts.
    fn drop(&mut self) {
        if let (Some(upload), Ok(runtime)) =
            (self.upload.take(), tokio::runtime::Handle::try_current())
        {
            drop(runtime.spawn(async move {
                if let Err(error) = upload.abort().await {
                    tracing::warn!(error = %explain(&error), "cannot abort an upload");
                }
            }));
        }
    }
}

fn interrupted() -> StoreError {
    StoreError::Corrupt("an attachment upload was interrupted".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(endpoint: Option<&str>, path_style: bool) -> BucketSettings {
        BucketSettings {
            endpoint: endpoint.map(str::to_owned),
            bucket: "desk-files".to_owned(),
            region: DEFAULT_REGION.to_owned(),
            access_key_id: "AKIDEXAMPLE".to_owned(),
            secret_access_key: "wJalrXUtnFEMI".to_owned(),
            path_style,
            prefix: None,
        }
    }

    #[test]
    fn the_secret_stays_out_of_debug() {
        let shown = format!("{:?}", settings(None, false));
        assert!(!shown.contains("wJalrXUtnFEMI"), "{shown}");
        assert!(shown.contains("AKIDEXAMPLE"), "{shown}");
    }

    #[test]
    fn endpoints_by_addressing_style() {
        let path = settings(Some("http://127.0.0.1:9000/"), true);
        assert_eq!(
            bucket_endpoint("http://127.0.0.1:9000/", &path).expect("url"),
            "http://127.0.0.1:9000"
        );
        let hosted = settings(Some("https://s3.example.org"), false);
        assert_eq!(
            bucket_endpoint("https://s3.example.org", &hosted).expect("url"),
            "https://desk-files.s3.example.org"
        );
        assert_eq!(
            settings(None, false).describe(),
            "bucket desk-files in AWS region us-east-1"
        );
    }

    #[test]
    fn keys_follow_the_data_folder_under_the_prefix() {
        let sha = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
        let top = BlobBucket::new(&settings(Some("http://127.0.0.1:9000"), true)).expect("built");
        assert_eq!(
            top.key_of(sha).expect("key").as_ref(),
            format!("blobs/2c/{sha}")
        );
        assert!(top.key_of("../../etc/passwd").is_err());
        let mut shared = settings(Some("http://127.0.0.1:9000"), true);
        shared.prefix = Some("desks/security".to_owned());
        let under = BlobBucket::new(&shared).expect("built");
        assert_eq!(
            under.key_of(sha).expect("key").as_ref(),
            format!("desks/security/blobs/2c/{sha}")
        );
        assert_eq!(
            under.describe(),
            "bucket desk-files (under desks/security/) at http://127.0.0.1:9000"
        );
    }

    #[test]
    fn service_errors_read_as_their_code() {
        let body = "Error performing PUT http://h/b/k - Server returned non-2xx status code: \
             403 Forbidden: <?xml version=\"1.0\"?><Error><Code>SignatureDoesNotMatch</Code>\
             <Message>The request signature we calculated does not match</Message>\
             <SignatureProvided>abc</SignatureProvided></Error>";
        let error = object_store::Error::Generic {
            store: "S3",
            source: body.into(),
        };
        let explained = explain(&error);
        assert!(
            explained.starts_with("SignatureDoesNotMatch: The request signature"),
            "{explained}"
        );
        assert!(explained.contains("check the access key id"), "{explained}");
        assert!(!explained.contains("abc"), "{explained}");
    }
}
