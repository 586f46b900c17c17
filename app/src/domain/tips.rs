//! The tips shown once after login.

pub const TIPS: [&str; 6] = [
    "Press Enter to save an inline edit and Escape to cancel it.",
    "Administrators can export the audit log as CSV, filtered by actor, object type and time.",
    "Hide the values of secret environment variables in container arguments under Configuration → User preferences.",
    "Every action in the console is also a REST call: see /openapi.json for the list.",
    "Turn these tips off under Configuration → User preferences.",
    "On a high-density screen, the console zooms out a little; turn that off under Configuration.",
];

/// The tip for a given random number.
pub fn pick(n: u64) -> &'static str {
    TIPS[(n % TIPS.len() as u64) as usize]
}
