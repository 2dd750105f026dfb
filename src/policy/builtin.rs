//! Built-in policy packs, embedded in the binary from `policies/`.

use super::diagnostic::PolicySource;

/// The pack used when no policy file is found.
pub const DEFAULT: &str = "default";

const PACKS: &[(&str, &str)] = &[
    ("default", include_str!("../../policies/default.toml")),
    (
        "governed-delivery",
        include_str!("../../policies/governed-delivery.toml"),
    ),
    ("mojo-solo", include_str!("../../policies/mojo-solo.toml")),
];

pub fn names() -> Vec<&'static str> {
    PACKS.iter().map(|(name, _)| *name).collect()
}

pub fn text(name: &str) -> Option<&'static str> {
    PACKS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

pub fn source(name: &str) -> Option<PolicySource> {
    text(name).map(|text| PolicySource::new(format!("builtin:{name}"), text))
}
