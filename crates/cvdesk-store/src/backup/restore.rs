//! Restoring a backup into a data folder: checked whole in a staging folder first, then
//! moved into place, replacing a store that holds data only when asked to.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use flate2::read::GzDecoder;
use sha2::{Digest, Sha256};
use sqlx::Connection;

use super::manifest::{
    blob_of_path, blob_path, check_member_path, invalid, Manifest, Member, DATABASE_MEMBER,
    MANIFEST_MEMBER, MAX_MANIFEST_BYTES,
};
use super::{attachments_in_bucket, io, open_read_only, read_snapshot, Workspace};
use crate::data_folder::{create_private_dir, create_private_file};
use crate::tables::{holds_data_condition, DATA_TABLES};
use crate::StoreError;

/// The files of a SQLite store besides `blobs/`.
const DATABASE_FILES: [&str; 4] = [
    "cvdesk.db",
    "cvdesk.db-wal",
    "cvdesk.db-shm",
    "cvdesk.db-journal",
];

/// Restores the backup `from` into `data_dir` (created when missing). Refuses a folder whose
/// store holds data unless `replace` is set; then the old database and files are removed
/// once the new ones are checked and in place. Returns the manifest it restored.
pub async fn restore_backup(
    from: &Path,
    data_dir: &Path,
    replace: bool,
) -> Result<Manifest, StoreError> {
    if !replace && store_holds_data(data_dir).await? {
        return Err(StoreError::Backup(format!(
            "the store in {} holds data; restoring would replace it. Stop the desk, take a \
             backup of it if you may need it, and run restore again with --force",
            data_dir.display()
        )));
    }
    create_private_dir(data_dir)?;
    let staging = Workspace::create(&data_dir.join(DATABASE_MEMBER))?;
    let (archive_path, staged) = (from.to_path_buf(), staging.path.clone());
    let manifest = tokio::task::spawn_blocking(move || unpack(&archive_path, &staged))
        .await
        .map_err(|error| StoreError::Backup(format!("reading the backup stopped: {error}")))??;
    let (counts, named_files) = read_snapshot(&staging.path.join(DATABASE_MEMBER)).await?;
    if counts != manifest.counts {
        return Err(invalid(format!(
            "its database holds other row counts than its manifest records ({})",
            differences(&manifest.counts, &counts)
        )));
    }
    let in_bucket = attachments_in_bucket(&staging.path.join(DATABASE_MEMBER)).await?;
    if in_bucket != manifest.attachments_in_bucket {
        return Err(invalid(
            "its manifest and its database disagree on whether the attachments are in a bucket"
                .to_owned(),
        ));
    }
    // Bytes kept in a bucket stay there; the restored desk reads them with the same
    // attachment storage settings.
    if let Some(missing) = named_files
        .iter()
        .filter(|_| !in_bucket)
        .find(|sha256| !staging.path.join(blob_path(sha256)).is_file())
    {
        return Err(invalid(format!(
            "its database names attachment file {missing}, which it does not hold"
        )));
    }
    move_into_place(&staging.path, data_dir)?;
    Ok(manifest)
}

