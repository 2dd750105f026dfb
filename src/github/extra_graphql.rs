//! The issue-12 facts of one repository in one GraphQL query, for the organisation sweep:
//! labels, environments with their protection rules, recent deployments, branch
//! comparisons, GitHub's CODEOWNERS errors and whether Dependabot alerts are on. Over
//! REST these are one request each (or more).
//!
//! GraphQL is used only where its answer is as good as REST's; what it cannot vouch for
//! is left to REST, which then decides with its precise errors:
//! - anything an `errors` item names by its path (or the whole answer, when an error has
//!   no path or names the repository), and everything when the query fails;
//! - a `null` environment, comparison or CODEOWNERS verdict: REST tells "does not exist"
//!   from "may not see";
//! - a connection with more items than the query asked for (labels over 100, protection
//!   rules over 10, reviewers over 100);
//! - a deployment without `ref` (its branch was deleted, or it was made from a SHA), whose
//!   REST `ref` names what was deployed, and one without `databaseId`;
//! - an environment whose rule needs its deployment branch policy, which GraphQL's
//!   `Environment` does not have.
//!
//! Field names are those of GitHub's published GraphQL schema (`@octokit/graphql-schema`
//! 15.26.1, `schema.graphql`): `Repository.labels`, `.environment(name:)`,
//! `.deployments(environments:, orderBy:)`, `.ref(qualifiedName:)`, `.codeowners`,
//! `.hasVulnerabilityAlertsEnabled`; `Label.name/color/description`;
//! `Environment.protectionRules` → `DeploymentProtectionRule.type/timeout/
//! preventSelfReview/reviewers` (`DeploymentReviewer` = `User.login` | `Team.slug`);
//! `Deployment.databaseId/commitOid/createdAt/originalEnvironment/ref`; `Ref.compare
//! (headRef:)` → `Comparison.aheadBy/commits` → `Commit.oid/messageHeadline`;
//! `RepositoryCodeowners.errors` → `RepositoryCodeownersError.line/kind/path/message/
//! suggestion`.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::codeowners::CodeownersError;
use super::compare::{Comparison, MissingCommit, NEWEST};
use super::deployments::Deployment;
use super::environments::{Environment, EnvironmentNeed, ProtectionRule, Reviewer};
use super::extended::ExtraNeeds;
use super::labels::Label;
use super::{Client, RepoId};

const LABELS: u64 = 100;
const RULES: u64 = 10;
const REVIEWERS: u64 = 100;
const DEPLOYMENTS: u64 = 100;

/// What GraphQL settled; what is not here is left to REST.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settled {
    pub labels: Option<Vec<Label>>,
    pub environments: BTreeMap<String, Environment>,
    pub deployments: BTreeMap<String, Vec<Deployment>>,
    pub compare: BTreeMap<(String, String), Comparison>,
    pub codeowners_errors: Option<Vec<CodeownersError>>,
    /// `Repository.hasVulnerabilityAlertsEnabled`.
    pub vulnerability_alerts: Option<bool>,
}

/// The parts of `needs` one query asks for, in a fixed order (aliases `e{i}`, `d{i}`,
/// `c{i}` follow it).
struct Asked<'a> {
    labels: bool,
    environments: Vec<&'a String>,
    deployments: Vec<&'a String>,
    compare: Vec<&'a (String, String)>,
    codeowners: bool,
    vulnerability_alerts: bool,
}

impl<'a> Asked<'a> {
    fn of(needs: &'a ExtraNeeds, vulnerability_alerts: bool) -> Self {
        Asked {
            labels: needs.labels,
            environments: needs
                .environments
                .iter()
                .filter(|(_, need)| **need == EnvironmentNeed::Rules)
                .map(|(name, _)| name)
                .collect(),
            deployments: needs.deployments.iter().collect(),
            compare: needs.compare.iter().collect(),
            codeowners: needs.codeowners_errors,
            vulnerability_alerts,
        }
    }

