//! The HTTP client for the GitHub REST API: the only code in warden that talks to the network.
//!
//! On top of octocrab it adds what a checker needs to be honest and cheap: a timeout on
//! every request, retries with backoff for 5xx and timeouts, waiting out rate limits
//! (`retry-after`, `x-ratelimit-reset`, secondary limits) when the wait is within
//! `--max-rate-wait`, redirects followed only on the API host, conditional requests with
//! an on-disk ETag cache (a 304 costs no rate limit), request counting, and answers and
//! errors with every known secret taken out. It calls only the endpoints of
//! [`endpoint::Endpoint`], which the fault-injection test runs every fault class against.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http::header::{HeaderMap, HeaderName, HeaderValue};
use octocrab::Octocrab;
use serde::Serialize;
use tokio::sync::Semaphore;

use super::cache::{Cache, CachedResponse};

mod answers;
pub mod endpoint;
mod secrets;

use answers::{is_dropped, rate_limit, same_origin};
pub use endpoint::Endpoint;
use secrets::{without_userinfo, Secrets};

/// How the client reaches GitHub.
#[derive(Clone)]
pub struct ClientConfig {
    /// API base, e.g. `https://api.github.com` or `https://ghe.example.com/api/v3`.
    pub api_url: String,
    pub token: Option<String>,
    /// Where ETag-validated responses are kept; `None` disables the cache.
    pub cache_dir: Option<PathBuf>,
    /// Limit for one request (connect and read).
    pub timeout: Duration,
    /// The longest a rate limit is waited out before the request fails instead.
    pub max_rate_wait: Duration,
    /// Pause before the first retry; doubled for each further one.
    pub backoff: Duration,
    /// Requests in flight at once.
    pub concurrency: usize,
}

impl std::fmt::Debug for ClientConfig {
    // Written by hand so the token can never reach debug output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientConfig")
            .field("api_url", &self.api_url)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("cache_dir", &self.cache_dir)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl ClientConfig {
    pub fn new(api_url: impl Into<String>, token: Option<String>) -> Self {
        ClientConfig {
            api_url: api_url.into(),
            token,
            cache_dir: None,
            timeout: Duration::from_secs(20),
            max_rate_wait: Duration::from_secs(60),
            backoff: Duration::from_millis(250),
            concurrency: 8,
        }
    }
}

/// What a run cost against the API, reported in the JSON summary and with `-v`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ApiStats {
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// Requests answered `304 Not Modified` from the ETag cache (free against the rate limit).
    pub cached: u64,
    /// Requests sent again after a 5xx, a timeout or a rate limit.
    pub retried: u64,
    /// Responses that said the rate limit was exhausted.
    pub rate_limited: u64,
}

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    cached: AtomicU64,
    retried: AtomicU64,
    rate_limited: AtomicU64,
}

/// Why a request did not produce a usable answer. Messages never include the token.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("GitHub answered 404 Not Found for {path}: {message}")]
    NotFound { path: String, message: String },
    #[error("GitHub rejected the token (401 Bad credentials): it is invalid, expired or revoked; set a valid GITHUB_TOKEN")]
    Unauthorized,
    #[error("the token lacks permission for {path} (403: {message}){}", permission_hint(.permission))]
    Forbidden {
        path: String,
        message: String,
        permission: Option<String>,
    },
    #[error("GitHub's {} rate limit is exhausted until {} for {path} ({detail}); try again then, or raise --max-rate-wait", if *.secondary { "secondary" } else { "primary" }, at_time(*.until))]
    RateLimited {
        path: String,
        secondary: bool,
        /// When GitHub said the request may be sent again (Unix seconds).
        until: i64,
        detail: String,
    },
    #[error("GitHub's answer for {path} redirects to another host ({target}); warden follows redirects only on its API host, so it was not followed")]
    Redirected { path: String, target: String },
    #[error("warden has no entry for {path} in its endpoint registry (src/github/client.rs `Endpoint`); this is a bug in warden")]
    Unregistered { path: String },
    #[error("GitHub answered {status} for {path} after {attempts} attempts")]
    Server {
        path: String,
        status: u16,
        attempts: u32,
    },
    #[error("no answer from GitHub for {path} within {seconds}s after {attempts} attempts")]
    Timeout {
        path: String,
        seconds: u64,
        attempts: u32,
    },
    #[error("cannot reach GitHub at {}: {message}", without_userinfo(.base))]
    Transport { base: String, message: String },
    #[error("GitHub's answer for {path} is not the JSON warden expects: {message}")]
    Malformed { path: String, message: String },
    #[error("GitHub answered {status} for {path}: {message}")]
    Unexpected {
        path: String,
        status: u16,
        message: String,
    },
}

