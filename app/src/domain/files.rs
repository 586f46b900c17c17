//! The file server's paths: what a client may name a stored file. A path is a list of plain names
//! joined by `/`, so that it can only ever name something inside its workspace's space: no `.` or
//! `..`, no backslash (a Windows separator), no NUL or other control character, no empty name, and
//! bounded lengths. One leading `/` (or several) is dropped, since the `clearml` SDK names uploads
//! `/dir/file` relative to the files server, as clearml-server's file server accepts them.

use crate::domain::AppError;

/// The longest path accepted, in bytes.
pub const MAX_PATH_BYTES: usize = 1024;
/// The longest single name in a path, in bytes (most file systems' limit).
pub const MAX_NAME_BYTES: usize = 255;

/// A checked path inside a workspace's space, e.g. `project/task.1/artifacts/data.csv`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FilePath(String);

impl FilePath {
    /// Checks a path as a client sent it (already percent-decoded).
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let bad = |message: &str| AppError::validation("path", message);
        let path = raw.trim_start_matches('/');
        if path.is_empty() {
            return Err(bad("Name a file."));
        }
        if path.len() > MAX_PATH_BYTES {
            return Err(bad("The path is longer than 1024 bytes."));
        }
        if path.contains('\\') {
            return Err(bad(
                "Backslashes are not allowed in paths; separate names with /.",
            ));
        }
        if path.chars().any(char::is_control) {
            return Err(bad("Paths cannot contain control characters."));
        }
        for name in path.split('/') {
            match name {
                "" => {
                    return Err(bad(
                        "A path cannot contain an empty name (//) or end with /.",
                    ));
                }
                "." | ".." => return Err(bad("A path cannot contain . or .. names.")),
                n if n.len() > MAX_NAME_BYTES => {
                    return Err(bad("A name in the path is longer than 255 bytes."));
                }
                _ => {}
            }
        }
        Ok(Self(path.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The names the path is made of, outermost first.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }
}

impl std::fmt::Display for FilePath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Decodes `%XX` escapes of a URL path; `None` when an escape is malformed or the result is not
/// UTF-8. (Decoding happens once: `%252e` stays `%2e`, a name, not a dot.)
pub fn percent_decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let text = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(text, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The message for an upload over the limit.
pub fn too_large_message(limit_bytes: u64) -> String {
    format!("The file is larger than this server accepts ({limit_bytes} bytes at most).")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(raw: &str) -> bool {
        FilePath::parse(raw).is_err()
    }

    #[test]
    fn plain_paths_are_kept_and_leading_slashes_dropped() {
        assert_eq!(FilePath::parse("a/b.txt").unwrap().as_str(), "a/b.txt");
        assert_eq!(FilePath::parse("/a/b c.txt").unwrap().as_str(), "a/b c.txt");
        assert_eq!(
            FilePath::parse("//etc/passwd").unwrap().as_str(),
            "etc/passwd"
        );
        assert_eq!(FilePath::parse("a/..b/c..").unwrap().as_str(), "a/..b/c..");
    }

    #[test]
    fn dot_names_are_refused() {
        for raw in ["..", "../x", "a/../../x", "a/..", "./a", "a/./b", "/.."] {
            assert!(refused(raw), "{raw}");
        }
    }

    #[test]
    fn backslashes_nul_controls_and_empty_names_are_refused() {
        for raw in [
            "..\\x", "a\\b", "C:\\x", "a\0b", "a\nb", "", "/", "a//b", "a/",
        ] {
            assert!(refused(raw), "{raw:?}");
        }
    }

    #[test]
    fn long_paths_and_names_are_refused() {
        assert!(refused(&"a".repeat(256)));
        assert!(!refused(&"a".repeat(255)));
        assert!(refused(&["abc"; 300].join("/")));
    }

    #[test]
    fn percent_decoding_happens_once() {
        assert_eq!(percent_decode("%2e%2E/x").as_deref(), Some("../x"));
        assert_eq!(percent_decode("%252e").as_deref(), Some("%2e"));
        assert_eq!(percent_decode("a%20b").as_deref(), Some("a b"));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%4"), None);
        assert_eq!(percent_decode("%ff"), None);
    }
}
