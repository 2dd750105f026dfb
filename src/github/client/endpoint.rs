//! Every GitHub endpoint warden calls, in one list.
//!
//! The client sends no request whose method and path match no entry here
//! ([`super::ApiError::Unregistered`]). The fault-injection test
//! (`tests/it/github_faults.rs`) matches on [`Endpoint`] without a wildcard and runs every
//! fault class against every entry of [`Endpoint::ALL`], so a new call cannot be made
//! before it is in this list, and cannot be in this list without being tested for
//! "an answer that could not be had is `error`, never `pass`".

/// One GitHub endpoint (method and path template) that warden calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    Repo,
    WorkflowRuns,
    VulnerabilityAlerts,
    BranchProtection,
    BranchRules,
    Contents,
    OrgRepos,
    GitTree,
    GitBlob,
    GraphQl,
    Pull,
    PullFiles,
    Issue,
    IssueComments,
    CreateIssueComment,
    UpdateIssueComment,
    DeleteIssueComment,
    Issues,
    CreateIssue,
    UpdateIssue,
    User,
    Ruleset,
    SecretScanningAlerts,
    DependabotAlerts,
    CodeScanningAlerts,
    CodeownersErrors,
    DeploymentBranchPolicies,
    Environment,
    Labels,
    Org,
    Deployments,
    Compare,
    GitRef,
    CreateGitBlob,
    CreateGitTree,
    CreateGitCommit,
    CreateGitRef,
    UpdateGitRef,
    Pulls,
    CreatePull,
    UpdatePull,
    OrgSecretScanningAlerts,
    OrgDependabotAlerts,
    OrgCodeScanningAlerts,
    // Writes of `warden apply` (src/effects/apply.rs).
    UpdateBranchProtection,
    CreateSignatureProtection,
    UpdateRepo,
    EnableVulnerabilityAlerts,
    CreateLabel,
    UpdateLabel,
    UpdateEnvironment,
    UpdateOrg,
    Rulesets,
    CreateRuleset,
    UpdateRuleset,
}

