//! `planning-doc-ttl`: planning documents expire.
//!
//! A plan is true for a week; after that it misleads whoever (or whatever agent) reads
//! it. The age comes from git history gathered once for all files (see `facts::history`),
//! or from a date the document declares in its front matter.

use std::collections::BTreeMap;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;

use super::{Rule, RuleKind, Scope};
use crate::facts::{Facts, HistoryNeed, LastChange, Needs};
use crate::model::{Evaluation, Finding};
use crate::policy::patterns::Globs;
use crate::policy::reader::TableReader;

pub const KIND: RuleKind = RuleKind {
    id: "planning-doc-ttl",
    summary: "Planning docs are refreshed or removed before they go stale",
    scope: Scope::History,
    doc: r#"
## What it checks
Every tracked file matching `paths` must be at most `max_age_days` days old (default 7),
counted in calendar days (UTC) up to the run's clock (`--now`). Its age is taken from
the date of the last commit that changed it (the default, `age_from = "commit"`), or from
a date in its YAML front matter (`age_from = "front-matter:KEY"`): the block between a
first line `---` and the next `---` line, where `KEY: 2026-11-10` (or an RFC 3339 time)
gives the date. A document without front matter or without that key falls back to its
commit date; a key that is not a date is a finding at its line.

By default only the window is read: the walk follows first parents from `HEAD` and
stops at the first commit dated before the start of the UTC day `max_age_days` ago (the
largest `max_age_days` of the policy), as `git log --since` does, so its cost is that of
the window, not of the whole history. A file no commit in the window changed is
reported as "has not changed in the last N days (no commit since DATE)", without its
exact age. A commit whose clock is skewed into the past ends the window early: files
changed only below it are reported stale, never fresh.

`exact_age = true` asks for exact ages ("is 146 days old (last commit 2026-06-29)"):
the walk then reads history until every file is dated, back to the first commit for a
file never changed since. `exact_age = N` (days, at least `max_age_days`) gives exact
ages within N days and the "not changed in the last N days" form beyond.

Files that are staged but not yet committed are fresh. The rule needs git history: it
is skipped with `--staged`, and reports `error` (never a pass) outside a git repository
or when a file's last commit is cut off by a shallow clone; check out with full history
(`fetch-depth: 0` in `actions/checkout`).

## Why
Planning notes, agent scratch plans and status write-ups are written for one week's work
and then left behind, where they contradict the code and mislead the next reader. A
team's daily drift sweep flagged planning docs older than 7 days; this is that check.

## Example policy
```toml
[[rule]]
kind = "planning-doc-ttl"
level = "warn"
paths = ["docs/planning/**", "**/PLAN*.md"]
max_age_days = 7                      # default 7
age_from = "front-matter:updated"     # default "commit"
exact_age = false                     # default false; true, or a number of days
```

## How to fix
Refresh the document (a commit that changes it, or a new front-matter date, restarts
the clock), move it to an archive outside the TTL `paths`, or delete it. Git keeps its
history either way.
"#,
    parse,
};

const SECONDS_PER_DAY: i64 = 86_400;

#[derive(Debug)]
struct PlanningDocTtl {
    paths: Globs,
    max_age_days: u64,
    age_from: AgeFrom,
    /// Exact ages for files changed within this many days (`None`: all).
    exact_within_days: Option<u64>,
}

#[derive(Debug, PartialEq, Eq)]
enum AgeFrom {
    Commit,
    FrontMatter(String),
}

