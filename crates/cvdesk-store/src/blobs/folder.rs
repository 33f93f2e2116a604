//! Attachment bytes on the local file system, named by their SHA-256 and kept outside any
//! served path. A file is written to a temporary name, flushed, renamed and its folder
//! flushed, so it is durable before the report that names it is committed.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::rows::sha256_hex;
use crate::StoreError;

#[derive(Debug, Clone)]
pub struct BlobDir {
    root: PathBuf,
}

impl BlobDir {
    pub fn create(root: PathBuf) -> Result<Self, StoreError> {
        fs::create_dir_all(&root).map_err(io("create folder", &root))?;
        Ok(BlobDir { root })
    }

    /// Stores the bytes (once, however often they are attached) and returns their hash.
    pub fn put(&self, content: &[u8]) -> Result<String, StoreError> {
        let sha256 = sha256_hex(content);
        let final_path = self.path_of(&sha256);
        if final_path.exists() {
            return Ok(sha256);
        }
        let folder = final_path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| self.root.clone());
        fs::create_dir_all(&folder).map_err(io("create folder", &folder))?;
        let mut random = [0u8; 8];
        getrandom::fill(&mut random)
            .map_err(|e| StoreError::Corrupt(format!("no randomness for a temporary name: {e}")))?;
        let temp_path = folder.join(format!(".incoming-{}", hex::encode(random)));
        let write = || -> std::io::Result<()> {
            let mut file = fs::File::create(&temp_path)?;
            file.write_all(content)?;
            file.sync_all()?;
            fs::rename(&temp_path, &final_path)?;
            fs::File::open(&folder)?.sync_all()
        };
        write().map_err(|source| {
            let _ = fs::remove_file(&temp_path);
            StoreError::Io {
                action: "write attachment",
                path: final_path.clone(),
                source,
            }
        })?;
        Ok(sha256)
    }

    pub fn get(&self, sha256: &str) -> Result<Vec<u8>, StoreError> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StoreError::Corrupt(format!(
                "'{sha256}' is not a blob name"
            )));
        }
        let path = self.path_of(sha256);
        fs::read(&path).map_err(io("read attachment", &path))
    }

    fn path_of(&self, sha256: &str) -> PathBuf {
        self.root.join(&sha256[..2]).join(sha256)
    }
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

    #[test]
    fn stores_by_hash_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let blobs = BlobDir::create(dir.path().join("blobs")).expect("created");
        let first = blobs.put(b"hello").expect("stored");
        let again = blobs.put(b"hello").expect("stored again");
        assert_eq!(first, again);
        assert_eq!(
            first,
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
        assert_eq!(blobs.get(&first).expect("read"), b"hello");
        assert!(blobs.get("../../etc/passwd").is_err());
    }
}
