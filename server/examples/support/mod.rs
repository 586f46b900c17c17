//! What the benchmarks share: a deterministic generator, and each writes its own section of
//! `BENCHMARKS.md`.

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

/// A small deterministic generator (the figures must not depend on the run).
pub struct Lcg(pub u64);

impl Lcg {
    /// The next number below `n`.
    pub fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n
    }
}