/// Whether the SQLite store in `data_dir` holds anything a fresh one would not: rows in any
/// of the desk's tables, or attachment files. A database SQLite cannot read counts as data.
pub async fn store_holds_data(data_dir: &Path) -> Result<bool, StoreError> {
    let blobs = data_dir.join("blobs");
    if blobs.is_dir() {
        for entry in fs::read_dir(&blobs).map_err(io("list folder", &blobs))? {
            let entry = entry.map_err(io("list folder", &blobs))?;
            if entry.file_name() != ".incoming" {
                return Ok(true);
            }
        }
    }
    let database = data_dir.join(DATABASE_MEMBER);
    if !database.exists() {
        return Ok(false);
    }
    let Ok(mut connection) = open_read_only(&database).await else {
        return Ok(true);
    };
    // A file SQLite cannot read as a database is not an empty store: it is kept unless the
    // operator says to replace it.
    let Ok(existing) =
        sqlx::query_scalar::<_, String>("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(&mut connection)
            .await
    else {
        return Ok(true);
    };
    let mut holds_data = false;
    for table in DATA_TABLES
        .iter()
        .filter(|t| existing.iter().any(|e| e == *t))
    {
        let sql = format!(
            "SELECT EXISTS (SELECT 1 FROM {table} WHERE {})",
            holds_data_condition(table)
        );
        if sqlx::query_scalar::<_, bool>(&sql)
            .fetch_one(&mut connection)
            .await?
        {
            holds_data = true;
            break;
        }
    }
    connection.close().await?;
    Ok(holds_data)
}

/// Reads the archive into `staging`, checking every member against the manifest.
fn unpack(archive_path: &Path, staging: &Path) -> Result<Manifest, StoreError> {
    let mut file = File::open(archive_path).map_err(io("open", archive_path))?;
    let mut magic = [0u8; 2];
    let gzip = file.read_exact(&mut magic).is_ok() && magic == [0x1f, 0x8b];
    file.seek(SeekFrom::Start(0))
        .map_err(io("read", archive_path))?;
    let reader: Box<dyn Read> = if gzip {
        Box::new(GzDecoder::new(BufReader::new(file)))
    } else {
        Box::new(BufReader::new(file))
    };
    let mut archive = tar::Archive::new(reader);
    let mut entries = archive
        .entries()
        .map_err(|error| invalid(format!("it is not a tar archive: {error}")))?;
    let manifest = match entries.next() {
        Some(entry) => {
            let entry = entry.map_err(unreadable)?;
            let path = entry_path(&entry)?;
            if path != MANIFEST_MEMBER {
                return Err(invalid(format!(
                    "its first member is '{path}', not {MANIFEST_MEMBER}"
                )));
            }
            let mut bytes = Vec::new();
            entry
                .take(MAX_MANIFEST_BYTES)
                .read_to_end(&mut bytes)
                .map_err(unreadable)?;
            Manifest::parse(&bytes)?
        }
        None => return Err(invalid("the archive is empty".to_owned())),
    };
    let mut expected: BTreeMap<&str, &Member> = manifest
        .members
        .iter()
        .map(|member| (member.path.as_str(), member))
        .collect();
    for entry in entries {
        let mut entry = entry.map_err(unreadable)?;
        let path = entry_path(&entry)?;
        check_member_path(&path)?;
        let member = expected.remove(path.as_str()).ok_or_else(|| {
            invalid(format!(
                "'{path}' is not in its manifest, or is there twice"
            ))
        })?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            return Err(invalid(format!("'{path}' is not a plain file")));
        }
        let target = staging.join(&path);
        if let Some(folder) = target.parent() {
            create_private_dir(folder)?;
        }
        let mut output = create_private_file(&target)?;
        let mut hasher = Sha256::new();
        let size = copy_hashing(&mut entry, &mut output, &mut hasher, &target)?;
        output.sync_all().map_err(io("flush", &target))?;
        let sha256 = hex::encode(hasher.finalize());
        if size != member.size || sha256 != member.sha256 {
            return Err(invalid(format!(
                "'{path}' does not match its manifest (size {size} for {}, or another SHA-256): \
                 the archive was altered or damaged",
                member.size
            )));
        }
        if blob_of_path(&path).is_some_and(|name| name != sha256) {
            return Err(invalid(format!("'{path}' is not named by its SHA-256")));
        }
    }
    if let Some(missing) = expected.keys().next() {
        return Err(invalid(format!(
            "the archive is cut short: '{missing}' and {} more member(s) are missing",
            expected.len() - 1
        )));
    }
    Ok(manifest)
}

fn copy_hashing(
    from: &mut impl Read,
    to: &mut File,
    hasher: &mut Sha256,
    target: &Path,
) -> Result<u64, StoreError> {
    let mut buffer = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let read = from.read(&mut buffer).map_err(unreadable)?;
        if read == 0 {
            return Ok(total);
        }
        hasher.update(&buffer[..read]);
        io::Write::write_all(to, &buffer[..read]).map_err(io("write", target))?;
        total += read as u64;
    }
}

/// Replaces the database and `blobs/` of `data_dir` with the staged ones.
fn move_into_place(staging: &Path, data_dir: &Path) -> Result<(), StoreError> {
    for name in DATABASE_FILES {
        let old = data_dir.join(name);
        match fs::remove_file(&old) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(io("remove", &old)(error)),
        }
    }
    let old_blobs = data_dir.join("blobs");
    if old_blobs.exists() {
        fs::remove_dir_all(&old_blobs).map_err(io("remove", &old_blobs))?;
    }
    let staged_blobs = staging.join("blobs");
    if staged_blobs.exists() {
        fs::rename(&staged_blobs, &old_blobs).map_err(io("move into place", &old_blobs))?;
    }
    let database = data_dir.join(DATABASE_MEMBER);
    fs::rename(staging.join(DATABASE_MEMBER), &database)
        .map_err(io("move into place", &database))?;
    File::open(data_dir)
        .and_then(|dir| dir.sync_all())
        .map_err(io("flush folder", data_dir))
}

fn entry_path<R: Read>(entry: &tar::Entry<'_, R>) -> Result<String, StoreError> {
    let path = entry.path().map_err(unreadable)?;
    path.to_str()
        .map(str::to_owned)
        .ok_or_else(|| invalid("a member's name is not UTF-8".to_owned()))
}

fn differences(recorded: &BTreeMap<String, u64>, found: &BTreeMap<String, u64>) -> String {
    recorded
        .iter()
        .filter(|(table, count)| found.get(*table) != Some(count))
        .map(|(table, count)| {
            format!(
                "{table}: {count} recorded, {} found",
                found.get(table).copied().unwrap_or(0)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn unreadable(error: io::Error) -> StoreError {
    invalid(format!("it cannot be read to the end: {error}"))
}