    fn is_empty(&self) -> bool {
        !self.labels
            && self.environments.is_empty()
            && self.deployments.is_empty()
            && self.compare.is_empty()
            && !self.codeowners
            && !self.vulnerability_alerts
    }
}

/// The query for `repo`, with its variables; `None` when nothing of `needs` is asked for
/// here. `vulnerability_alerts`: ask whether Dependabot alerts are on.
pub fn query(
    repo: &RepoId,
    needs: &ExtraNeeds,
    vulnerability_alerts: bool,
) -> Option<(String, Value)> {
    let asked = Asked::of(needs, vulnerability_alerts);
    if asked.is_empty() {
        return None;
    }
    let mut parameters = vec!["$o: String!".to_string(), "$n: String!".to_string()];
    let mut variables = serde_json::Map::new();
    variables.insert("o".into(), json!(repo.owner));
    variables.insert("n".into(), json!(repo.name));
    let mut fields = Vec::new();
    if asked.labels {
        fields.push(format!(
            "labels(first: {LABELS}) {{ totalCount nodes {{ name color description }} }}"
        ));
    }
    for (i, name) in asked.environments.iter().enumerate() {
        parameters.push(format!("$e{i}: String!"));
        variables.insert(format!("e{i}"), json!(name));
        fields.push(format!(
            "e{i}: environment(name: $e{i}) {{ name protectionRules(first: {RULES}) {{ totalCount \
nodes {{ type timeout preventSelfReview reviewers(first: {REVIEWERS}) {{ totalCount \
nodes {{ __typename ... on User {{ login }} ... on Team {{ slug }} }} }} }} }} }}"
        ));
    }
    for (i, name) in asked.deployments.iter().enumerate() {
        parameters.push(format!("$d{i}: [String!]"));
        variables.insert(format!("d{i}"), json!([name]));
        fields.push(format!(
            "d{i}: deployments(environments: $d{i}, first: {DEPLOYMENTS}, \
orderBy: {{field: CREATED_AT, direction: DESC}}) {{ nodes {{ databaseId commitOid createdAt \
originalEnvironment ref {{ name }} }} }}"
        ));
    }
    for (i, (base, head)) in asked.compare.iter().enumerate() {
        parameters.push(format!("$c{i}: String!, $h{i}: String!"));
        variables.insert(format!("c{i}"), json!(format!("refs/heads/{base}")));
        variables.insert(format!("h{i}"), json!(head));
        fields.push(format!(
            "c{i}: ref(qualifiedName: $c{i}) {{ compare(headRef: $h{i}) {{ aheadBy \
commits(last: {NEWEST}) {{ nodes {{ oid messageHeadline }} }} }} }}"
        ));
    }
    if asked.codeowners {
        fields.push("codeowners { errors { line kind path message suggestion } }".to_string());
    }
    if asked.vulnerability_alerts {
        fields.push("hasVulnerabilityAlertsEnabled".to_string());
    }
    let query = format!(
        "query({}) {{ repository(owner: $o, name: $n) {{ {} }} }}",
        parameters.join(", "),
        fields.join(" ")
    );
    Some((query, Value::Object(variables)))
}