fn permission_hint(permission: &Option<String>) -> String {
    match permission {
        Some(p) => format!("; the token needs the permission `{p}`"),
        None => String::new(),
    }
}

fn at_time(seconds: i64) -> String {
    match jiff::Timestamp::from_second(seconds) {
        Ok(at) => at.to_string(),
        Err(_) => format!("{seconds} (Unix time)"),
    }
}

/// A successful (2xx or 304-from-cache) answer.
#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    pub body: String,
    /// The `link` header, for pagination.
    pub link: Option<String>,
}

pub struct Client {
    octo: Octocrab,
    config: ClientConfig,
    cache: Option<Cache>,
    counters: Arc<Counters>,
    permits: Arc<Semaphore>,
    graphql_refused: AtomicBool,
    /// Whether a GraphQL query has been answered (either way) in this run. Until one has,
    /// queries go one at a time: the first is the probe, so a server without GraphQL is
    /// asked once however many repositories are in flight, not once per worker.
    graphql_known: AtomicBool,
    graphql_probe: tokio::sync::Mutex<()>,
    secrets: Secrets,
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Client, ApiError> {
        let base = config.api_url.trim_end_matches('/').to_string();
        let secrets = Secrets::of(config.token.as_deref(), &base);
        let transport = |message: String| ApiError::Transport {
            base: base.clone(),
            message,
        };
        let mut builder = Octocrab::builder()
            .base_uri(base.as_str())
            .map_err(|e| transport(format!("invalid API URL: {e}")).redacted(&secrets))?
            .set_connect_timeout(Some(config.timeout))
            .set_read_timeout(Some(config.timeout))
            .set_write_timeout(Some(config.timeout))
            .add_header(
                HeaderName::from_static("x-github-api-version"),
                "2022-11-28".to_string(),
            );
        if let Some(token) = &config.token {
            builder = builder.personal_token(token.clone());
        }
        let octo = builder
            .build()
            .map_err(|e| transport(e.to_string()).redacted(&secrets))?;
        let cache = config
            .cache_dir
            .clone()
            .map(|dir| Cache::new(dir, &base, config.token.as_deref()));
        let permits = Arc::new(Semaphore::new(config.concurrency.max(1)));
        Ok(Client {
            octo,
            config: ClientConfig {
                api_url: base,
                ..config
            },
            cache,
            counters: Arc::default(),
            permits,
            graphql_refused: AtomicBool::new(false),
            graphql_known: AtomicBool::new(false),
            graphql_probe: tokio::sync::Mutex::new(()),
            secrets,
        })
    }

    pub fn stats(&self) -> ApiStats {
        ApiStats {
            requests: self.counters.requests.load(Ordering::Relaxed),
            cached: self.counters.cached.load(Ordering::Relaxed),
            retried: self.counters.retried.load(Ordering::Relaxed),
            rate_limited: self.counters.rate_limited.load(Ordering::Relaxed),
        }
    }

    /// GET `path` (e.g. `/repos/o/r`), with cache, retries and rate-limit handling.
    /// 404 is returned as [`ApiError::NotFound`] so callers can decide what it means.
    pub async fn get(&self, path: &str) -> Result<Response, ApiError> {
        self.request(http::Method::GET, path, None).await
    }

