//! `required-workflows`: the CI workflows a repository must have, and what they must do.
//!
//! Workflows are parsed with `github-actions-models` (zizmor's data model), so `on:` in
//! all three shapes, normal and reusable-workflow-call jobs and every step form are read
//! the way GitHub reads them. Steps of local reusable workflows a required workflow calls
//! (`uses: ./.github/workflows/x.yml`) count as its own: that is where they run.
//!
//! Lines: findings point at the `on:` key, the event under it, the `jobs:` key or the
//! offending job, found with [`crate::select::Format::line_of`] (it asks the YAML parser
//! for the key's position, so quoting and flow style do not fool it).

use std::collections::BTreeSet;

use github_actions_models::common::Uses;
use github_actions_models::workflow::event::{BranchFilters, Events, OptionalBody};
use github_actions_models::workflow::job::{
    NormalJob, ParallelStep, ReusableWorkflowCallJob, Step,
};
use github_actions_models::workflow::{Job, Trigger, Workflow};

use super::{Rule, RuleKind, Scope};
use crate::facts::{Facts, Needs};
use crate::model::{Evaluation, Finding};
use crate::policy::diagnostic::did_you_mean;
use crate::policy::patterns::{is_glob, Globs, Pattern};
use crate::policy::reader::{Sp, TableReader};
use crate::select::{self, Format, ParseError, Step as PathStep};

