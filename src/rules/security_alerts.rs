//! `security-alerts`: open secret-scanning, Dependabot and code-scanning alerts stay within
//! the policy's limits ("0 unresolved secret incidents").

use std::collections::BTreeMap;

use toml::de::DeValue;

use super::{Rule, RuleKind, Scope};
use crate::facts::{Facts, Needs};
use crate::github::alerts::{Alert, AlertKind, Alerts};
use crate::model::{Evaluation, Finding};
use crate::policy::reader::TableReader;

pub const KIND: RuleKind = RuleKind {
    id: "security-alerts",
    summary: "Open security alerts stay within limits",
    scope: Scope::GitHub,
    doc: r#"
## What it checks
For each of the tables `secret_scanning`, `dependabot` and `code_scanning` the policy
gives, the repository's open alerts of that kind (`GET /repos/{owner}/{repo}/
secret-scanning/alerts`, `dependabot/alerts`, `code-scanning/alerts`, `state=open`):
- `max_open`: a number (all open alerts), or a table from severity to number
  (`{ critical = 0, high = 0 }`; Dependabot severities are `critical`, `high`, `medium`,
  `low`; code scanning adds `error`, `warning`, `note` for alerts without a security
  severity). Secret-scanning alerts have no severity: give a number.
- `max_age_days`: no open alert is older than this.
A feature that is off for the repository (GitHub says "disabled", or secret scanning's
404) is a gap: its alerts cannot be counted. A token that may not read the alerts (403)
makes the rule `error`, naming the permission. An alert GitHub's answer leaves `state` out
of, or (under a per-severity `max_open`) its severity, is unknown: the rule is `error`, never
a pass. Findings never show a secret.

In `warden sweep --org` the open alerts are listed once per organisation
(`GET /orgs/{org}/.../alerts`) and split by repository. Those lists cannot say that a
feature is off, so a repository they show no alert for is answered from them only when the
feature is known to be on (secret scanning enabled in the listing, Dependabot alerts on by
GraphQL's `hasVulnerabilityAlertsEnabled`); otherwise, and for every repository when the
token may not read the organisation's lists, the repository's own endpoint is asked.

## Why
"0 unresolved secret incidents" and "Secrets scanning" in the daily sweep: a leaked
credential stays exploitable until someone rotates it and resolves the alert.

## Example policy
```toml
[[rule]]
kind = "security-alerts"
secret_scanning = { max_open = 0 }
dependabot = { max_open = { critical = 0, high = 0 }, max_age_days = 30 }
```

## How to fix
Open the alert (its link is in the finding): rotate and revoke a leaked secret, then
close the alert as revoked; update the dependency Dependabot names; fix or dismiss (with
a reason) the code-scanning alert. Turn a disabled feature on in Settings → Code security.
"#,
    parse,
};

const DEPENDABOT: &[&str] = &["critical", "high", "medium", "low"];
const CODE_SCANNING: &[&str] = &[
    "critical", "high", "medium", "low", "error", "warning", "note",
];

#[derive(Debug)]
enum MaxOpen {
    Total(u64),
    BySeverity(BTreeMap<String, u64>),
}

#[derive(Debug)]
struct Limits {
    kind: AlertKind,
    max_open: Option<MaxOpen>,
    max_age_days: Option<u64>,
}

#[derive(Debug)]
struct SecurityAlerts {
    limits: Vec<Limits>,
}

fn parse(t: &mut TableReader<'_, '_>) -> Option<Box<dyn Rule>> {
    let mut limits = Vec::new();
    let mut ok = true;
    for kind in AlertKind::ALL {
        let key = kind.key();
        for (table, span) in t.tables(key) {
            let mut r = t.nested(table, span, format!("`{key}` of rule `security-alerts`"));
            let max_open = parse_max_open(&mut r, kind, &mut ok);
            let max_age_days = r.opt_u64("max_age_days");
            if max_open.is_none() && max_age_days.is_none() {
                ok = false;
                let span = r.header_span();
                r.error(
                    "missing-key",
                    span,
                    format!("`{key}` needs `max_open` or `max_age_days`"),
                    "no limit here",
                    "add max_open = 0, or max_age_days = 30",
                );
            }
            r.finish();
            limits.push(Limits {
                kind,
                max_open,
                max_age_days,
            });
        }
    }
    if limits.is_empty() && ok {
        ok = false;
        let span = t.header_span();
        t.error(
            "missing-key",
            span,
            "rule `security-alerts` needs `secret_scanning`, `dependabot` or `code_scanning`",
            "no alert kind here",
            "add, for example: secret_scanning = { max_open = 0 }",
        );
    }
    ok.then(|| Box::new(SecurityAlerts { limits }) as Box<dyn Rule>)
}

fn parse_max_open(r: &mut TableReader<'_, '_>, kind: AlertKind, ok: &mut bool) -> Option<MaxOpen> {
    let value = r.raw("max_open")?;
    match value.get_ref() {
        DeValue::Integer(_) => r.opt_u64("max_open").map(MaxOpen::Total),
        DeValue::Table(table) if kind != AlertKind::SecretScanning => {
            let allowed = if kind == AlertKind::Dependabot {
                DEPENDABOT
            } else {
                CODE_SCANNING
            };
            let mut by = BTreeMap::new();
            for (severity, n) in table.iter() {
                let name = severity.get_ref().to_string();
                let count = match n.get_ref() {
                    DeValue::Integer(i) => i.as_str().replace('_', "").parse::<u64>().ok(),
                    _ => None,
                };
                match (allowed.contains(&name.as_str()), count) {
                    (true, Some(count)) => {
                        by.insert(name, count);
                    }
                    (false, _) => {
                        *ok = false;
                        r.error(
                            "bad-value",
                            severity.span(),
                            format!("`{name}` is not a {} severity", kind.title()),
                            "unknown severity",
                            format!("severities are: {}", allowed.join(", ")),
                        );
                    }
                    (true, None) => {
                        *ok = false;
                        r.error(
                            "wrong-type",
                            n.span(),
                            format!("`max_open.{name}` must be a whole number, 0 or more"),
                            "not a count",
                            format!("write {name} = 0"),
                        );
                    }
                }
            }
            Some(MaxOpen::BySeverity(by))
        }
        _ => {
            *ok = false;
            let span = value.span();
            let wanted = if kind == AlertKind::SecretScanning {
                "a number (secret-scanning alerts have no severity)"
            } else {
                "a number or a table from severity to number"
            };
            r.error(
                "wrong-type",
                span,
                format!("`max_open` of `{}` must be {wanted}", kind.key()),
                "not a limit",
                "write max_open = 0",
            );
            None
        }
    }
}

impl Rule for SecurityAlerts {
    fn needs(&self, needs: &mut Needs) {
        for limit in &self.limits {
            needs.github.extra.alerts.insert(limit.kind);
        }
    }

    fn evaluate(&self, facts: &Facts) -> Evaluation {
        let Some(github) = facts.github() else {
            return Evaluation::Error("GitHub facts are not available".to_string());
        };
        let settings = format!(
            "https://github.com/{}/settings/security_analysis",
            github.repo
        );
        let mut findings = Vec::new();
        for limit in &self.limits {
            let kind = limit.kind;
            let open = match github.extra.alerts.get(&kind) {
                Some(Ok(Alerts::Open(open))) => open,
                Some(Ok(Alerts::Disabled(message))) => {
                    findings.push(
                        Finding::new(format!(
                            "{} is not enabled for this repository, so its alerts cannot be counted (GitHub: {message})",
                            kind.title()
                        ))
                        .help(format!("enable it in {settings}"))
                        .subject(format!("{}:disabled", kind.key())),
                    );
                    continue;
                }
                Some(Err(reason)) => {
                    return Evaluation::Error(format!(
                        "cannot read {} alerts: {reason}",
                        kind.title()
                    ))
                }
                None => {
                    return Evaluation::Error(format!("{} alerts were not fetched", kind.title()))
                }
            };
            match &limit.max_open {
                Some(MaxOpen::Total(max)) if open.len() as u64 > *max => {
                    findings.push(too_many(kind, None, open.iter().collect(), *max));
                }
                Some(MaxOpen::BySeverity(by)) => {
                    // An alert of unknown severity could be under any limit: unknown.
                    if let Some(alert) = open.iter().find(|a| a.severity.is_none()) {
                        return Evaluation::Error(format!(
                            "GitHub's answer lacked the severity of {} alert #{}",
                            kind.title(),
                            alert.number
                        ));
                    }
                    for (severity, max) in by {
                        let matching: Vec<&Alert> = open
                            .iter()
                            .filter(|a| a.severity.as_deref() == Some(severity))
                            .collect();
                        if matching.len() as u64 > *max {
                            findings.push(too_many(kind, Some(severity), matching, *max));
                        }
                    }
                }
                _ => {}
            }
            if let Some(max_days) = limit.max_age_days {
                let mut old = Vec::new();
                for alert in open {
                    let created = alert
                        .created_at
                        .as_deref()
                        .and_then(|t| t.parse::<jiff::Timestamp>().ok());
                    let Some(created) = created else {
                        return Evaluation::Error(format!(
                            "{} alert #{} has no readable `created_at`",
                            kind.title(),
                            alert.number
                        ));
                    };
                    let days = (facts.now.as_second() - created.as_second()).max(0) / 86_400;
                    if days as u64 > max_days {
                        old.push(alert);
                    }
                }
                if !old.is_empty() {
                    findings.push(
                        Finding::new(format!(
                            "{} open {} alert(s) older than {max_days} days: {}",
                            old.len(),
                            kind.title(),
                            list(&old)
                        ))
                        .at(alerts_url(&github.repo.to_string(), kind))
                        .help("resolve or dismiss them (with a reason) in the repository's Security tab")
                        .subject(format!("{}:age", kind.key())),
                    );
                }
            }
        }
        Evaluation::Checked(findings)
    }
}

fn too_many(kind: AlertKind, severity: Option<&str>, alerts: Vec<&Alert>, max: u64) -> Finding {
    let which = match severity {
        Some(s) => format!(
            "{} open {} alert(s) of severity `{s}`",
            alerts.len(),
            kind.title()
        ),
        None => format!("{} open {} alert(s)", alerts.len(), kind.title()),
    };
    let url = alerts
        .first()
        .and_then(|a| a.html_url.clone())
        .unwrap_or_default();
    Finding::new(format!(
        "{which}; the policy allows {max}: {}",
        list(&alerts)
    ))
    .help(format!(
        "resolve them in the repository's Security tab ({url})"
    ))
    .subject(format!("{}:{}", kind.key(), severity.unwrap_or("open")))
}

fn list(alerts: &[&Alert]) -> String {
    let mut items: Vec<String> = alerts
        .iter()
        .take(5)
        .map(|a| match a.title.is_empty() {
            true => format!("#{}", a.number),
            false => format!(
                "#{} {}",
                a.number,
                crate::rules::pr_common::short_text(&a.title, 60)
            ),
        })
        .collect();
    if alerts.len() > 5 {
        items.push(format!("and {} more", alerts.len() - 5));
    }
    items.join("; ")
}

fn alerts_url(repo: &str, kind: AlertKind) -> String {
    let page = match kind {
        AlertKind::SecretScanning => "secret-scanning",
        AlertKind::Dependabot => "dependabot",
        AlertKind::CodeScanning => "code-scanning",
    };
    format!("https://github.com/{repo}/security/{page}")
}

#[cfg(test)]
mod tests {
    fn problems(text: &str) -> String {
        let text = format!("[[rule]]\nkind = \"security-alerts\"\n{text}");
        format!(
            "{:?}",
            crate::policy::load_text("p.toml", &text).unwrap_err()
        )
    }

    #[test]
    fn limits_are_validated() {
        assert!(problems("").contains("needs `secret_scanning`"));
        assert!(problems("secret_scanning = { max_open = { high = 0 } }").contains("no severity"));
        assert!(problems("dependabot = { max_open = { severe = 0 } }")
            .contains("not a Dependabot severity"));
        assert!(problems("code_scanning = {}").contains("`max_open` or `max_age_days`"));
        assert!(
            problems("dependabot = { max_open = 0, since = 3 }").contains("unknown key `since`")
        );
    }
}
