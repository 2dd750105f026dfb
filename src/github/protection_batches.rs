//! Classic branch protection of many repositories in one GraphQL query, for the
//! organisation sweep.
//!
//! REST needs one `GET .../branches/{branch}/protection` per repository and branch; one
//! GraphQL query asks for the `branchProtectionRule` of the same branches in
//! [`BATCH_SIZE`] repositories at once. Rulesets are still read over REST
//! (`GET .../rules/branches/{branch}`): that endpoint answers with the rules in force,
//! organisation rulesets included, while GraphQL only lists rulesets with their
//! conditions, which warden would have to evaluate itself.
//!
//! GraphQL is used only where its answer is as good as REST's. A repository whose answer
//! is missing, carries an error, or whose viewer cannot administer it (REST would answer
//! 403/404, and GraphQL may then leave out the rule instead of saying so) has no answer
//! here, and REST decides for it, with REST's precise errors. A query that fails as a whole
//! falls back the same way; if the endpoint itself refuses us (404, 401, 403, or a query
//! it rejects), it is not asked again in this run.
//!
//! A `null` rule is the one answer GraphQL cannot qualify: "no classic protection", or a
//! token without the Administration permission that GraphQL silently hides rules from. So
//! the first `null` of a run is checked once against REST: if REST says "Branch not
//! protected" too, `null` is trusted for the run (a token's permissions are the same for
//! every repository it reaches; the per-repository role is `viewerCanAdminister`);
//! otherwise every `null` is left to REST.
//!
//! Field names are those of GitHub's published GraphQL schema (`@octokit/graphql-schema`,
//! `schema.graphql`: `Repository.ref`, `Repository.viewerCanAdminister`,
//! `Ref.branchProtectionRule`, `BranchProtectionRule`, `RequiredStatusCheckDescription`).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::OnceCell;

use super::protection::{Check, ClassicProtection, Enabled, Reviews, StatusChecks};
use super::{Client, RepoId};

/// Repositories per query. Each costs one point of GraphQL rate limit whatever its size
/// (no connections are paged); 25 keeps the query and its answer small.
pub const BATCH_SIZE: usize = 25;

/// Classic protection per branch, as GraphQL reported it: `None` for a branch that has
/// no classic protection. A branch missing from the map has no answer (REST decides).
pub type ClassicByBranch = BTreeMap<String, Option<ClassicProtection>>;

/// The fields of `BranchProtectionRule` that map onto REST's branch protection.
const RULE_FIELDS: &str = "requiresStatusChecks requiresStrictStatusChecks \
requiredStatusCheckContexts requiredStatusChecks { context app { databaseId } } \
isAdminEnforced requiresApprovingReviews requiredApprovingReviewCount \
dismissesStaleReviews requiresCodeOwnerReviews requireLastPushApproval \
requiresLinearHistory allowsForcePushes allowsDeletions requiresConversationResolution \
requiresCommitSignatures";

/// The query for `repos` and `branches`, with its variables: repository `i` is aliased
/// `r{i}` (variables `o{i}`, `n{i}`), branch `j` is `b{j}` (variable `q{j}`, the
/// qualified ref name).
pub fn protection_query(repos: &[RepoId], branches: &[String]) -> (String, Value) {
    let mut variables = serde_json::Map::new();
    let mut parameters = Vec::new();
    let mut refs = String::new();
    for (j, branch) in branches.iter().enumerate() {
        parameters.push(format!("$q{j}: String!"));
        variables.insert(format!("q{j}"), json!(format!("refs/heads/{branch}")));
        refs.push_str(&format!(
            " b{j}: ref(qualifiedName: $q{j}) {{ branchProtectionRule {{ {RULE_FIELDS} }} }}"
        ));
    }
    let mut body = String::new();
    for (i, repo) in repos.iter().enumerate() {
        parameters.push(format!("$o{i}: String!, $n{i}: String!"));
        variables.insert(format!("o{i}"), json!(repo.owner));
        variables.insert(format!("n{i}"), json!(repo.name));
        body.push_str(&format!(
            " r{i}: repository(owner: $o{i}, name: $n{i}) {{ viewerCanAdminister{refs} }}"
        ));
    }
    let query = format!("query({}) {{{body} }}", parameters.join(", "));
    (query, Value::Object(variables))
}