pub const KIND: RuleKind = RuleKind {
    id: "required-workflows",
    summary: "Required GitHub Actions workflows exist and run the required checks",
    scope: Scope::Tree,
    doc: r#"
## What it checks
Each `[[rule.workflow]]` names a workflow file in `.github/workflows/` that must exist and
parse as a GitHub Actions workflow. Optionally it must:

- `on`: be triggered by each of these events (`on: push`, `on: [push]` and `on: {push: …}`
  all count);
- `branches`: run for these branches on `push` / `pull_request` / `pull_request_target`
  (the events listed in `on`, or else those the workflow has). A workflow without a branch
  filter runs on every branch and passes; `branches` filters are matched the way GitHub
  does (`*`, `**`, `?`, `+`, `[…]`, `!` negation, last match wins), `branches-ignore`
  must not exclude the branch, and a `push` with only `tags:` never runs for branches.
  For `pull_request` the branch is the pull request's base;
- `jobs`: have these jobs, by job id or by display `name:`;
- `uses`: have a step, or a reusable-workflow call, that uses each of these actions. The
  `@ref` is ignored unless the policy gives one; `owner/repo` also matches actions in
  sub-directories of that repository (`github/codeql-action` matches
  `github/codeql-action/init@v3`). Case does not matter;
- `run`: have a step whose `run:` script matches each of these regexes.

Steps in local reusable workflows the workflow calls (`uses: ./.github/workflows/x.yml`)
count for `uses` and `run`. One finding per missing file, unparsable file (with the
parser's line and message), missing event, uncovered branch, missing job, action or
command; other workflows and rules are still checked.

## Why
A playbook that says "lint, tests and gitleaks are required workflows" is only true while
the files exist and still run those checks on pull requests to `main`. Workflows get
renamed, trimmed to `workflow_dispatch` while debugging, or lose their security step, and
nobody notices until the gate is needed.

## Example policy
```toml
[[rule]]
kind = "required-workflows"

[[rule.workflow]]
file = "required-ci.yml"             # in .github/workflows/; a full path works too
on = ["pull_request", "push"]
branches = ["main"]
jobs = ["lint", "test"]

[[rule.workflow]]
file = "security-scan.yml"
uses = ["gitleaks/gitleaks-action"]

[[rule.workflow]]
file = "e2e-playwright.yml"
run = ['npx playwright test']        # regexes
```

## How to fix
Add the missing workflow (the finding sketches a skeleton), or add the missing trigger,
branch, job or step to it. If the workflow does not parse, fix the YAML at the reported
line; `actionlint` gives more detail. If the requirement is wrong, change the policy.
"#,
    parse,
};

const WORKFLOW_DIR: &str = ".github/workflows/";

/// Events whose `branches` / `branches-ignore` filters `branches` checks.
const BRANCH_EVENTS: [&str; 3] = ["push", "pull_request", "pull_request_target"];

#[derive(Debug)]
struct RequiredWorkflows {
    workflows: Vec<Requirement>,
}

#[derive(Debug)]
struct Requirement {
    /// Repository path: `.github/workflows/NAME`.
    path: String,
    on: Vec<String>,
    branches: Vec<String>,
    jobs: Vec<String>,
    uses: Vec<String>,
    run: Vec<Pattern>,
}

fn parse(t: &mut TableReader<'_, '_>) -> Option<Box<dyn Rule>> {
    let present = t.has("workflow");
    let tables = t.tables("workflow");
    if tables.is_empty() {
        if !present {
            let span = t.header_span();
            t.error(
                "missing-key",
                span,
                "rule `required-workflows` needs at least one [[rule.workflow]]",
                "no workflow is required here",
                "add a table after the rule:\n[[rule.workflow]]\nfile = \"required-ci.yml\"",
            );
        }
        return None;
    }
    let mut workflows = Vec::new();
    let mut ok = true;
    for (table, span) in tables {
        let mut r = t.nested(table, span, "a [[rule.workflow]]");
        match read_requirement(&mut r) {
            Some(w) => workflows.push(w),
            None => ok = false,
        }
        r.finish();
    }
    ok.then(|| Box::new(RequiredWorkflows { workflows }) as Box<dyn Rule>)
}

fn read_requirement(r: &mut TableReader<'_, '_>) -> Option<Requirement> {
    let file = r.req_str("file", "\"required-ci.yml\"");
    let on = r.str_list("on").unwrap_or_default();
    let branches = r.str_list("branches").unwrap_or_default();
    let jobs = r.str_list("jobs").unwrap_or_default();
    let uses = r.str_list("uses").unwrap_or_default();
    let run = r.regexes("run").unwrap_or_default();
    let mut ok = true;

    let path = file.and_then(|file| workflow_path(r, &file));
    ok &= path.is_some();

    let known = known_events();
    for event in &on {
        if !known.contains(&event.value) {
            let help = match did_you_mean(&event.value, known.iter().map(String::as_str)) {
                Some(close) => format!("did you mean `{close}`?"),
                None => "use a GitHub Actions event name such as `push`, `pull_request` or \
                         `workflow_dispatch`"
                    .to_string(),
            };
            r.error(
                "bad-value",
                event.span.clone(),
                format!("`{}` is not a GitHub Actions event", event.value),
                "unknown event",
                help,
            );
            ok = false;
        }
    }
    if let (Some(first), false) = (branches.first(), on.is_empty()) {
        if !on.iter().any(|e| BRANCH_EVENTS.contains(&e.value.as_str())) {
            let span = first.span.start..branches.last().map_or(first.span.end, |b| b.span.end);
            r.error(
                "bad-value",
                span,
                "`branches` needs `on` to include `push`, `pull_request` or `pull_request_target`",
                "only those events filter by branch",
                "add one of them to `on`, or remove `branches`",
            );
            ok = false;
        }
    }
    for (key, items) in [("jobs", &jobs), ("uses", &uses), ("branches", &branches)] {
        for item in items.iter().filter(|i| i.value.trim().is_empty()) {
            r.error(
                "bad-value",
                item.span.clone(),
                format!("empty name in `{key}`"),
                "empty",
                format!("remove it or write what `{key}` must contain"),
            );
            ok = false;
        }
    }
    let values = |items: Vec<Sp<String>>| items.into_iter().map(|i| i.value).collect();
    let requirement = Requirement {
        path: path?,
        on: values(on),
        branches: values(branches),
        jobs: values(jobs),
        uses: values(uses),
        run,
    };
    ok.then_some(requirement)
}

/// `.github/workflows/NAME` for `NAME` or a full path; refuses globs and other places.
fn workflow_path(r: &mut TableReader<'_, '_>, file: &Sp<String>) -> Option<String> {
    let text = file.value.trim().trim_start_matches("./");
    if is_glob(text) {
        r.error(
            "bad-value",
            file.span.clone(),
            "`file` must be an exact workflow file name, not a glob",
            "glob characters (`*`, `?`, `[`, `{`) here",
            "name each required workflow in its own [[rule.workflow]], e.g. file = \"required-ci.yml\"",
        );
        return None;
    }
    let path = if text.contains('/') {
        text.to_string()
    } else {
        format!("{WORKFLOW_DIR}{text}")
    };
    let name = path.strip_prefix(WORKFLOW_DIR).unwrap_or("");
    if name.is_empty() || name.contains('/') {
        r.error(
            "bad-value",
            file.span.clone(),
            format!("`{text}` is not a workflow file"),
            "not directly in .github/workflows/",
            "GitHub runs workflows only from .github/workflows/; write the file name \
             (\"required-ci.yml\") or the full path (\".github/workflows/required-ci.yml\")",
        );
        return None;
    }
    if !(name.ends_with(".yml") || name.ends_with(".yaml")) {
        r.error(
            "bad-value",
            file.span.clone(),
            format!("`{text}` is not a workflow file"),
            "workflow files end in .yml or .yaml",
            "GitHub runs only .yml and .yaml files in .github/workflows/",
        );
        return None;
    }
    Some(path)
}

/// Every event name `on:` may use, from the workflow model itself.
fn known_events() -> Vec<String> {
    match serde_json::to_value(Events::default()) {
        Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

impl Rule for RequiredWorkflows {
    fn needs(&self, needs: &mut Needs) {
        // Every workflow, so local reusable workflows the required ones call can be read.
        needs
            .content
            .push(Globs::from_valid(&[".github/workflows/*.{yml,yaml}"]));
    }

    fn evaluate(&self, facts: &Facts) -> Evaluation {
        let mut findings = Vec::new();
        let mut unknown = Vec::new();
        for requirement in &self.workflows {
            requirement.check(facts, &mut findings, &mut unknown);
        }
        if !unknown.is_empty() {
            // A workflow that could not be read is unknown, never a gap or a pass.
            let also = match findings.len() {
                0 => String::new(),
                n => format!(" ({n} gaps were found besides)"),
            };
            return Evaluation::Error(format!("{}{also}", unknown.join("; ")));
        }
        Evaluation::Checked(findings)
    }
}

/// A workflow file that was read and parsed.
struct Loaded<'t> {
    text: &'t str,
    workflow: Workflow,
    /// The same document untyped, for what the model does not keep (see [`branch_filter`]).
    raw: yaml_serde::Value,
}

impl Loaded<'_> {
    fn line(&self, path: &[&str]) -> Option<u32> {
        let steps: Vec<PathStep> = path.iter().map(|k| PathStep::Key(k.to_string())).collect();
        Format::Yaml.line_of(self.text, &steps)
    }

    /// The line of `on:` → `event:` when the mapping form is used, else of `on:`.
    fn event_line(&self, event: &str) -> Option<u32> {
        self.line(&["on", event]).or_else(|| self.line(&["on"]))
    }
}

/// Why a workflow was not judged: a gap to report, or a text that could not be read.
enum NotLoaded {
    Gap(Finding),
    Unreadable(String),
}

/// Read and parse a workflow.
fn load<'f>(facts: &'f Facts, path: &str) -> Result<Loaded<'f>, NotLoaded> {
    let text = match facts.content(path) {
        Some(Ok(text)) => text.as_str(),
        // The file exists but its text is unknown (an API read failed, too large):
        // nothing about it can be decided.
        Some(Err(reason)) => {
            return Err(NotLoaded::Unreadable(format!(
                "cannot read `{path}`: {reason}"
            )))
        }
        None => {
            return Err(NotLoaded::Gap(
                Finding::new(format!(
                    "`{path}` is not a regular file (a symlink or submodule), so it is not read"
                ))
                .at(path)
                .help("commit the workflow itself in .github/workflows/")
                .subject(format!("{path}:unreadable")),
            ))
        }
    };
    match parse_workflow(text) {
        Ok((workflow, raw)) => Ok(Loaded {
            text,
            workflow,
            raw,
        }),
        Err(err) => Err(NotLoaded::Gap(Finding::new(format!(
            "`{path}` is not a valid workflow: {}",
            err.message
        ))
        .at(path)
        .line(err.line)
        .help("fix the YAML at that line (GitHub would refuse the file too); `actionlint` explains workflow errors in detail")
        .subject(format!("{path}:invalid")))),
    }
}

