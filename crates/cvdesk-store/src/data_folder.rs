//! The data folder is readable by the desk's own user only: folders 0700, files 0600
//! (the database, its WAL and shared-memory files, attachments, temporary files), whatever
//! the umask. A folder made by an earlier version, or copied in with looser modes, is put
//! right when the store opens.

use std::fs;
use std::path::Path;

use crate::StoreError;

#[cfg(unix)]
const PRIVATE_DIR: u32 = 0o700;
#[cfg(unix)]
const PRIVATE_FILE: u32 = 0o600;

/// Creates `path` (and any missing parent) readable by this user only.
pub fn create_private_dir(path: &Path) -> Result<(), StoreError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, PRIVATE_DIR);
    builder.create(path).map_err(io("create folder", path))?;
    restrict(path, true)
}

/// Creates a new file readable by this user only; fails if it exists.
pub fn create_private_file(path: &Path) -> Result<fs::File, StoreError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, PRIVATE_FILE);
    let file = options.open(path).map_err(io("create file", path))?;
    restrict(path, false)?;
    Ok(file)
}

/// Creates the SQLite data folder, or tightens an existing one: the folder, the database
/// (created empty here when missing, so SQLite never makes it with the umask's mode and
/// gives its WAL and shared-memory files the same mode as the database), and everything
/// under `blobs/`.
pub fn secure_data_folder(data_dir: &Path, database: &Path) -> Result<(), StoreError> {
    create_private_dir(data_dir)?;
    if !database.exists() {
        create_private_file(database)?;
    }
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = database.as_os_str().to_owned();
        name.push(suffix);
        let path = Path::new(&name);
        if path.exists() {
            restrict(path, false)?;
        }
    }
    let blobs = data_dir.join("blobs");
    if blobs.exists() {
        restrict_tree(&blobs)?;
    }
    Ok(())
}

/// Tightens a folder and everything in it; links are left alone.
fn restrict_tree(folder: &Path) -> Result<(), StoreError> {
    restrict(folder, true)?;
    for entry in fs::read_dir(folder).map_err(io("list folder", folder))? {
        let entry = entry.map_err(io("list folder", folder))?;
        let kind = entry.file_type().map_err(io("inspect", &entry.path()))?;
        if kind.is_dir() {
            restrict_tree(&entry.path())?;
        } else if kind.is_file() {
            restrict(&entry.path(), false)?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn restrict(path: &Path, is_dir: bool) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt;
    let wanted = if is_dir { PRIVATE_DIR } else { PRIVATE_FILE };
    let current = fs::metadata(path).map_err(io("inspect", path))?;
    if current.permissions().mode() & 0o777 != wanted {
        fs::set_permissions(path, fs::Permissions::from_mode(wanted))
            .map_err(io("restrict access to", path))?;
    }
    Ok(())
}

#[cfg(not(unix))]
fn restrict(_path: &Path, _is_dir: bool) -> Result<(), StoreError> {
    Ok(())
}

fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StoreError {
    let path = path.to_path_buf();
    move |source| StoreError::Io {
        action,
        path,
        source,
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).expect("exists").permissions().mode() & 0o777
    }

    #[test]
    fn an_open_data_folder_is_tightened() {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("data");
        let database = data.join("cvdesk.db");
        let blob_folder = data.join("blobs").join("ab");
        fs::create_dir_all(&blob_folder).expect("created");
        for (path, loose) in [
            (&data, 0o755),
            (&data.join("blobs"), 0o755),
            (&blob_folder, 0o755),
        ] {
            fs::set_permissions(path, fs::Permissions::from_mode(loose)).expect("chmod");
        }
        let blob = blob_folder.join("ab01");
        for file in [&database, &data.join("cvdesk.db-wal"), &blob] {
            fs::write(file, b"x").expect("written");
            fs::set_permissions(file, fs::Permissions::from_mode(0o644)).expect("chmod");
        }
        secure_data_folder(&data, &database).expect("secured");
        for folder in [&data, &data.join("blobs"), &blob_folder] {
            assert_eq!(mode(folder), 0o700, "{}", folder.display());
        }
        for file in [&database, &data.join("cvdesk.db-wal"), &blob] {
            assert_eq!(mode(file), 0o600, "{}", file.display());
        }
    }

    #[test]
    fn a_new_data_folder_is_private() {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("new");
        let database = data.join("cvdesk.db");
        secure_data_folder(&data, &database).expect("secured");
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&database), 0o600);
        let file = data.join("temp");
        drop(create_private_file(&file).expect("created"));
        assert_eq!(mode(&file), 0o600);
        assert!(create_private_file(&file).is_err(), "never reuses a file");
    }
}