    /// POST, PATCH or DELETE with a JSON body. Not retried after a 5xx or a timeout (the
    /// write may have happened); rate limits are still waited out.
    pub async fn write(
        &self,
        method: http::Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Response, ApiError> {
        self.request(method, path, body).await
    }

    /// Whether the GraphQL endpoint refused a query in this run (callers then use REST).
    pub fn graphql_refused(&self) -> bool {
        self.graphql_refused.load(Ordering::Relaxed)
    }

    /// Run a GraphQL query (`POST /graphql`) and return its `data` and `errors` as sent.
    /// A query has no side effects, so it is retried like a read; it is never cached
    /// (GitHub sends no ETag for POST). GraphQL reports most failures inside a 200: the
    /// caller reads `errors` and decides per field.
    pub async fn graphql(
        &self,
        query: &str,
        variables: &serde_json::Value,
    ) -> Result<serde_json::Value, ApiError> {
        self.graphql_counted(query, variables, None).await
    }

    /// [`Client::graphql`], adding one to `sent` if, and only if, the query goes out. A
    /// caller that counts before asking counts the queries that waited behind the first
    /// one and were then answered "refused" without being sent.
    pub async fn graphql_counted(
        &self,
        query: &str,
        variables: &serde_json::Value,
        sent: Option<&std::sync::atomic::AtomicU64>,
    ) -> Result<serde_json::Value, ApiError> {
        const PATH: &str = "POST /graphql";
        let _probing = if self.graphql_known.load(Ordering::Acquire) {
            None
        } else {
            let probe = self.graphql_probe.lock().await;
            // Another query may have settled it while this one waited.
            (!self.graphql_known.load(Ordering::Acquire)).then_some(probe)
        };
        if self.graphql_refused() {
            return Err(ApiError::NotFound {
                path: PATH.to_string(),
                message: "the GraphQL endpoint refused an earlier query in this run".to_string(),
            });
        }
        let body = serde_json::json!({ "query": query, "variables": variables });
        let url = graphql_url(&self.config.api_url);
        if let Some(sent) = sent {
            sent.fetch_add(1, Ordering::Relaxed);
        }
        let response = self
            .exchange(http::Method::POST, &url, PATH, Some(&body), true)
            .await
            .inspect(|_| self.graphql_known.store(true, Ordering::Release))
            .inspect_err(|error| {
                // No endpoint (a proxy, an old server), or a token it will not take: every
                // further query would fail the same way.
                if matches!(
                    error,
                    ApiError::NotFound { .. }
                        | ApiError::Unauthorized
                        | ApiError::Forbidden { .. }
                        | ApiError::Unexpected { .. }
                ) {
                    self.graphql_refused.store(true, Ordering::Relaxed);
                    self.graphql_known.store(true, Ordering::Release);
                }
            })?;
        let answer: serde_json::Value =
            serde_json::from_str(&response.body).map_err(|e| ApiError::Malformed {
                path: PATH.to_string(),
                message: e.to_string(),
            })?;
        // No data at all: the query itself was rejected (a field this server's schema
        // lacks, a complexity limit); the next one would be too.
        if answer.get("data").is_none_or(serde_json::Value::is_null) {
            self.graphql_refused.store(true, Ordering::Relaxed);
            let message = answer["errors"][0]["message"]
                .as_str()
                .unwrap_or("no data and no error message")
                .to_string();
            return Err(ApiError::Unexpected {
                path: PATH.to_string(),
                status: response.status,
                message,
            });
        }
        Ok(answer)
    }

    async fn request(
        &self,
        method: http::Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Response, ApiError> {
        let Some(endpoint) = Endpoint::classify(method.as_str(), path) else {
            return Err(ApiError::Unregistered {
                path: format!("{method} {}", self.secrets.redact(path)),
            });
        };
        let url = format!("{}{}", self.config.api_url, path);
        self.exchange(method, &url, path, body, endpoint.reads())
            .await
    }

    /// Send one request to `url` (`path` names it in errors). `retry`: the request has
    /// no side effects, so 5xx answers, timeouts and dropped connections are retried.
    /// Only GETs are cached. Every error leaves with the known secrets taken out.
    async fn exchange(
        &self,
        method: http::Method,
        url: &str,
        path: &str,
        body: Option<&serde_json::Value>,
        retry: bool,
    ) -> Result<Response, ApiError> {
        self.exchange_unredacted(method, url, path, body, retry)
            .await
            .map_err(|e| e.redacted(&self.secrets))
    }

    async fn exchange_unredacted(
        &self,
        method: http::Method,
        url: &str,
        path: &str,
        body: Option<&serde_json::Value>,
        retry: bool,
    ) -> Result<Response, ApiError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .expect("semaphore is never closed");
        let cacheable = method == http::Method::GET;
        let cached = if cacheable {
            self.cache.as_ref().and_then(|c| c.load(url))
        } else {
            None
        };
        // Where the request goes now: a same-host redirect changes it.
        let mut target = url.to_string();
        let mut redirects = 0u32;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let mut headers = HeaderMap::new();
            headers.insert(
                http::header::ACCEPT,
                HeaderValue::from_static("application/vnd.github+json"),
            );
            if let Some(etag) = cached
                .as_ref()
                .and_then(|c| HeaderValue::from_str(&c.etag).ok())
            {
                headers.insert(http::header::IF_NONE_MATCH, etag);
            }
            self.counters.requests.fetch_add(1, Ordering::Relaxed);
            let sent = tokio::time::timeout(
                self.config.timeout,
                self.send(&method, &target, headers, body),
            )
            .await;
            let (status, head, body) = match sent {
                Ok(Ok(answer)) => answer,
                Ok(Err(message)) if !is_timeout(&message) => {
                    // A connection dropped before a whole answer came (reset, EOF) is as
                    // transient as a 5xx: a read is sent again.
                    if retry && attempt <= 3 && is_dropped(&message) {
                        self.pause_before_retry(attempt).await;
                        continue;
                    }
                    return Err(ApiError::Transport {
                        base: self.config.api_url.clone(),
                        message,
                    });
                }
                // A timeout (ours or the client's) is transient: retry reads.
                _ => {
                    if retry && attempt <= 3 {
                        self.pause_before_retry(attempt).await;
                        continue;
                    }
                    return Err(ApiError::Timeout {
                        path: path.to_string(),
                        seconds: self.config.timeout.as_secs().max(1),
                        attempts: attempt,
                    });
                }
            };

            if status == 304 {
                if let Some(cached) = &cached {
                    self.counters.cached.fetch_add(1, Ordering::Relaxed);
                    return Ok(Response {
                        status: 200,
                        body: cached.body.clone(),
                        link: cached.link.clone(),
                    });
                }
            }
            if matches!(status, 301 | 302 | 303 | 307 | 308) {
                // Only the API host is trusted with the token, and only its answers are
                // believed: a redirect anywhere else is an error, not a new source of facts.
                let location = header(&head, "location").unwrap_or_default();
                match same_origin(&self.config.api_url, &target, &location) {
                    Ok(next) if redirects < 5 => {
                        redirects += 1;
                        attempt -= 1;
                        target = next;
                        continue;
                    }
                    Ok(_) => {
                        return Err(ApiError::Unexpected {
                            path: path.to_string(),
                            status,
                            message: "more than 5 redirects".to_string(),
                        })
                    }
                    Err(host) => {
                        return Err(ApiError::Redirected {
                            path: path.to_string(),
                            target: host,
                        })
                    }
                }
            }
            if (200..300).contains(&status) {
                // An answer is data that reports quote (titles, file names): a server or
                // proxy that echoes the request must not put the token into them.
                let body = self.secrets.redact(&body);
                let link = header(&head, "link");
                if let (true, Some(cache), Some(etag)) =
                    (cacheable, &self.cache, header(&head, "etag"))
                {
                    cache.store(
                        url,
                        &CachedResponse {
                            etag,
                            body: body.clone(),
                            link: link.clone(),
                        },
                    );
                }
                return Ok(Response { status, body, link });
            }

            // Server text can echo anything, even request headers: secrets are taken out
            // of the whole body before it is cut short.
            let message = error_message(&self.secrets.redact(&body));
            let now = jiff::Timestamp::now().as_second();
            if let Some(limit) = rate_limit(status, &head, &message, now) {
                self.counters.rate_limited.fetch_add(1, Ordering::Relaxed);
                let until = limit.until;
                if limit.wait > self.config.max_rate_wait {
                    return Err(ApiError::RateLimited {
                        path: path.to_string(),
                        secondary: limit.secondary,
                        until,
                        detail: format!(
                            "a wait of {}s, longer than --max-rate-wait ({}s)",
                            limit.wait.as_secs(),
                            self.config.max_rate_wait.as_secs()
                        ),
                    });
                }
                if attempt > 3 {
                    return Err(ApiError::RateLimited {
                        path: path.to_string(),
                        secondary: limit.secondary,
                        until,
                        detail: format!("still limited after {} waits", attempt - 1),
                    });
                }
                self.counters.retried.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(limit.wait).await;
                continue;
            }
            match status {
                401 => return Err(ApiError::Unauthorized),
                403 => {
                    return Err(ApiError::Forbidden {
                        path: path.to_string(),
                        message,
                        permission: header(&head, "x-accepted-github-permissions").or_else(|| {
                            header(&head, "x-accepted-oauth-scopes").filter(|s| !s.is_empty())
                        }),
                    })
                }
                404 => {
                    return Err(ApiError::NotFound {
                        path: path.to_string(),
                        message,
                    })
                }
                500..=599 if retry && attempt <= 3 => {
                    self.pause_before_retry(attempt).await;
                    continue;
                }
                500..=599 => {
                    return Err(ApiError::Server {
                        path: path.to_string(),
                        status,
                        attempts: attempt,
                    })
                }
                _ => {
                    return Err(ApiError::Unexpected {
                        path: path.to_string(),
                        status,
                        message,
                    })
                }
            }
        }
    }