impl Requirement {
    fn check(&self, facts: &Facts, out: &mut Vec<Finding>, unknown: &mut Vec<String>) {
        let path = self.path.as_str();
        if facts.get(path).is_none() {
            out.push(self.missing(facts));
            return;
        }
        let loaded = match load(facts, path) {
            Ok(loaded) => loaded,
            Err(NotLoaded::Gap(finding)) => {
                out.push(finding);
                return;
            }
            Err(NotLoaded::Unreadable(reason)) => {
                unknown.push(reason);
                return;
            }
        };
        let workflow = &loaded.workflow;
        let present = present_events(&workflow.on);

        for event in &self.on {
            if !present.contains(event) {
                let has: Vec<String> = present.iter().map(|e| format!("`{e}`")).collect();
                out.push(
                    Finding::new(format!(
                        "`{path}` is not triggered by `{event}` (it runs on {})",
                        if has.is_empty() {
                            "nothing".to_string()
                        } else {
                            has.join(", ")
                        }
                    ))
                    .at(path)
                    .line(loaded.line(&["on"]))
                    .help(format!("add `{event}` under `on:`"))
                    .subject(format!("{path}:on:{event}")),
                );
            }
        }

        self.check_branches(&loaded, &present, out);

        for job in &self.jobs {
            let found = workflow
                .jobs
                .iter()
                .any(|(id, j)| id == job || j.name() == Some(job.as_str()));
            if !found {
                let ids: Vec<String> = workflow.jobs.keys().map(|id| format!("`{id}`")).collect();
                out.push(
                    Finding::new(format!(
                        "`{path}` has no job `{job}` (its jobs: {})",
                        if ids.is_empty() {
                            "none".to_string()
                        } else {
                            ids.join(", ")
                        }
                    ))
                    .at(path)
                    .line(loaded.line(&["jobs"]))
                    .help(format!(
                        "add a job `{job}:` under `jobs:` (or give an existing job `name: {job}`)"
                    ))
                    .subject(format!("{path}:job:{job}")),
                );
            }
        }

        if self.uses.is_empty() && self.run.is_empty() {
            return;
        }
        let mut steps = StepSummary::default();
        let mut visited = BTreeSet::from([path.to_string()]);
        steps.collect(workflow, facts, &mut visited);
        let searched = if visited.len() > 1 {
            let called: Vec<String> = visited
                .iter()
                .filter(|p| *p != path)
                .map(|p| format!("`{p}`"))
                .collect();
            format!(
                " (nor in the reusable workflows it calls: {})",
                called.join(", ")
            )
        } else {
            String::new()
        };
        // A step not found may be in a called workflow that could not be read.
        let unread = (!steps.unreadable.is_empty()).then(|| steps.unreadable.join(", "));
        for action in &self.uses {
            let found = steps.uses.iter().any(|u| uses_matches(action, u));
            if let (false, Some(unread)) = (found, &unread) {
                unknown.push(format!(
                    "whether `{path}` uses `{action}` is unknown: the reusable workflow {unread} it calls could not be read"
                ));
            } else if !found {
                out.push(
                    Finding::new(format!("no step in `{path}` uses `{action}`{searched}"))
                        .at(path)
                        .line(loaded.line(&["jobs"]))
                        .help(format!(
                            "add a step `- uses: {}` to one of its jobs",
                            with_ref_placeholder(action)
                        ))
                        .subject(format!("{path}:uses:{action}")),
                );
            }
        }
        for pattern in &self.run {
            let found = steps.runs.iter().any(|r| pattern.regex.is_match(r));
            if let (false, Some(unread)) = (found, &unread) {
                unknown.push(format!(
                    "whether `{path}` runs a command matching `{}` is unknown: the reusable workflow {unread} it calls could not be read",
                    pattern.source
                ));
            } else if !found {
                out.push(
                    Finding::new(format!(
                        "no step in `{path}` runs a command matching `{}`{searched}",
                        pattern.source
                    ))
                    .at(path)
                    .line(loaded.line(&["jobs"]))
                    .help(format!(
                        "add a step whose `run:` matches `{}` to one of its jobs",
                        pattern.source
                    ))
                    .subject(format!("{path}:run:{}", pattern.source)),
                );
            }
        }
    }

