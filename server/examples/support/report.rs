//! What the benchmarks share: each writes its own section of `BENCHMARKS.md`.

use std::path::Path;

/// Replaces the section of the report at `path` that starts with `heading` (up to the next
/// `## ` heading) with `section`, or appends `section` when there is none.
pub fn write_section(path: &Path, heading: &str, section: &str) -> Result<(), String> {
    let old = std::fs::read_to_string(path).unwrap_or_default();
    let kept = match old.find(heading) {
        Some(at) => {
            let rest = &old[at + 2..];
            let end = rest
                .find("\n## ")
                .map(|e| at + 2 + e + 1)
                .unwrap_or(old.len());
            format!("{}{}", &old[..at], &old[end..])
        }
        None => old,
    };
    let text = format!("{}\n\n{}\n", kept.trim_end(), section.trim_end());
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}
