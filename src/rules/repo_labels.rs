//! `repo-labels`: the labels a team's workflow names exist in the repository.

use std::collections::BTreeMap;

use toml::de::DeValue;

use super::{Rule, RuleKind, Scope};
use crate::facts::{Facts, Needs};
use crate::fix::github::Label;
use crate::fix::{Fix, GitHubFix};
use crate::model::{Evaluation, Finding};
use crate::policy::reader::TableReader;

pub const KIND: RuleKind = RuleKind {
    id: "repo-labels",
    summary: "Required labels exist in the repository",
    scope: Scope::GitHub,
    doc: r#"
## What it checks
Every label in `labels` exists in the repository (`GET /repos/{owner}/{repo}/labels`;
names compare case-insensitively, as GitHub does). With `colors` and `descriptions`
(tables from label name to value), an existing label must also have that colour (six hex
digits, `#` optional, any case) or description. Other labels are allowed.

## Why
"Labels: feat, bug, infra, design, hotfix": label-driven rules (`pr-labels`, deploy-window
exemptions, release notes) silently stop working when a label is renamed or deleted.

## Example policy
```toml
[[rule]]
kind = "repo-labels"
labels = ["feat", "bug", "infra", "design", "hotfix"]
colors = { hotfix = "d73a4a" }
descriptions = { hotfix = "Urgent production fix" }
```

## How to fix
Create or edit the label: `gh label create hotfix --color d73a4a --description "Urgent
production fix"` (or `gh label edit`), or Issues → Labels in the repository.
`warden apply` creates missing labels and sets the colour or description the policy
names on existing ones (needs `issues: write`); it deletes and renames nothing.
"#,
    parse,
};

#[derive(Debug)]
struct RepoLabels {
    labels: Vec<String>,
    colors: BTreeMap<String, String>,
    descriptions: BTreeMap<String, String>,
}

fn parse(t: &mut TableReader<'_, '_>) -> Option<Box<dyn Rule>> {
    let labels = t.req_str_list("labels", "[\"feat\", \"bug\"]");
    let colors = string_map(t, "colors");
    let descriptions = string_map(t, "descriptions");
    let mut ok = colors.is_some() && descriptions.is_some();
    let (colors, descriptions) = (colors.unwrap_or_default(), descriptions.unwrap_or_default());
    for (name, (color, span)) in &colors {
        let hex = color.trim_start_matches('#');
        if hex.len() != 6 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            ok = false;
            t.error(
                "bad-value",
                span.clone(),
                format!("the colour of label `{name}` is not six hex digits"),
                "not a colour",
                "write a colour as GitHub does, e.g. \"d73a4a\"",
            );
        }
    }
    let labels = labels?;
    for key in colors.keys().chain(descriptions.keys()) {
        if !labels.iter().any(|l| l.value.eq_ignore_ascii_case(key)) {
            ok = false;
            let span = colors
                .get(key)
                .or_else(|| descriptions.get(key))
                .map(|(_, s)| s.clone())
                .unwrap_or_else(|| t.span());
            t.error(
                "bad-value",
                span,
                format!("`{key}` has a colour or description but is not in `labels`"),
                "not a required label",
                format!("add \"{key}\" to `labels`"),
            );
        }
    }
    ok.then(|| {
        Box::new(RepoLabels {
            labels: labels.into_iter().map(|l| l.value).collect(),
            colors: colors.into_iter().map(|(k, (v, _))| (k, v)).collect(),
            descriptions: descriptions.into_iter().map(|(k, (v, _))| (k, v)).collect(),
        }) as Box<dyn Rule>
    })
}

type SpannedMap = BTreeMap<String, (String, std::ops::Range<usize>)>;