    fn check_branches(
        &self,
        loaded: &Loaded<'_>,
        present: &BTreeSet<String>,
        out: &mut Vec<Finding>,
    ) {
        if self.branches.is_empty() {
            return;
        }
        let path = self.path.as_str();
        let events = &loaded.workflow.on.events;
        // The events to judge: those the policy requires (a missing one is already a
        // finding), else the branch-filtered events the workflow has.
        let judged: Vec<&str> = BRANCH_EVENTS
            .iter()
            .copied()
            .filter(|e| present.contains(*e))
            .filter(|e| self.on.is_empty() || self.on.iter().any(|o| o == e))
            .collect();
        if judged.is_empty() {
            if self.on.is_empty() {
                for branch in &self.branches {
                    out.push(
                        Finding::new(format!(
                            "`{path}` runs on neither `push` nor `pull_request`, so it never checks branch `{branch}`"
                        ))
                        .at(path)
                        .line(loaded.line(&["on"]))
                        .help(format!("add `pull_request: {{branches: [{branch}]}}` (or `push`) under `on:`"))
                        .subject(format!("{path}:branch:{branch}")),
                    );
                }
            }
            return;
        }
        for event in judged {
            let filter = branch_filter(events, &loaded.raw, event);
            for branch in &self.branches {
                let problem = match &filter {
                    BranchFilter::All => None,
                    BranchFilter::Only(patterns) if filter_matches(patterns, branch) => None,
                    BranchFilter::Only(patterns) => {
                        Some(format!("its `branches` filter is {}", quote_list(patterns)))
                    }
                    BranchFilter::Ignore(patterns) if !filter_matches(patterns, branch) => None,
                    BranchFilter::Ignore(patterns) => Some(format!(
                        "its `branches-ignore` filter {} excludes it",
                        quote_list(patterns)
                    )),
                    BranchFilter::TagsOnly => Some("`push` is filtered to tags only".to_string()),
                };
                if let Some(problem) = problem {
                    out.push(
                        Finding::new(format!(
                            "`{path}` does not run on `{event}` for branch `{branch}`: {problem}"
                        ))
                        .at(path)
                        .line(loaded.event_line(event))
                        .help(format!(
                            "add `{branch}` to the `branches` of `{event}` (or drop the filter)"
                        ))
                        .subject(format!("{path}:branch:{event}:{branch}")),
                    );
                }
            }
        }
    }

    fn missing(&self, facts: &Facts) -> Finding {
        let path = self.path.as_str();
        let sibling = match path.rsplit_once('.') {
            Some((stem, "yml")) => format!("{stem}.yaml"),
            Some((stem, _)) => format!("{stem}.yml"),
            None => String::new(),
        };
        let help = if facts.get(&sibling).is_some() {
            format!("`{sibling}` exists: name it in the policy, or rename it to `{path}`")
        } else {
            format!("add `{path}`, for example: {}", self.skeleton())
        };
        Finding::new(format!("required workflow `{path}` is missing"))
            .at(path)
            .help(help)
            .subject(format!("{path}:missing"))
    }

    /// A one-line YAML skeleton that would satisfy this requirement.
    fn skeleton(&self) -> String {
        let mut events: Vec<String> = if self.on.is_empty() {
            vec!["pull_request".to_string()]
        } else {
            self.on.clone()
        };
        if !self.branches.is_empty() {
            let list = self.branches.join(", ");
            events = events
                .into_iter()
                .map(|e| {
                    if BRANCH_EVENTS.contains(&e.as_str()) {
                        format!("{e}: {{branches: [{list}]}}")
                    } else {
                        format!("{e}: {{}}")
                    }
                })
                .collect();
        }
        let on = if self.branches.is_empty() {
            format!("[{}]", events.join(", "))
        } else {
            format!("{{{}}}", events.join(", "))
        };
        let mut steps = vec!["{uses: actions/checkout@v4}".to_string()];
        steps.extend(
            self.uses
                .iter()
                .map(|u| format!("{{uses: {}}}", with_ref_placeholder(u))),
        );
        steps.extend(
            self.run
                .iter()
                .map(|r| format!("{{run: \"<a command matching {}>\"}}", r.source)),
        );
        let ids = if self.jobs.is_empty() {
            vec!["check".to_string()]
        } else {
            self.jobs.clone()
        };
        let jobs: Vec<String> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                let steps = if i == 0 {
                    steps.join(", ")
                } else {
                    steps[0].clone()
                };
                format!("{id}: {{runs-on: ubuntu-latest, steps: [{steps}]}}")
            })
            .collect();
        format!("`on: {on}` and `jobs: {{{}}}`", jobs.join(", "))
    }
}

fn with_ref_placeholder(action: &str) -> String {
    if action.contains('@') || action.starts_with("./") {
        action.to_string()
    } else {
        format!("{action}@<version>")
    }
}

fn quote_list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    format!("[{}]", quoted.join(", "))
}

/// The names of the events a trigger enables, whatever its YAML shape.
fn present_events(trigger: &Trigger) -> BTreeSet<String> {
    match serde_json::to_value(&*trigger.events) {
        Ok(serde_json::Value::Object(map)) => map
            .into_iter()
            .filter(|(_, v)| v.as_str() != Some("Missing"))
            .map(|(k, _)| k)
            .collect(),
        _ => BTreeSet::new(),
    }
}

enum BranchFilter {
    /// No branch filter: every branch.
    All,
    Only(Vec<String>),
    Ignore(Vec<String>),
    /// `push` with `tags:` and no `branches:` never runs for branch pushes.
    TagsOnly,
}

