//! The integration tests, as one binary: one link instead of one per file keeps the
//! build small and fast (each test binary links all of warden and its dependencies).

mod common;

mod action_script;
mod actions_outputs;
mod cli;
mod dangerfile;
mod formats;
mod github;
mod org_sweep;
mod org_tracking;
mod policy_diagnostics;
mod pr_cli;
mod pr_comment;
mod pr_rules;
mod remote_policy;
mod rule_file_value;
mod rule_planning_doc_ttl;
mod rule_required_files;
mod rule_required_workflows;
mod rule_symlink;
mod schema;
mod smoke;
mod sweep;
