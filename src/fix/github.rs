//! Fixes to settings on GitHub, performed by `warden apply`.
//!
//! Each names only settings the policy names, with the value the policy asks for; the
//! apply planner compares them with what GitHub says at apply time and never loosens a
//! setting that is already stricter. A fix says *what* the policy wants, never the whole
//! state to write: the planner builds each request from the current state plus these.

/// A change to a repository's or organisation's settings on GitHub.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GitHubFix {
    /// Create labels that are missing (name, colour, description as the policy gives).
    CreateLabels(Vec<Label>),
    /// Give an existing label the colour and/or description the policy names.
    UpdateLabel(Label),
    /// Raise the classic branch protection of `branch` to at least these settings
    /// (`PUT /repos/{o}/{r}/branches/{b}/protection`, built from the current protection).
    BranchProtection {
        branch: String,
        wanted: Vec<ProtectionSetting>,
    },
    /// Raise warden's own repository ruleset for `branch` (named `warden: BRANCH`) to at
    /// least these settings, creating it if needed; no other ruleset is touched.
    BranchRuleset {
        branch: String,
        wanted: Vec<ProtectionSetting>,
    },
    /// Repository settings (`PATCH /repos/{o}/{r}`, `PUT .../vulnerability-alerts`).
    RepoSettings(Vec<RepoSetting>),
    /// Create the environment if needed and raise its protection
    /// (`PUT /repos/{o}/{r}/environments/{name}`, built from the current environment).
    Environment {
        name: String,
        wanted: Vec<EnvironmentSetting>,
    },
    /// Organisation settings (`PATCH /orgs/{org}`), of the organisation owning the repository.
    OrgSettings(Vec<OrgSetting>),
}

impl GitHubFix {
    /// A short kebab-case name of the change, as reports show it.
    pub fn kind(&self) -> &'static str {
        match self {
            GitHubFix::CreateLabels(_) => "create-labels",
            GitHubFix::UpdateLabel(_) => "update-label",
            GitHubFix::BranchProtection { .. } => "branch-protection",
            GitHubFix::BranchRuleset { .. } => "branch-ruleset",
            GitHubFix::RepoSettings(_) => "repo-settings",
            GitHubFix::Environment { .. } => "environment-protection",
            GitHubFix::OrgSettings(_) => "org-settings",
        }
    }

    /// One line saying what the fix does.
    pub fn describe(&self) -> String {
        let listed = |names: Vec<String>| {
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            GitHubFix::CreateLabels(labels) => format!(
                "create the label{} {}",
                if labels.len() == 1 { "" } else { "s" },
                listed(labels.iter().map(|l| l.name.clone()).collect())
            ),
            GitHubFix::UpdateLabel(label) => {
                format!(
                    "set the colour or description of the label `{}`",
                    label.name
                )
            }
            GitHubFix::BranchProtection { branch, wanted } => format!(
                "raise the protection of `{branch}`: {}",
                listed(wanted.iter().map(ProtectionSetting::key).collect())
            ),
            GitHubFix::BranchRuleset { branch, wanted } => format!(
                "raise warden's ruleset `warden: {branch}`: {}",
                listed(wanted.iter().map(ProtectionSetting::key).collect())
            ),
            GitHubFix::RepoSettings(settings) => format!(
                "set the repository's {}",
                listed(settings.iter().map(RepoSetting::name).collect())
            ),
            GitHubFix::Environment { name, .. } => {
                format!("create or raise the protection of the environment `{name}`")
            }
            GitHubFix::OrgSettings(settings) => format!(
                "set the organisation's {}",
                listed(settings.iter().map(OrgSetting::name).collect())
            ),
        }
    }
}

/// A label the policy requires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub name: String,
    /// Six hex digits, without `#`.
    pub color: Option<String>,
    pub description: Option<String>,
}

/// One branch-protection setting the policy asks for. Booleans are only ever "on":
/// a policy key that is `false` asks for nothing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProtectionSetting {
    /// At least this many approving reviews.
    ApprovingReviews(u32),
    DismissStaleReviews,
    CodeOwnerReviews,
    LastPushApproval,
    StrictStatusChecks,
    EnforceAdmins,
    BlockForcePushes,
    BlockDeletions,
    LinearHistory,
    ConversationResolution,
    SignedCommits,
    /// This status check is required.
    RequiredCheck(String),
}

