//! The outbox: with no SMTP server configured, each message is written as
//! an `.eml` file (RFC 5322, what a mail client opens) into a directory.
//! A file is written under a temporary name and renamed, so a listing never
//! shows half a message.

use std::path::{Path, PathBuf};

/// One message in the outbox, for the admin page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub file: String,
    pub subject: String,
    pub to: String,
    pub date: String,
    pub bytes: u64,
}

/// Writes a message; returns its path.
pub fn write(dir: &Path, message: &[u8]) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ");
    let name = format!("{stamp}-{}.eml", &crate::auth::token::random_token()[..8]);
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, message)?;
    let path = dir.join(&name);
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

/// The messages in the outbox, newest first (an absent directory is an
/// empty outbox).
pub fn list(dir: &Path) -> std::io::Result<Vec<OutboxEntry>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry?;
        let file = entry.file_name().to_string_lossy().to_string();
        if !file.ends_with(".eml") || file.starts_with('.') {
            continue;
        }
        let text = std::fs::read(entry.path())?;
        let head = String::from_utf8_lossy(&text);
        let header = |name: &str| header_value(&head, name).unwrap_or_default();
        out.push(OutboxEntry {
            subject: header("Subject"),
            to: header("To"),
            date: header("Date"),
            bytes: text.len() as u64,
            file,
        });
    }
    // File names start with the time written.
    out.sort_by(|a, b| b.file.cmp(&a.file));
    Ok(out)
}

/// Reads one message back by its file name (no path: a name from the
/// listing, never `..`).
pub fn read(dir: &Path, file: &str) -> Option<Vec<u8>> {
    if file.contains('/') || file.contains('\\') || file.starts_with('.') || !file.ends_with(".eml")
    {
        return None;
    }
    std::fs::read(dir.join(file)).ok()
}

/// A header's value from a message's head, unfolded; encoded words
/// (`=?utf-8?...`) are shown as written.
pub fn header_value(message: &str, name: &str) -> Option<String> {
    let mut lines = message.split("\r\n").flat_map(|l| l.split('\n'));
    let prefix = format!("{}:", name.to_ascii_lowercase());
    while let Some(line) = lines.next() {
        if line.is_empty() {
            return None; // end of the head
        }
        if line.to_ascii_lowercase().starts_with(&prefix) {
            let mut value = line[prefix.len()..].trim().to_string();
            for more in lines.by_ref() {
                if more.starts_with(' ') || more.starts_with('\t') {
                    value.push(' ');
                    value.push_str(more.trim());
                } else {
                    break;
                }
            }
            return Some(value);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_unfolded_and_the_body_is_not_searched() {
        let m =
            "From: a@b.c\r\nSubject: Month-end\r\n pack\r\nTo: x@y.z\r\n\r\nSubject: not this\r\n";
        assert_eq!(
            header_value(m, "subject").as_deref(),
            Some("Month-end pack")
        );
        assert_eq!(header_value(m, "To").as_deref(), Some("x@y.z"));
        assert_eq!(header_value(m, "Cc"), None);
    }

    #[test]
    fn only_listed_names_are_read() {
        let dir = std::env::temp_dir().join(format!("consol-outbox-{}", std::process::id()));
        let path = write(&dir, b"Subject: hi\r\nTo: a@b.c\r\n\r\nbody").unwrap();
        let listed = list(&dir).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].subject, "hi");
        assert!(read(&dir, &listed[0].file).is_some());
        assert!(read(&dir, "../etc/passwd").is_none());
        std::fs::remove_file(path).unwrap();
    }
}