fn parse(t: &mut TableReader<'_, '_>) -> Option<Box<dyn Rule>> {
    let items = t.req_str_list("paths", "[\"docs/planning/**\"]");
    if let Some(span) = items.as_ref().filter(|i| i.is_empty()).and(t.raw("paths")) {
        let span = span.span();
        t.error(
            "bad-value",
            span,
            "rule `planning-doc-ttl` has no globs in `paths`",
            "an empty list",
            "list the planning documents, e.g. `paths = [\"docs/planning/**\"]`",
        );
    }
    let paths = items.map(|items| t.compile_globs("paths", &items));
    let max_age_days = t.opt_u64("max_age_days");
    let bad_max_age = t.has("max_age_days") && max_age_days.is_none();
    let age_from = match t.opt_str("age_from") {
        None => Some(AgeFrom::Commit),
        Some(text) => match parse_age_from(&text.value) {
            Some(age_from) => Some(age_from),
            None => {
                t.error(
                    "bad-value",
                    text.span.clone(),
                    format!("unknown `age_from` `{}`", text.value),
                    "not a source of dates",
                    "write `age_from = \"commit\"` (the default: the last commit that changed \
                     the file) or `age_from = \"front-matter:KEY\"`, e.g. \
                     \"front-matter:updated\"",
                );
                None
            }
        },
    };
    let exact_age = exact_age(t);
    let paths = paths.filter(|p| !p.is_empty())?;
    if bad_max_age {
        return None;
    }
    let max_age_days = max_age_days.unwrap_or(7);
    Some(Box::new(PlanningDocTtl {
        paths,
        max_age_days,
        age_from: age_from?,
        exact_within_days: match exact_age? {
            ExactAge::Window => Some(max_age_days),
            ExactAge::All => None,
            ExactAge::Within(days) => Some(days.max(max_age_days)),
        },
    }))
}

enum ExactAge {
    /// Only within `max_age_days` (the default).
    Window,
    All,
    Within(u64),
}

/// `exact_age`: true, false, or a number of days; `None` after a diagnostic.
fn exact_age(t: &mut TableReader<'_, '_>) -> Option<ExactAge> {
    let Some(raw) = t.raw("exact_age") else {
        return Some(ExactAge::Window);
    };
    match raw.get_ref() {
        toml::de::DeValue::Boolean(true) => Some(ExactAge::All),
        toml::de::DeValue::Boolean(false) => Some(ExactAge::Window),
        toml::de::DeValue::Integer(_) => t.opt_u64("exact_age").map(ExactAge::Within),
        _ => {
            let span = raw.span();
            t.error(
                "wrong-type",
                span,
                "`exact_age` in rule `planning-doc-ttl` must be true, false or a number of days",
                "not one of those",
                "write `exact_age = true` for exact ages of every file, or `exact_age = 90` \
                 for exact ages within 90 days",
            );
            None
        }
    }
}

fn parse_age_from(text: &str) -> Option<AgeFrom> {
    match text {
        "commit" => Some(AgeFrom::Commit),
        _ => {
            let key = text.strip_prefix("front-matter:")?.trim();
            (!key.is_empty()).then(|| AgeFrom::FrontMatter(key.to_string()))
        }
    }
}

/// Where a file's date came from, for the message.
enum Dated {
    Commit(Timestamp),
    /// Not changed since this moment; the history walk stopped at this horizon.
    NotSince(Timestamp),
    FrontMatter {
        date: Date,
        line: u32,
    },
}

impl Rule for PlanningDocTtl {
    fn needs(&self, needs: &mut Needs) {
        needs.history.push(HistoryNeed {
            paths: self.paths.clone(),
            // A file not changed within the limit is stale whatever its exact date.
            exact_within_days: self.exact_within_days,
        });
        if matches!(self.age_from, AgeFrom::FrontMatter(_)) {
            needs.content.push(self.paths.clone());
        }
    }

