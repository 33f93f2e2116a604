//! Supporting files a finder attaches: how many and how large, and what their names may
//! look like once stored. The bytes themselves are never interpreted.

/// Limits on supporting files, per file, per form (the report, a reply), in number, and
/// per report over its whole life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttachmentLimits {
    pub max_file_bytes: u64,
    pub max_total_bytes: u64,
    pub max_files: usize,
    /// What one report may receive in all, its form's files and every reply's, so a
    /// tracking link cannot be used to store files without end.
    pub max_report_bytes: u64,
}

impl Default for AttachmentLimits {
    fn default() -> Self {
        AttachmentLimits {
            max_file_bytes: 10 * 1024 * 1024,
            max_total_bytes: 25 * 1024 * 1024,
            max_files: 10,
            max_report_bytes: 100 * 1024 * 1024,
        }
    }
}

/// Why a set of files is refused; the message speaks to the finder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttachmentError {
    #[error("“{name}” is larger than the limit of {limit} per file")]
    FileTooLarge { name: String, limit: String },
    #[error("the files together are larger than the limit of {limit} per report")]
    TotalTooLarge { limit: String },
    #[error("at most {max} files can be attached to one report")]
    TooMany { max: usize },
    #[error("this report has received its limit of {limit} of files; send your message without files, or put them somewhere the security team can fetch them and give the link")]
    ReportFull { limit: String },
    #[error("this report is closed and takes no more files; send your message without files")]
    ReportClosed,
}

impl AttachmentLimits {
    pub fn check_file(&self, name: &AttachmentName, size: u64) -> Result<(), AttachmentError> {
        if size > self.max_file_bytes {
            return Err(AttachmentError::FileTooLarge {
                name: name.as_str().to_owned(),
                limit: human_bytes(self.max_file_bytes),
            });
        }
        Ok(())
    }

    /// The refusal of a file that would take the report past `max_report_bytes`.
    pub fn report_full(&self) -> AttachmentError {
        AttachmentError::ReportFull {
            limit: human_bytes(self.max_report_bytes),
        }
    }

    pub fn check_set(&self, count: usize, total: u64) -> Result<(), AttachmentError> {
        if count > self.max_files {
            return Err(AttachmentError::TooMany {
                max: self.max_files,
            });
        }
        if total > self.max_total_bytes {
            return Err(AttachmentError::TotalTooLarge {
                limit: human_bytes(self.max_total_bytes),
            });
        }
        Ok(())
    }
}

/// A file name as the finder's browser sent it, reduced to something safe to show and to
/// put in a `Content-Disposition` header: no directories, no control characters, no
/// quotes, at most 200 characters, never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentName(String);

impl AttachmentName {
    pub fn sanitize(raw: &str) -> Self {
        let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
        let cleaned: String = base
            .chars()
            .filter(|c| !c.is_control() && !matches!(c, '"' | ';'))
            .take(200)
            .collect();
        let trimmed = cleaned.trim().trim_start_matches('.');
        if trimmed.is_empty() {
            AttachmentName("attachment".to_owned())
        } else {
            AttachmentName(trimmed.to_owned())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// "10 MiB", "512 KiB", "300 bytes".
pub fn human_bytes(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= MIB {
        format!("{:.1} MiB", bytes as f64 / MIB as f64)
    } else if bytes >= KIB {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_paths_and_control_characters() {
        assert_eq!(
            AttachmentName::sanitize("../../etc/passwd").as_str(),
            "passwd"
        );
        assert_eq!(
            AttachmentName::sanitize("C:\\Users\\x\\poc.py").as_str(),
            "poc.py"
        );
        assert_eq!(
            AttachmentName::sanitize("a\"b;\r\nc.txt").as_str(),
            "abc.txt"
        );
        assert_eq!(AttachmentName::sanitize("").as_str(), "attachment");
        assert_eq!(AttachmentName::sanitize("...").as_str(), "attachment");
        assert_eq!(AttachmentName::sanitize(".htaccess").as_str(), "htaccess");
        assert_eq!(
            AttachmentName::sanitize(&"x".repeat(500)).as_str().len(),
            200
        );
    }

    #[test]
    fn limits() {
        let limits = AttachmentLimits {
            max_file_bytes: 10,
            max_total_bytes: 15,
            max_files: 2,
            max_report_bytes: 100,
        };
        let name = AttachmentName::sanitize("poc.txt");
        assert!(limits.check_file(&name, 10).is_ok());
        assert!(limits.check_file(&name, 11).is_err());
        assert!(limits.check_set(2, 15).is_ok());
        assert!(matches!(
            limits.check_set(3, 3),
            Err(AttachmentError::TooMany { max: 2 })
        ));
        assert!(matches!(
            limits.check_set(2, 16),
            Err(AttachmentError::TotalTooLarge { .. })
        ));
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human_bytes(10 * 1024 * 1024), "10 MiB");
        assert_eq!(human_bytes(1536 * 1024), "1.5 MiB");
        assert_eq!(human_bytes(2048), "2 KiB");
        assert_eq!(human_bytes(12), "12 bytes");
    }
}
