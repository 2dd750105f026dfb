//! A deployment environment's protection (`GET /repos/{o}/{r}/environments/{name}` and its
//! `deployment-branch-policies`), for `environment-protection`.

use serde::Deserialize;

use super::{encode, ApiError, Client, Fetched};

/// How much of an environment a rule needs. Ordered: each asks for more than the one
/// before, so the needs of several rules merge with `max`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum EnvironmentNeed {
    /// Whether it exists, and its protection rules (reviewers, wait timer). GitHub's
    /// GraphQL `Environment` has these.
    #[default]
    Rules,
    /// Also `deployment_branch_policy` (protected branches or custom ones), which only
    /// REST shows.
    BranchPolicy,
    /// Also the names of the custom branch policies (one more REST request).
    BranchPatterns,
}

/// The fields of `GET .../environments/{name}` warden judges.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Environment {
    pub name: String,
    pub html_url: Option<String>,
    #[serde(default)]
    pub protection_rules: Vec<ProtectionRule>,
    /// `null` when every branch may deploy.
    pub deployment_branch_policy: Option<DeploymentBranchPolicy>,
    /// Names of the custom branch policies, when fetched (custom policies only).
    #[serde(skip)]
    pub branch_patterns: Option<Fetched<Vec<String>>>,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct ProtectionRule {
    #[serde(rename = "type")]
    pub kind: String,
    pub wait_timer: Option<u64>,
    pub prevent_self_review: Option<bool>,
    pub reviewers: Option<Vec<Reviewer>>,
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Reviewer {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub reviewer: Option<serde_json::Value>,
}

impl Reviewer {
    /// `login` for a user, `@org/slug`-less `slug` for a team.
    pub fn name(&self) -> String {
        let field = |k: &str| {
            self.reviewer
                .as_ref()
                .and_then(|r| r.get(k))
                .and_then(|v| v.as_str())
                .map(String::from)
        };
        field("login")
            .or_else(|| field("slug"))
            .unwrap_or_else(|| "?".to_string())
    }
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct DeploymentBranchPolicy {
    pub protected_branches: bool,
    pub custom_branch_policies: bool,
}

#[derive(Deserialize)]
struct BranchPolicies {
    branch_policies: Vec<BranchPolicyName>,
}

#[derive(Deserialize)]
struct BranchPolicyName {
    name: String,
}

impl Environment {
    pub fn rule(&self, kind: &str) -> Option<&ProtectionRule> {
        self.protection_rules.iter().find(|r| r.kind == kind)
    }
}

/// The environment (`None`: it does not exist), and the requests it cost. For
/// [`EnvironmentNeed::BranchPatterns`], custom branch policies are read too (one more
/// request).
pub async fn fetch(
    client: &Client,
    base: &str,
    name: &str,
    need: EnvironmentNeed,
) -> (Fetched<Option<Environment>>, u64) {
    let patterns = need == EnvironmentNeed::BranchPatterns;
    let path = format!("{base}/environments/{}", encode(name));
    let mut env = match client.get_json::<Environment>(&path).await {
        Ok(env) => env,
        Err(ApiError::NotFound { .. }) => return (Ok(None), 1),
        Err(e) => return (Err(e.to_string()), 1),
    };
    let custom = env
        .deployment_branch_policy
        .as_ref()
        .is_some_and(|p| p.custom_branch_policies);
    if !(patterns && custom) {
        return (Ok(Some(env)), 1);
    }
    let path = format!("{path}/deployment-branch-policies?per_page=100");
    env.branch_patterns = Some(
        client
            .get_json::<BranchPolicies>(&path)
            .await
            .map(|p| p.branch_policies.into_iter().map(|b| b.name).collect())
            .map_err(|e| e.to_string()),
    );
    (Ok(Some(env)), 2)
}
