//! Attachment bytes on the local file system, named by their SHA-256 and kept outside any
//! served path. A file arrives in `.incoming/` under a random name (mode 0600), is flushed,
//! then renamed to its hash and its folder flushed before the transaction that names it
//! commits, so a committed attachment is always on disk. Every file operation runs on the
//! blocking pool.
//!
//! Blobs are shared by content, so one may be named by two reports. Linking (rename, then
//! commit) holds `links` for reading; removing holds it for writing and checks again that
//! nothing names the blob, so a blob is never removed between a link and its commit.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use tokio::sync::RwLock;

use super::{BlobSink, StagedBlob, StagedPlace};
use crate::data_folder::{create_private_dir, create_private_file};
use crate::StoreError;

const INCOMING: &str = ".incoming";

#[derive(Debug, Clone)]
pub struct BlobDir {
    root: PathBuf,
    links: Arc<RwLock<()>>,
}

impl BlobDir {
    /// Opens the folder, creating it (and its `.incoming/`) on first use.
    pub fn create(root: PathBuf) -> Result<Self, StoreError> {
        create_private_dir(&root)?;
        create_private_dir(&root.join(INCOMING))?;
        Ok(BlobDir {
            root,
            links: Arc::new(RwLock::new(())),
        })
    }

    /// Held for reading from the first link until the commit that names the blobs, and for
    /// writing while unreferenced blobs are removed.
    pub fn links(&self) -> &RwLock<()> {
        &self.links
    }

    /// A new temporary file for one incoming attachment.
    pub async fn begin(&self) -> Result<Box<dyn BlobSink>, StoreError> {
        let mut random = [0u8; 16];
        getrandom::fill(&mut random)
            .map_err(|e| StoreError::Corrupt(format!("no randomness for a temporary name: {e}")))?;
        let path = self.root.join(INCOMING).join(hex::encode(random));
        let opened = path.clone();
        let file = blocking(move || create_private_file(&opened)).await?;
        Ok(Box::new(FileSink {
            file: Some(file),
            incoming: IncomingFile { path },
        }))
    }

    /// Moves staged files to their names (unless a file with the same content is there
    /// already) and flushes the folders, so they survive a crash once the caller commits.
    /// Call with `links` held for reading.
    pub async fn link(&self, staged: Vec<(String, PathBuf)>) -> Result<(), StoreError> {
        if staged.is_empty() {
            return Ok(());
        }
        let root = self.root.clone();
        blocking(move || {
            for (sha256, temp_path) in staged {
                let final_path = path_of(&root, &sha256)?;
                let folder = final_path.parent().unwrap_or(&root).to_path_buf();
                if final_path.exists() {
                    fs::remove_file(&temp_path).map_err(io("remove duplicate", &temp_path))?;
                    continue;
                }
                let new_folder = !folder.exists();
                create_private_dir(&folder)?;
                fs::rename(&temp_path, &final_path).map_err(io("store attachment", &final_path))?;
                sync_dir(&folder)?;
                if new_folder {
                    sync_dir(&root)?;
                }
            }
            Ok(())
        })
        .await
    }

    pub async fn read(&self, sha256: &str) -> Result<Vec<u8>, StoreError> {
        let path = path_of(&self.root, sha256)?;
        tokio::fs::read(&path)
            .await
            .map_err(io("read attachment", &path))
    }

    /// Removes the named blobs. Call with `links` held for writing, after checking that no
    /// attachment names them.
    pub async fn remove(&self, sha256s: Vec<String>) -> Result<u64, StoreError> {
        let root = self.root.clone();
        blocking(move || {
            let mut removed = 0;
            for sha256 in sha256s {
                let path = path_of(&root, &sha256)?;
                match fs::remove_file(&path) {
                    Ok(()) => removed += 1,
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                    Err(error) => return Err(io("remove attachment", &path)(error)),
                }
            }
            Ok(removed)
        })
        .await
    }

    /// Every stored blob whose name starts with `prefix` (two hex digits).
    pub async fn stored_with_prefix(&self, prefix: String) -> Result<Vec<String>, StoreError> {
        let folder = self.root.join(&prefix);
        blocking(move || {
            let entries = match fs::read_dir(&folder) {
                Ok(entries) => entries,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
                Err(error) => return Err(io("list attachments", &folder)(error)),
            };
            let mut names = Vec::new();
            for entry in entries {
                let entry = entry.map_err(io("list attachments", &folder))?;
                if let Some(name) = entry.file_name().to_str() {
                    if is_blob_name(name) && name.starts_with(&prefix) {
                        names.push(name.to_owned());
                    }
                }
            }
            Ok(names)
        })
        .await
    }