    fn evaluate(&self, facts: &Facts) -> Evaluation {
        let history = match &facts.last_commit {
            Ok(history) => history,
            Err(reason) => return Evaluation::Error(reason.clone()),
        };
        let today = facts.now.to_zoned(TimeZone::UTC).date();
        let mut findings = Vec::new();
        // Files whose age cannot be known, grouped by why.
        let mut unknown: BTreeMap<&str, Vec<&str>> = BTreeMap::new();

        for file in facts.files_matching(&self.paths) {
            let path = file.path.as_str();
            let declared = match &self.age_from {
                AgeFrom::Commit => None,
                AgeFrom::FrontMatter(key) => match front_matter_date(facts, path, key) {
                    Ok(declared) => declared,
                    Err(finding) => {
                        findings.push(finding);
                        continue;
                    }
                },
            };
            let dated = match declared {
                Some(dated) => dated,
                None => match history.get(path) {
                    // Not in history: staged but never committed, so fresh.
                    None => continue,
                    Some(Ok(LastChange::At(when))) => Dated::Commit(*when),
                    // The walk's horizon is at least every rule's limit back, so this is
                    // stale; if it were not, the exact date would be needed and is unknown.
                    Some(Ok(LastChange::NotSince(since)))
                        if days_before(*since, today) >= self.max_age_days as i64 =>
                    {
                        Dated::NotSince(*since)
                    }
                    Some(Ok(LastChange::NotSince(_))) => {
                        unknown
                            .entry("the history walk stopped before its last commit")
                            .or_default()
                            .push(path);
                        continue;
                    }
                    Some(Err(reason)) => {
                        unknown.entry(reason.as_str()).or_default().push(path);
                        continue;
                    }
                },
            };
            if let Some(finding) = self.judge(path, &dated, today) {
                findings.push(finding);
            }
        }

        if !unknown.is_empty() {
            let reasons: Vec<String> = unknown
                .iter()
                .map(|(reason, paths)| format!("{}: {reason}", name_files(paths)))
                .collect();
            return Evaluation::Error(format!("cannot tell the age of {}", reasons.join("; ")));
        }
        Evaluation::Checked(findings)
    }
}

/// Whole UTC calendar days from `when` to `today`.
fn days_before(when: Timestamp, today: Date) -> i64 {
    when.to_zoned(TimeZone::UTC)
        .date()
        .duration_until(today)
        .as_secs()
        / SECONDS_PER_DAY
}

impl PlanningDocTtl {
    fn judge(&self, path: &str, dated: &Dated, today: Date) -> Option<Finding> {
        let max = self.max_age_days;
        let plural = if max == 1 { "" } else { "s" };
        let (date, line, source) = match dated {
            Dated::Commit(when) => {
                let date = when.to_zoned(TimeZone::UTC).date();
                (date, None, format!("last commit {date}"))
            }
            Dated::NotSince(since) => {
                // Stale by construction (see `evaluate`): no commit in the window.
                let date = since.to_zoned(TimeZone::UTC).date();
                let days = days_before(*since, today);
                return Some(
                    Finding::new(format!(
                        "`{path}` has not changed in the last {days} days (no commit since \
                         {date}); planning docs expire after {max} day{plural}"
                    ))
                    .at(path)
                    .help("refresh it, move it to an archive outside the TTL paths, or delete it")
                    .subject(path),
                );
            }
            Dated::FrontMatter { date, line } => (
                *date,
                Some(*line),
                format!("dated {date} in its front matter"),
            ),
        };
        let age = date.duration_until(today).as_secs() / SECONDS_PER_DAY;
        if age <= 0 || age.unsigned_abs() <= self.max_age_days {
            return None;
        }
        Some(
            Finding::new(format!(
                "`{path}` is {age} days old ({source}); planning docs expire after {max} day{plural}"
            ))
            .at(path)
            .line(line)
            .help("refresh it, move it to an archive outside the TTL paths, or delete it")
            .subject(path),
        )
    }
}