/// Read a query's answer: per repository (in `repos` order), what GraphQL settled.
pub fn read_answer(repos: usize, branches: &[String], answer: &Value) -> Vec<ClassicByBranch> {
    // Errors name the field they belong to by its path: ["r3", "b0", ...].
    let mut failed_repos = Vec::new();
    let mut failed_refs = Vec::new();
    let mut whole_query_failed = false;
    for error in answer["errors"].as_array().into_iter().flatten() {
        match error["path"].as_array().map(Vec::as_slice) {
            Some([repo]) => failed_repos.push(repo.as_str().unwrap_or_default().to_string()),
            Some([repo, branch, ..]) => failed_refs.push((
                repo.as_str().unwrap_or_default().to_string(),
                branch.as_str().unwrap_or_default().to_string(),
            )),
            _ => whole_query_failed = true,
        }
    }
    (0..repos)
        .map(|i| {
            let alias = format!("r{i}");
            let repo = &answer["data"][&alias];
            let trusted = !whole_query_failed
                && !failed_repos.contains(&alias)
                && repo["viewerCanAdminister"].as_bool() == Some(true);
            if !trusted {
                return ClassicByBranch::new();
            }
            let mut settled = ClassicByBranch::new();
            for (j, branch) in branches.iter().enumerate() {
                let ref_alias = format!("b{j}");
                let failed = failed_refs
                    .iter()
                    .any(|(r, b)| *r == alias && (*b == ref_alias || b.is_empty()));
                let reference = &repo[&ref_alias];
                // A missing branch (`null`): REST says which of "not found" or "no access".
                if failed || !reference.is_object() {
                    continue;
                }
                match &reference["branchProtectionRule"] {
                    Value::Null => {
                        settled.insert(branch.clone(), None);
                    }
                    rule => {
                        if let Ok(rule) = Rule::deserialize(rule) {
                            settled.insert(branch.clone(), Some(rule.into_classic()));
                        }
                    }
                }
            }
            settled
        })
        .collect()
}

/// `BranchProtectionRule`, the fields asked for in [`RULE_FIELDS`].
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    requires_status_checks: bool,
    requires_strict_status_checks: bool,
    #[serde(default)]
    required_status_check_contexts: Option<Vec<Option<String>>>,
    #[serde(default)]
    required_status_checks: Option<Vec<StatusCheck>>,
    is_admin_enforced: bool,
    requires_approving_reviews: bool,
    #[serde(default)]
    required_approving_review_count: Option<u32>,
    dismisses_stale_reviews: bool,
    requires_code_owner_reviews: bool,
    require_last_push_approval: bool,
    requires_linear_history: bool,
    allows_force_pushes: bool,
    allows_deletions: bool,
    requires_conversation_resolution: bool,
    requires_commit_signatures: bool,
}

#[derive(Debug, Deserialize)]
struct StatusCheck {
    context: String,
    app: Option<App>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct App {
    database_id: Option<i64>,
}

impl Rule {
    /// The same facts in REST's shape, so the effective-protection merge is shared.
    fn into_classic(self) -> ClassicProtection {
        let enabled = |enabled| Some(Enabled { enabled });
        ClassicProtection {
            // Not in GraphQL; REST's answers must carry it, this one is vouched for by
            // `viewerCanAdminister` and the schema's non-null fields instead.
            url: Some(String::new()),
            required_status_checks: self.requires_status_checks.then(|| StatusChecks {
                strict: Some(self.requires_strict_status_checks),
                contexts: self
                    .required_status_check_contexts
                    .map(|contexts| contexts.into_iter().flatten().collect()),
                checks: self.required_status_checks.map(|checks| {
                    checks
                        .into_iter()
                        .map(|check| Check {
                            context: check.context,
                            app_id: check.app.and_then(|app| app.database_id),
                        })
                        .collect()
                }),
            }),
            enforce_admins: enabled(self.is_admin_enforced),
            // "Require a pull request before merging" is `requiresApprovingReviews` in
            // GraphQL, whatever the number of approvals (which may be 0).
            required_pull_request_reviews: self.requires_approving_reviews.then_some(Reviews {
                dismiss_stale_reviews: Some(self.dismisses_stale_reviews),
                require_code_owner_reviews: Some(self.requires_code_owner_reviews),
                // `null` is left unknown, not read as 0.
                required_approving_review_count: self.required_approving_review_count,
                require_last_push_approval: Some(self.require_last_push_approval),
            }),
            required_linear_history: enabled(self.requires_linear_history),
            allow_force_pushes: enabled(self.allows_force_pushes),
            allow_deletions: enabled(self.allows_deletions),
            required_conversation_resolution: enabled(self.requires_conversation_resolution),
            required_signatures: enabled(self.requires_commit_signatures),
        }
    }
}

/// The repositories of a sweep, cut into batches; each batch is queried once, by the
/// first of its repositories to ask, and the others wait for that answer.
pub struct ProtectionBatches {
    branches: Vec<String>,
    batches: Vec<(Vec<RepoId>, OnceCell<Vec<ClassicByBranch>>)>,
    /// Lower-cased `OWNER/NAME` → (batch, position in it).
    place: HashMap<String, (usize, usize)>,
    /// Does a `null` rule mean "not protected" for this token? Checked once, over REST.
    nulls_mean_unprotected: OnceCell<bool>,
    queries: AtomicU64,
}

impl ProtectionBatches {
    /// Batches for `repos` (in the order they will be swept), asking for `branches`.
    pub fn new(repos: &[RepoId], branches: Vec<String>) -> Self {
        let mut place = HashMap::new();
        let batches = repos
            .chunks(BATCH_SIZE)
            .enumerate()
            .map(|(b, chunk)| {
                for (i, repo) in chunk.iter().enumerate() {
                    place.insert(repo.to_string().to_lowercase(), (b, i));
                }
                (chunk.to_vec(), OnceCell::new())
            })
            .collect();
        ProtectionBatches {
            branches,
            batches,
            place,
            nulls_mean_unprotected: OnceCell::new(),
            queries: AtomicU64::new(0),
        }
    }

