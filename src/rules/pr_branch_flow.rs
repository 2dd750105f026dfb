//! `pr-branch-flow`: a pull request from a branch of one kind merges only into the bases
//! the team's branch model allows (`feat/*` → `staging`, `hotfix/*` → `main`).

use super::pr_common::{judged, Exemptions};
use super::{Rule, RuleKind, Scope};
use crate::facts::Facts;
use crate::model::{Evaluation, Finding};
use crate::policy::patterns::Globs;
use crate::policy::reader::TableReader;

pub const KIND: RuleKind = RuleKind {
    id: "pr-branch-flow",
    summary: "The PR merges into a base its head branch may target",
    scope: Scope::Pr,
    doc: r#"
## What it checks
Each `[[rule.flow]]` maps head branches (`head`, globs) to the base branches they may
merge into (`bases`, globs). The first flow whose `head` matches the PR's head branch
decides: a base outside its `bases` is a finding. A head branch no flow matches is not
judged, unless `other_bases` is given: then it may only target those bases. Globs: `*`
stays within one `/` segment, `**` spans them.

Like every `pr-*` kind it takes `exempt_authors`, `exempt_labels`, `skip_drafts` and
`skip_forks`.

## Why
"`feat/<ticket>` → Merge → `staging`; `hotfix/<id>` → Direct → `main`": a feature merged
straight into `main` skips staging, and the branch model only holds if every PR follows it.

## Example policy
```toml
[[rule]]
kind = "pr-branch-flow"
[[rule.flow]]
head = "feat/*"
bases = ["staging"]
[[rule.flow]]
head = "hotfix/*"
bases = ["main"]
[[rule.flow]]
head = "staging"
bases = ["main"]
```

## How to fix
Change the PR's base branch (Edit next to the title, or `gh pr edit N --base staging`),
or, if the branch is of another kind, push it under a name of that kind.
"#,
    parse,
};

#[derive(Debug)]
struct Flow {
    head: Globs,
    bases: Globs,
}

#[derive(Debug)]
struct PrBranchFlow {
    flows: Vec<Flow>,
    other_bases: Option<Globs>,
    exempt: Exemptions,
}

fn parse(t: &mut TableReader<'_, '_>) -> Option<Box<dyn Rule>> {
    let tables = t.tables("flow");
    if tables.is_empty() {
        let span = t.header_span();
        t.error(
            "missing-key",
            span,
            "rule `pr-branch-flow` needs at least one `[[rule.flow]]`",
            "no flow here",
            "add [[rule.flow]] with head = \"feat/*\" and bases = [\"staging\"]",
        );
    }
    let mut flows = Vec::new();
    let mut ok = !tables.is_empty();
    for (i, (table, span)) in tables.into_iter().enumerate() {
        let mut f = t.nested(
            table,
            span,
            format!("flow {} of rule `pr-branch-flow`", i + 1),
        );
        let head = f.req_str_list("head", "\"feat/*\"");
        let head = head.map(|items| f.compile_globs("head", &items));
        let bases = f.req_str_list("bases", "[\"staging\"]");
        let bases = bases.map(|items| f.compile_globs("bases", &items));
        f.finish();
        match (head, bases) {
            (Some(head), Some(bases)) => flows.push(Flow { head, bases }),
            _ => ok = false,
        }
    }
    let other_bases = t.globs("other_bases");
    let exempt = Exemptions::parse(t);
    ok.then(|| {
        Box::new(PrBranchFlow {
            flows,
            other_bases,
            exempt,
        }) as Box<dyn Rule>
    })
}

impl Rule for PrBranchFlow {
    fn evaluate(&self, facts: &Facts) -> Evaluation {
        let pr = match judged(facts, &self.exempt) {
            Ok(pr) => pr,
            Err(evaluation) => return evaluation,
        };
        let head = pr.head_ref.trim_start_matches("refs/heads/");
        let base = pr.base_ref.trim_start_matches("refs/heads/");
        if head.is_empty() || base.is_empty() {
            return Evaluation::Error(
                "the pull request's head or base branch is unknown".to_string(),
            );
        }
        let (allowed, why) = match self.flows.iter().find(|f| f.head.is_match(head)) {
            Some(flow) => (
                &flow.bases,
                format!("`{}`", flow.head.patterns().join("`, `")),
            ),
            None => match &self.other_bases {
                Some(bases) => (bases, "no flow (`other_bases`)".to_string()),
                None => return Evaluation::Skipped(format!("no flow names head branch `{head}`")),
            },
        };
        if allowed.is_match(base) {
            return Evaluation::Checked(Vec::new());
        }
        let targets = allowed.patterns().join("`, `");
        Evaluation::Checked(vec![Finding::new(format!(
            "`{head}` merges into `{base}`, but branches matching {why} may only merge into `{targets}`"
        ))
        .help(format!(
            "change the base branch (`gh pr edit {} --base {}`), or push the work under a branch name whose flow allows `{base}`",
            pr.number,
            allowed.patterns().first().map(String::as_str).unwrap_or("BASE")
        ))
        .subject("flow")])
    }
}