/// The branch filter of a `push` / `pull_request` / `pull_request_target` trigger.
///
/// The model reads filters as lists and silently drops a single string
/// (`branches: main`), which GitHub accepts; then the untyped document has it.
fn branch_filter(events: &Events, raw: &yaml_serde::Value, event: &str) -> BranchFilter {
    let from = |filters: &Option<BranchFilters>| match filters {
        Some(BranchFilters::Branches(b)) => BranchFilter::Only(b.clone()),
        Some(BranchFilters::BranchesIgnore(b)) => BranchFilter::Ignore(b.clone()),
        None => BranchFilter::All,
    };
    let typed = match event {
        "push" => match &events.push {
            OptionalBody::Body(push) => match (&push.branch_filters, &push.tag_filters) {
                (None, Some(_)) => BranchFilter::TagsOnly,
                (filters, _) => from(filters),
            },
            _ => BranchFilter::All,
        },
        "pull_request" => match &events.pull_request {
            OptionalBody::Body(pr) => from(&pr.branch_filters),
            _ => BranchFilter::All,
        },
        "pull_request_target" => match &events.pull_request_target {
            OptionalBody::Body(pr) => from(&pr.branch_filters),
            _ => BranchFilter::All,
        },
        _ => BranchFilter::All,
    };
    if matches!(typed, BranchFilter::Only(_) | BranchFilter::Ignore(_)) {
        return typed;
    }
    let body = raw.get("on").and_then(|on| on.get(event));
    let single = |key: &str| {
        body.and_then(|b| b.get(key))
            .and_then(yaml_serde::Value::as_str)
            .map(|s| vec![s.to_string()])
    };
    if let Some(branches) = single("branches") {
        return BranchFilter::Only(branches);
    }
    if let Some(branches) = single("branches-ignore") {
        return BranchFilter::Ignore(branches);
    }
    if event == "push" {
        let tags = body.is_some_and(|b| b.get("tags").is_some() || b.get("tags-ignore").is_some());
        if tags {
            return BranchFilter::TagsOnly;
        }
    }
    typed
}

/// Whether GitHub's filter `patterns` select `branch`: the last matching pattern decides,
/// and a `!pattern` excludes.
fn filter_matches(patterns: &[String], branch: &str) -> bool {
    let mut selected = false;
    for pattern in patterns {
        let (negated, pattern) = match pattern.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, pattern.as_str()),
        };
        if pattern_matches(pattern, branch) {
            selected = !negated;
        }
    }
    selected
}

/// GitHub's filter pattern syntax as a regex: `*` within a path segment, `**` across, and
/// `?`, `+`, `[...]` as in regexes.
fn pattern_matches(pattern: &str, branch: &str) -> bool {
    let mut re = String::from("^");
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            _ if in_class => {
                if c == ']' {
                    in_class = false;
                }
                re.push(c);
            }
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                re.push_str(".*");
            }
            '*' => re.push_str("[^/]*"),
            '?' | '+' => re.push(c),
            '[' => {
                in_class = true;
                re.push(c);
            }
            '\\' => {
                re.push('\\');
                if let Some(next) = chars.next() {
                    re.push(next);
                }
            }
            _ => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    match regex::Regex::new(&re) {
        Ok(re) => re.is_match(branch),
        Err(_) => pattern == branch,
    }
}

/// The `uses:` and `run:` of every step, and every reusable-workflow call.
#[derive(Default)]
struct StepSummary {
    uses: Vec<String>,
    runs: Vec<String>,
    /// Called workflows whose text could not be read (path and reason).
    unreadable: Vec<String>,
}

impl StepSummary {
    /// Collect from `workflow`, following local reusable workflows (`visited` holds the
    /// paths already read, so a cycle ends).
    fn collect(&mut self, workflow: &Workflow, facts: &Facts, visited: &mut BTreeSet<String>) {
        for job in workflow.jobs.values() {
            match job {
                Job::NormalJob(job) => self.collect_job(job),
                Job::ReusableWorkflowCallJob(call) => {
                    self.uses.push(uses_text(&call.uses));
                    let Uses::Local(local) = &call.uses else {
                        continue;
                    };
                    let called = local.raw().trim_start_matches("./").to_string();
                    if !visited.insert(called.clone()) {
                        continue;
                    }
                    match facts.content(&called) {
                        Some(Ok(text)) => {
                            if let Ok((inner, _)) = parse_workflow(text) {
                                self.collect(&inner, facts, visited);
                            }
                        }
                        Some(Err(reason)) => self.unreadable.push(format!("`{called}` ({reason})")),
                        // Missing, or not a regular file: GitHub cannot run it either.
                        None => {}
                    }
                }
            }
        }
    }

