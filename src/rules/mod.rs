//! Rule kinds: one file per kind, all listed in [`REGISTRY`].
//!
//! A rule is parsed from a `[[rule]]` table by its kind's `parse` function and then judges
//! frozen [`Facts`] as a pure function. To add a kind, copy a neighbour, give it a `KIND`
//! constant with its documentation, and add one line to the registry below.

use crate::facts::{Facts, Needs};
use crate::model::Evaluation;
use crate::policy::reader::TableReader;

pub mod branch_contains;
pub mod branch_protection;
pub mod codeowners;
pub mod deploy_window;
pub mod docs_allowlist;
pub mod environment_protection;
pub mod file_value;
pub mod forbidden_files;
pub mod org_settings;
pub mod planning_doc_ttl;
pub mod pr_allowed_paths;
pub mod pr_branch_flow;
pub mod pr_branch_name;
pub mod pr_checklist;
pub mod pr_co_change;
pub mod pr_common;
pub mod pr_issue_link;
pub mod pr_labels;
pub mod pr_size;
pub mod pr_title;
pub mod repo_labels;
pub mod repo_settings;
pub mod required_files;
pub mod required_workflows;
pub mod security_alerts;
pub mod symlink;
pub mod workflow_health;

/// A configured rule, ready to judge facts.
pub trait Rule: Send + Sync + std::fmt::Debug {
    /// Which facts this rule needs beyond the file list (contents, commit dates).
    fn needs(&self, _needs: &mut Needs) {}

    /// Judge the facts. Pure: no I/O, no clock but `facts.now`.
    fn evaluate(&self, facts: &Facts) -> Evaluation;
}

/// What part of the facts a rule kind judges; decides how it behaves in `--staged` mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Judges individual paths; in `--staged` mode only the paths the commit changes.
    Paths,
    /// Judges the tree as a whole (presence, links, config values); cheap, always run.
    Tree,
    /// Needs git history; skipped in `--staged` mode, where every changed file is new.
    History,
    /// Needs the GitHub API; `skipped` offline (and in `--staged` mode), `error` when
    /// GitHub cannot be reached.
    GitHub,
    /// Judges a pull request; `skipped` outside `warden pr`.
    Pr,
}

/// A rule kind's metadata and parser.
pub struct RuleKind {
    /// kebab-case id, the `kind` key in policies.
    pub id: &'static str,
    /// One line for `warden rules` and report headings.
    pub summary: &'static str,
    pub scope: Scope,
    /// Markdown with the sections What it checks / Why / Example policy / How to fix.
    pub doc: &'static str,
    /// Read the kind-specific keys; `None` when they had problems (already reported).
    pub parse: fn(&mut TableReader<'_, '_>) -> Option<Box<dyn Rule>>,
}

impl std::fmt::Debug for RuleKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id)
    }
}

/// Every rule kind warden knows, in the order `warden rules` lists them.
pub static REGISTRY: &[&RuleKind] = &[
    &docs_allowlist::KIND,
    &planning_doc_ttl::KIND,
    &symlink::KIND,
    &required_files::KIND,
    &forbidden_files::KIND,
    &required_workflows::KIND,
    &file_value::KIND,
    &branch_protection::KIND,
    &branch_contains::KIND,
    &repo_settings::KIND,
    &workflow_health::KIND,
    &repo_labels::KIND,
    &environment_protection::KIND,
    &security_alerts::KIND,
    &codeowners::KIND,
    &org_settings::KIND,
    &deploy_window::KIND,
    &pr_issue_link::KIND,
    &pr_allowed_paths::KIND,
    &pr_checklist::KIND,
    &pr_title::KIND,
    &pr_branch_name::KIND,
    &pr_branch_flow::KIND,
    &pr_size::KIND,
    &pr_co_change::KIND,
    &pr_labels::KIND,
];

pub fn find(id: &str) -> Option<&'static RuleKind> {
    REGISTRY.iter().copied().find(|k| k.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case_and_documented() {
        let mut seen = std::collections::HashSet::new();
        for kind in REGISTRY {
            assert!(seen.insert(kind.id), "duplicate rule kind id {}", kind.id);
            assert!(kind.id.chars().all(|c| c.is_ascii_lowercase() || c == '-'));
            for section in [
                "## What it checks",
                "## Why",
                "## Example policy",
                "## How to fix",
            ] {
                assert!(kind.doc.contains(section), "{} lacks {section}", kind.id);
            }
        }
    }
}
