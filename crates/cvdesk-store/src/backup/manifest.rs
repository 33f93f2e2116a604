//! The first member of a backup archive: what made it, when, what it holds (rows per table,
//! files), and the size and SHA-256 of every other member, so a restore can tell a whole,
//! unchanged archive from a cut or altered one before it replaces anything.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::StoreError;

/// What `format` says in every cvdesk backup.
pub const FORMAT: &str = "cvdesk-backup";
/// The layout this version writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// The member that holds the manifest; always the first.
pub const MANIFEST_MEMBER: &str = "manifest.json";
/// The member that holds the database snapshot.
pub const DATABASE_MEMBER: &str = "cvdesk.db";
/// A manifest larger than this is not one this desk wrote.
pub const MAX_MANIFEST_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    /// The store the backup was taken from (`sqlite`).
    pub backend: String,
    /// The cvdesk version that wrote it.
    pub cvdesk_version: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// Rows per table in the snapshot.
    pub counts: BTreeMap<String, u64>,
    /// Attachment files (stored once per content).
    pub files: u64,
    /// Whether the attachment bytes are objects in a bucket, which the archive does not
    /// hold (`files` is then 0).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub attachments_in_bucket: bool,
    pub members: Vec<Member>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

impl Manifest {
    /// Reads a manifest, refusing one this version cannot restore with the reason.
    pub fn parse(bytes: &[u8]) -> Result<Self, StoreError> {
        let manifest: Manifest = serde_json::from_slice(bytes)
            .map_err(|error| invalid(format!("its manifest is not readable: {error}")))?;
        if manifest.format != FORMAT {
            return Err(invalid(format!(
                "its manifest says format '{}', not '{FORMAT}'",
                manifest.format
            )));
        }
        if manifest.format_version != FORMAT_VERSION {
            return Err(invalid(format!(
                "it has format version {}; this cvdesk reads version {FORMAT_VERSION}",
                manifest.format_version
            )));
        }
        if manifest.backend != "sqlite" {
            return Err(invalid(format!(
                "it was taken from a '{}' store; only SQLite backups are restored",
                manifest.backend
            )));
        }
        for member in &manifest.members {
            check_member_path(&member.path)?;
        }
        if !manifest.members.iter().any(|m| m.path == DATABASE_MEMBER) {
            return Err(invalid(format!("its manifest lists no {DATABASE_MEMBER}")));
        }
        Ok(manifest)
    }
}

/// The only paths a backup holds: the database and `blobs/XX/<hash>` with `XX` the hash's
/// first two digits. Anything else (an absolute path, `..`) is refused before it is written.
pub fn check_member_path(path: &str) -> Result<(), StoreError> {
    if path == DATABASE_MEMBER || blob_of_path(path).is_some() {
        Ok(())
    } else {
        Err(invalid(format!("it holds an unexpected member '{path}'")))
    }
}

/// The path of an attachment file in the archive and in the data folder.
pub fn blob_path(sha256: &str) -> String {
    format!("blobs/{}/{sha256}", &sha256[..2])
}

/// The hash a `blobs/XX/<hash>` path names.
pub fn blob_of_path(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("blobs/")?;
    let (prefix, name) = rest.split_once('/')?;
    let is_hash = name.len() == 64
        && name
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte));
    (is_hash && name.starts_with(prefix) && prefix.len() == 2).then_some(name)
}

pub fn invalid(reason: String) -> StoreError {
    StoreError::Backup(format!("not a usable cvdesk backup: {reason}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "ab5d8ff3c2e9a0b1c4d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5";

    fn manifest() -> Manifest {
        Manifest {
            format: FORMAT.to_owned(),
            format_version: FORMAT_VERSION,
            backend: "sqlite".to_owned(),
            cvdesk_version: "0.1.0".to_owned(),
            created_at: "2026-12-06T00:00:00Z".to_owned(),
            counts: BTreeMap::from([("reports".to_owned(), 2)]),
            files: 1,
            attachments_in_bucket: false,
            members: vec![
                Member {
                    path: DATABASE_MEMBER.to_owned(),
                    size: 4096,
                    sha256: HASH.to_owned(),
                },
                Member {
                    path: blob_path(HASH),
                    size: 3,
                    sha256: HASH.to_owned(),
                },
            ],
        }
    }

    fn parsed(manifest: &Manifest) -> Result<Manifest, StoreError> {
        Manifest::parse(&serde_json::to_vec(manifest).expect("json"))
    }

    #[test]
    fn a_written_manifest_reads_back() {
        assert_eq!(parsed(&manifest()).expect("read"), manifest());
        let written = serde_json::to_string(&manifest()).expect("json");
        assert!(
            !written.contains("attachments_in_bucket"),
            "a backup holding its files reads as before: {written}"
        );
        let mut in_bucket = manifest();
        in_bucket.attachments_in_bucket = true;
        in_bucket.files = 0;
        in_bucket.members.truncate(1);
        assert_eq!(parsed(&in_bucket).expect("read"), in_bucket);
    }

    #[test]
    fn member_paths_are_the_database_and_hashed_files_only() {
        assert!(check_member_path("cvdesk.db").is_ok());
        assert!(check_member_path(&blob_path(HASH)).is_ok());
        for path in [
            "/etc/passwd",
            "../cvdesk.db",
            "blobs/ab/../../x",
            "blobs/cd/ab5d8ff3c2e9a0b1c4d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5",
            "blobs/ab/AB5D8FF3C2E9A0B1C4D7E6F5A4B3C2D1E0F9A8B7C6D5E4F3A2B1C0D9E8F7A6B5",
            "blobs/ab/ab",
            "cvdesk.db-wal",
        ] {
            assert!(check_member_path(path).is_err(), "{path} accepted");
        }
    }

    #[test]
    fn other_formats_versions_and_backends_are_refused_with_the_reason() {
        let mut newer = manifest();
        newer.format_version = 2;
        let message = parsed(&newer).expect_err("refused").to_string();
        assert!(message.contains("format version 2"), "{message}");
        let mut postgres = manifest();
        postgres.backend = "postgres".to_owned();
        let message = parsed(&postgres).expect_err("refused").to_string();
        assert!(message.contains("'postgres'"), "{message}");
        let mut traversal = manifest();
        traversal.members[1].path = "../../x".to_owned();
        assert!(parsed(&traversal).is_err());
        let mut without_database = manifest();
        without_database.members.remove(0);
        assert!(parsed(&without_database).is_err());
        let message = Manifest::parse(b"PK\x03\x04")
            .expect_err("refused")
            .to_string();
        assert!(message.contains("manifest is not readable"), "{message}");
    }
}
