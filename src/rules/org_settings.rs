//! `org-settings`: the owning organisation's security settings (2FA required, secret
//! scanning and push protection for new repositories, who may create public repositories,
//! the base permission, web commit sign-off).

use super::{Rule, RuleKind, Scope};
use crate::facts::{Facts, Needs};
use crate::fix::github::OrgSetting;
use crate::fix::{Fix, GitHubFix};
use crate::github::org_settings::OrgSettings;
use crate::model::{Evaluation, Finding};
use crate::policy::reader::TableReader;

pub const KIND: RuleKind = RuleKind {
    id: "org-settings",
    summary: "The organisation's security settings match the policy",
    scope: Scope::GitHub,
    doc: r#"
## What it checks
The settings of the organisation that owns the repository (`GET /orgs/{org}`, read once
per organisation per run, also in `warden sweep --org`), for the keys the policy gives:
`two_factor_required`, `secret_scanning_for_new_repositories`,
`push_protection_for_new_repositories`, `members_can_create_public_repositories`,
`web_commit_signoff_required` (each true or false) and `default_repository_permission`
(the most the base permission may be: "none", "read", "write" or "admin"). GitHub shows
most of these only to organisation owners: a field the token cannot see makes the rule
`error`, naming the permission, never a pass. A repository owned by a user is an `error`.

## Why
"Org-wide 2FA & Push Protection required": one owner unticking a box undoes it for every
repository, and no repository-level check notices.

## Example policy
```toml
[[rule]]
kind = "org-settings"
two_factor_required = true
push_protection_for_new_repositories = true
members_can_create_public_repositories = false
default_repository_permission = "read"
```

## How to fix
Organisation Settings → Authentication security (2FA), Code security → Configurations
(secret scanning, push protection), Member privileges (repository creation, base
permission), Repository → Commit sign-off; or `gh api -X PATCH orgs/ORG -F ...`.
`warden apply` makes the stricter changes `PATCH /orgs/{org}` takes (secret scanning and
push protection for new repositories on, public repositories by members off, sign-off
on, a lower base permission; needs `organization_administration: write`); two-factor
enforcement has no API and is only reported.
"#,
    parse,
};

const PERMISSIONS: [&str; 4] = ["none", "read", "write", "admin"];

type Pick = fn(&OrgSettings) -> Option<bool>;

const FLAGS: [(&str, &str, Pick); 5] = [
    (
        "two_factor_required",
        "two_factor_requirement_enabled",
        |o| o.two_factor_requirement_enabled,
    ),
    (
        "secret_scanning_for_new_repositories",
        "secret_scanning_enabled_for_new_repositories",
        |o| o.secret_scanning_enabled_for_new_repositories,
    ),
    (
        "push_protection_for_new_repositories",
        "secret_scanning_push_protection_enabled_for_new_repositories",
        |o| o.secret_scanning_push_protection_enabled_for_new_repositories,
    ),
    (
        "members_can_create_public_repositories",
        "members_can_create_public_repositories",
        |o| o.members_can_create_public_repositories,
    ),
    (
        "web_commit_signoff_required",
        "web_commit_signoff_required",
        |o| o.web_commit_signoff_required,
    ),
];

#[derive(Debug)]
struct OrgSettingsRule {
    flags: Vec<(usize, bool)>,
    default_permission: Option<String>,
}

fn parse(t: &mut TableReader<'_, '_>) -> Option<Box<dyn Rule>> {
    let flags: Vec<(usize, bool)> = FLAGS
        .iter()
        .enumerate()
        .filter_map(|(i, (key, _, _))| t.opt_bool(key).map(|v| (i, v)))
        .collect();
    let mut ok = true;
    let default_permission = t.opt_str("default_repository_permission").and_then(|p| {
        if PERMISSIONS.contains(&p.value.as_str()) {
            Some(p.value)
        } else {
            ok = false;
            t.error(
                "bad-value",
                p.span,
                format!("`{}` is not a base permission", p.value),
                "unknown permission",
                "base permissions are \"none\", \"read\", \"write\" and \"admin\"",
            );
            None
        }
    });
    if flags.is_empty() && default_permission.is_none() && ok {
        ok = false;
        let span = t.header_span();
        t.error(
            "missing-key",
            span,
            "rule `org-settings` judges nothing",
            "no setting here",
            "add, for example: two_factor_required = true",
        );
    }
    ok.then(|| {
        Box::new(OrgSettingsRule {
            flags,
            default_permission,
        }) as Box<dyn Rule>
    })
}

impl Rule for OrgSettingsRule {
    fn needs(&self, needs: &mut Needs) {
        needs.github.extra.org = true;
    }

