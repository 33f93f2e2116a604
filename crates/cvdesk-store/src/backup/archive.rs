//! Writing the backup archive: the manifest first, then the database snapshot, then each
//! attachment file, every member hashed again as it is written so a file damaged on disk
//! is reported instead of being saved under a hash it no longer has.

use std::fs::{self, File};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};

use super::io;
use super::manifest::{blob_path, Manifest, Member, DATABASE_MEMBER, MANIFEST_MEMBER};
use crate::data_folder::create_private_file;
use crate::StoreError;

/// Where the members' bytes are read from.
pub struct Sources {
    pub database: PathBuf,
    pub data_dir: PathBuf,
}

/// The size and SHA-256 of a file, as the member `path`.
pub fn member_of_file(file: &Path, path: &str) -> Result<Member, StoreError> {
    let mut reader = File::open(file).map_err(io("open", file))?;
    let mut hasher = Sha256::new();
    let size = io::copy(&mut reader, &mut hasher).map_err(io("read", file))?;
    Ok(Member {
        path: path.to_owned(),
        size,
        sha256: hex::encode(hasher.finalize()),
    })
}

/// The members of the attachment files `hashes` names, or the first one missing from the
/// folder.
pub fn blob_members(
    data_dir: &Path,
    hashes: &[String],
) -> Result<Result<Vec<Member>, String>, StoreError> {
    let mut members = Vec::with_capacity(hashes.len());
    for sha256 in hashes {
        let path = blob_path(sha256);
        let file = data_dir.join(&path);
        match fs::metadata(&file) {
            Ok(metadata) => members.push(Member {
                path,
                size: metadata.len(),
                sha256: sha256.clone(),
            }),
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(Err(path)),
            Err(error) => return Err(io("inspect", &file)(error)),
        }
    }
    Ok(Ok(members))
}

/// Writes the archive to `partial` (gzip-compressed when its name asks for it).
pub fn write(partial: &Path, manifest: &Manifest, sources: &Sources) -> Result<(), StoreError> {
    let file = create_private_file(partial)?;
    let output = BufWriter::new(file);
    if is_compressed_name(partial) {
        let encoder = GzEncoder::new(output, flate2::Compression::default());
        let encoder = write_members(encoder, manifest, sources, partial)?;
        finish_file(encoder.finish().map_err(io("compress", partial))?, partial)
    } else {
        finish_file(write_members(output, manifest, sources, partial)?, partial)
    }
}

fn write_members<W: Write>(
    output: W,
    manifest: &Manifest,
    sources: &Sources,
    partial: &Path,
) -> Result<W, StoreError> {
    let mut builder = tar::Builder::new(output);
    let created = time::OffsetDateTime::parse(
        &manifest.created_at,
        &time::format_description::well_known::Rfc3339,
    )
    .map_or(0, |at| at.unix_timestamp().max(0).unsigned_abs());
    let manifest_bytes = serde_json::to_vec_pretty(manifest)
        .map_err(|error| StoreError::Backup(format!("the manifest cannot be written: {error}")))?;
    let mut header = tar_header(manifest_bytes.len() as u64, created);
    builder
        .append_data(&mut header, MANIFEST_MEMBER, manifest_bytes.as_slice())
        .map_err(io("write", partial))?;
    for member in &manifest.members {
        let source = if member.path == DATABASE_MEMBER {
            sources.database.clone()
        } else {
            sources.data_dir.join(&member.path)
        };
        let file = File::open(&source).map_err(io("open", &source))?;
        let mut reader = HashingReader {
            inner: file.take(member.size),
            hasher: Sha256::new(),
        };
        let mut header = tar_header(member.size, created);
        builder
            .append_data(&mut header, &member.path, &mut reader)
            .map_err(io("write", partial))?;
        let written = hex::encode(reader.hasher.finalize());
        if written != member.sha256 {
            return Err(StoreError::Backup(format!(
                "{} does not match its SHA-256 (the file changed or is damaged on disk); \
                 nothing was written",
                source.display()
            )));
        }
    }
    builder.into_inner().map_err(io("write", partial))
}

fn tar_header(size: u64, mtime: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_size(size);
    header.set_mode(0o600);
    header.set_mtime(mtime);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_cksum();
    header
}

fn finish_file(mut output: BufWriter<File>, partial: &Path) -> Result<(), StoreError> {
    output.flush().map_err(io("write", partial))?;
    let file = output
        .into_inner()
        .map_err(|error| io("write", partial)(error.into_error()))?;
    file.sync_all().map_err(io("flush", partial))
}

/// Moves the finished archive to its name (never over an existing file) and returns its
/// size.
pub fn publish(partial: &Path, final_path: &Path) -> Result<u64, StoreError> {
    fs::hard_link(partial, final_path).map_err(|error| {
        if error.kind() == io::ErrorKind::AlreadyExists {
            StoreError::Backup(format!(
                "{} appeared while the backup ran; a backup never overwrites a file",
                final_path.display()
            ))
        } else {
            io("create", final_path)(error)
        }
    })?;
    fs::remove_file(partial).map_err(io("remove", partial))?;
    if let Some(folder) = final_path.parent().filter(|p| !p.as_os_str().is_empty()) {
        File::open(folder)
            .and_then(|dir| dir.sync_all())
            .map_err(io("flush folder", folder))?;
    }
    Ok(fs::metadata(final_path)
        .map_err(io("inspect", final_path))?
        .len())
}

/// Whether a file's name asks for gzip (`.gz`, `.tgz`).
pub fn is_compressed_name(path: &Path) -> bool {
    path.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| matches!(extension, "gz" | "tgz"))
}

struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buffer)?;
        self.hasher.update(&buffer[..read]);
        Ok(read)
    }
}
