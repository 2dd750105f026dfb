//! The integration tests, as one binary: one link instead of one per file keeps the
//! build small and fast (each test binary links all of warden and its dependencies).

mod common;

mod action_script;
mod actions_outputs;
mod apply;
mod cli;
mod cli_conventions;
mod dangerfile;
mod fix;
mod fix_pr;
mod formats;
mod fuzz_policy;
mod github;
mod github_faults;
mod github_rules;
mod github_semantics;
mod hook;
mod hostile_input;
mod org_sweep;
mod org_tracking;
mod pack_fidelity;
mod policy_diagnostics;
mod pr_body_fuzz;
mod pr_change;
mod pr_cli;
mod pr_comment;
mod pr_rules;
mod precommit;
mod remote_policy;
mod repo_formats;
mod rule_file_value;
mod rule_file_value_type;
mod rule_forbidden_files;
mod rule_planning_doc_ttl;
mod rule_pr_branch_flow;
mod rule_required_files;
mod rule_required_workflows;
mod rule_symlink;
mod schema;
mod smoke;
mod staged;
mod sweep;
mod worktree_reads;