/// A table of strings (`{ feat = "..." }`); empty when absent, `None` when malformed.
fn string_map(t: &mut TableReader<'_, '_>, key: &'static str) -> Option<SpannedMap> {
    let Some(value) = t.raw(key) else {
        return Some(BTreeMap::new());
    };
    let DeValue::Table(table) = value.get_ref() else {
        let span = value.span();
        t.error(
            "wrong-type",
            span,
            format!("`{key}` must be a table from label name to text"),
            "not a table",
            format!("write it as {key} = {{ hotfix = \"...\" }}"),
        );
        return None;
    };
    let mut out = BTreeMap::new();
    let mut ok = true;
    for (name, v) in table.iter() {
        match v.get_ref() {
            DeValue::String(s) => {
                out.insert(name.get_ref().to_string(), (s.to_string(), v.span()));
            }
            _ => {
                ok = false;
                t.error(
                    "wrong-type",
                    v.span(),
                    format!("`{key}.{}` must be a string", name.get_ref()),
                    "not a string",
                    "quote the value",
                );
            }
        }
    }
    ok.then_some(out)
}

impl Rule for RepoLabels {
    fn needs(&self, needs: &mut Needs) {
        needs.github.extra.labels = true;
    }

    fn evaluate(&self, facts: &Facts) -> Evaluation {
        let Some(github) = facts.github() else {
            return Evaluation::Error("GitHub facts are not available".to_string());
        };
        let existing = match &github.extra.labels {
            Some(Ok(labels)) => labels,
            Some(Err(reason)) => {
                return Evaluation::Error(format!("cannot read the repository's labels: {reason}"))
            }
            None => return Evaluation::Error("labels were not fetched".to_string()),
        };
        let url = format!("https://github.com/{}/labels", github.repo);
        let mut findings = Vec::new();
        for wanted in &self.labels {
            let color = lookup(&self.colors, wanted);
            let description = lookup(&self.descriptions, wanted);
            let Some(label) = existing
                .iter()
                .find(|l| l.name.eq_ignore_ascii_case(wanted))
            else {
                let mut create = format!("gh label create {}", quote(wanted));
                if let Some(c) = color {
                    create.push_str(&format!(" --color {}", c.trim_start_matches('#')));
                }
                if let Some(d) = description {
                    create.push_str(&format!(" --description {}", quote(d)));
                }
                findings.push(
                    Finding::new(format!("label `{wanted}` does not exist"))
                        .help(format!("create it: `{create}` (or in {url})"))
                        .subject(format!("{wanted}:missing"))
                        .fix(Fix::GitHub(GitHubFix::CreateLabels(vec![Label {
                            name: wanted.clone(),
                            color: color.map(|c| c.trim_start_matches('#').to_ascii_lowercase()),
                            description: description.cloned(),
                        }]))),
                );
                continue;
            };
            if let Some(c) = color {
                let want = c.trim_start_matches('#');
                let have = label.color.as_deref().unwrap_or("");
                if !have.eq_ignore_ascii_case(want) {
                    findings.push(
                        Finding::new(format!(
                            "label `{}` has colour `{have}`, the policy wants `{want}`",
                            label.name
                        ))
                        .help(format!(
                            "`gh label edit {} --color {want}`",
                            quote(&label.name)
                        ))
                        .subject(format!("{wanted}:color"))
                        .fix(Fix::GitHub(GitHubFix::UpdateLabel(Label {
                            name: label.name.clone(),
                            color: Some(want.to_ascii_lowercase()),
                            description: None,
                        }))),
                    );
                }
            }
            if let Some(d) = description {
                let have = label.description.as_deref().unwrap_or("");
                if have != d {
                    findings.push(
                        Finding::new(format!(
                            "label `{}` has description {:?}, the policy wants {d:?}",
                            label.name, have
                        ))
                        .help(format!(
                            "`gh label edit {} --description {}`",
                            quote(&label.name),
                            quote(d)
                        ))
                        .subject(format!("{wanted}:description"))
                        .fix(Fix::GitHub(GitHubFix::UpdateLabel(Label {
                            name: label.name.clone(),
                            color: None,
                            description: Some(d.clone()),
                        }))),
                    );
                }
            }
        }
        Evaluation::Checked(findings)
    }
}

fn lookup<'m>(map: &'m BTreeMap<String, String>, name: &str) -> Option<&'m String> {
    map.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn quote(text: &str) -> String {
    if text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_./:".contains(c))
    {
        text.to_string()
    } else {
        format!("\"{}\"", text.replace('"', "\\\""))
    }
}