impl Endpoint {
    /// Every endpoint, in declaration order.
    pub const ALL: &'static [Endpoint] = &[
        Endpoint::Repo,
        Endpoint::WorkflowRuns,
        Endpoint::VulnerabilityAlerts,
        Endpoint::BranchProtection,
        Endpoint::BranchRules,
        Endpoint::Contents,
        Endpoint::OrgRepos,
        Endpoint::GitTree,
        Endpoint::GitBlob,
        Endpoint::GraphQl,
        Endpoint::Pull,
        Endpoint::PullFiles,
        Endpoint::Issue,
        Endpoint::IssueComments,
        Endpoint::CreateIssueComment,
        Endpoint::UpdateIssueComment,
        Endpoint::DeleteIssueComment,
        Endpoint::Issues,
        Endpoint::CreateIssue,
        Endpoint::UpdateIssue,
        Endpoint::User,
        Endpoint::Ruleset,
        Endpoint::SecretScanningAlerts,
        Endpoint::DependabotAlerts,
        Endpoint::CodeScanningAlerts,
        Endpoint::CodeownersErrors,
        Endpoint::DeploymentBranchPolicies,
        Endpoint::Environment,
        Endpoint::Labels,
        Endpoint::Org,
        Endpoint::Deployments,
        Endpoint::Compare,
        Endpoint::GitRef,
        Endpoint::CreateGitBlob,
        Endpoint::CreateGitTree,
        Endpoint::CreateGitCommit,
        Endpoint::CreateGitRef,
        Endpoint::UpdateGitRef,
        Endpoint::Pulls,
        Endpoint::CreatePull,
        Endpoint::UpdatePull,
        Endpoint::OrgSecretScanningAlerts,
        Endpoint::OrgDependabotAlerts,
        Endpoint::OrgCodeScanningAlerts,
        Endpoint::UpdateBranchProtection,
        Endpoint::CreateSignatureProtection,
        Endpoint::UpdateRepo,
        Endpoint::EnableVulnerabilityAlerts,
        Endpoint::CreateLabel,
        Endpoint::UpdateLabel,
        Endpoint::UpdateEnvironment,
        Endpoint::UpdateOrg,
        Endpoint::Rulesets,
        Endpoint::CreateRuleset,
        Endpoint::UpdateRuleset,
    ];

    /// Method and path template. `{x}` is one path segment, `{x+}` one or more (branch
    /// names and file paths hold `/`). The query string is not part of the match.
    pub const fn route(self) -> (&'static str, &'static str) {
        match self {
            Endpoint::Repo => ("GET", "/repos/{owner}/{repo}"),
            Endpoint::WorkflowRuns => ("GET", "/repos/{owner}/{repo}/actions/runs"),
            Endpoint::VulnerabilityAlerts => ("GET", "/repos/{owner}/{repo}/vulnerability-alerts"),
            Endpoint::BranchProtection => {
                ("GET", "/repos/{owner}/{repo}/branches/{branch+}/protection")
            }
            Endpoint::BranchRules => ("GET", "/repos/{owner}/{repo}/rules/branches/{branch+}"),
            Endpoint::Contents => ("GET", "/repos/{owner}/{repo}/contents/{path+}"),
            Endpoint::OrgRepos => ("GET", "/orgs/{org}/repos"),
            Endpoint::GitTree => ("GET", "/repos/{owner}/{repo}/git/trees/{ref+}"),
            Endpoint::GitBlob => ("GET", "/repos/{owner}/{repo}/git/blobs/{sha}"),
            Endpoint::GraphQl => ("POST", "/graphql"),
            Endpoint::Pull => ("GET", "/repos/{owner}/{repo}/pulls/{number}"),
            Endpoint::PullFiles => ("GET", "/repos/{owner}/{repo}/pulls/{number}/files"),
            Endpoint::Issue => ("GET", "/repos/{owner}/{repo}/issues/{number}"),
            Endpoint::IssueComments => ("GET", "/repos/{owner}/{repo}/issues/{number}/comments"),
            Endpoint::CreateIssueComment => {
                ("POST", "/repos/{owner}/{repo}/issues/{number}/comments")
            }
            Endpoint::UpdateIssueComment => ("PATCH", "/repos/{owner}/{repo}/issues/comments/{id}"),
            Endpoint::DeleteIssueComment => {
                ("DELETE", "/repos/{owner}/{repo}/issues/comments/{id}")
            }
            Endpoint::Issues => ("GET", "/repos/{owner}/{repo}/issues"),
            Endpoint::CreateIssue => ("POST", "/repos/{owner}/{repo}/issues"),
            Endpoint::UpdateIssue => ("PATCH", "/repos/{owner}/{repo}/issues/{number}"),
            // Who the token is, for the sticky comment (403 for installation tokens).
            Endpoint::User => ("GET", "/user"),
            Endpoint::Ruleset => ("GET", "/repos/{owner}/{repo}/rulesets/{id}"),
            Endpoint::SecretScanningAlerts => {
                ("GET", "/repos/{owner}/{repo}/secret-scanning/alerts")
            }
            Endpoint::DependabotAlerts => ("GET", "/repos/{owner}/{repo}/dependabot/alerts"),
            Endpoint::CodeScanningAlerts => ("GET", "/repos/{owner}/{repo}/code-scanning/alerts"),
            Endpoint::CodeownersErrors => ("GET", "/repos/{owner}/{repo}/codeowners/errors"),
            Endpoint::DeploymentBranchPolicies => (
                "GET",
                "/repos/{owner}/{repo}/environments/{name}/deployment-branch-policies",
            ),
            Endpoint::Environment => ("GET", "/repos/{owner}/{repo}/environments/{name}"),
            Endpoint::Labels => ("GET", "/repos/{owner}/{repo}/labels"),
            Endpoint::Org => ("GET", "/orgs/{org}"),
            Endpoint::Deployments => ("GET", "/repos/{owner}/{repo}/deployments"),
            Endpoint::Compare => ("GET", "/repos/{owner}/{repo}/compare/{basehead+}"),
            // `warden fix --org --pr`: one commit on `warden/fix` and one pull request.
            Endpoint::GitRef => ("GET", "/repos/{owner}/{repo}/git/ref/{ref+}"),
            Endpoint::CreateGitBlob => ("POST", "/repos/{owner}/{repo}/git/blobs"),
            Endpoint::CreateGitTree => ("POST", "/repos/{owner}/{repo}/git/trees"),
            Endpoint::CreateGitCommit => ("POST", "/repos/{owner}/{repo}/git/commits"),
            Endpoint::CreateGitRef => ("POST", "/repos/{owner}/{repo}/git/refs"),
            Endpoint::UpdateGitRef => ("PATCH", "/repos/{owner}/{repo}/git/refs/{ref+}"),
            Endpoint::Pulls => ("GET", "/repos/{owner}/{repo}/pulls"),
            Endpoint::CreatePull => ("POST", "/repos/{owner}/{repo}/pulls"),
            Endpoint::UpdatePull => ("PATCH", "/repos/{owner}/{repo}/pulls/{number}"),
            // An organisation's open alerts, read once per sweep instead of per repository.
            Endpoint::OrgSecretScanningAlerts => ("GET", "/orgs/{org}/secret-scanning/alerts"),
            Endpoint::OrgDependabotAlerts => ("GET", "/orgs/{org}/dependabot/alerts"),
            Endpoint::OrgCodeScanningAlerts => ("GET", "/orgs/{org}/code-scanning/alerts"),
            Endpoint::UpdateBranchProtection => {
                ("PUT", "/repos/{owner}/{repo}/branches/{branch+}/protection")
            }
            Endpoint::CreateSignatureProtection => (
                "POST",
                "/repos/{owner}/{repo}/branches/{branch+}/protection/required_signatures",
            ),
            Endpoint::UpdateRepo => ("PATCH", "/repos/{owner}/{repo}"),
            Endpoint::EnableVulnerabilityAlerts => {
                ("PUT", "/repos/{owner}/{repo}/vulnerability-alerts")
            }
            Endpoint::CreateLabel => ("POST", "/repos/{owner}/{repo}/labels"),
            Endpoint::UpdateLabel => ("PATCH", "/repos/{owner}/{repo}/labels/{name}"),
            Endpoint::UpdateEnvironment => ("PUT", "/repos/{owner}/{repo}/environments/{name}"),
            Endpoint::UpdateOrg => ("PATCH", "/orgs/{org}"),
            Endpoint::Rulesets => ("GET", "/repos/{owner}/{repo}/rulesets"),
            Endpoint::CreateRuleset => ("POST", "/repos/{owner}/{repo}/rulesets"),
            Endpoint::UpdateRuleset => ("PUT", "/repos/{owner}/{repo}/rulesets/{id}"),
        }
    }

    /// Whether the request reads (no side effects on GitHub).
    pub fn reads(self) -> bool {
        matches!(self.route().0, "GET") || self == Endpoint::GraphQl
    }

    /// The endpoint a request is for. `path` is relative to the API base (GraphQL:
    /// `/graphql`), with or without a query.
    pub fn classify(method: &str, path: &str) -> Option<Endpoint> {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let mut segments: Vec<&str> = path.split('/').skip(1).collect();
        // GitHub's `link` headers name pages by id (`/repositories/1296269/issues/7/comments`,
        // `/organizations/9919/repos`): the same endpoints under another spelling.
        match segments.as_slice() {
            ["repositories", id, ..] if !id.is_empty() => {
                segments.splice(0..2, ["repos", "{id}", "{id}"]);
            }
            ["organizations", id, ..] if !id.is_empty() => {
                segments.splice(0..2, ["orgs", "{id}"]);
            }
            _ => {}
        }
        Endpoint::ALL.iter().copied().find(|endpoint| {
            let (want, template) = endpoint.route();
            let pattern: Vec<&str> = template.split('/').skip(1).collect();
            want.eq_ignore_ascii_case(method) && matches(&pattern, &segments)
        })
    }
}