/// Read an answer to [`query`] for the same `needs`.
pub fn read(needs: &ExtraNeeds, vulnerability_alerts: bool, answer: &Value) -> Settled {
    let asked = Asked::of(needs, vulnerability_alerts);
    let mut settled = Settled::default();
    // Errors name the field they belong to by its path: ["repository", "e0", ...].
    let mut failed: Vec<String> = Vec::new();
    for error in answer["errors"].as_array().into_iter().flatten() {
        match error["path"].as_array().map(Vec::as_slice) {
            Some([_, field, ..]) => failed.push(field.as_str().unwrap_or_default().to_string()),
            // No path, or the repository itself: nothing in the answer is vouched for.
            _ => return settled,
        }
    }
    let repo = &answer["data"]["repository"];
    if !repo.is_object() {
        return settled;
    }
    let usable = |field: &str| -> Option<&Value> {
        if failed.iter().any(|f| f == field) {
            return None;
        }
        repo.get(field).filter(|v| !v.is_null())
    };
    if asked.labels {
        settled.labels = usable("labels").and_then(labels);
    }
    for (i, name) in asked.environments.iter().enumerate() {
        if let Some(env) = usable(&format!("e{i}")).and_then(environment) {
            settled.environments.insert((*name).clone(), env);
        }
    }
    for (i, name) in asked.deployments.iter().enumerate() {
        if let Some(list) = usable(&format!("d{i}")).and_then(deployments) {
            settled.deployments.insert((*name).clone(), list);
        }
    }
    for (i, pair) in asked.compare.iter().enumerate() {
        if let Some(found) = usable(&format!("c{i}")).and_then(comparison) {
            settled.compare.insert((*pair).clone(), found);
        }
    }
    if asked.codeowners {
        settled.codeowners_errors = usable("codeowners").and_then(codeowners);
    }
    if asked.vulnerability_alerts {
        settled.vulnerability_alerts =
            usable("hasVulnerabilityAlertsEnabled").and_then(Value::as_bool);
    }
    settled
}

/// Send the query for `repo`; what GraphQL settled, and the requests it cost (0 or 1).
pub async fn fetch(
    client: &Client,
    repo: &RepoId,
    needs: &ExtraNeeds,
    vulnerability_alerts: bool,
) -> (Settled, u64) {
    let Some((query, variables)) = query(repo, needs, vulnerability_alerts) else {
        return (Settled::default(), 0);
    };
    if client.graphql_refused() {
        return (Settled::default(), 0);
    }
    match client.graphql(&query, &variables).await {
        Ok(answer) => (read(needs, vulnerability_alerts, &answer), 1),
        Err(_) => (Settled::default(), 1),
    }
}

/// The nodes of a connection when it holds every item (`totalCount` ≤ the page).
fn whole(connection: &Value, page: u64) -> Option<&Vec<Value>> {
    let total = connection["totalCount"].as_u64()?;
    let nodes = connection["nodes"].as_array()?;
    (total <= page && nodes.len() as u64 == total).then_some(nodes)
}

fn text(value: &Value, key: &str) -> Option<String> {
    value[key].as_str().map(str::to_string)
}

fn labels(connection: &Value) -> Option<Vec<Label>> {
    whole(connection, LABELS)?
        .iter()
        .map(|node| {
            Some(Label {
                name: text(node, "name")?,
                color: text(node, "color"),
                description: text(node, "description"),
            })
        })
        .collect()
}

fn environment(env: &Value) -> Option<Environment> {
    let rules = whole(&env["protectionRules"], RULES)?
        .iter()
        .map(protection_rule)
        .collect::<Option<Vec<_>>>()?;
    Some(Environment {
        name: text(env, "name")?,
        html_url: None,
        protection_rules: rules,
        // Not in GraphQL: only asked here for rules that do not judge it.
        deployment_branch_policy: None,
        branch_patterns: None,
    })
}

/// A `DeploymentProtectionRule` in REST's shape: each type carries only its own fields.
fn protection_rule(rule: &Value) -> Option<ProtectionRule> {
    let kind = rule["type"].as_str()?.to_ascii_lowercase();
    let mut found = ProtectionRule {
        kind,
        wait_timer: None,
        prevent_self_review: None,
        reviewers: None,
    };
    match found.kind.as_str() {
        "wait_timer" => found.wait_timer = Some(rule["timeout"].as_u64()?),
        "required_reviewers" => {
            found.prevent_self_review = rule["preventSelfReview"].as_bool();
            let reviewers = whole(&rule["reviewers"], REVIEWERS)?
                .iter()
                .map(|node| {
                    let (kind, key) = match node["__typename"].as_str()? {
                        "User" => ("User", "login"),
                        "Team" => ("Team", "slug"),
                        _ => return None,
                    };
                    Some(Reviewer {
                        kind: Some(kind.to_string()),
                        reviewer: Some(json!({ key: node[key].as_str()? })),
                    })
                })
                .collect::<Option<Vec<_>>>()?;
            found.reviewers = Some(reviewers);
        }
        _ => {}
    }
    Some(found)
}