impl ProtectionSetting {
    /// The policy key this setting comes from.
    pub fn key(&self) -> String {
        match self {
            ProtectionSetting::ApprovingReviews(_) => "required_approving_reviews".into(),
            ProtectionSetting::DismissStaleReviews => "dismiss_stale_reviews".into(),
            ProtectionSetting::CodeOwnerReviews => "require_code_owner_reviews".into(),
            ProtectionSetting::LastPushApproval => "require_last_push_approval".into(),
            ProtectionSetting::StrictStatusChecks => "strict_status_checks".into(),
            ProtectionSetting::EnforceAdmins => "enforce_admins".into(),
            ProtectionSetting::BlockForcePushes => "block_force_pushes".into(),
            ProtectionSetting::BlockDeletions => "block_deletions".into(),
            ProtectionSetting::LinearHistory => "require_linear_history".into(),
            ProtectionSetting::ConversationResolution => "require_conversation_resolution".into(),
            ProtectionSetting::SignedCommits => "require_signed_commits".into(),
            ProtectionSetting::RequiredCheck(name) => format!("required_status_checks:{name}"),
        }
    }
}

/// One repository setting the policy asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RepoSetting {
    /// `allow_{merge_commit,squash_merge,rebase_merge}`: "merge", "squash" or "rebase",
    /// allowed or not (the policy's `merge_methods` names exactly the allowed ones).
    MergeMethod {
        method: String,
        allowed: bool,
    },
    DeleteBranchOnMerge(bool),
    /// Turned on only: apply never turns a security feature off.
    SecretScanning,
    SecretScanningPushProtection,
    DependabotSecurityUpdates,
    /// Dependabot alerts (`PUT /repos/{o}/{r}/vulnerability-alerts`).
    VulnerabilityAlerts,
}

impl RepoSetting {
    /// What the setting is called in GitHub's API (and the policy).
    pub fn name(&self) -> String {
        match self {
            RepoSetting::MergeMethod { method, allowed } => match method.as_str() {
                "merge" => format!("allow_merge_commit = {allowed}"),
                other => format!("allow_{other}_merge = {allowed}"),
            },
            RepoSetting::DeleteBranchOnMerge(on) => format!("delete_branch_on_merge = {on}"),
            RepoSetting::SecretScanning => "secret_scanning".to_string(),
            RepoSetting::SecretScanningPushProtection => {
                "secret_scanning_push_protection".to_string()
            }
            RepoSetting::DependabotSecurityUpdates => "dependabot_security_updates".to_string(),
            RepoSetting::VulnerabilityAlerts => "vulnerability_alerts".to_string(),
        }
    }
}

/// One environment setting the policy asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnvironmentSetting {
    /// The environment exists.
    Exists,
    /// A wait timer of at least this many minutes.
    WaitTimer(u64),
    PreventSelfReview,
    /// Only protected branches may deploy.
    ProtectedBranchesOnly,
}

/// One organisation setting the policy asks for (only those `PATCH /orgs/{org}` takes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrgSetting {
    SecretScanningForNewRepositories,
    PushProtectionForNewRepositories,
    /// `members_can_create_public_repositories = false`.
    NoPublicRepositoriesByMembers,
    WebCommitSignoffRequired,
    /// The base permission at most this ("none", "read", "write", "admin").
    DefaultRepositoryPermissionAtMost(String),
}

impl OrgSetting {
    /// What the setting is called in GitHub's API (and the policy).
    pub fn name(&self) -> String {
        match self {
            OrgSetting::SecretScanningForNewRepositories => {
                "secret_scanning_enabled_for_new_repositories".to_string()
            }
            OrgSetting::PushProtectionForNewRepositories => {
                "secret_scanning_push_protection_enabled_for_new_repositories".to_string()
            }
            OrgSetting::NoPublicRepositoriesByMembers => {
                "members_can_create_public_repositories = false".to_string()
            }
            OrgSetting::WebCommitSignoffRequired => "web_commit_signoff_required".to_string(),
            OrgSetting::DefaultRepositoryPermissionAtMost(at_most) => {
                format!("default_repository_permission <= {at_most}")
            }
        }
    }
}