    /// GET every page of a list endpoint, following `link: <...>; rel="next"`, up to
    /// `max_pages`. Returns the items and whether pages were left unread.
    pub async fn get_pages<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        max_pages: usize,
    ) -> Result<(Vec<T>, bool), ApiError> {
        let first = self.get(path).await?;
        let mut items: Vec<T> = self.decode_page(path, &first.body)?;
        let link = first.link.as_deref().unwrap_or_default();
        let Some(next) = next_link(link) else {
            return Ok((items, false));
        };
        let next = self.same_api(path, &next)?;
        // GitHub names the last page: fetch pages 2..=last together instead of one by one.
        if let Some(last) = last_page(link).and_then(|l| self.same_api(path, &l).ok()) {
            if let (Some(2), Some(count)) = (page_number(&next), page_number(&last)) {
                let wanted = count.min(max_pages as u64);
                let pages = (2..=wanted).map(|n| with_page(&next, n));
                let bodies = futures_util::future::join_all(pages.map(|p| async move {
                    let response = self.get(&p).await?;
                    self.decode_page::<T>(&p, &response.body)
                }))
                .await;
                for body in bodies {
                    items.extend(body?);
                }
                return Ok((items, count > max_pages as u64));
            }
        }
        let mut next = Some(next);
        let mut pages = 1;
        while let Some(page) = next {
            if pages == max_pages {
                return Ok((items, true));
            }
            let response = self.get(&page).await?;
            items.extend(self.decode_page::<T>(&page, &response.body)?);
            pages += 1;
            next = match response.link.as_deref().and_then(next_link) {
                Some(url) => Some(self.same_api(&page, &url)?),
                None => None,
            };
        }
        Ok((items, false))
    }

    fn decode_page<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &str,
    ) -> Result<Vec<T>, ApiError> {
        serde_json::from_str(body).map_err(|e| ApiError::Malformed {
            path: path.to_string(),
            message: e.to_string(),
        })
    }

    /// The path of a pagination URL, which must be on this API: the token goes nowhere else.
    fn same_api(&self, from: &str, url: &str) -> Result<String, ApiError> {
        match url.strip_prefix(&self.config.api_url) {
            Some(rest) if rest.starts_with('/') => Ok(rest.to_string()),
            _ => Err(ApiError::Malformed {
                path: from.to_string(),
                message: format!(
                    "the next page is on another host ({}); not followed",
                    self.secrets.redact(&without_userinfo(url))
                ),
            }),
        }
    }

    /// GET and decode JSON.
    pub async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<T, ApiError> {
        let response = self.get(path).await?;
        serde_json::from_str(&response.body).map_err(|e| ApiError::Malformed {
            path: path.to_string(),
            message: e.to_string(),
        })
    }

    async fn pause_before_retry(&self, attempt: u32) {
        self.counters.retried.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(self.config.backoff * 2u32.pow(attempt.saturating_sub(1))).await;
    }

    async fn send(
        &self,
        method: &http::Method,
        url: &str,
        headers: HeaderMap,
        body: Option<&serde_json::Value>,
    ) -> Result<(u16, HeaderMap, String), String> {
        let mut builder = http::Request::builder().method(method.clone()).uri(url);
        for (key, value) in headers.iter() {
            builder = builder.header(key, value);
        }
        let request = self
            .octo
            .build_request(builder, body)
            .map_err(|e| describe(&e))?;
        let response = self.octo.execute(request).await.map_err(|e| describe(&e))?;
        let status = response.status().as_u16();
        let head = response.headers().clone();
        let body = self
            .octo
            .body_to_string(response)
            .await
            .map_err(|e| describe(&e))?;
        Ok((status, head, body))
    }
}

