//! `deploy-window`: production deploys happen only inside the team's windows ("Tue/Thu
//! 10am-4pm ET only"), unless exempt (a hotfix). In `warden pr` it judges a PR into the
//! production branch now; elsewhere it audits recent deployments.

use jiff::civil::{Time, Weekday};
use jiff::tz::TimeZone;
use jiff::Timestamp;

use super::pr_common::has_label;
use super::{Rule, RuleKind, Scope};
use crate::facts::{Facts, Needs};
use crate::github::GitHubState;
use crate::model::{Evaluation, Finding};
use crate::policy::patterns::Globs;
use crate::policy::reader::TableReader;

pub const KIND: RuleKind = RuleKind {
    id: "deploy-window",
    summary: "Production deploys happen inside the deploy windows",
    scope: Scope::Tree,
    doc: r#"
## What it checks
Each `[[rule.window]]` gives `days` (`mon`..`sun`) and `hours` (`"10:00-16:00"`, end
exclusive) in the rule's `time_zone` (an IANA name such as `America/New_York`; daylight
saving is applied).
- In `warden pr`: a pull request into `production_branch` (default `main`) while the
  run's clock is outside every window is a finding, unless it carries one of
  `exempt_labels` (e.g. `hotfix`).
- Elsewhere (`warden check`, sweeps; needs GitHub): every deployment of the last
  `days_back` days (default 14) to `environment` (`GET /repos/{owner}/{repo}/deployments`)
  and every default-branch run of the `workflows` (deploy workflows) that started outside
  the windows is a finding, unless its ref matches `exempt_refs` (e.g. `hotfix/*`).
Without GitHub facts the audit is `skipped` (offline) or `error`, never a pass.

## Why
"Prod deploys: Tue/Thu 10am-4pm ET only; No-deploy days: Fri/Mon (unless hotfix)" and
"Production deploys only during business hours (9am-5pm PT)": deploys at 6pm Friday are
the ones nobody is around to roll back.

## Example policy
```toml
[[rule]]
kind = "deploy-window"
time_zone = "America/New_York"
production_branch = "main"
exempt_labels = ["hotfix"]
exempt_refs = ["hotfix/*"]
environment = "production"
workflows = ["deploy-prod.yml"]
[[rule.window]]
days = ["tue", "thu"]
hours = "10:00-16:00"
```

## How to fix
Merge (or deploy) inside a window; for an urgent fix, label the PR with an exempt label
and follow the hotfix procedure. For a past deploy, record why it happened outside the
window (post-mortem), or waive the finding with a reason.
"#,
    parse,
};

#[derive(Debug)]
struct Window {
    days: Vec<Weekday>,
    start: Time,
    end: Time,
}

#[derive(Debug)]
struct DeployWindow {
    time_zone: TimeZone,
    zone_name: String,
    windows: Vec<Window>,
    production_branch: String,
    exempt_labels: Vec<String>,
    exempt_refs: Globs,
    environment: Option<String>,
    workflows: Vec<String>,
    days_back: i64,
}

fn weekday(name: &str) -> Option<Weekday> {
    Some(match name.to_ascii_lowercase().get(..3)? {
        "mon" => Weekday::Monday,
        "tue" => Weekday::Tuesday,
        "wed" => Weekday::Wednesday,
        "thu" => Weekday::Thursday,
        "fri" => Weekday::Friday,
        "sat" => Weekday::Saturday,
        "sun" => Weekday::Sunday,
        _ => return None,
    })
}

fn hours(text: &str) -> Option<(Time, Time)> {
    let (a, b) = text.split_once('-')?;
    let parse = |t: &str| {
        let t = t.trim();
        if t == "24:00" {
            return Some(Time::MAX);
        }
        Time::strptime("%H:%M", t).ok()
    };
    let (start, end) = (parse(a)?, parse(b)?);
    (start < end).then_some((start, end))
}

