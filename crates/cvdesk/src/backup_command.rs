//! `cvdesk backup --to FILE` and `cvdesk restore --from FILE [--force]`: one archive with a
//! consistent snapshot of the embedded store's database and its attachment files, taken
//! while the desk runs, and put back into a data folder after every member checks out.
//! On PostgreSQL the database's own tools are the backup (attachments live in it too), so
//! both commands say so instead of inventing a second format. Attachments kept in a bucket
//! stay there: the archive holds the database alone, and both commands say so.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Args;
use cvdesk_store::backup::{restore_backup, write_backup, Manifest};
use cvdesk_store::{AttachmentStorage, StoreLocation};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::cli::StoreOptions;
use crate::command_context::{configuration, open, runtime};

/// Audit entries read at a time while the restored chain is checked.
const VERIFY_BATCH: i64 = 1_000;

const POSTGRES_BACKUP: &str = "on PostgreSQL the attachments live in the database too, so \
    PostgreSQL's own tools back up the whole desk: \
    pg_dump --format=custom --file=cvdesk.dump \"$CVDESK_DATABASE_URL\" (and pg_restore to put \
    it back); see \"Backup and restore\" in the README";

const POSTGRES_BUCKET_BACKUP: &str = "on PostgreSQL, PostgreSQL's own tools back up the \
    database: pg_dump --format=custom --file=cvdesk.dump \"$CVDESK_DATABASE_URL\" (and \
    pg_restore to put it back); the attachments are objects in the bucket, which pg_dump does \
    not hold: keep them with the bucket's versioning or replication; see \"Attachment storage\" \
    in the README";

/// Said after a backup or restore whose attachments are in a bucket.
const BUCKET_NOTE: &str = "The attachment files are objects in the bucket and are not in \
    the archive: keep them with the bucket's versioning or replication, and serve the restored \
    desk with the same attachment storage settings.";

#[derive(Args, Debug)]
pub struct BackupOptions {
    #[command(flatten)]
    pub common: StoreOptions,
    /// The archive to write (a tar; gzip-compressed when the name ends in .gz or .tgz).
    /// It must not exist yet.
    #[arg(long, value_name = "FILE")]
    pub to: PathBuf,
}

#[derive(Args, Debug)]
pub struct RestoreOptions {
    #[command(flatten)]
    pub common: StoreOptions,
    /// The archive `cvdesk backup` wrote.
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
    /// Replace a store that holds data (stop the desk first).
    #[arg(long)]
    pub force: bool,
}

pub fn run_backup(options: BackupOptions) -> anyhow::Result<ExitCode> {
    let config = configuration(options.common)?;
    let data_dir = match config.store {
        StoreLocation::Sqlite { data_dir } => absolute(data_dir)?,
        StoreLocation::Postgres { .. } => match config.attachment_storage {
            AttachmentStorage::Store => {
                bail!("cvdesk backup copies the embedded SQLite store; {POSTGRES_BACKUP}")
            }
            AttachmentStorage::Bucket(_) => {
                bail!("cvdesk backup copies the embedded SQLite store; {POSTGRES_BUCKET_BACKUP}")
            }
        },
    };
    let created_at = OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .context("cannot write the time")?;
    runtime()?.block_on(async {
        let summary = write_backup(&data_dir, &options.to, &created_at).await?;
        println!(
            "Backed up the store in {} to {} ({} bytes).",
            data_dir.display(),
            options.to.display(),
            summary.archive_bytes
        );
        print_contents(&summary.manifest);
        if summary.manifest.attachments_in_bucket {
            println!("{BUCKET_NOTE}");
        }
        Ok(ExitCode::SUCCESS)
    })
}

pub fn run_restore(options: RestoreOptions) -> anyhow::Result<ExitCode> {
    let config = configuration(options.common)?;
    let data_dir = match &config.store {
        StoreLocation::Sqlite { data_dir } => absolute(data_dir.clone())?,
        StoreLocation::Postgres { .. } => bail!(
            "cvdesk restore writes an embedded SQLite store: restore into a data folder \
             (--data DIR, without --database-url), then move it with \
             cvdesk store copy --to postgres://…; a PostgreSQL desk is backed up and \
             restored with pg_dump and pg_restore"
        ),
    };
    runtime()?.block_on(async {
        let manifest = restore_backup(&options.from, &data_dir, options.force).await?;
        // Opening applies this version's migrations to an older backup and makes the
        // folder private, as serve would.
        let store = open(&config).await?;
        println!(
            "Restored {} (taken {}) into {}.",
            options.from.display(),
            manifest.created_at,
            data_dir.display()
        );
        print_contents(&manifest);
        if manifest.attachments_in_bucket {
            println!("{BUCKET_NOTE}");
        }
        match store.verify_audit_chain(VERIFY_BATCH).await? {
            Ok(verified) => {
                println!("Audit log intact: {} entries.", verified.count);
                println!("Mail still queued in the backup will be sent when this desk is served.");
                Ok(ExitCode::SUCCESS)
            }
            Err(broken) => {
                println!("Audit log BROKEN after restore: {broken}");
                Ok(ExitCode::FAILURE)
            }
        }
    })
}

fn print_contents(manifest: &Manifest) {
    let count = |table: &str| manifest.counts.get(table).copied().unwrap_or(0);
    let files = if manifest.attachments_in_bucket {
        "in the bucket".to_owned()
    } else {
        manifest.files.to_string()
    };
    println!(
        "Reports: {}, messages: {}, attachment files: {files}, audit entries: {}, queued or sent mail: {}.",
        count("reports"),
        count("messages"),
        count("audit_log"),
        count("outbox")
    );
}

fn absolute(path: PathBuf) -> anyhow::Result<PathBuf> {
    std::path::absolute(&path).with_context(|| format!("cannot resolve {}", path.display()))
}