fn deployments(connection: &Value) -> Option<Vec<Deployment>> {
    connection["nodes"]
        .as_array()?
        .iter()
        .map(|node| {
            Some(Deployment {
                id: node["databaseId"].as_u64()?,
                git_ref: Some(text(&node["ref"], "name")?),
                sha: text(node, "commitOid"),
                environment: text(node, "originalEnvironment"),
                created_at: Some(text(node, "createdAt")?),
                url: None,
            })
        })
        .collect()
}

fn comparison(reference: &Value) -> Option<Comparison> {
    let compare = &reference["compare"];
    let missing = compare["aheadBy"].as_u64()?;
    // `commits` lists the missing commits oldest first, as REST does; `last` are the newest.
    let newest = compare["commits"]["nodes"]
        .as_array()?
        .iter()
        .rev()
        .map(|node| {
            Some(MissingCommit {
                sha: text(node, "oid")?,
                summary: text(node, "messageHeadline")?,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    // Every missing commit up to NEWEST must be there: fewer would hide some.
    if (newest.len() as u64) < missing.min(NEWEST as u64) {
        return None;
    }
    Some(Comparison {
        missing,
        newest,
        source: "GraphQL's Ref.compare",
        newest_are_latest: true,
    })
}

fn codeowners(found: &Value) -> Option<Vec<CodeownersError>> {
    found["errors"]
        .as_array()?
        .iter()
        .map(|e| {
            Some(CodeownersError {
                line: u32::try_from(e["line"].as_u64()?).ok()?,
                kind: text(e, "kind")?,
                path: text(e, "path")?,
                message: text(e, "message")?,
                suggestion: text(e, "suggestion"),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::alerts::AlertKind;

    fn needs() -> ExtraNeeds {
        ExtraNeeds {
            labels: true,
            compare: [("staging".to_string(), "main".to_string())].into(),
            environments: [
                ("production".to_string(), EnvironmentNeed::Rules),
                ("staging".to_string(), EnvironmentNeed::BranchPolicy),
            ]
            .into(),
            alerts: [AlertKind::Dependabot].into(),
            codeowners_errors: true,
            deployments: ["production".to_string()].into(),
            ..Default::default()
        }
    }

    fn repo() -> RepoId {
        RepoId::parse("octo-org/app").unwrap()
    }

    #[test]
    fn the_query_asks_only_what_graphql_can_answer() {
        let (query, variables) = query(&repo(), &needs(), true).unwrap();
        assert!(query.starts_with("query($o: String!, $n: String!, $e0: String!, $d0: [String!], $c0: String!, $h0: String!) { repository(owner: $o, name: $n) { labels(first: 100)"));
        assert!(query.contains("e0: environment(name: $e0)"));
        assert!(
            !query.contains("e1:"),
            "staging needs its branch policy: REST"
        );
        assert!(query.contains("ref(qualifiedName: $c0) { compare(headRef: $h0)"));
        assert!(query.ends_with("hasVulnerabilityAlertsEnabled } }"));
        assert_eq!(variables["e0"], "production");
        assert_eq!(variables["d0"], json!(["production"]));
        assert_eq!(variables["c0"], "refs/heads/staging");
        assert_eq!(variables["h0"], "main");
        let nothing = ExtraNeeds {
            environments: [("staging".to_string(), EnvironmentNeed::BranchPatterns)].into(),
            ..Default::default()
        };
        assert!(super::query(&repo(), &nothing, false).is_none());
    }

    fn answer() -> Value {
        json!({"data": {"repository": {
            "labels": {"totalCount": 2, "nodes": [
                {"name": "bug", "color": "f29513", "description": "Something isn't working"},
                {"name": "feat", "color": "a2eeef", "description": null}
            ]},
            "e0": {"name": "production", "protectionRules": {"totalCount": 2, "nodes": [
                {"type": "WAIT_TIMER", "timeout": 30, "preventSelfReview": null,
                 "reviewers": {"totalCount": 0, "nodes": []}},
                {"type": "REQUIRED_REVIEWERS", "timeout": 0, "preventSelfReview": true,
                 "reviewers": {"totalCount": 2, "nodes": [
                    {"__typename": "User", "login": "octocat"},
                    {"__typename": "Team", "slug": "justice-league"}
                 ]}}
            ]}},
            "d0": {"nodes": [{"databaseId": 42, "commitOid": "a84d88e7554fc1fa21bcbc4efae3c782a70d2b9d",
                "createdAt": "2026-11-19T15:00:00Z", "originalEnvironment": "production",
                "ref": {"name": "main"}}]},
            "c0": {"compare": {"aheadBy": 2, "commits": {"nodes": [
                {"oid": "1111111111111111111111111111111111111111", "messageHeadline": "older"},
                {"oid": "2222222222222222222222222222222222222222", "messageHeadline": "newer"}
            ]}}},
            "codeowners": {"errors": []},
            "hasVulnerabilityAlertsEnabled": true
        }}})
    }

    #[test]
    fn an_answer_reads_as_rest_facts() {
        let settled = read(&needs(), true, &answer());
        let labels = settled.labels.unwrap();
        assert_eq!(labels[0].name, "bug");
        assert_eq!(labels[1].description, None);
        let env = &settled.environments["production"];
        assert_eq!(env.rule("wait_timer").unwrap().wait_timer, Some(30));
        let reviewers = env.rule("required_reviewers").unwrap();
        assert_eq!(reviewers.prevent_self_review, Some(true));
        let names: Vec<String> = reviewers
            .reviewers
            .as_ref()
            .unwrap()
            .iter()
            .map(Reviewer::name)
            .collect();
        assert_eq!(names, ["octocat", "justice-league"]);
        let deployment = &settled.deployments["production"][0];
        assert_eq!(
            (deployment.id, deployment.git_ref.as_deref()),
            (42, Some("main"))
        );
        let comparison = &settled.compare[&("staging".to_string(), "main".to_string())];
        assert_eq!(comparison.missing, 2);
        assert_eq!(comparison.newest[0].summary, "newer");
        assert_eq!(settled.codeowners_errors, Some(vec![]));
        assert_eq!(settled.vulnerability_alerts, Some(true));
    }

    #[test]
    fn what_graphql_cannot_vouch_for_is_left_to_rest() {
        let mut answer = answer();
        let repo = &mut answer["data"]["repository"];
        repo["labels"]["totalCount"] = json!(101);
        repo["e0"] = Value::Null;
        repo["d0"]["nodes"][0]["ref"] = Value::Null;
        repo["c0"]["compare"]["commits"]["nodes"] = json!([]);
        repo["codeowners"] = Value::Null;
        answer["errors"] = json!([{"type": "FORBIDDEN", "path": ["repository", "hasVulnerabilityAlertsEnabled"],
            "locations": [{"line": 1, "column": 1}], "message": "Resource not accessible by integration"}]);
        assert_eq!(read(&needs(), true, &answer), Settled::default());
    }

    #[test]
    fn an_error_without_a_field_voids_the_whole_answer() {
        let mut answer = answer();
        answer["errors"] = json!([{"message": "Something went wrong while executing your query."}]);
        assert_eq!(read(&needs(), true, &answer), Settled::default());
        let mut answer = self::answer();
        answer["errors"] = json!([{"type": "NOT_FOUND", "path": ["repository"], "message": "Could not resolve to a Repository"}]);
        assert_eq!(read(&needs(), true, &answer), Settled::default());
    }
}