fn matches(pattern: &[&str], segments: &[&str]) -> bool {
    match (pattern.split_first(), segments.split_first()) {
        (None, None) => true,
        (Some((p, rest)), _) if p.starts_with('{') && p.ends_with("+}") => {
            // One or more segments, then the rest of the template.
            (1..=segments.len()).any(|n| {
                segments[..n].iter().all(|s| !s.is_empty()) && matches(rest, &segments[n..])
            })
        }
        (Some((p, rest)), Some((s, tail))) => {
            let one = p.starts_with('{') && p.ends_with('}') && !s.is_empty();
            (one || p == s) && matches(rest, tail)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Its position in [`Endpoint::ALL`]: the match fails to compile when a variant is added,
    /// which sends whoever adds one to `ALL` (and to the fault table).
    fn ordinal(endpoint: Endpoint) -> usize {
        match endpoint {
            Endpoint::Repo => 0,
            Endpoint::WorkflowRuns => 1,
            Endpoint::VulnerabilityAlerts => 2,
            Endpoint::BranchProtection => 3,
            Endpoint::BranchRules => 4,
            Endpoint::Contents => 5,
            Endpoint::OrgRepos => 6,
            Endpoint::GitTree => 7,
            Endpoint::GitBlob => 8,
            Endpoint::GraphQl => 9,
            Endpoint::Pull => 10,
            Endpoint::PullFiles => 11,
            Endpoint::Issue => 12,
            Endpoint::IssueComments => 13,
            Endpoint::CreateIssueComment => 14,
            Endpoint::UpdateIssueComment => 15,
            Endpoint::DeleteIssueComment => 16,
            Endpoint::Issues => 17,
            Endpoint::CreateIssue => 18,
            Endpoint::UpdateIssue => 19,
            Endpoint::User => 20,
            Endpoint::Ruleset => 21,
            Endpoint::SecretScanningAlerts => 22,
            Endpoint::DependabotAlerts => 23,
            Endpoint::CodeScanningAlerts => 24,
            Endpoint::CodeownersErrors => 25,
            Endpoint::DeploymentBranchPolicies => 26,
            Endpoint::Environment => 27,
            Endpoint::Labels => 28,
            Endpoint::Org => 29,
            Endpoint::Deployments => 30,
            Endpoint::Compare => 31,
            Endpoint::GitRef => 32,
            Endpoint::CreateGitBlob => 33,
            Endpoint::CreateGitTree => 34,
            Endpoint::CreateGitCommit => 35,
            Endpoint::CreateGitRef => 36,
            Endpoint::UpdateGitRef => 37,
            Endpoint::Pulls => 38,
            Endpoint::CreatePull => 39,
            Endpoint::UpdatePull => 40,
            Endpoint::OrgSecretScanningAlerts => 41,
            Endpoint::OrgDependabotAlerts => 42,
            Endpoint::OrgCodeScanningAlerts => 43,
            Endpoint::UpdateBranchProtection => 44,
            Endpoint::CreateSignatureProtection => 45,
            Endpoint::UpdateRepo => 46,
            Endpoint::EnableVulnerabilityAlerts => 47,
            Endpoint::CreateLabel => 48,
            Endpoint::UpdateLabel => 49,
            Endpoint::UpdateEnvironment => 50,
            Endpoint::UpdateOrg => 51,
            Endpoint::Rulesets => 52,
            Endpoint::CreateRuleset => 53,
            Endpoint::UpdateRuleset => 54,
        }
    }

    #[test]
    fn all_lists_every_variant_once() {
        for (i, endpoint) in Endpoint::ALL.iter().enumerate() {
            assert_eq!(ordinal(*endpoint), i, "{endpoint:?}");
        }
        assert_eq!(Endpoint::ALL.len(), ordinal(Endpoint::UpdateRuleset) + 1);
    }

    #[test]
    fn the_paths_warden_builds_are_classified() {
        let cases = [
            ("GET", "/repos/o/r", Endpoint::Repo),
            (
                "GET",
                "/repos/o/r/actions/runs?branch=main&status=completed",
                Endpoint::WorkflowRuns,
            ),
            (
                "GET",
                "/repos/o/r/vulnerability-alerts",
                Endpoint::VulnerabilityAlerts,
            ),
            (
                "GET",
                "/repos/o/r/branches/release/v1/protection",
                Endpoint::BranchProtection,
            ),
            (
                "GET",
                "/repos/o/r/rules/branches/feat/x?per_page=100",
                Endpoint::BranchRules,
            ),
            (
                "GET",
                "/repos/o/r/contents/a/b.toml?ref=v1",
                Endpoint::Contents,
            ),
            ("GET", "/orgs/acme/repos?per_page=100", Endpoint::OrgRepos),
            (
                "GET",
                "/repos/o/r/git/trees/main?recursive=1",
                Endpoint::GitTree,
            ),
            ("GET", "/repos/o/r/git/blobs/abc", Endpoint::GitBlob),
            ("POST", "/graphql", Endpoint::GraphQl),
            ("GET", "/repos/o/r/pulls/7", Endpoint::Pull),
            (
                "GET",
                "/repos/o/r/pulls/7/files?per_page=100&page=2",
                Endpoint::PullFiles,
            ),
            ("GET", "/repos/o/r/issues/7", Endpoint::Issue),
            (
                "GET",
                "/repos/o/r/issues/7/comments",
                Endpoint::IssueComments,
            ),
            (
                "POST",
                "/repos/o/r/issues/7/comments",
                Endpoint::CreateIssueComment,
            ),
            (
                "PATCH",
                "/repos/o/r/issues/comments/9",
                Endpoint::UpdateIssueComment,
            ),
            (
                "DELETE",
                "/repos/o/r/issues/comments/9",
                Endpoint::DeleteIssueComment,
            ),
            ("GET", "/repos/o/r/issues?labels=x", Endpoint::Issues),
            ("POST", "/repos/o/r/issues", Endpoint::CreateIssue),
            ("PATCH", "/repos/o/r/issues/7", Endpoint::UpdateIssue),
            ("GET", "/user", Endpoint::User),
            ("GET", "/repos/o/r/rulesets/42", Endpoint::Ruleset),
            (
                "GET",
                "/repos/o/r/secret-scanning/alerts?state=open&per_page=100",
                Endpoint::SecretScanningAlerts,
            ),
            (
                "GET",
                "/repos/o/r/dependabot/alerts?state=open",
                Endpoint::DependabotAlerts,
            ),
            (
                "GET",
                "/repos/o/r/code-scanning/alerts?state=open",
                Endpoint::CodeScanningAlerts,
            ),
            (
                "GET",
                "/repos/o/r/codeowners/errors",
                Endpoint::CodeownersErrors,
            ),
            (
                "GET",
                "/repos/o/r/environments/prod/deployment-branch-policies?per_page=100",
                Endpoint::DeploymentBranchPolicies,
            ),
            ("GET", "/repos/o/r/environments/prod", Endpoint::Environment),
            ("GET", "/repos/o/r/labels?per_page=100", Endpoint::Labels),
            ("GET", "/orgs/acme", Endpoint::Org),
            (
                "GET",
                "/repos/o/r/deployments?environment=prod&per_page=100",
                Endpoint::Deployments,
            ),
            (
                "GET",
                "/repos/o/r/compare/main...feature/x?per_page=100",
                Endpoint::Compare,
            ),
            (
                "GET",
                "/repos/o/r/git/ref/heads/warden/fix",
                Endpoint::GitRef,
            ),
            ("POST", "/repos/o/r/git/blobs", Endpoint::CreateGitBlob),
            ("POST", "/repos/o/r/git/trees", Endpoint::CreateGitTree),
            ("POST", "/repos/o/r/git/commits", Endpoint::CreateGitCommit),
            ("POST", "/repos/o/r/git/refs", Endpoint::CreateGitRef),
            (
                "PATCH",
                "/repos/o/r/git/refs/heads/warden/fix",
                Endpoint::UpdateGitRef,
            ),
            (
                "GET",
                "/repos/o/r/pulls?head=o:warden/fix&state=open",
                Endpoint::Pulls,
            ),
            ("POST", "/repos/o/r/pulls", Endpoint::CreatePull),
            ("PATCH", "/repos/o/r/pulls/7", Endpoint::UpdatePull),
            (
                "GET",
                "/orgs/acme/secret-scanning/alerts?state=open&per_page=100&hide_secret=true",
                Endpoint::OrgSecretScanningAlerts,
            ),
            (
                "GET",
                "/orgs/acme/dependabot/alerts?state=open&after=Y3Vyc29y",
                Endpoint::OrgDependabotAlerts,
            ),
            (
                "GET",
                "/organizations/9919/code-scanning/alerts?state=open&page=2",
                Endpoint::OrgCodeScanningAlerts,
            ),
            (
                "PUT",
                "/repos/o/r/branches/release/v1/protection",
                Endpoint::UpdateBranchProtection,
            ),
            (
                "POST",
                "/repos/o/r/branches/release/v1/protection/required_signatures",
                Endpoint::CreateSignatureProtection,
            ),
            ("PATCH", "/repos/o/r", Endpoint::UpdateRepo),
            (
                "PUT",
                "/repos/o/r/vulnerability-alerts",
                Endpoint::EnableVulnerabilityAlerts,
            ),
            ("POST", "/repos/o/r/labels", Endpoint::CreateLabel),
            (
                "PATCH",
                "/repos/o/r/labels/good%20first",
                Endpoint::UpdateLabel,
            ),
            (
                "PUT",
                "/repos/o/r/environments/prod",
                Endpoint::UpdateEnvironment,
            ),
            ("PATCH", "/orgs/acme", Endpoint::UpdateOrg),
            (
                "GET",
                "/repos/o/r/rulesets?includes_parents=false&per_page=100",
                Endpoint::Rulesets,
            ),
            ("POST", "/repos/o/r/rulesets", Endpoint::CreateRuleset),
            ("PUT", "/repos/o/r/rulesets/7", Endpoint::UpdateRuleset),
        ];
        for (method, path, want) in cases {
            assert_eq!(
                Endpoint::classify(method, path),
                Some(want),
                "{method} {path}"
            );
        }
        // Pages named by id in GitHub's link headers.
        assert_eq!(
            Endpoint::classify("GET", "/repositories/1296269/issues/7/comments?page=2"),
            Some(Endpoint::IssueComments)
        );
        assert_eq!(
            Endpoint::classify("GET", "/organizations/9919/repos?page=2"),
            Some(Endpoint::OrgRepos)
        );
        assert_eq!(Endpoint::classify("GET", "/repos/o/r/hooks"), None);
        assert_eq!(Endpoint::classify("DELETE", "/repos/o/r"), None);
        assert_eq!(Endpoint::classify("GET", "/repos/o//protection"), None);
    }
}