/// GitHub's GraphQL endpoint for a REST API base: `https://api.github.com/graphql`, and on
/// GitHub Enterprise Server `https://HOST/api/graphql` for `https://HOST/api/v3`.
pub fn graphql_url(api_url: &str) -> String {
    let base = api_url.trim_end_matches('/');
    match base.strip_suffix("/api/v3") {
        Some(host) => format!("{host}/api/graphql"),
        None => format!("{base}/graphql"),
    }
}

/// The deepest message of an octocrab error (its Display is often just "Service error").
fn describe(error: &octocrab::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        let inner_text = inner.to_string();
        if !text.contains(&inner_text) {
            text = format!("{text}: {inner_text}");
        }
        source = inner.source();
    }
    text
}

fn is_timeout(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    lower.contains("timed out") || lower.contains("timeout") || lower.contains("deadline")
}

fn header(head: &HeaderMap, name: &str) -> Option<String> {
    head.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The `rel="next"` URL of a `link` header:
/// `<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=5>; rel="last"`.
pub fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| p.trim() == "rel=\"next\"")
            .then(|| {
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            })
    })
}

/// The `rel="last"` URL of a `link` header.
fn last_page(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| p.trim() == "rel=\"last\"")
            .then(|| {
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            })
    })
}

/// The `page` query parameter of a URL.
fn page_number(url: &str) -> Option<u64> {
    let query = url.split_once('?')?.1;
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix("page=")?.parse().ok())
}