/// The date `key` declares in the file's front matter: `Ok(None)` when there is no front
/// matter or no such key (the commit date counts then), a finding when it is unusable.
fn front_matter_date(facts: &Facts, path: &str, key: &str) -> Result<Option<Dated>, Finding> {
    // Text that could not be read (a symlink, a FIFO, a huge file) may hold the date the
    // policy judges by: say so rather than fall back to the commit date.
    let text = match facts.content(path) {
        Some(Ok(text)) => text,
        Some(Err(reason)) => {
            return Err(Finding::new(format!(
                "cannot read `{path}` ({reason}), so its `{key}` date is unknown"
            ))
            .at(path)
            .help("make it a regular file in the repository")
            .subject(path))
        }
        None => return Ok(None),
    };
    let Some(yaml) = front_matter(text) else {
        return Ok(None);
    };
    if let Err(why) = crate::select::within_bounds(yaml) {
        return Err(Finding::new(format!(
            "the front matter of `{path}` cannot be read: {why}"
        ))
        .at(path)
        .help("shorten the front matter")
        .subject(path));
    }
    let value = match yaml_serde::from_str::<yaml_serde::Value>(yaml) {
        Ok(value) => value,
        Err(err) => {
            let line = err.location().map_or(1, |l| l.line() as u32 + 1);
            return Err(Finding::new(format!(
                "the front matter of `{path}` is not valid YAML, so its `{key}` date cannot be read"
            ))
            .at(path)
            .line(Some(line))
            .help(format!("fix the YAML ({err}), or remove the front matter"))
            .subject(path));
        }
    };
    let Some(found) = value.get(key) else {
        return Ok(None);
    };
    let line = key_line(yaml, key);
    let shown = match found {
        yaml_serde::Value::String(s) => match parse_date(s) {
            Some(date) => return Ok(Some(Dated::FrontMatter { date, line })),
            None => format!("`{s}`"),
        },
        yaml_serde::Value::Null => "empty".to_string(),
        other => yaml_serde::to_string(other)
            .map(|s| format!("`{}`", s.trim()))
            .unwrap_or_else(|_| "not a string".to_string()),
    };
    Err(Finding::new(format!(
        "`{key}` in the front matter of `{path}` is not a date ({shown})"
    ))
    .at(path)
    .line(Some(line))
    .help(format!(
        "write it as `{key}: 2026-11-22` (or an RFC 3339 time), or remove it to fall back to \
         the last commit date"
    ))
    .subject(path))
}

/// The YAML between a first line `---` and the next line `---`.
fn front_matter(text: &str) -> Option<&str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (first, rest) = text.split_once('\n')?;
    if first.trim_end() != "---" {
        return None;
    }
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            return Some(&rest[..offset]);
        }
        offset += line.len();
    }
    None
}

/// 1-based line in the file of a top-level `key:` in the front matter (line 1 is `---`).
fn key_line(yaml: &str, key: &str) -> u32 {
    yaml.lines()
        .position(|line| {
            [key.to_string(), format!("\"{key}\""), format!("'{key}'")]
                .iter()
                .any(|k| {
                    line.strip_prefix(k.as_str())
                        .is_some_and(|r| r.trim_start().starts_with(':'))
                })
        })
        .map_or(1, |i| i as u32 + 2)
}

/// `YYYY-MM-DD`, or an RFC 3339 time taken as its UTC date.
fn parse_date(text: &str) -> Option<Date> {
    let text = text.trim();
    if text.len() == 10 {
        if let Ok(date) = text.parse::<Date>() {
            return Some(date);
        }
    }
    text.parse::<Timestamp>()
        .ok()
        .map(|ts| ts.to_zoned(TimeZone::UTC).date())
}

