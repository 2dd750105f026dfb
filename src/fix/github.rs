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