fn parse(t: &mut TableReader<'_, '_>) -> Option<Box<dyn Rule>> {
    let zone = t.req_str("time_zone", "\"America/New_York\"");
    let mut ok = true;
    let time_zone = zone.as_ref().and_then(|z| match TimeZone::get(&z.value) {
        Ok(tz) => Some(tz),
        Err(_) => {
            ok = false;
            t.error(
                "bad-value",
                z.span.clone(),
                format!("`{}` is not a time zone warden knows", z.value),
                "unknown time zone",
                "use an IANA time zone name such as \"America/New_York\" or \"Europe/Berlin\"",
            );
            None
        }
    });
    let tables = t.tables("window");
    if tables.is_empty() {
        ok = false;
        let span = t.header_span();
        t.error(
            "missing-key",
            span,
            "rule `deploy-window` needs at least one `[[rule.window]]`",
            "no window here",
            "add [[rule.window]] with days = [\"tue\", \"thu\"] and hours = \"10:00-16:00\"",
        );
    }
    let mut windows = Vec::new();
    for (i, (table, span)) in tables.into_iter().enumerate() {
        let mut w = t.nested(
            table,
            span,
            format!("window {} of rule `deploy-window`", i + 1),
        );
        let days = w.req_str_list("days", "[\"tue\", \"thu\"]");
        let range = w.req_str("hours", "\"10:00-16:00\"");
        let mut parsed_days = Vec::new();
        for day in days.iter().flatten() {
            match weekday(&day.value) {
                Some(d) => parsed_days.push(d),
                None => {
                    ok = false;
                    w.error(
                        "bad-value",
                        day.span.clone(),
                        format!("`{}` is not a day", day.value),
                        "not a day",
                        "days are mon, tue, wed, thu, fri, sat, sun",
                    );
                }
            }
        }
        let parsed = range.as_ref().and_then(|r| hours(&r.value));
        if let (Some(r), None) = (&range, parsed) {
            ok = false;
            w.error(
                "bad-value",
                r.span.clone(),
                format!("`{}` is not a range of hours", r.value),
                "not HH:MM-HH:MM",
                "write hours as \"10:00-16:00\" (start before end, 24-hour clock)",
            );
        }
        w.finish();
        match (days, parsed) {
            (Some(_), Some((start, end))) => windows.push(Window {
                days: parsed_days,
                start,
                end,
            }),
            _ => ok = false,
        }
    }
    let production_branch = t
        .opt_str("production_branch")
        .map(|s| s.value)
        .unwrap_or_else(|| "main".to_string());
    let exempt_labels = t
        .str_list("exempt_labels")
        .map(|l| l.into_iter().map(|s| s.value).collect())
        .unwrap_or_default();
    let exempt_refs = t.globs("exempt_refs").unwrap_or_else(Globs::empty);
    let environment = t.opt_str("environment").map(|s| s.value);
    let workflows = t
        .str_list("workflows")
        .map(|l| l.into_iter().map(|s| s.value).collect())
        .unwrap_or_default();
    let days_back = t.opt_u64("days_back").unwrap_or(14).min(365) as i64;
    let (zone, time_zone) = (zone?, time_zone?);
    ok.then(|| {
        Box::new(DeployWindow {
            time_zone,
            zone_name: zone.value,
            windows,
            production_branch,
            exempt_labels,
            exempt_refs,
            environment,
            workflows,
            days_back,
        }) as Box<dyn Rule>
    })
}

impl DeployWindow {
    fn inside(&self, at: Timestamp) -> bool {
        let local = at.to_zoned(self.time_zone.clone());
        let (day, time) = (local.weekday(), local.time());
        self.windows
            .iter()
            .any(|w| w.days.contains(&day) && time >= w.start && time < w.end)
    }

    fn local(&self, at: Timestamp) -> String {
        at.to_zoned(self.time_zone.clone())
            .strftime("%a %Y-%m-%d %H:%M %Z")
            .to_string()
    }