/// The URL with its `page` parameter set to `page`.
fn with_page(url: &str, page: u64) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return format!("{url}?page={page}");
    };
    let params: Vec<String> = query
        .split('&')
        .map(|kv| {
            if kv.starts_with("page=") {
                format!("page={page}")
            } else {
                kv.to_string()
            }
        })
        .collect();
    format!("{base}?{}", params.join("&"))
}

/// GitHub's error bodies are `{"message": ..., "documentation_url": ...}`; anything else is
/// cut to 200 characters. Pass the body with secrets already taken out.
fn error_message(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("message")
                .and_then(|m| m.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| body.chars().take(200).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graphql_lives_beside_the_rest_api() {
        assert_eq!(
            graphql_url("https://api.github.com"),
            "https://api.github.com/graphql"
        );
        assert_eq!(
            graphql_url("https://ghe.example.com/api/v3/"),
            "https://ghe.example.com/api/graphql"
        );
        assert_eq!(
            graphql_url("http://127.0.0.1:8080"),
            "http://127.0.0.1:8080/graphql"
        );
    }

    #[test]
    fn debug_output_hides_the_token() {
        let config = ClientConfig::new("http://127.0.0.1:1", Some("ghp_canary_secret".into()));
        assert!(!format!("{config:?}").contains("ghp_canary_secret"));
    }

    #[test]
    fn next_link_reads_githubs_link_header() {
        // Verbatim from the paginate-issues recording (fixtures/github/headers.md).
        let link = "<https://api.github.com/repositories/515435940/issues?per_page=3&page=1>; rel=\"prev\", <https://api.github.com/repositories/515435940/issues?per_page=3&page=3>; rel=\"next\", <https://api.github.com/repositories/515435940/issues?per_page=3&page=5>; rel=\"last\", <https://api.github.com/repositories/515435940/issues?per_page=3&page=1>; rel=\"first\"";
        assert_eq!(
            next_link(link).as_deref(),
            Some("https://api.github.com/repositories/515435940/issues?per_page=3&page=3")
        );
        assert_eq!(
            next_link("<https://api.github.com/x?page=1>; rel=\"prev\""),
            None
        );
    }

    #[test]
    fn error_message_reads_githubs_shape() {
        let body = r#"{"message":"Branch not protected","documentation_url":"https://docs.github.com/rest"}"#;
        assert_eq!(error_message(body), "Branch not protected");
    }
}