    /// What GraphQL settled for `repo` (empty: REST decides everything).
    pub async fn classic(&self, client: &Client, repo: &RepoId) -> ClassicByBranch {
        if self.branches.is_empty() {
            return ClassicByBranch::new();
        }
        let Some(&(batch, position)) = self.place.get(&repo.to_string().to_lowercase()) else {
            return ClassicByBranch::new();
        };
        let (repos, answer) = &self.batches[batch];
        let answers = answer.get_or_init(|| self.query(client, repos)).await;
        let mut settled = answers.get(position).cloned().unwrap_or_default();
        if let Some(branch) = settled
            .iter()
            .find(|(_, rule)| rule.is_none())
            .map(|(b, _)| b)
        {
            let trusted = *self
                .nulls_mean_unprotected
                .get_or_init(|| self.check_null(client, repo, branch))
                .await;
            if !trusted {
                settled.retain(|_, rule| rule.is_some());
            }
        }
        settled
    }

    /// Ask REST about a branch GraphQL says has no rule: does it agree?
    async fn check_null(&self, client: &Client, repo: &RepoId, branch: &str) -> bool {
        // Counted with the queries: it is what makes their answers usable.
        self.queries.fetch_add(1, Ordering::Relaxed);
        let base = format!("/repos/{}/{}", repo.owner, repo.name);
        matches!(
            super::classic_protection(client, &base, branch).await,
            Ok(None)
        )
    }

    async fn query(&self, client: &Client, repos: &[RepoId]) -> Vec<ClassicByBranch> {
        if client.graphql_refused() {
            return vec![ClassicByBranch::new(); repos.len()];
        }
        let (query, variables) = protection_query(repos, &self.branches);
        match client
            .graphql_counted(&query, &variables, Some(&self.queries))
            .await
        {
            Ok(answer) => read_answer(repos.len(), &self.branches, &answer),
            Err(_) => vec![ClassicByBranch::new(); repos.len()],
        }
    }