    fn collect_job(&mut self, job: &NormalJob) {
        for step in &job.steps {
            match step {
                Step::Uses(step) => self.uses.push(uses_text(&step.uses)),
                Step::Run(step) => self.runs.push(step.run.clone()),
                Step::Parallel { parallel } => {
                    for step in parallel {
                        match step {
                            ParallelStep::Uses(step) => self.uses.push(uses_text(&step.uses)),
                            ParallelStep::Run(step) => self.runs.push(step.run.clone()),
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

fn uses_text(uses: &Uses) -> String {
    match uses {
        Uses::Docker(docker) => format!("docker://{}", docker.raw()),
        other => other.raw().to_string(),
    }
}

/// Whether a step's `uses:` (`have`) satisfies the policy's `want`.
fn uses_matches(want: &str, have: &str) -> bool {
    let want = want.trim();
    if want.contains('@') {
        return want.eq_ignore_ascii_case(have);
    }
    let bare = match have.rsplit_once('@') {
        Some((bare, _)) if !have.starts_with("./") => bare,
        _ => have,
    };
    if bare.eq_ignore_ascii_case(want) {
        return true;
    }
    // `owner/repo` matches any action inside that repository.
    let is_repo =
        !want.starts_with("./") && !want.contains("://") && want.matches('/').count() == 1;
    is_repo
        && bare.len() > want.len()
        && bare.as_bytes()[want.len()] == b'/'
        && bare[..want.len()].eq_ignore_ascii_case(want)
}

/// Parse a workflow; when it fails, find the most specific reason and line.
fn parse_workflow(text: &str) -> Result<(Workflow, yaml_serde::Value), ParseError> {
    select::within_bounds(text).map_err(|message| ParseError {
        message,
        line: None,
    })?;
    let workflow = yaml_serde::from_str::<Workflow>(text).map_err(|err| explain(text, &err))?;
    let raw: yaml_serde::Value = yaml_serde::from_str(text).map_err(|e| select::yaml_error(&e))?;
    check_filter_keys(text, &raw)?;
    Ok((workflow, raw))
}

/// The keys GitHub allows under the branch-filtered events. The model ignores others, but
/// GitHub refuses such a workflow, so a typo (`branchs:`) must not read as "no filter".
fn check_filter_keys(text: &str, raw: &yaml_serde::Value) -> Result<(), ParseError> {
    const PUSH: &[&str] = &[
        "branches",
        "branches-ignore",
        "tags",
        "tags-ignore",
        "paths",
        "paths-ignore",
    ];
    const PULL: &[&str] = &[
        "types",
        "branches",
        "branches-ignore",
        "paths",
        "paths-ignore",
    ];
    for event in BRANCH_EVENTS {
        let Some(yaml_serde::Value::Mapping(body)) = raw.get("on").and_then(|on| on.get(event))
        else {
            continue;
        };
        let allowed = if event == "push" { PUSH } else { PULL };
        for key in body.keys() {
            let key = key.as_str().unwrap_or("?");
            if !allowed.contains(&key) {
                let hint = did_you_mean(key, allowed.iter().copied())
                    .map(|close| format!(" (did you mean `{close}`?)"))
                    .unwrap_or_default();
                return Err(ParseError {
                    message: format!("`on.{event}` has an unknown key `{key}`{hint}"),
                    line: Format::Yaml.line_of(
                        text,
                        &[
                            PathStep::Key("on".into()),
                            PathStep::Key(event.into()),
                            PathStep::Key(key.into()),
                        ],
                    ),
                });
            }
        }
        for (a, b) in [
            ("branches", "branches-ignore"),
            ("tags", "tags-ignore"),
            ("paths", "paths-ignore"),
        ] {
            if body.contains_key(a) && body.contains_key(b) {
                return Err(ParseError {
                    message: format!("`on.{event}` has both `{a}` and `{b}`; GitHub allows one"),
                    line: Format::Yaml.line_of(
                        text,
                        &[PathStep::Key("on".into()), PathStep::Key(event.into())],
                    ),
                });
            }
        }
    }
    Ok(())
}

/// The model's untagged enums say only "data did not match any variant"; re-read the
/// document piece by piece to name the job or step at fault and its line.
fn explain(text: &str, err: &yaml_serde::Error) -> ParseError {
    use yaml_serde::Value;
    let doc: Value = match yaml_serde::from_str(text) {
        Ok(doc) => doc,
        Err(syntax) => return select::yaml_error(&syntax),
    };
    let line = |path: &[PathStep]| Format::Yaml.line_of(text, path);
    let key = |k: &str| PathStep::Key(k.to_string());
    let fail = |message: String, line: Option<u32>| ParseError { message, line };
    let Value::Mapping(map) = &doc else {
        return fail(
            "a workflow is a mapping with `on:` and `jobs:` at the top".to_string(),
            Some(1),
        );
    };
    match map.get("on") {
        None => return fail("it has no `on:` (what triggers it)".to_string(), Some(1)),
        Some(on) => {
            if let Err(e) = yaml_serde::from_value::<Trigger>(on.clone()) {
                return fail(
                    format!("`on:`: {}", trigger_problem(on, &e)),
                    line(&[key("on")]),
                );
            }
        }
    }
    let Some(jobs) = map.get("jobs") else {
        return fail("it has no `jobs:`".to_string(), Some(1));
    };
    let Value::Mapping(jobs) = jobs else {
        return fail(
            "`jobs:` must be a mapping of job ids to jobs".to_string(),
            line(&[key("jobs")]),
        );
    };
    for (id, job) in jobs {
        let id = match id {
            Value::String(s) => s.clone(),
            other => yaml_serde::to_string(other)
                .unwrap_or_default()
                .trim()
                .to_string(),
        };
        let at = [key("jobs"), key(&id)];
        if yaml_serde::from_value::<Job>(job.clone()).is_ok() {
            continue;
        }
        if job.get("uses").is_some() {
            if let Err(e) = yaml_serde::from_value::<ReusableWorkflowCallJob>(job.clone()) {
                return fail(
                    format!("job `{id}` (a reusable workflow call): {}", clean(&e)),
                    line(&at),
                );
            }
        }
        if let Some(Value::Sequence(steps)) = job.get("steps") {
            for (i, step) in steps.iter().enumerate() {
                if let Err(e) = yaml_serde::from_value::<Step>(step.clone()) {
                    let why = if step.get("uses").is_some() {
                        yaml_serde::from_value::<github_actions_models::workflow::job::UsesStep>(
                            step.clone(),
                        )
                        .err()
                        .map(|e| clean(&e))
                    } else if step.get("run").is_some() {
                        yaml_serde::from_value::<github_actions_models::workflow::job::RunStep>(
                            step.clone(),
                        )
                        .err()
                        .map(|e| clean(&e))
                    } else {
                        Some("a step needs `uses:` or `run:`".to_string())
                    };
                    let mut step_at = at.to_vec();
                    step_at.extend([key("steps"), PathStep::Index(i)]);
                    return fail(
                        format!(
                            "job `{id}`, step {}: {}",
                            i + 1,
                            why.unwrap_or_else(|| clean(&e))
                        ),
                        line(&step_at).or_else(|| line(&at)),
                    );
                }
            }
        }
        let why = match yaml_serde::from_value::<NormalJob>(job.clone()) {
            Err(e) => clean(&e),
            Ok(_) => "not a valid job".to_string(),
        };
        return fail(format!("job `{id}`: {why}"), line(&at));
    }
    select::yaml_error(err)
}

/// Why `on:` did not parse: an unknown event name, or what the events mapping says.
fn trigger_problem(on: &yaml_serde::Value, err: &yaml_serde::Error) -> String {
    use yaml_serde::Value;
    let names: Vec<&str> = match on {
        Value::String(name) => vec![name.as_str()],
        Value::Sequence(items) => items.iter().filter_map(Value::as_str).collect(),
        Value::Mapping(_) => {
            return match yaml_serde::from_value::<Events>(on.clone()) {
                Err(e) => clean(&e),
                Ok(_) => clean(err),
            }
        }
        _ => return "it must be an event name, a list of them, or a mapping".to_string(),
    };
    let known = known_events();
    match names.iter().find(|n| !known.iter().any(|k| k == *n)) {
        Some(unknown) => match did_you_mean(unknown, known.iter().map(String::as_str)) {
            Some(close) => format!("unknown event `{unknown}` (did you mean `{close}`?)"),
            None => format!("unknown event `{unknown}`"),
        },
        None => clean(err),
    }
}

fn clean(err: &yaml_serde::Error) -> String {
    select::yaml_error(err).message
}

#[cfg(test)]
mod tests {
    use super::*;

    const CI: &str = "\
name: required-ci
on:
  pull_request:
    branches: [main, staging]
  push:
    branches:
      - main
      - 'release/**'
jobs:
  lint:
    name: Lint + Type-check
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npm ci && npm run lint
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: npm test
  security:
    uses: ./.github/workflows/reusable-security.yml
    secrets: inherit
";

    const REUSABLE: &str = "\
on:
  workflow_call:
jobs:
  gitleaks:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0
      - uses: gitleaks/gitleaks-action@v2
";

    fn facts(files: &[(&str, &str)]) -> Facts {
        Facts::from_texts(files, jiff::Timestamp::UNIX_EPOCH)
    }

    fn requirement(file: &str) -> Requirement {
        Requirement {
            path: format!("{WORKFLOW_DIR}{file}"),
            on: Vec::new(),
            branches: Vec::new(),
            jobs: Vec::new(),
            uses: Vec::new(),
            run: Vec::new(),
        }
    }

    fn run(req: Requirement, facts: &Facts) -> Vec<Finding> {
        let Evaluation::Checked(findings) = (RequiredWorkflows {
            workflows: vec![req],
        })
        .evaluate(facts) else {
            panic!("expected a checked evaluation")
        };
        findings
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn an_unreadable_workflow_is_unknown_not_a_gap_or_a_pass() {
        let mut facts = facts(&[
            (".github/workflows/required-ci.yml", CI),
            (".github/workflows/reusable-security.yml", REUSABLE),
        ]);
        let unreadable = |facts: &mut Facts, path: &str| {
            facts.contents.insert(
                path.to_string(),
                Err("cannot read: GitHub answered 500 after 4 attempts".to_string()),
            );
        };
        let rule = |req: Requirement| RequiredWorkflows {
            workflows: vec![req],
        };
        // The called workflow could not be read: a step only it might hold is unknown...
        unreadable(&mut facts, ".github/workflows/reusable-security.yml");
        let mut req = requirement("required-ci.yml");
        req.uses = strings(&["gitleaks/gitleaks-action"]);
        match rule(req).evaluate(&facts) {
            Evaluation::Error(reason) => {
                assert!(reason.contains("reusable-security.yml"), "{reason}");
                assert!(reason.contains("500"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        // ...while one the caller holds itself is still found.
        let mut req = requirement("required-ci.yml");
        req.uses = strings(&["actions/checkout"]);
        assert_eq!(rule(req).evaluate(&facts), Evaluation::Checked(Vec::new()));
        // The required workflow itself could not be read.
        unreadable(&mut facts, ".github/workflows/required-ci.yml");
        let mut req = requirement("required-ci.yml");
        req.on = strings(&["pull_request"]);
        assert!(
            matches!(rule(req).evaluate(&facts), Evaluation::Error(r) if r.contains("cannot read `.github/workflows/required-ci.yml`"))
        );
    }

    #[test]
    fn a_complete_workflow_passes() {
        let facts = facts(&[
            (".github/workflows/required-ci.yml", CI),
            (".github/workflows/reusable-security.yml", REUSABLE),
        ]);
        let mut req = requirement("required-ci.yml");
        req.on = strings(&["pull_request", "push"]);
        req.branches = strings(&["main"]);
        req.jobs = strings(&["Lint + Type-check", "test"]);
        req.uses = strings(&["gitleaks/gitleaks-action", "actions/checkout@v4"]);
        req.run = vec![crate::policy::patterns::compile_regex(r"npm (run )?test")
            .ok()
            .unwrap()];
        let findings = run(req, &facts);
        assert!(findings.is_empty(), "{findings:#?}");
    }

    #[test]
    fn reports_each_gap_at_its_line() {
        let facts = facts(&[(".github/workflows/required-ci.yml", CI)]);
        let mut req = requirement("required-ci.yml");
        req.on = strings(&["workflow_dispatch"]);
        req.jobs = strings(&["e2e"]);
        req.uses = strings(&["gitleaks/gitleaks-action"]);
        let findings = run(req, &facts);
        let got: Vec<_> = findings
            .iter()
            .map(|f| (f.subject.clone().unwrap(), f.line))
            .collect();
        assert_eq!(
            got,
            [
                (
                    ".github/workflows/required-ci.yml:on:workflow_dispatch".to_string(),
                    Some(2)
                ),
                (
                    ".github/workflows/required-ci.yml:job:e2e".to_string(),
                    Some(9)
                ),
                (
                    ".github/workflows/required-ci.yml:uses:gitleaks/gitleaks-action".to_string(),
                    Some(9)
                ),
            ]
        );
        assert!(
            findings[2].message.contains("reusable-security.yml"),
            "{}",
            findings[2].message
        );
    }

    #[test]
    fn branch_filters_follow_github_semantics() {
        assert!(filter_matches(&strings(&["main"]), "main"));
        assert!(!filter_matches(&strings(&["main"]), "mainline"));
        assert!(filter_matches(&strings(&["release/**"]), "release/1/2"));
        assert!(!filter_matches(&strings(&["release/*"]), "release/1/2"));
        assert!(filter_matches(&strings(&["feat*"]), "feature"));
        assert!(!filter_matches(&strings(&["**", "!main"]), "main"));
        assert!(filter_matches(&strings(&["**", "!main", "main"]), "main"));
        assert!(filter_matches(&strings(&["v[12].x"]), "v2.x"));

        let text = "on:\n  push:\n    tags: ['v*']\n  pull_request:\n    branches-ignore: [main]\njobs: {}\n";
        let facts = facts(&[(".github/workflows/ci.yml", text)]);
        let mut req = requirement("ci.yml");
        req.branches = strings(&["main"]);
        let findings = run(req, &facts);
        let got: Vec<_> = findings
            .iter()
            .map(|f| (f.message.as_str(), f.line))
            .collect();
        assert_eq!(
            got,
            [
                ("`.github/workflows/ci.yml` does not run on `push` for branch `main`: `push` is filtered to tags only", Some(2)),
                ("`.github/workflows/ci.yml` does not run on `pull_request` for branch `main`: its `branches-ignore` filter [`main`] excludes it", Some(4)),
            ]
        );
    }

    #[test]
    fn a_single_branch_string_is_a_filter() {
        let text = "on:\n  push:\n    branches: staging\njobs: {}\n";
        let facts = facts(&[(".github/workflows/ci.yml", text)]);
        let mut req = requirement("ci.yml");
        req.branches = strings(&["main"]);
        let findings = run(req, &facts);
        assert_eq!(findings.len(), 1, "{findings:#?}");
        assert!(findings[0]
            .message
            .ends_with("its `branches` filter is [`staging`]"));
    }

    #[test]
    fn scalar_and_list_triggers_count() {
        for on in ["on: push", "on: [push, pull_request]", "'on': {push: null}"] {
            let text = format!("{on}\njobs:\n  a:\n    runs-on: x\n    steps: [{{run: make}}]\n");
            let facts = facts(&[(".github/workflows/ci.yml", text.as_str())]);
            let mut req = requirement("ci.yml");
            req.on = strings(&["push"]);
            req.branches = strings(&["main"]);
            assert!(run(req, &facts).is_empty(), "{on}");
        }
    }

    #[test]
    fn invalid_workflows_name_the_job_and_line() {
        let cases = [
            ("on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: make\n  b:\n    steps:\n      - run: make\n", "job `b`: missing field `runs-on`", 7),
            ("on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - name: nothing\n", "job `a`, step 1: a step needs `uses:` or `run:`", 6),
            ("on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/checkout\n", "job `a`, step 1: malformed `uses` ref", 6),
            ("name: x\njobs: {}\n", "it has no `on:`", 1),
            ("name: x\non: [push, pul_request]\njobs: {}\n", "`on:`: unknown event `pul_request` (did you mean `pull_request`?)", 2),
            ("on:\n  push:\n    branchs: [main]\njobs: {}\n", "`on.push` has an unknown key `branchs` (did you mean `branches`?)", 3),
            ("on:\n  pull_request:\n    branches: [main]\n    branches-ignore: [x]\njobs: {}\n", "has both `branches` and `branches-ignore`", 2),
            ("on: [push\njobs: {}\n", "did not find expected", 2),
        ];
        for (text, message, line) in cases {
            let err = parse_workflow(text).err().unwrap();
            assert!(err.message.contains(message), "{text}: {err:?}");
            assert_eq!(err.line, Some(line), "{text}: {err:?}");
        }
    }

    #[test]
    fn uses_ignores_the_ref_and_matches_repository_subpaths() {
        assert!(uses_matches(
            "gitleaks/gitleaks-action",
            "gitleaks/gitleaks-action@v2"
        ));
        assert!(uses_matches(
            "Gitleaks/Gitleaks-Action",
            "gitleaks/gitleaks-action@v2"
        ));
        assert!(uses_matches(
            "github/codeql-action",
            "github/codeql-action/init@v3"
        ));
        assert!(!uses_matches(
            "github/codeql-action/analyze",
            "github/codeql-action/init@v3"
        ));
        assert!(!uses_matches(
            "gitleaks/gitleaks",
            "gitleaks/gitleaks-action@v2"
        ));
        assert!(uses_matches("actions/checkout@v4", "actions/checkout@v4"));
        assert!(!uses_matches("actions/checkout@v4", "actions/checkout@v3"));
        assert!(uses_matches(
            "./.github/actions/setup",
            "./.github/actions/setup"
        ));
    }

    #[test]
    fn missing_workflow_suggests_a_skeleton_or_the_sibling() {
        let facts = facts(&[(".github/workflows/security-scan.yaml", REUSABLE)]);
        let findings = run(requirement("security-scan.yml"), &facts);
        assert!(findings[0]
            .help
            .as_ref()
            .unwrap()
            .contains("security-scan.yaml` exists"));

        let mut req = requirement("required-ci.yml");
        req.on = strings(&["pull_request"]);
        req.branches = strings(&["main"]);
        req.jobs = strings(&["lint", "test"]);
        let help = run(req, &facts)[0].help.clone().unwrap();
        assert!(
            help.contains("`on: {pull_request: {branches: [main]}}`"),
            "{help}"
        );
        assert!(help.contains("lint: {runs-on: ubuntu-latest"), "{help}");
    }

    #[test]
    fn the_documented_example_is_a_valid_policy() {
        let example = KIND.doc.split("```toml").nth(1).unwrap();
        let example = example.split("```").next().unwrap();
        if let Err(errors) = crate::policy::load_text("example.toml", example) {
            panic!("{errors:?}");
        }
    }

    #[test]
    fn every_event_name_is_known() {
        let known = known_events();
        for event in [
            "push",
            "pull_request",
            "workflow_dispatch",
            "schedule",
            "merge_group",
        ] {
            assert!(known.iter().any(|k| k == event), "{event}");
        }
    }
}