    fn evaluate(&self, facts: &Facts) -> Evaluation {
        let Some(github) = facts.github() else {
            return Evaluation::Error("GitHub facts are not available".to_string());
        };
        let org = match &github.extra.org {
            Some(Ok(org)) => org,
            Some(Err(reason)) => {
                return Evaluation::Error(format!(
                    "cannot read the organisation's settings: {reason}"
                ))
            }
            None => return Evaluation::Error("organisation settings were not fetched".to_string()),
        };
        let url = format!("https://github.com/organizations/{}/settings", org.login);
        let mut findings = Vec::new();
        let mut hidden = Vec::new();
        for (i, wanted) in &self.flags {
            let (key, field, pick) = FLAGS[*i];
            match pick(org) {
                None => hidden.push(field),
                Some(actual) if actual != *wanted => {
                    let finding = Finding::new(format!(
                        "organisation `{}`: `{field}` is {actual}, the policy wants {wanted}",
                        org.login
                    ))
                    .help(format!("change it in {url}"))
                    .subject(key);
                    findings.push(match fix_for(key, *wanted) {
                        Some(fix) => finding.fix(Fix::GitHub(GitHubFix::OrgSettings(vec![fix]))),
                        None => finding,
                    })
                }
                Some(_) => {}
            }
        }
        if let Some(max) = &self.default_permission {
            match &org.default_repository_permission {
                None => hidden.push("default_repository_permission"),
                Some(actual) => {
                    let rank = |p: &str| PERMISSIONS.iter().position(|x| *x == p);
                    match (rank(actual), rank(max)) {
                        (Some(a), Some(m)) if a > m => findings.push(
                            Finding::new(format!(
                                "organisation `{}`: the base repository permission is `{actual}`, the policy allows at most `{max}`",
                                org.login
                            ))
                            .help(format!("lower \"Base permissions\" under Member privileges in {url}"))
                            .subject("default_repository_permission")
                            .fix(Fix::GitHub(GitHubFix::OrgSettings(vec![
                                OrgSetting::DefaultRepositoryPermissionAtMost(max.clone()),
                            ]))),
                        ),
                        (None, _) => {
                            return Evaluation::Error(format!(
                                "GitHub reports an unknown base permission `{actual}`"
                            ))
                        }
                        _ => {}
                    }
                }
            }
        }
        if !hidden.is_empty() {
            return Evaluation::Error(format!(
                "GitHub does not show {} of organisation `{}` to this token: they are visible to organisation owners, or to a token with the organisation permission `administration: read`",
                hidden.join(", "),
                org.login
            ));
        }
        Evaluation::Checked(findings)
    }
}

/// What `warden apply` may set: only the stricter direction, and only what
/// `PATCH /orgs/{org}` takes (two-factor enforcement is not in the API).
fn fix_for(key: &str, wanted: bool) -> Option<OrgSetting> {
    match (key, wanted) {
        ("secret_scanning_for_new_repositories", true) => {
            Some(OrgSetting::SecretScanningForNewRepositories)
        }
        ("push_protection_for_new_repositories", true) => {
            Some(OrgSetting::PushProtectionForNewRepositories)
        }
        ("members_can_create_public_repositories", false) => {
            Some(OrgSetting::NoPublicRepositoriesByMembers)
        }
        ("web_commit_signoff_required", true) => Some(OrgSetting::WebCommitSignoffRequired),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::github::extended::{test_facts, ExtraFacts};
    use crate::github::org_settings::OrgSettings;
    use crate::model::Evaluation;

    fn judge(policy: &str, org: OrgSettings) -> Evaluation {
        let text = format!("[[rule]]\nkind = \"org-settings\"\n{policy}");
        let policy = crate::policy::load_text("p.toml", &text).unwrap();
        let extra = ExtraFacts {
            org: Some(Ok(org)),
            ..Default::default()
        };
        policy.rules[0]
            .rule
            .evaluate(&test_facts(extra, "2026-11-22T12:00:00Z"))
    }

    #[test]
    fn a_field_the_token_cannot_see_is_an_error_naming_the_permission() {
        let public_view = OrgSettings {
            login: "acme".into(),
            ..Default::default()
        };
        let eval = judge("two_factor_required = true", public_view);
        assert!(
            matches!(&eval, Evaluation::Error(e) if e.contains("two_factor_requirement_enabled") && e.contains("administration: read")),
            "{eval:?}"
        );
    }

    #[test]
    fn base_permission_is_a_maximum() {
        let org = OrgSettings {
            login: "acme".into(),
            default_repository_permission: Some("write".into()),
            ..Default::default()
        };
        let eval = judge("default_repository_permission = \"read\"", org.clone());
        assert!(matches!(eval, Evaluation::Checked(f) if f.len() == 1));
        let eval = judge("default_repository_permission = \"admin\"", org);
        assert_eq!(eval, Evaluation::Checked(vec![]));
        let text = "[[rule]]\nkind = \"org-settings\"\ndefault_repository_permission = \"owner\"\n";
        assert!(crate::policy::load_text("p.toml", text).is_err());
    }
}