    /// Queries sent so far, and the REST request that checked what `null` means.
    pub fn queries(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repos() -> Vec<RepoId> {
        vec![
            RepoId::parse("octo-org/app").unwrap(),
            RepoId::parse("octo-org/api").unwrap(),
        ]
    }

    #[test]
    fn the_query_names_every_repository_and_branch_by_variable() {
        let (query, variables) =
            protection_query(&repos(), &["main".to_string(), "release/1.x".to_string()]);
        assert!(query.starts_with("query($q0: String!, $q1: String!, $o0: String!, $n0: String!"));
        assert!(query.contains("r1: repository(owner: $o1, name: $n1) { viewerCanAdminister b0: ref(qualifiedName: $q0)"));
        assert!(query.contains("requiredStatusChecks { context app { databaseId } }"));
        assert_eq!(variables["q1"], "refs/heads/release/1.x");
        assert_eq!(variables["o1"], "octo-org");
        assert_eq!(variables["n1"], "api");
    }

    fn rule() -> Value {
        json!({
            "requiresStatusChecks": true,
            "requiresStrictStatusChecks": true,
            "requiredStatusCheckContexts": ["ci/build"],
            "requiredStatusChecks": [{"context": "ci/build", "app": {"databaseId": 15368}}],
            "isAdminEnforced": true,
            "requiresApprovingReviews": true,
            "requiredApprovingReviewCount": 2,
            "dismissesStaleReviews": true,
            "requiresCodeOwnerReviews": false,
            "requireLastPushApproval": false,
            "requiresLinearHistory": true,
            "allowsForcePushes": false,
            "allowsDeletions": false,
            "requiresConversationResolution": true,
            "requiresCommitSignatures": false
        })
    }

    #[test]
    fn a_rule_reads_as_rest_protection_and_null_as_unprotected() {
        let answer = json!({"data": {
            "r0": {"viewerCanAdminister": true, "b0": {"branchProtectionRule": rule()}},
            "r1": {"viewerCanAdminister": true, "b0": {"branchProtectionRule": null}}
        }});
        let settled = read_answer(2, &["main".to_string()], &answer);
        let classic = settled[0]["main"].as_ref().expect("protected");
        let checks = classic.required_status_checks.as_ref().unwrap();
        assert_eq!(checks.strict, Some(true));
        assert_eq!(checks.checks.as_ref().unwrap()[0].app_id, Some(15368));
        assert_eq!(
            classic
                .required_pull_request_reviews
                .as_ref()
                .unwrap()
                .required_approving_review_count,
            Some(2)
        );
        assert_eq!(classic.allow_force_pushes, Some(Enabled { enabled: false }));
        assert_eq!(settled[1].get("main"), Some(&None));
    }

    #[test]
    fn what_graphql_cannot_vouch_for_is_left_to_rest() {
        let answer = json!({
            "data": {
                "r0": {"viewerCanAdminister": false, "b0": {"branchProtectionRule": null}},
                "r1": null,
                "r2": {"viewerCanAdminister": true, "b0": null},
                "r3": {"viewerCanAdminister": true, "b0": {"branchProtectionRule": null}}
            },
            "errors": [{
                "type": "NOT_FOUND",
                "path": ["r1"],
                "locations": [{"line": 1, "column": 100}],
                "message": "Could not resolve to a Repository with the name 'octo-org/gone'."
            }]
        });
        let settled = read_answer(4, &["main".to_string()], &answer);
        assert!(
            settled[0].is_empty(),
            "not an admin: GraphQL may hide the rule"
        );
        assert!(settled[1].is_empty(), "an error for the repository");
        assert!(settled[2].is_empty(), "no such branch: REST says why");
        assert_eq!(settled[3].get("main"), Some(&None));
    }

    #[test]
    fn errors_beside_data_void_what_they_name() {
        let trusted = json!({"viewerCanAdminister": true, "b0": {"branchProtectionRule": rule()}});
        let answer = json!({
            "data": {"r0": trusted, "r1": trusted, "r2": trusted},
            "errors": [
                {"type": "FORBIDDEN", "path": ["r1", "b0", "branchProtectionRule", "requiredStatusChecks"],
                 "locations": [{"line": 1, "column": 1}], "message": "Resource not accessible by integration"},
                {"type": "FORBIDDEN", "path": ["r2"],
                 "locations": [{"line": 1, "column": 1}], "message": "Resource not accessible by integration"}
            ]
        });
        let settled = read_answer(3, &["main".to_string()], &answer);
        assert!(settled[0].contains_key("main"), "no error names r0");
        assert!(
            settled[1].is_empty(),
            "an error inside the rule: REST decides"
        );
        assert!(
            settled[2].is_empty(),
            "an error on the repository: REST decides"
        );
    }

    #[test]
    fn an_error_without_a_path_voids_the_whole_answer() {
        let trusted = json!({"viewerCanAdminister": true, "b0": {"branchProtectionRule": null}});
        let answer = json!({
            "data": {"r0": trusted, "r1": trusted},
            "errors": [{"message": "Something went wrong while executing your query."}]
        });
        let settled = read_answer(2, &["main".to_string()], &answer);
        assert!(settled.iter().all(BTreeMap::is_empty));
    }
}