    /// Removes temporary files last written before `cutoff`: uploads that were refused,
    /// abandoned or cut short by a crash.
    pub async fn sweep_incoming(&self, cutoff: std::time::SystemTime) -> Result<u64, StoreError> {
        let folder = self.root.join(INCOMING);
        blocking(move || {
            let mut removed = 0;
            let entries = fs::read_dir(&folder).map_err(io("list incoming files", &folder))?;
            for entry in entries {
                let entry = entry.map_err(io("list incoming files", &folder))?;
                let path = entry.path();
                let modified = entry.metadata().and_then(|meta| meta.modified());
                let stale = modified.is_ok_and(|modified| modified < cutoff);
                if stale && fs::remove_file(&path).is_ok() {
                    removed += 1;
                }
            }
            Ok(removed)
        })
        .await
    }
}

/// The two-hex-digit folders blobs are spread over.
pub fn blob_prefixes() -> impl Iterator<Item = String> {
    (0..=255u8).map(|byte| hex::encode([byte]))
}

/// A temporary file of an upload; removed when dropped, unless it was linked (renamed) by
/// then, in which case there is nothing left to remove.
#[derive(Debug)]
pub struct IncomingFile {
    pub(crate) path: PathBuf,
}

impl Drop for IncomingFile {
    fn drop(&mut self) {
        let path = std::mem::take(&mut self.path);
        let remove = move || match fs::remove_file(&path) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                tracing::warn!(%error, path = %path.display(), "cannot remove a temporary file");
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn_blocking(remove)),
            Err(_) => remove(),
        }
    }
}

struct FileSink {
    /// `None` only while a write is running on the blocking pool.
    file: Option<fs::File>,
    incoming: IncomingFile,
}

#[async_trait]
impl BlobSink for FileSink {
    async fn write(&mut self, chunk: Vec<u8>, mut hasher: Sha256) -> Result<Sha256, StoreError> {
        let mut file = self.file.take().ok_or_else(interrupted)?;
        let path = self.incoming.path.clone();
        let (file, hasher) = blocking(move || {
            hasher.update(&chunk);
            file.write_all(&chunk)
                .map_err(io("write attachment", &path))?;
            Ok((file, hasher))
        })
        .await?;
        self.file = Some(file);
        Ok(hasher)
    }

    async fn finish(
        mut self: Box<Self>,
        sha256: String,
        size_bytes: u64,
    ) -> Result<StagedBlob, StoreError> {
        let file = self.file.take().ok_or_else(interrupted)?;
        let path = self.incoming.path.clone();
        blocking(move || file.sync_all().map_err(io("flush attachment", &path))).await?;
        let FileSink { incoming, .. } = *self;
        Ok(StagedBlob {
            sha256,
            size_bytes,
            place: StagedPlace::File(incoming),
        })
    }
}

fn interrupted() -> StoreError {
    StoreError::Corrupt("an attachment write was interrupted".to_owned())
}

/// Runs file-system work on the blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| StoreError::Corrupt(format!("a file operation did not finish: {error}")))?
}

fn is_blob_name(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit())
}

fn path_of(root: &Path, sha256: &str) -> Result<PathBuf, StoreError> {
    if !is_blob_name(sha256) {
        return Err(StoreError::Corrupt(format!(
            "'{sha256}' is not a blob name"
        )));
    }
    Ok(root.join(&sha256[..2]).join(sha256))
}