    fn describe(&self) -> String {
        self.windows
            .iter()
            .map(|w| {
                let days: Vec<String> = w
                    .days
                    .iter()
                    .map(|d| format!("{d:?}")[..3].to_string())
                    .collect();
                format!(
                    "{} {}-{}",
                    days.join("/"),
                    w.start.strftime("%H:%M"),
                    w.end.strftime("%H:%M")
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
            + &format!(" ({})", self.zone_name)
    }

    fn judge_pr(&self, facts: &Facts, pr: &crate::pr::PullRequest) -> Evaluation {
        let base = pr.base_ref.trim_start_matches("refs/heads/");
        if base != self.production_branch {
            return Evaluation::Checked(Vec::new());
        }
        if let Some(label) = self.exempt_labels.iter().find(|l| has_label(pr, l)) {
            return Evaluation::Skipped(format!("the PR is labelled `{label}` (`exempt_labels`)"));
        }
        if self.inside(facts.now) {
            return Evaluation::Checked(Vec::new());
        }
        Evaluation::Checked(vec![Finding::new(format!(
            "a PR into `{base}` (production) at {}, outside the deploy windows: {}",
            self.local(facts.now),
            self.describe()
        ))
        .help(match self.exempt_labels.first() {
            Some(label) => format!("merge inside a window, or label an urgent fix `{label}` and follow the hotfix procedure"),
            None => "merge inside a deploy window".to_string(),
        })
        .subject("pr-outside-window")])
    }

    fn audit(&self, facts: &Facts) -> Evaluation {
        let github = match &facts.github {
            GitHubState::Known(github) => github,
            GitHubState::Skipped(reason) => return Evaluation::Skipped(reason.clone()),
            GitHubState::Unavailable(reason) => return Evaluation::Error(reason.clone()),
            GitHubState::NotNeeded => {
                return Evaluation::Error("GitHub facts were not gathered".to_string())
            }
        };
        let since = facts.now.as_second() - self.days_back * 86_400;
        let mut findings = Vec::new();
        let mut judge = |what: String,
                         at: Option<&String>,
                         git_ref: Option<&String>,
                         url: Option<&String>|
         -> Result<(), String> {
            let at = at
                .and_then(|t| t.parse::<Timestamp>().ok())
                .ok_or_else(|| format!("{what} has no readable time"))?;
            if at.as_second() < since || self.inside(at) {
                return Ok(());
            }
            if git_ref.is_some_and(|r| self.exempt_refs.is_match(r)) {
                return Ok(());
            }
            findings.push(
                Finding::new(format!("{what} at {}, outside the deploy windows: {}", self.local(at), self.describe()))
                    .help(format!("record why it happened outside the window (post-mortem) or waive it with a reason{}", url.map(|u| format!(": {u}")).unwrap_or_default()))
                    .subject(what.clone()),
            );
            Ok(())
        };
        if let Some(env) = &self.environment {
            match github.extra.deployments.get(env) {
                Some(Ok(deployments)) => {
                    for d in deployments {
                        let what = format!(
                            "deployment {} of `{}` to `{env}`",
                            d.id,
                            d.git_ref.as_deref().unwrap_or("?")
                        );
                        if let Err(e) = judge(
                            what,
                            d.created_at.as_ref(),
                            d.git_ref.as_ref(),
                            d.url.as_ref(),
                        ) {
                            return Evaluation::Error(e);
                        }
                    }
                }
                Some(Err(reason)) => {
                    return Evaluation::Error(format!(
                        "cannot read deployments to `{env}`: {reason}"
                    ))
                }
                None => {
                    return Evaluation::Error(format!("deployments to `{env}` were not fetched"))
                }
            }
        }
        if !self.workflows.is_empty() {
            let runs = match &github.runs {
                Some(Ok(runs)) => runs,
                Some(Err(reason)) => {
                    return Evaluation::Error(format!("cannot read workflow runs: {reason}"))
                }
                None => return Evaluation::Error("workflow runs were not fetched".to_string()),
            };
            for run in runs {
                let path = run
                    .path
                    .as_deref()
                    .map(|p| p.split('@').next().unwrap_or(p))
                    .unwrap_or("");
                let named = self.workflows.iter().any(|w| {
                    path == w || path.strip_prefix(".github/workflows/") == Some(w.as_str())
                });
                if !named {
                    continue;
                }
                let at = run.run_started_at.as_ref().or(run.created_at.as_ref());
                let what = format!(
                    "run of `{path}` on `{}` ({})",
                    run.head_branch.as_deref().unwrap_or("?"),
                    run.created_at.as_deref().unwrap_or("?")
                );
                if let Err(e) = judge(what, at, run.head_branch.as_ref(), run.html_url.as_ref()) {
                    return Evaluation::Error(e);
                }
            }
        }
        Evaluation::Checked(findings)
    }
}

impl Rule for DeployWindow {
    fn needs(&self, needs: &mut Needs) {
        if let Some(env) = &self.environment {
            needs.github.extra.deployments.insert(env.clone());
        }
        if !self.workflows.is_empty() {
            needs.github.runs = true;
        }
    }

    fn evaluate(&self, facts: &Facts) -> Evaluation {
        if let Some(pr) = &facts.pr {
            return self.judge_pr(facts, pr);
        }
        if facts.is_staged_mode() {
            return Evaluation::Skipped(
                "judges pull requests and deployments, not a staged change".to_string(),
            );
        }
        if self.environment.is_none() && self.workflows.is_empty() {
            return Evaluation::Skipped("outside `warden pr` it audits `environment` deployments or `workflows` runs, and this rule names neither".to_string());
        }
        self.audit(facts)
    }
}

#[cfg(test)]
mod tests {
    use crate::facts::Facts;
    use crate::model::Evaluation;
    use crate::pr::PullRequest;

    const POLICY: &str = "[[rule]]\nkind = \"deploy-window\"\ntime_zone = \"America/New_York\"\nexempt_labels = [\"hotfix\"]\n[[rule.window]]\ndays = [\"tue\", \"thu\"]\nhours = \"10:00-16:00\"\n";

    fn pr_at(now: &str, base: &str, labels: &[&str]) -> Evaluation {
        let policy = crate::policy::load_text("p.toml", POLICY).unwrap();
        let mut facts = Facts::from_texts(&[], now.parse().unwrap());
        facts.pr = Some(PullRequest {
            base_ref: base.into(),
            head_ref: "feat/x".into(),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            ..PullRequest::default()
        });
        policy.rules[0].rule.evaluate(&facts)
    }

    #[test]
    fn a_pr_into_production_outside_the_window_is_a_gap_unless_exempt() {
        // Tuesday 11:00 EST: inside.
        assert_eq!(
            pr_at("2026-11-24T16:00:00Z", "main", &[]),
            Evaluation::Checked(vec![])
        );
        // Tuesday 16:00 EST: the end is exclusive.
        let Evaluation::Checked(found) = pr_at("2026-11-24T21:00:00Z", "main", &[]) else {
            panic!()
        };
        assert_eq!(
            found[0].message,
            "a PR into `main` (production) at Tue 2026-11-24 16:00 EST, outside the deploy windows: Tue/Thu 10:00-16:00 (America/New_York)"
        );
        // Friday: a gap, unless labelled hotfix; another base is not production.
        assert!(
            matches!(pr_at("2026-11-27T16:00:00Z", "main", &[]), Evaluation::Checked(f) if f.len() == 1)
        );
        assert!(matches!(
            pr_at("2026-11-27T16:00:00Z", "main", &["Hotfix"]),
            Evaluation::Skipped(_)
        ));
        assert_eq!(
            pr_at("2026-11-27T16:00:00Z", "staging", &[]),
            Evaluation::Checked(vec![])
        );
        // Summer time: Thursday 2026-07-09 10:30 EDT is 14:30 UTC.
        assert_eq!(
            pr_at("2026-07-09T14:30:00Z", "main", &[]),
            Evaluation::Checked(vec![])
        );
    }

    #[test]
    fn bad_windows_and_zones_are_policy_errors() {
        let text = "[[rule]]\nkind = \"deploy-window\"\ntime_zone = \"Mars/Olympus\"\n[[rule.window]]\ndays = [\"tue\", \"someday\"]\nhours = \"16:00-10:00\"\n";
        let errors = format!(
            "{:?}",
            crate::policy::load_text("p.toml", text).unwrap_err()
        );
        assert!(errors.contains("not a time zone"), "{errors}");
        assert!(errors.contains("`someday` is not a day"), "{errors}");
        assert!(errors.contains("not a range of hours"), "{errors}");
    }

    #[test]
    fn audit_without_github_facts_is_never_a_pass() {
        let text = POLICY.replace(
            "exempt_labels",
            "environment = \"production\"\nexempt_labels",
        );
        let policy = crate::policy::load_text("p.toml", &text).unwrap();
        let mut facts = Facts::from_texts(&[], "2026-11-22T12:00:00Z".parse().unwrap());
        facts.github = crate::github::GitHubState::Skipped("--offline".into());
        assert!(
            matches!(policy.rules[0].rule.evaluate(&facts), Evaluation::Skipped(r) if r == "--offline")
        );
        facts.github = crate::github::GitHubState::Unavailable("no repo".into());
        assert!(matches!(
            policy.rules[0].rule.evaluate(&facts),
            Evaluation::Error(_)
        ));
    }
}
