//! What GitHub's answers mean for the next request: rate limits, redirects, dropped
//! connections. Pure functions of the answer, so tests need no server and no clock.

use std::time::Duration;

use http::header::HeaderMap;

use super::header;

/// A rate limit GitHub answered with: how long to wait, and whether it is a secondary
/// (abuse) limit rather than the hourly quota.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct RateLimit {
    pub(super) wait: Duration,
    pub(super) secondary: bool,
    /// When the limit lifts (Unix seconds).
    pub(super) until: i64,
}

/// Whether a 403/429 is a rate limit and how long GitHub asks to wait, by GitHub's rules
/// ("Best practices for using the REST API"): `retry-after` first; else, when
/// `x-ratelimit-remaining` is 0, until `x-ratelimit-reset`; else at least one minute.
/// A 403 that carries none of these signals is a permission problem, not a limit. `now`
/// is Unix seconds (passed in so tests need no clock).
pub(super) fn rate_limit(
    status: u16,
    head: &HeaderMap,
    message: &str,
    now: i64,
) -> Option<RateLimit> {
    if status != 403 && status != 429 {
        return None;
    }
    let remaining =
        header(head, "x-ratelimit-remaining").and_then(|v| v.trim().parse::<u64>().ok());
    let retry_after = header(head, "retry-after").and_then(|v| v.trim().parse::<u64>().ok());
    let reset = header(head, "x-ratelimit-reset").and_then(|v| v.trim().parse::<i64>().ok());
    let lower = message.to_ascii_lowercase();
    let says_limit = lower.contains("rate limit") || lower.contains("abuse");
    let primary = remaining == Some(0);
    if status == 403 && !primary && retry_after.is_none() && !says_limit {
        return None;
    }
    let (seconds, until) = match (retry_after, reset) {
        (Some(seconds), _) => (seconds, now.saturating_add_unsigned(seconds)),
        (None, Some(reset)) if primary => (u64::try_from(reset - now).unwrap_or(0) + 1, reset),
        // Secondary limits without a retry-after: GitHub asks to wait at least a minute.
        _ => (60, now + 60),
    };
    Some(RateLimit {
        wait: Duration::from_secs(seconds),
        secondary: !primary,
        until,
    })
}

/// Where a redirect from `current` to `location` leads, when it stays on the API's
/// scheme, host and port; else `Err` with the other origin (no credentials, path or
/// query), for the message.
pub(super) fn same_origin(api_url: &str, current: &str, location: &str) -> Result<String, String> {
    let origin = |url: &str| -> Option<(String, String, u16)> {
        let uri: http::Uri = url.parse().ok()?;
        let scheme = uri.scheme_str()?.to_ascii_lowercase();
        let host = uri.host()?.to_ascii_lowercase();
        let port = uri
            .port_u16()
            .unwrap_or(if scheme == "https" { 443 } else { 80 });
        Some((scheme, host, port))
    };
    let api = origin(api_url);
    let next = if location.starts_with('/') && !location.starts_with("//") {
        let (scheme, rest) = current.split_once("://").unwrap_or(("", current));
        let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
        format!("{scheme}://{authority}{location}")
    } else if let Some(rest) = location.strip_prefix("//") {
        let scheme = current.split_once("://").map_or("https", |(s, _)| s);
        format!("{scheme}://{rest}")
    } else {
        location.to_string()
    };
    match origin(&next) {
        Some(o) if Some(&o) == api.as_ref() => Ok(next),
        Some((scheme, host, port)) => Err(format!("{scheme}://{host}:{port}")),
        None => Err(format!(
            "an unreadable location of {} characters",
            location.chars().count()
        )),
    }
}

/// A connection that broke before a whole answer arrived (reset, EOF, closed early).
pub(super) fn is_dropped(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    [
        "reset",
        "closed",
        "eof",
        "end of file",
        "incomplete",
        "broken pipe",
        "aborted",
    ]
    .iter()
    .any(|m| lower.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::{HeaderName, HeaderValue};

    fn heads(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut head = HeaderMap::new();
        for (k, v) in pairs {
            head.insert(
                HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        head
    }

    #[test]
    fn rate_limits_wait_as_github_asks() {
        let now = 1_000_000;
        let wait = |status, pairs: &[(&str, &str)], message| {
            rate_limit(status, &heads(pairs), message, now).map(|l| (l.wait.as_secs(), l.secondary))
        };
        // Primary: remaining 0, wait for the reset.
        let reset = (now + 120).to_string();
        assert_eq!(
            wait(
                403,
                &[
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", &reset)
                ],
                "API rate limit exceeded"
            ),
            Some((121, false))
        );
        // Secondary with remaining > 0: the reset is the hourly quota's, not this limit's.
        let soon = (now + 5).to_string();
        assert_eq!(
            wait(
                403,
                &[
                    ("x-ratelimit-remaining", "4000"),
                    ("x-ratelimit-reset", &soon)
                ],
                "You have exceeded a secondary rate limit"
            ),
            Some((60, true))
        );
        // retry-after comes first, for 403 and 429 alike.
        assert_eq!(
            wait(
                429,
                &[
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", &reset),
                    ("retry-after", "7")
                ],
                ""
            ),
            Some((7, false))
        );
        assert_eq!(wait(429, &[("retry-after", "3")], ""), Some((3, true)));
        // The primary limit lifts at its reset; a secondary one when its wait is over.
        let head = heads(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", &reset),
        ]);
        assert_eq!(rate_limit(403, &head, "", now).unwrap().until, now + 120);
        assert_eq!(
            rate_limit(429, &heads(&[]), "", now).unwrap().until,
            now + 60
        );
        assert_eq!(wait(429, &[], ""), Some((60, true)));
        // A 403 without a limit's signs is about permissions.
        assert_eq!(
            wait(
                403,
                &[("x-ratelimit-remaining", "4984")],
                "Resource not accessible by integration"
            ),
            None
        );
        assert_eq!(wait(500, &[("retry-after", "3")], ""), None);
    }

    #[test]
    fn redirects_are_followed_only_on_the_api_host() {
        let api = "http://127.0.0.1:8080";
        let here = "http://127.0.0.1:8080/repos/o/r";
        assert_eq!(
            same_origin(api, here, "/repositories/1"),
            Ok("http://127.0.0.1:8080/repositories/1".to_string())
        );
        assert_eq!(
            same_origin(api, here, "http://127.0.0.1:8080/repositories/1?x=1"),
            Ok("http://127.0.0.1:8080/repositories/1?x=1".to_string())
        );
        assert_eq!(
            same_origin(api, here, "http://127.0.0.1:9090/x"),
            Err("http://127.0.0.1:9090".to_string())
        );
        assert_eq!(
            same_origin(api, here, "https://user:pw@evil.example/x?token=1"),
            Err("https://evil.example:443".to_string())
        );
        assert_eq!(
            same_origin(
                "https://api.github.com",
                "https://api.github.com/x",
                "https://api.github.com:443/y"
            ),
            Ok("https://api.github.com:443/y".to_string())
        );
        assert!(same_origin(api, here, "//evil.example/x").is_err());
        assert!(same_origin(api, here, "").is_err());
    }

    #[test]
    fn dropped_connections_are_told_from_other_failures() {
        assert!(is_dropped(
            "error sending request: connection closed before message completed"
        ));
        assert!(is_dropped("Connection reset by peer (os error 104)"));
        assert!(!is_dropped(
            "tcp connect error: Connection refused (os error 111)"
        ));
    }
}
