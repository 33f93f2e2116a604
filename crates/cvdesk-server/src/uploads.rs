//! Reading a multipart form with files (the report form, a finder's reply) as it arrives.
//! Each file goes straight into the store a chunk at a time (hashed as it comes, staged
//! until the report or message that names it commits), checked against the limits while
//! its bytes come, so no file is ever held whole in memory. Once a file breaks a limit,
//! nothing more is stored and what was staged is let go; the rest of the form is still
//! read, so the finder's text can come back to them with the reason.

use axum::extract::multipart::{Field as Part, MultipartError};
use axum::http::StatusCode;
use cvdesk_domain::attachment::{AttachmentError, AttachmentLimits, AttachmentName};
use cvdesk_store::{BlobWriter, NewAttachment, Store};

use crate::error::WebError;

/// Supporting files as received, or the first limit they broke.
#[derive(Default)]
pub struct ReceivedFiles {
    pub files: Vec<NewAttachment>,
    pub refusal: Option<AttachmentError>,
    /// Whether the form carried any file at all, kept or not: a form that comes back must
    /// then say that files have to be chosen again.
    pub sent_any: bool,
}

/// Receives the file parts of one form into the store, within its limits.
pub struct FileReceiver<'a> {
    store: &'a dyn Store,
    limits: AttachmentLimits,
    /// Bytes the report may still receive over its life.
    allowance: u64,
    received: ReceivedFiles,
    total: u64,
}

impl<'a> FileReceiver<'a> {
    /// For a form whose files may add up to `allowance` bytes besides the per-file,
    /// per-form and count limits (`u64::MAX` for a new report).
    pub fn new(store: &'a dyn Store, limits: AttachmentLimits, allowance: u64) -> Self {
        FileReceiver {
            store,
            limits,
            allowance,
            received: ReceivedFiles::default(),
            total: 0,
        }
    }

    /// Stores one file part. An empty file input still sends a part with no name and no
    /// bytes: that is no file.
    pub async fn receive(&mut self, mut part: Part<'_>) -> Result<(), WebError> {
        let raw_name = part.file_name().unwrap_or_default().to_owned();
        let name = AttachmentName::sanitize(&raw_name);
        let mut writer: Option<BlobWriter> = None;
        let mut refused = self.received.refusal.is_some();
        while let Some(chunk) = part.chunk().await.map_err(malformed)? {
            self.received.sent_any = true;
            if refused {
                continue;
            }
            let size = writer.as_ref().map_or(0, BlobWriter::size_bytes) + chunk.len() as u64;
            if let Err(refusal) = self.check(&name, size, writer.is_none()) {
                self.refuse(refusal);
                writer = None;
                refused = true;
                continue;
            }
            let writer = match &mut writer {
                Some(writer) => writer,
                None => writer.insert(self.store.begin_blob().await?),
            };
            writer.write(&chunk).await?;
        }
        if refused {
            return Ok(());
        }
        let writer = match writer {
            Some(writer) => writer,
            None if raw_name.is_empty() => return Ok(()),
            None => {
                // A chosen file that is empty is still a file.
                self.received.sent_any = true;
                if let Err(refusal) = self.check(&name, 0, true) {
                    self.refuse(refusal);
                    return Ok(());
                }
                self.store.begin_blob().await?
            }
        };
        let blob = writer.finish().await?;
        self.total += blob.size_bytes();
        self.received.files.push(NewAttachment { name, blob });
        Ok(())
    }

    /// Reads a file part without storing it (the form is refused for another reason).
    pub async fn discard(&mut self, mut part: Part<'_>) -> Result<(), WebError> {
        let chosen = part.file_name().is_some_and(|name| !name.is_empty());
        while part.chunk().await.map_err(malformed)?.is_some() {
            self.received.sent_any = true;
        }
        self.received.sent_any |= chosen;
        Ok(())
    }

    /// Refuses every file of the form, stored or still to come.
    pub fn refuse(&mut self, refusal: AttachmentError) {
        self.received.refusal.get_or_insert(refusal);
        // Staged files are let go now rather than when the request ends.
        self.received.files.clear();
    }

    pub fn finish(self) -> ReceivedFiles {
        self.received
    }

    /// The limits a file of `size` bytes so far would break; `starting` when it is a new
    /// file that must fit the count.
    fn check(
        &self,
        name: &AttachmentName,
        size: u64,
        starting: bool,
    ) -> Result<(), AttachmentError> {
        if starting && self.received.files.len() >= self.limits.max_files {
            return Err(AttachmentError::TooMany {
                max: self.limits.max_files,
            });
        }
        self.limits.check_file(name, size)?;
        let total = self.total + size;
        self.limits.check_set(self.received.files.len(), total)?;
        if total > self.allowance {
            return Err(self.limits.report_full());
        }
        Ok(())
    }
}

/// Reads a text part up to `cap` bytes and drains the rest. `None` when the part is empty.
pub async fn read_text(mut part: Part<'_>, cap: usize) -> Result<Option<Vec<u8>>, WebError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = part.chunk().await.map_err(malformed)? {
        let room = cap.saturating_sub(bytes.len());
        bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    Ok((!bytes.is_empty()).then_some(bytes))
}

/// What a broken or cut-off multipart body means to the person who sent it.
pub fn malformed(error: MultipartError) -> WebError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return WebError::PayloadTooLarge(
            "The submission is larger than this desk accepts. Go back, remove or shrink \
             some files, and send it again: your text is still in the form."
                .to_owned(),
        );
    }
    if timed_out(&error) {
        return WebError::RequestTimeout(
            "The submission stopped arriving before it was complete. Go back and send it \
             again: your text is still in the form."
                .to_owned(),
        );
    }
    WebError::bad_request(
        "malformed_form",
        format!(
            "The form could not be read ({}). Go back and send it again.",
            error.body_text()
        ),
    )
}

/// Whether the body stopped because the client paused longer than the body-read limit.
fn timed_out(error: &MultipartError) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if current.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        source = current.source();
    }
    false
}
