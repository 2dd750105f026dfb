//! Open security alerts of a repository (secret scanning, Dependabot, code scanning), for
//! `security-alerts`. GitHub says "this feature is off" and "this token may not look" with
//! overlapping status codes, so the two are told apart here, once, from status and message.

use serde::Deserialize;

use super::{ApiError, Client, Fetched};

/// The three alert sources.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AlertKind {
    SecretScanning,
    Dependabot,
    CodeScanning,
}

impl AlertKind {
    pub const ALL: [AlertKind; 3] = [
        AlertKind::SecretScanning,
        AlertKind::Dependabot,
        AlertKind::CodeScanning,
    ];

    /// The policy key.
    pub fn key(self) -> &'static str {
        match self {
            AlertKind::SecretScanning => "secret_scanning",
            AlertKind::Dependabot => "dependabot",
            AlertKind::CodeScanning => "code_scanning",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            AlertKind::SecretScanning => "secret scanning",
            AlertKind::Dependabot => "Dependabot",
            AlertKind::CodeScanning => "code scanning",
        }
    }

    pub(crate) fn endpoint(self) -> &'static str {
        match self {
            AlertKind::SecretScanning => "secret-scanning/alerts",
            AlertKind::Dependabot => "dependabot/alerts",
            AlertKind::CodeScanning => "code-scanning/alerts",
        }
    }

    /// The GitHub App / fine-grained token permission that reads these alerts.
    pub fn permission(self) -> &'static str {
        match self {
            AlertKind::SecretScanning => "secret_scanning_alerts: read",
            AlertKind::Dependabot => "vulnerability_alerts: read (Dependabot alerts)",
            AlertKind::CodeScanning => "security_events: read (code scanning alerts)",
        }
    }
}

/// What GitHub said about one alert source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Alerts {
    /// The open alerts.
    Open(Vec<Alert>),
    /// The feature is off for the repository (GitHub's message).
    Disabled(String),
}

/// One open alert, with only what a finding shows (never the secret itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alert {
    pub number: u64,
    /// Lower-case severity (`critical`..`low`, or code scanning's `error`/`warning`/`note`);
    /// `None` for secret scanning.
    pub severity: Option<String>,
    pub created_at: Option<String>,
    pub html_url: Option<String>,
    pub title: String,
}

/// The fields read from any of the three list items (of a repository, or of an
/// organisation, whose items also name their `repository`); absent ones stay `None`.
#[derive(Clone, Deserialize)]
pub(crate) struct RawAlert {
    number: u64,
    pub(crate) repository: Option<AlertRepository>,
    state: Option<String>,
    created_at: Option<String>,
    html_url: Option<String>,
    secret_type_display_name: Option<String>,
    security_advisory: Option<Advisory>,
    security_vulnerability: Option<Vulnerability>,
    rule: Option<CodeRule>,
}

/// `simple-repository`, the `repository` of an organisation's alert items.
#[derive(Clone, Deserialize)]
pub(crate) struct AlertRepository {
    pub(crate) full_name: Option<String>,
}

#[derive(Clone, Deserialize)]
struct Advisory {
    severity: Option<String>,
    summary: Option<String>,
}

#[derive(Clone, Deserialize)]
struct Vulnerability {
    severity: Option<String>,
}

#[derive(Clone, Deserialize)]
struct CodeRule {
    id: Option<String>,
    severity: Option<String>,
    security_severity_level: Option<String>,
    description: Option<String>,
}

impl RawAlert {
    fn into_alert(self, kind: AlertKind) -> Alert {
        let (severity, title) = match kind {
            AlertKind::SecretScanning => (None, self.secret_type_display_name),
            AlertKind::Dependabot => (
                self.security_vulnerability
                    .and_then(|v| v.severity)
                    .or_else(|| {
                        self.security_advisory
                            .as_ref()
                            .and_then(|a| a.severity.clone())
                    }),
                self.security_advisory.and_then(|a| a.summary),
            ),
            AlertKind::CodeScanning => {
                let rule = self.rule;
                (
                    rule.as_ref().and_then(|r| {
                        r.security_severity_level
                            .clone()
                            .or_else(|| r.severity.clone())
                    }),
                    rule.and_then(|r| r.description.or(r.id)),
                )
            }
        };
        Alert {
            number: self.number,
            severity: severity.map(|s| s.to_ascii_lowercase()),
            created_at: self.created_at,
            html_url: self.html_url,
            title: title.unwrap_or_default(),
        }
    }
}

/// The open alerts among `raw` (one repository's items of one kind).
pub(crate) fn open_alerts(kind: AlertKind, raw: Vec<RawAlert>) -> Fetched<Alerts> {
    // Whether an alert is open is what is counted: an item that does not say is unknown,
    // not open and not closed.
    if let Some(a) = raw.iter().find(|a| a.state.is_none()) {
        return Err(format!(
            "GitHub's answer lacked `state` for {} alert #{}",
            kind.title(),
            a.number
        ));
    }
    let open = raw
        .into_iter()
        // The query asks for open ones; keep the judgement honest regardless.
        .filter(|a| a.state.as_deref().is_none_or(|s| s == "open"))
        .map(|a| a.into_alert(kind))
        .collect();
    Ok(Alerts::Open(open))
}

/// Does GitHub's message say the feature is off (rather than access refused)?
fn says_disabled(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "disabled",
        "not enabled",
        "must be enabled",
        "no analysis found",
    ]
    .iter()
    .any(|p| m.contains(p))
}

/// The open alerts of one kind (up to 1,000), and the requests it cost.
pub async fn fetch(client: &Client, base: &str, kind: AlertKind) -> (Fetched<Alerts>, u64) {
    let path = format!("{base}/{}?state=open&per_page=100", kind.endpoint());
    match client.get_pages::<RawAlert>(&path, 10).await {
        Ok((_, true)) => (
            Err(format!(
                "more than 1,000 open {} alerts; not all were read",
                kind.title()
            )),
            10,
        ),
        Ok((raw, false)) => {
            let pages = raw.len().div_ceil(100).max(1) as u64;
            (open_alerts(kind, raw), pages)
        }
        Err(ApiError::NotFound { message, .. }) | Err(ApiError::Forbidden { message, .. })
            if says_disabled(&message) =>
        {
            (Ok(Alerts::Disabled(message)), 1)
        }
        // Secret scanning documents its 404 as "secret scanning is disabled".
        Err(ApiError::NotFound { message, .. }) if kind == AlertKind::SecretScanning => {
            (Ok(Alerts::Disabled(message)), 1)
        }
        Err(ApiError::Forbidden {
            path,
            message,
            permission,
        }) => (
            Err(ApiError::Forbidden {
                path,
                message,
                permission: permission.or_else(|| Some(kind.permission().to_string())),
            }
            .to_string()),
            1,
        ),
        Err(e) => (Err(e.to_string()), 1),
    }
}
