//! Every secret the client knows, and taking them out of what leaves it.

use super::ApiError;

/// A URL without `user:password@`, for messages.
pub(super) fn without_userinfo(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if scheme.is_empty() {
        format!("{host}{tail}")
    } else {
        format!("{scheme}://{host}{tail}")
    }
}

impl ApiError {
    /// The same error with every known secret taken out of every text it carries.
    pub(super) fn redacted(self, secrets: &Secrets) -> ApiError {
        let r = |text: String| secrets.redact(&text);
        match self {
            ApiError::NotFound { path, message } => ApiError::NotFound {
                path: r(path),
                message: r(message),
            },
            ApiError::Unauthorized => ApiError::Unauthorized,
            ApiError::Forbidden {
                path,
                message,
                permission,
            } => ApiError::Forbidden {
                path: r(path),
                message: r(message),
                permission: permission.map(r),
            },
            ApiError::RateLimited {
                path,
                secondary,
                until,
                detail,
            } => ApiError::RateLimited {
                path: r(path),
                secondary,
                until,
                detail: r(detail),
            },
            ApiError::Redirected { path, target } => ApiError::Redirected {
                path: r(path),
                target: r(target),
            },
            ApiError::Unregistered { path } => ApiError::Unregistered { path: r(path) },
            ApiError::Server {
                path,
                status,
                attempts,
            } => ApiError::Server {
                path: r(path),
                status,
                attempts,
            },
            ApiError::Timeout {
                path,
                seconds,
                attempts,
            } => ApiError::Timeout {
                path: r(path),
                seconds,
                attempts,
            },
            ApiError::Transport { base, message } => ApiError::Transport {
                base: r(without_userinfo(&base)),
                message: r(message),
            },
            ApiError::Malformed { path, message } => ApiError::Malformed {
                path: r(path),
                message: r(message),
            },
            ApiError::Unexpected {
                path,
                status,
                message,
            } => ApiError::Unexpected {
                path: r(path),
                status,
                message: r(message),
            },
        }
    }
}

/// Every secret the client knows: the token, and credentials written into the API URL.
/// Whatever text leaves the client passes through [`Secrets::redact`] first, whole,
/// before anything is cut short (a cut token cannot be found any more).
#[derive(Clone, Debug, Default)]
pub(super) struct Secrets(Vec<String>);

impl Secrets {
    pub(super) fn of(token: Option<&str>, api_url: &str) -> Secrets {
        let mut found: Vec<String> = Vec::new();
        if let Some(token) = token {
            found.push(token.to_string());
            found.push(token.trim().to_string());
        }
        let rest = api_url.split_once("://").map_or(api_url, |(_, r)| r);
        let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
        if let Some((userinfo, _)) = authority.rsplit_once('@') {
            found.push(userinfo.to_string());
            for part in userinfo.split(':') {
                found.push(part.to_string());
            }
            found.extend(found.clone().iter().map(|s| percent_decode(s)));
        }
        // Very short strings would blank out ordinary text; longest first so a secret that
        // contains another is removed whole.
        found.retain(|s| s.len() >= 4);
        found.sort_by_key(|s| std::cmp::Reverse(s.len()));
        found.dedup();
        Secrets(found)
    }

    pub(super) fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for secret in &self.0 {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), "<redacted>");
            }
        }
        out
    }
}

pub(super) fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::client::error_message;

    #[test]
    fn redaction_replaces_every_occurrence() {
        let secrets = Secrets::of(Some("tok123"), "http://127.0.0.1:1");
        assert_eq!(
            secrets.redact("a tok123 b tok123"),
            "a <redacted> b <redacted>"
        );
    }

    #[test]
    fn credentials_in_the_api_url_are_secrets_too() {
        let secrets = Secrets::of(None, "https://bot:s3cr%40t@ghe.example.com/api/v3");
        let text = secrets.redact("bot:s3cr%40t and s3cr@t and s3cr%40t");
        assert!(!text.contains("s3cr"), "{text}");
        assert_eq!(
            without_userinfo("https://bot:pw@ghe.example.com/api/v3?x=1"),
            "https://ghe.example.com/api/v3?x=1"
        );
        let error = ApiError::Transport {
            base: "https://bot:pw@ghe.example.com".into(),
            message: "down".into(),
        };
        assert!(!error.to_string().contains("pw@"), "{error}");
    }

    #[test]
    fn a_long_html_body_is_redacted_before_it_is_cut() {
        // The token straddles the 200-character cut: cutting first would leave 39 of its
        // 42 characters, which no longer match the token.
        let token = "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB";
        let body = format!("<html>{}{token}</html>", "x".repeat(197));
        let secrets = Secrets::of(Some(token), "https://api.github.com");
        let message = error_message(&secrets.redact(&body));
        assert!(!message.contains(&token[..8]), "{message}");
        assert!(!message.contains("0123456789"), "{message}");
    }
}