/// Flushes a folder's entries (a rename into it, a new subfolder) to disk.
fn sync_dir(folder: &Path) -> Result<(), StoreError> {
    fs::File::open(folder)
        .and_then(|dir| dir.sync_all())
        .map_err(io("flush folder", folder))
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StoreError {
    let path = path.to_path_buf();
    move |source| StoreError::Io {
        action,
        path,
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blobs::BlobWriter;

    async fn stage(blobs: &BlobDir, content: &[u8]) -> StagedBlob {
        let mut writer = BlobWriter::new(blobs.begin().await.expect("begun"));
        for piece in content.chunks(1000) {
            writer.write(piece).await.expect("written");
        }
        writer.finish().await.expect("finished")
    }

    fn temp_path(staged: &StagedBlob) -> PathBuf {
        match &staged.place {
            StagedPlace::File(file) => file.path.clone(),
            StagedPlace::Upload(_) | StagedPlace::Object(_) => {
                unreachable!("a folder stages files")
            }
        }
    }

    #[tokio::test]
    async fn stores_by_hash_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let blobs = BlobDir::create(dir.path().join("blobs")).expect("created");
        let first = stage(&blobs, b"hello").await;
        let again = stage(&blobs, b"hello").await;
        assert_eq!(
            first.sha256(),
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(first.sha256(), again.sha256());
        let staged = vec![
            (first.sha256.clone(), temp_path(&first)),
            (again.sha256.clone(), temp_path(&again)),
        ];
        blobs.link(staged).await.expect("linked");
        assert_eq!(blobs.read(first.sha256()).await.expect("read"), b"hello");
        assert!(!temp_path(&again).exists(), "the duplicate is gone");
        assert!(blobs.read("../../etc/passwd").await.is_err());
    }

    #[tokio::test]
    async fn large_files_are_hashed_across_chunks() {
        let dir = tempfile::tempdir().expect("temp dir");
        let blobs = BlobDir::create(dir.path().join("blobs")).expect("created");
        let content: Vec<u8> = (0..(2 * super::super::CHUNK_BYTES + 12345))
            .map(|i| (i % 251) as u8)
            .collect();
        let staged = stage(&blobs, &content).await;
        assert_eq!(staged.size_bytes(), content.len() as u64);
        assert_eq!(staged.sha256(), hex::encode(Sha256::digest(&content)));
        blobs
            .link(vec![(staged.sha256.clone(), temp_path(&staged))])
            .await
            .expect("linked");
        assert_eq!(blobs.read(staged.sha256()).await.expect("read"), content);
    }

    /// The async worker stays free while a file is hashed, written and flushed: on a
    /// runtime with one worker, a ticking task keeps ticking through a large write.
    #[tokio::test(flavor = "current_thread")]
    async fn writing_leaves_the_async_worker_free() {
        let dir = tempfile::tempdir().expect("temp dir");
        let blobs = BlobDir::create(dir.path().join("blobs")).expect("created");
        let ticks = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let counted = std::sync::Arc::clone(&ticks);
        let ticker = tokio::spawn(async move {
            loop {
                tokio::time::sleep(std::time::Duration::from_micros(200)).await;
                counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        });
        let content = vec![0x5A; 16 * 1024 * 1024];
        let mut writer = BlobWriter::new(blobs.begin().await.expect("begun"));
        // One call with the whole file: any work done on the worker would be one stall.
        writer.write(&content).await.expect("written");
        let before_finish = ticks.load(std::sync::atomic::Ordering::Relaxed);
        let staged = writer.finish().await.expect("finished");
        blobs
            .link(vec![(staged.sha256.clone(), temp_path(&staged))])
            .await
            .expect("linked");
        let read = blobs.read(staged.sha256()).await.expect("read");
        ticker.abort();
        assert_eq!(read.len(), content.len());
        assert!(
            before_finish >= 5,
            "the worker ticked {before_finish} times while 16 MiB were hashed and written"
        );
    }

    #[tokio::test]
    async fn unlinked_files_go_when_dropped_and_stale_ones_when_swept() {
        let dir = tempfile::tempdir().expect("temp dir");
        let blobs = BlobDir::create(dir.path().join("blobs")).expect("created");
        let dropped = stage(&blobs, b"refused").await;
        let path = temp_path(&dropped);
        assert!(path.exists());
        drop(dropped);
        for _ in 0..100 {
            if !path.exists() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert!(!path.exists(), "a refused upload leaves nothing behind");

        let abandoned = dir.path().join("blobs").join(INCOMING).join("abandoned");
        fs::write(&abandoned, b"a crash left this").expect("written");
        let future = std::time::SystemTime::now() + std::time::Duration::from_secs(1);
        let past = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        assert_eq!(blobs.sweep_incoming(past).await.expect("swept"), 0);
        assert!(abandoned.exists(), "a file still being written stays");
        assert_eq!(blobs.sweep_incoming(future).await.expect("swept"), 1);
        assert!(!abandoned.exists());
    }
}