#[cfg(test)]
mod tests {
    use crate::github::extended::{test_facts, ExtraFacts};
    use crate::github::labels::Label;
    use crate::model::Evaluation;

    fn rule(text: &str) -> crate::policy::Policy {
        crate::policy::load_text(
            "p.toml",
            &format!("[[rule]]\nkind = \"repo-labels\"\n{text}"),
        )
        .unwrap()
    }

    fn label(name: &str, color: &str, description: Option<&str>) -> Label {
        Label {
            name: name.into(),
            color: Some(color.into()),
            description: description.map(String::from),
        }
    }

    fn judge(policy: &str, labels: Result<Vec<Label>, String>) -> Evaluation {
        let facts = test_facts(
            ExtraFacts {
                labels: Some(labels),
                ..Default::default()
            },
            "2026-11-22T12:00:00Z",
        );
        rule(policy).rules[0].rule.evaluate(&facts)
    }

    #[test]
    fn each_gap_carries_the_fix_that_closes_it() {
        use crate::fix::{github, Fix, GitHubFix};
        let eval = judge(
            "labels = [\"Bug\", \"hotfix\"]\ncolors = { Bug = \"#D73A4A\" }\ndescriptions = { hotfix = \"Urgent\" }\n",
            Ok(vec![label("bug", "f29513", None)]),
        );
        let Evaluation::Checked(findings) = eval else {
            panic!("{eval:?}")
        };
        let fixes: Vec<Fix> = findings
            .into_iter()
            .map(|f| *f.fix.expect("every label gap is fixable"))
            .collect();
        assert_eq!(
            fixes,
            [
                // GitHub's own spelling of the name; the colour without `#`, lower case.
                Fix::GitHub(GitHubFix::UpdateLabel(github::Label {
                    name: "bug".into(),
                    color: Some("d73a4a".into()),
                    description: None,
                })),
                Fix::GitHub(GitHubFix::CreateLabels(vec![github::Label {
                    name: "hotfix".into(),
                    color: None,
                    description: Some("Urgent".into()),
                }])),
            ]
        );
    }

    #[test]
    fn missing_labels_and_wrong_colours_are_gaps() {
        let eval = judge(
            "labels = [\"feat\", \"Bug\", \"hotfix\"]\ncolors = { hotfix = \"#D73A4A\", Bug = \"f29513\" }\n",
            Ok(vec![
                label("bug", "f29513", None),
                label("hotfix", "ffffff", Some("x")),
            ]),
        );
        let Evaluation::Checked(findings) = eval else {
            panic!("{eval:?}")
        };
        let messages: Vec<_> = findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "label `feat` does not exist",
                "label `hotfix` has colour `ffffff`, the policy wants `D73A4A`"
            ]
        );
        assert!(findings[0]
            .help
            .as_deref()
            .unwrap()
            .contains("gh label create feat"));
    }

    #[test]
    fn description_mismatch_is_a_gap_and_unreadable_labels_an_error() {
        let eval = judge(
            "labels = [\"hotfix\"]\ndescriptions = { hotfix = \"Urgent fix\" }\n",
            Ok(vec![label("hotfix", "d73a4a", None)]),
        );
        assert!(matches!(eval, Evaluation::Checked(f) if f.len() == 1));
        let eval = judge("labels = [\"hotfix\"]\n", Err("403".into()));
        assert!(matches!(eval, Evaluation::Error(e) if e.contains("labels")));
    }

    #[test]
    fn bad_colour_and_unlisted_label_are_policy_errors() {
        let text = "[[rule]]\nkind = \"repo-labels\"\nlabels = [\"feat\"]\ncolors = { feat = \"red\", bug = \"ffffff\" }\n";
        let errors = format!(
            "{:?}",
            crate::policy::load_text("p.toml", text).unwrap_err()
        );
        assert!(errors.contains("six hex digits"), "{errors}");
        assert!(errors.contains("not in `labels`"), "{errors}");
    }
}