/// "`a`", "2 files (`a`, `b`)", or the first few and a count.
fn name_files(paths: &[&str]) -> String {
    const SHOWN: usize = 5;
    let mut names: Vec<String> = paths.iter().take(SHOWN).map(|p| format!("`{p}`")).collect();
    if paths.len() > SHOWN {
        names.push(format!("{} more", paths.len() - SHOWN));
    }
    match paths.len() {
        1 => names.remove(0),
        n => format!("{n} files ({})", names.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{EntryKind, FileEntry, FileSource};
    use std::collections::HashMap;

    const NOW: &str = "2026-11-22T12:00:00Z";

    fn ts(text: &str) -> Timestamp {
        if text.len() == 10 {
            format!("{text}T12:00:00Z").parse().unwrap()
        } else {
            text.parse().unwrap()
        }
    }

    /// Files with their last-commit date (`None`: uncommitted) and text.
    fn facts(files: &[(&str, Option<&str>, &str)]) -> Facts {
        let entries = files
            .iter()
            .map(|(p, _, _)| FileEntry {
                path: p.to_string(),
                kind: EntryKind::File,
            })
            .collect();
        let mut facts = Facts::from_entries(".".into(), FileSource::GitIndex, entries, ts(NOW));
        facts.last_commit = Ok(files
            .iter()
            .filter_map(|(p, when, _)| when.map(|w| (p.to_string(), Ok(LastChange::At(ts(w))))))
            .collect::<HashMap<_, _>>());
        facts.contents = files
            .iter()
            .map(|(p, _, text)| (p.to_string(), Ok(text.to_string())))
            .collect();
        facts
    }

    fn rule(max_age_days: u64, age_from: AgeFrom) -> PlanningDocTtl {
        PlanningDocTtl {
            paths: Globs::from_valid(&["docs/planning/**"]),
            max_age_days,
            age_from,
            exact_within_days: Some(max_age_days),
        }
    }

    fn findings(rule: &PlanningDocTtl, facts: &Facts) -> Vec<Finding> {
        match rule.evaluate(facts) {
            Evaluation::Checked(findings) => findings,
            other => panic!("expected a checked evaluation, got {other:?}"),
        }
    }

    #[test]
    fn old_commits_expire_and_fresh_or_uncommitted_files_do_not() {
        let facts = facts(&[
            ("docs/planning/old.md", Some("2026-11-10"), ""),
            ("docs/planning/week.md", Some("2026-11-15T00:00:01Z"), ""),
            ("docs/planning/new.md", None, ""),
            ("docs/other.md", Some("2020-01-01"), ""),
        ]);
        let found = findings(&rule(7, AgeFrom::Commit), &facts);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].message,
            "`docs/planning/old.md` is 12 days old (last commit 2026-11-10); planning docs expire after 7 days"
        );
        assert_eq!(found[0].subject.as_deref(), Some("docs/planning/old.md"));
        assert_eq!(found[0].line, None);
        assert_eq!(
            found[0].help.as_deref(),
            Some("refresh it, move it to an archive outside the TTL paths, or delete it")
        );
    }

    #[test]
    fn the_limit_is_in_whole_calendar_days() {
        let facts = facts(&[
            ("docs/planning/a.md", Some("2026-11-15T23:59:00Z"), ""),
            ("docs/planning/b.md", Some("2026-11-14T23:59:00Z"), ""),
        ]);
        let found = findings(&rule(7, AgeFrom::Commit), &facts);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path.as_deref(), Some("docs/planning/b.md"));
        assert!(findings(&rule(0, AgeFrom::Commit), &facts).len() == 2);
    }

    #[test]
    fn unreadable_history_is_an_error() {
        let mut facts = facts(&[("docs/planning/a.md", Some("2026-11-10"), "")]);
        facts.last_commit = Err("not a git repository".into());
        assert_eq!(
            rule(7, AgeFrom::Commit).evaluate(&facts),
            Evaluation::Error("not a git repository".into())
        );
    }

    #[test]
    fn a_date_cut_off_at_the_horizon_is_a_lower_bound_of_the_age() {
        let mut facts = facts(&[
            ("docs/planning/old.md", None, ""),
            ("docs/planning/new.md", Some("2026-11-20"), ""),
        ]);
        if let Ok(map) = &mut facts.last_commit {
            map.insert(
                "docs/planning/old.md".into(),
                Ok(LastChange::NotSince(ts("2026-08-01"))),
            );
        }
        let found = findings(&rule(90, AgeFrom::Commit), &facts);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].message,
            "`docs/planning/old.md` has not changed in the last 113 days (no commit since \
             2026-08-01); planning docs expire after 90 days"
        );
        // Within this rule's limit the bound says nothing: never a pass on a guess.
        let Evaluation::Error(reason) = rule(200, AgeFrom::Commit).evaluate(&facts) else {
            panic!("expected an error")
        };
        assert_eq!(
            reason,
            "cannot tell the age of `docs/planning/old.md`: the history walk stopped before \
             its last commit"
        );
    }

    #[test]
    fn a_shallow_boundary_is_an_error_naming_the_files() {
        let mut facts = facts(&[
            ("docs/planning/a.md", Some("2026-11-10"), ""),
            ("docs/planning/b.md", None, ""),
            ("docs/planning/c.md", None, ""),
        ]);
        if let Ok(map) = &mut facts.last_commit {
            for p in ["docs/planning/b.md", "docs/planning/c.md"] {
                map.insert(p.into(), Err("the clone is shallow".into()));
            }
        }
        let Evaluation::Error(reason) = rule(7, AgeFrom::Commit).evaluate(&facts) else {
            panic!("expected an error")
        };
        assert_eq!(
            reason,
            "cannot tell the age of 2 files (`docs/planning/b.md`, `docs/planning/c.md`): the clone is shallow"
        );
    }

    #[test]
    fn front_matter_dates_win_over_commits() {
        let key = || AgeFrom::FrontMatter("updated".into());
        let facts = facts(&[
            // Recently committed, but declares an old date.
            (
                "docs/planning/a.md",
                Some("2026-11-21"),
                "---\ntitle: A\nupdated: 2026-11-01\n---\n# A\n",
            ),
            // Old commit, fresh declared date (RFC 3339).
            (
                "docs/planning/b.md",
                Some("2025-01-01"),
                "---\nupdated: \"2026-11-20T08:00:00+02:00\"\n---\n",
            ),
            // No key: the commit date counts.
            (
                "docs/planning/c.md",
                Some("2025-01-01"),
                "---\ntitle: C\n---\n",
            ),
            // No front matter at all.
            (
                "docs/planning/d.md",
                Some("2026-11-20"),
                "# D\n---\nupdated: 2020-01-01\n---\n",
            ),
        ]);
        let found = findings(&rule(7, key()), &facts);
        let summary: Vec<_> = found
            .iter()
            .map(|f| (f.path.clone().unwrap(), f.line))
            .collect();
        assert_eq!(
            summary,
            [
                ("docs/planning/a.md".to_string(), Some(3)),
                ("docs/planning/c.md".to_string(), None)
            ]
        );
        assert!(found[0]
            .message
            .contains("21 days old (dated 2026-11-01 in its front matter)"));
    }

    #[test]
    fn a_key_that_is_not_a_date_is_a_finding_at_its_line() {
        let facts = facts(&[
            (
                "docs/planning/a.md",
                Some("2026-11-21"),
                "---\ntitle: A\nupdated: last week\n---\n",
            ),
            (
                "docs/planning/b.md",
                Some("2026-11-21"),
                "---\nupdated:\n---\n",
            ),
            (
                "docs/planning/c.md",
                Some("2026-11-21"),
                "---\ntitle: [unclosed\n---\n",
            ),
        ]);
        let found = findings(&rule(7, AgeFrom::FrontMatter("updated".into())), &facts);
        assert_eq!(found.len(), 3);
        assert_eq!(
            found[0].message,
            "`updated` in the front matter of `docs/planning/a.md` is not a date (`last week`)"
        );
        assert_eq!(found[0].line, Some(3));
        assert!(found[1].message.contains("(empty)"));
        assert_eq!(found[1].line, Some(2));
        assert!(
            found[2].message.contains("not valid YAML"),
            "{:?}",
            found[2]
        );
    }

    #[test]
    fn front_matter_needs_opening_and_closing_lines() {
        assert_eq!(front_matter("---\na: 1\n---\nbody"), Some("a: 1\n"));
        assert_eq!(
            front_matter("\u{feff}---\r\na: 1\r\n---\r\n"),
            Some("a: 1\r\n")
        );
        assert_eq!(front_matter("---\na: 1\n"), None);
        assert_eq!(front_matter("# x\n---\na: 1\n---\n"), None);
    }

    #[test]
    fn age_from_forms() {
        assert_eq!(parse_age_from("commit"), Some(AgeFrom::Commit));
        assert_eq!(
            parse_age_from("front-matter:updated"),
            Some(AgeFrom::FrontMatter("updated".into()))
        );
        assert_eq!(parse_age_from("front-matter:"), None);
        assert_eq!(parse_age_from("mtime"), None);
    }
}
