//! `warden fix --org ORG --pr`: one pull request per repository through the git data and
//! pulls APIs, against a stateful stand-in for GitHub on 127.0.0.1 that keeps real git
//! object ids for blobs, and trees, commits, refs and pull requests in memory, answering
//! with the recorded shapes of fixtures/github. Everything is asserted from the state the
//! run leaves and from the requests the server received.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use serde_json::{json, Value};
use wiremock::matchers::path_regex;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::common::fixture;

const ORG: &str = "octo-org";
const LINK: &str = ".claude/CLAUDE-ORG-RULES.mdc";
const TARGET: &str = "../../organisation-rules/CLAUDE-ORG-RULES.mdc";
const TRAILER: &str = "Made-by: warden fix --pr";
const MARKER: &str = "<!-- warden:fix-pr -->";

/// The playbook's symlink: `must_resolve = false`, as the `mojo-solo` pack has it (the
/// target lives in a sibling checkout).
const POLICY: &str = r#"
[[rule]]
id = "claude-org-rules-link"
kind = "symlink"
path = ".claude/CLAUDE-ORG-RULES.mdc"
target = "../../organisation-rules/CLAUDE-ORG-RULES.mdc"
must_resolve = false
"#;

fn load(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(&format!("github/{name}"))).unwrap())
        .unwrap()
}

fn git_hash(bytes: &[u8]) -> String {
    git2::Oid::hash_object(git2::ObjectType::Blob, bytes)
        .unwrap()
        .to_string()
}

/// A 40-hex id for a tree or commit the fake makes (any stable unique name will do).
fn object_id(kind: &str, text: &str) -> String {
    git_hash(format!("{kind}\0{text}").as_bytes())
}

#[derive(Clone, Debug)]
struct Entry {
    mode: String,
    sha: String,
}

#[derive(Clone, Debug)]
struct Commit {
    tree: String,
    parents: Vec<String>,
    message: String,
}

#[derive(Default)]
struct Repo {
    blobs: BTreeMap<String, Vec<u8>>,
    /// Tree id -> path -> entry (blobs only; directories are implied).
    trees: BTreeMap<String, BTreeMap<String, Entry>>,
    commits: BTreeMap<String, Commit>,
    refs: BTreeMap<String, String>,
    pulls: Vec<Value>,
}

impl Repo {
    fn blob(&mut self, bytes: &[u8]) -> String {
        let sha = git_hash(bytes);
        self.blobs.insert(sha.clone(), bytes.to_vec());
        sha
    }

    fn tree(&mut self, files: BTreeMap<String, Entry>) -> String {
        let text: String = files
            .iter()
            .map(|(p, e)| format!("{} {} {p}\n", e.mode, e.sha))
            .collect();
        let id = object_id("tree", &text);
        self.trees.insert(id.clone(), files);
        id
    }

    fn commit(&mut self, tree: &str, parents: Vec<String>, message: &str) -> String {
        let id = object_id("commit", &format!("{tree} {parents:?} {message}"));
        self.commits.insert(
            id.clone(),
            Commit {
                tree: tree.to_string(),
                parents,
                message: message.to_string(),
            },
        );
        id
    }

    /// Commits reachable from `head` that `base` cannot reach, oldest first.
    fn ahead(&self, base: &str, head: &str) -> Vec<String> {
        let mut reachable = std::collections::BTreeSet::new();
        let mut stack = vec![base.to_string()];
        while let Some(sha) = stack.pop() {
            if reachable.insert(sha.clone()) {
                stack.extend(self.commits[&sha].parents.clone());
            }
        }
        let mut out = Vec::new();
        let mut at = Some(head.to_string());
        while let Some(sha) = at.filter(|s| !reachable.contains(s)) {
            at = self.commits[&sha].parents.first().cloned();
            out.push(sha);
        }
        out.reverse();
        out
    }
}

/// The fake: state per repository name, and which writes it refuses.
#[derive(Clone, Default)]
struct Fake {
    repos: Arc<Mutex<BTreeMap<String, Repo>>>,
    /// Repositories whose `POST git/refs` answers 403 (a token without `contents: write`).
    refs_forbidden: Arc<Mutex<Vec<String>>>,
}

impl Fake {
    /// A repository with `files` (path -> text; a value starting with `->` is a symlink)
    /// on `main`.
    fn add(&self, name: &str, files: &[(&str, &str)]) {
        let mut repo = Repo::default();
        let mut tree = BTreeMap::new();
        for (path, text) in files {
            let (mode, bytes) = match text.strip_prefix("->") {
                Some(target) => ("120000", target.as_bytes()),
                None => ("100644", text.as_bytes()),
            };
            let sha = repo.blob(bytes);
            tree.insert(
                path.to_string(),
                Entry {
                    mode: mode.to_string(),
                    sha,
                },
            );
        }
        let tree = repo.tree(tree);
        let head = repo.commit(&tree, vec![], "init");
        repo.refs.insert("heads/main".into(), head);
        self.repos.lock().unwrap().insert(name.to_string(), repo);
    }

    fn with<T>(&self, name: &str, f: impl FnOnce(&mut Repo) -> T) -> T {
        f(self.repos.lock().unwrap().get_mut(name).unwrap())
    }

    /// warden's earlier run: a commit on `warden/fix` and its open pull request #5.
    fn add_wardens_pull(&self, name: &str, files: &[(&str, &str)]) {
        self.with(name, |repo| {
            let head = repo.refs["heads/main"].clone();
            let mut tree = repo.trees[&repo.commits[&head].tree].clone();
            for (path, target) in files {
                let sha = repo.blob(target.as_bytes());
                tree.insert(
                    path.to_string(),
                    Entry {
                        mode: "120000".into(),
                        sha,
                    },
                );
            }
            let tree = repo.tree(tree);
            let commit = repo.commit(
                &tree,
                vec![head],
                &format!("warden: close 1 governance gap\n\n{TRAILER}\n"),
            );
            repo.refs.insert("heads/warden/fix".into(), commit);
            let mut pull = load("pull-request.json");
            pull["number"] = json!(5);
            pull["title"] = json!("warden: an older title");
            pull["body"] = json!(format!("{MARKER}\nan older body"));
            pull["state"] = json!("open");
            pull["head"]["ref"] = json!("warden/fix");
            pull["head"]["label"] = json!(format!("{ORG}:warden/fix"));
            pull["html_url"] = json!(format!("https://github.com/{ORG}/{name}/pull/5"));
            repo.pulls.push(pull);
        });
    }

    fn listing(&self) -> Value {
        let template = load("org-repos.json")[0].clone();
        let items: Vec<Value> = self
            .repos
            .lock()
            .unwrap()
            .keys()
            .enumerate()
            .map(|(i, name)| {
                let mut item = template.clone();
                rename(&mut item, "octocat/Hello-World", &format!("{ORG}/{name}"));
                item["id"] = json!(1296269 + i);
                item["name"] = json!(name);
                item["owner"]["login"] = json!(ORG);
                item["default_branch"] = json!("main");
                item["archived"] = json!(false);
                item["fork"] = json!(false);
                item
            })
            .collect();
        Value::Array(items)
    }
}

fn rename(value: &mut Value, from: &str, to: &str) {
    match value {
        Value::String(s) if s.contains(from) => *s = s.replace(from, to),
        Value::Array(items) => items.iter_mut().for_each(|v| rename(v, from, to)),
        Value::Object(map) => map.values_mut().for_each(|v| rename(v, from, to)),
        _ => {}
    }
}

fn answer(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(body)
}

fn not_found() -> ResponseTemplate {
    answer(404, load("not-found.json"))
}

impl Respond for Fake {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path().to_string();
        if path == format!("/orgs/{ORG}/repos") {
            return answer(200, self.listing());
        }
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        if parts.len() < 3 || parts[0] != "repos" || parts[1] != ORG {
            return not_found();
        }
        let name = parts[2].to_string();
        let query: BTreeMap<String, String> = request.url.query_pairs().into_owned().collect();
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        if self.refs_forbidden.lock().unwrap().contains(&name)
            && request.method.as_str() == "POST"
            && parts[3..] == ["git", "refs"]
        {
            let mut denied = load("forbidden-permission.json");
            denied["documentation_url"] =
                json!("https://docs.github.com/rest/git/refs#create-a-reference");
            return answer(403, denied);
        }
        let mut repos = self.repos.lock().unwrap();
        let Some(repo) = repos.get_mut(&name) else {
            return not_found();
        };
        match (request.method.as_str(), &parts[3..]) {
            ("GET", []) => {
                let mut item = load("repo.json");
                rename(&mut item, "octocat/Hello-World", &format!("{ORG}/{name}"));
                item["name"] = json!(name);
                item["owner"]["login"] = json!(ORG);
                item["default_branch"] = json!("main");
                answer(200, item)
            }
            ("GET", ["git", "ref", rest @ ..]) => match repo.refs.get(&rest.join("/")) {
                Some(sha) => answer(200, git_ref(&rest.join("/"), sha)),
                None => not_found(),
            },
            ("GET", ["git", "trees", sha]) => {
                let Some(commit) = repo.commits.get(*sha) else {
                    return not_found();
                };
                let tree_sha = commit.tree.clone();
                let mut tree = load("git-tree.json");
                tree["sha"] = json!(tree_sha);
                tree["truncated"] = json!(false);
                let template = tree["tree"][0].clone();
                let mut entries = Vec::new();
                let mut dirs = std::collections::BTreeSet::new();
                for (path, entry) in &repo.trees[&tree_sha] {
                    let mut parent = path.as_str();
                    while let Some((dir, _)) = parent.rsplit_once('/') {
                        dirs.insert(dir.to_string());
                        parent = dir;
                    }
                    let mut item = template.clone();
                    item["path"] = json!(path);
                    item["mode"] = json!(entry.mode);
                    item["type"] = json!("blob");
                    item["sha"] = json!(entry.sha);
                    item["size"] = json!(repo.blobs[&entry.sha].len());
                    entries.push(item);
                }
                for dir in dirs {
                    let mut item = template.clone();
                    item["path"] = json!(dir);
                    item["mode"] = json!("040000");
                    item["type"] = json!("tree");
                    item["sha"] = json!(object_id("dir", &dir));
                    item.as_object_mut().unwrap().remove("size");
                    entries.push(item);
                }
                tree["tree"] = Value::Array(entries);
                answer(200, tree)
            }
            ("GET", ["git", "blobs", sha]) => match repo.blobs.get(*sha) {
                Some(bytes) => {
                    let mut blob = load("blob.json");
                    blob["content"] =
                        json!(base64::engine::general_purpose::STANDARD.encode(bytes));
                    blob["encoding"] = json!("base64");
                    blob["sha"] = json!(sha);
                    blob["size"] = json!(bytes.len());
                    answer(200, blob)
                }
                None => not_found(),
            },
            ("POST", ["git", "blobs"]) => {
                let bytes = match body["encoding"].as_str() {
                    Some("base64") => base64::engine::general_purpose::STANDARD
                        .decode(body["content"].as_str().unwrap())
                        .unwrap(),
                    _ => body["content"].as_str().unwrap().as_bytes().to_vec(),
                };
                let sha = repo.blob(&bytes);
                let mut created = load("git-blob-created.json");
                created["sha"] = json!(sha);
                answer(201, created)
            }
            ("POST", ["git", "trees"]) => {
                let base = body["base_tree"].as_str().unwrap();
                let mut files = repo.trees[base].clone();
                for item in body["tree"].as_array().unwrap() {
                    let path = item["path"].as_str().unwrap().to_string();
                    match item["sha"].as_str() {
                        Some(sha) => {
                            assert!(repo.blobs.contains_key(sha), "tree names unknown blob");
                            files.insert(
                                path,
                                Entry {
                                    mode: item["mode"].as_str().unwrap().to_string(),
                                    sha: sha.to_string(),
                                },
                            );
                        }
                        None => {
                            files.remove(&path);
                        }
                    }
                }
                let sha = repo.tree(files);
                let mut created = load("git-tree-created.json");
                created["sha"] = json!(sha);
                created["truncated"] = json!(false);
                answer(201, created)
            }
            ("POST", ["git", "commits"]) => {
                let parents: Vec<String> = body["parents"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p.as_str().unwrap().to_string())
                    .collect();
                let tree = body["tree"].as_str().unwrap();
                let sha = repo.commit(tree, parents.clone(), body["message"].as_str().unwrap());
                let mut created = load("git-commit-created.json");
                created["sha"] = json!(sha);
                created["message"] = body["message"].clone();
                created["tree"]["sha"] = json!(tree);
                created["parents"] = json!(parents
                    .iter()
                    .map(|p| json!({"sha": p}))
                    .collect::<Vec<_>>());
                answer(201, created)
            }
            ("POST", ["git", "refs"]) => {
                let full = body["ref"].as_str().unwrap();
                let name = full.strip_prefix("refs/").unwrap().to_string();
                if repo.refs.contains_key(&name) {
                    return answer(422, load("validation-failed.json"));
                }
                let sha = body["sha"].as_str().unwrap().to_string();
                repo.refs.insert(name.clone(), sha.clone());
                answer(201, git_ref(&name, &sha))
            }
            ("PATCH", ["git", "refs", rest @ ..]) => {
                let name = rest.join("/");
                let sha = body["sha"].as_str().unwrap().to_string();
                let Some(old) = repo.refs.get(&name).cloned() else {
                    return answer(422, load("validation-failed.json"));
                };
                // Not a fast-forward: GitHub refuses it without `force`.
                if !repo.ahead(&old, &sha).is_empty() && repo.ahead(&sha, &old).is_empty()
                    || body["force"] == true
                {
                    repo.refs.insert(name.clone(), sha.clone());
                    answer(200, git_ref(&name, &sha))
                } else {
                    answer(422, load("validation-failed.json"))
                }
            }
            ("GET", ["compare", basehead]) => {
                let (base, head) = basehead.split_once("...").unwrap();
                let resolve = |r: &str| {
                    repo.refs
                        .get(&format!("heads/{r}"))
                        .cloned()
                        .unwrap_or(r.to_string())
                };
                let (base, head) = (resolve(base), resolve(head));
                if !repo.commits.contains_key(&head) {
                    return not_found();
                }
                let ahead = repo.ahead(&base, &head);
                let mut compare = load("compare.json");
                let template = compare["commits"][0].clone();
                compare["ahead_by"] = json!(ahead.len());
                compare["total_commits"] = json!(ahead.len());
                compare["commits"] = Value::Array(
                    ahead
                        .iter()
                        .map(|sha| {
                            let mut item = template.clone();
                            item["sha"] = json!(sha);
                            item["commit"]["message"] = json!(repo.commits[sha].message);
                            item["commit"]["tree"]["sha"] = json!(repo.commits[sha].tree);
                            item
                        })
                        .collect(),
                );
                answer(200, compare)
            }
            ("GET", ["pulls"]) => {
                let head = query.get("head").cloned().unwrap_or_default();
                let state = query.get("state").cloned().unwrap_or("open".into());
                let template = load("pulls.json")[0].clone();
                let items: Vec<Value> = repo
                    .pulls
                    .iter()
                    .filter(|p| {
                        p["state"] == state.as_str()
                            && (head.is_empty() || p["head"]["label"] == head.as_str())
                    })
                    .map(|p| {
                        let mut item = template.clone();
                        for key in ["number", "title", "body", "state", "html_url", "head"] {
                            item[key] = p[key].clone();
                        }
                        item
                    })
                    .collect();
                answer(200, Value::Array(items))
            }
            ("POST", ["pulls"]) => {
                let head = body["head"].as_str().unwrap();
                if repo
                    .pulls
                    .iter()
                    .any(|p| p["state"] == "open" && p["head"]["ref"] == head)
                {
                    return answer(422, load("validation-failed.json"));
                }
                let number = repo.pulls.len() as u64 + 1;
                let mut pull = load("pull-request.json");
                pull["number"] = json!(number);
                pull["title"] = body["title"].clone();
                pull["body"] = body["body"].clone();
                pull["state"] = json!("open");
                pull["head"]["ref"] = json!(head);
                pull["head"]["label"] = json!(format!("{ORG}:{head}"));
                pull["base"]["ref"] = body["base"].clone();
                pull["html_url"] = json!(format!("https://github.com/{ORG}/{name}/pull/{number}"));
                repo.pulls.push(pull.clone());
                answer(201, pull)
            }
            ("PATCH", ["pulls", number]) => {
                let number: u64 = number.parse().unwrap();
                let Some(pull) = repo.pulls.iter_mut().find(|p| p["number"] == number) else {
                    return not_found();
                };
                for key in ["title", "body", "state"] {
                    if !body[key].is_null() {
                        pull[key] = body[key].clone();
                    }
                }
                answer(200, pull.clone())
            }
            _ => not_found(),
        }
    }
}

fn git_ref(name: &str, sha: &str) -> Value {
    let mut value = load("git-ref.json");
    value["ref"] = json!(format!("refs/{name}"));
    value["object"]["sha"] = json!(sha);
    value
}

async fn serve(fake: &Fake) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(path_regex("^/"))
        .respond_with(fake.clone())
        .mount(&server)
        .await;
    server
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }
}

/// `warden fix --pr ARGS` in a directory holding [`POLICY`].
async fn fix(server: &MockServer, args: &[&str]) -> Run {
    fix_with(server, POLICY, args).await
}

/// `warden fix --pr ARGS` in a directory holding `policy`.
async fn fix_with(server: &MockServer, policy: &str, args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("warden.toml"), policy).unwrap();
    let mut cmd = crate::common::warden(dir.path());
    cmd.arg("fix")
        .args(args)
        .args(["--pr", "--no-cache", "--api-url", &server.uri()])
        .env("GITHUB_TOKEN", "ghp_fixPRtestTOKEN0123456789")
        .env("WARDEN_RETRY_BACKOFF_MS", "1");
    let output = tokio::task::spawn_blocking(move || {
        let output = cmd.output().unwrap();
        drop(dir);
        output
    })
    .await
    .unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// "METHOD path" of every request that is not a read.
async fn writes(server: &MockServer) -> Vec<(String, String, Value)> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() != "GET")
        .map(|r| {
            (
                r.method.to_string(),
                r.url.path().to_string(),
                serde_json::from_slice(&r.body).unwrap_or(Value::Null),
            )
        })
        .collect()
}

fn row<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["repo"] == format!("{ORG}/{name}"))
        .unwrap_or_else(|| panic!("no row for {name}: {report}"))
}

/// Three repositories: one missing the playbook's symlink, one clean, one where warden's
/// earlier pull request is open (its branch links to an old target).
fn organisation() -> Fake {
    let fake = Fake::default();
    fake.add("app", &[("README.md", "# app\n")]);
    fake.add(
        "clean",
        &[("README.md", "# clean\n"), (LINK, &format!("->{TARGET}"))],
    );
    fake.add("pending", &[("README.md", "# pending\n")]);
    fake.add_wardens_pull("pending", &[(LINK, "../old/RULES.mdc")]);
    fake
}

#[tokio::test(flavor = "multi_thread")]
async fn one_pull_request_per_repository_opened_updated_or_left_alone() {
    let fake = organisation();
    let server = serve(&fake).await;
    let mains: Vec<String> = ["app", "clean", "pending"]
        .iter()
        .map(|n| fake.with(n, |r| r.refs["heads/main"].clone()))
        .collect();

    let run = fix(&server, &["--org", ORG, "--format", "json"]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    let app = row(&report, "app");
    assert_eq!(app["outcome"], "opened", "{app}");
    assert_eq!(app["pull_request"], 1);
    assert_eq!(app["closes"][0]["rule"], "claude-org-rules-link");
    assert_eq!(row(&report, "clean")["outcome"], "nothing-to-fix");
    let pending = row(&report, "pending");
    assert_eq!(pending["outcome"], "updated", "{pending}");
    assert_eq!(pending["pull_request"], 5);

    // app: a new branch with one commit on main's head, holding the link, and one PR.
    fake.with("app", |repo| {
        let tip = repo.refs["heads/warden/fix"].clone();
        let commit = repo.commits[&tip].clone();
        assert_eq!(commit.parents, [mains[0].clone()]);
        assert!(commit.message.ends_with(&format!("{TRAILER}\n")));
        let link = &repo.trees[&commit.tree][LINK];
        assert_eq!(link.mode, "120000");
        assert_eq!(repo.blobs[&link.sha], TARGET.as_bytes());
        assert_eq!(repo.pulls.len(), 1);
        let pull = &repo.pulls[0];
        assert_eq!(pull["base"]["ref"], "main");
        assert_eq!(pull["head"]["ref"], "warden/fix");
        let body = pull["body"].as_str().unwrap();
        assert!(body.contains(MARKER) && body.contains("made by **warden**"));
        assert!(body.contains("claude-org-rules-link"), "{body}");
        assert!(pull["title"].as_str().unwrap().contains("1 governance gap"));
    });
    // pending: the same PR (no second one), its branch moved to the right link.
    fake.with("pending", |repo| {
        assert_eq!(repo.pulls.len(), 1);
        assert!(repo.pulls[0]["title"]
            .as_str()
            .unwrap()
            .contains("1 governance gap"));
        let tip = repo.refs["heads/warden/fix"].clone();
        let tree = &repo.trees[&repo.commits[&tip].tree];
        assert_eq!(repo.blobs[&tree[LINK].sha], TARGET.as_bytes());
        assert_eq!(repo.commits[&tip].parents, [mains[2].clone()]);
    });
    // clean: untouched.
    fake.with("clean", |repo| {
        assert!(repo.pulls.is_empty());
        assert!(!repo.refs.contains_key("heads/warden/fix"));
    });

    // The tree sent holds the link as a symlink entry.
    let writes = writes(&server).await;
    let trees: Vec<&Value> = writes
        .iter()
        .filter(|(m, p, _)| m == "POST" && p.ends_with("/git/trees"))
        .map(|(_, _, b)| b)
        .collect();
    assert_eq!(trees.len(), 2, "{writes:?}");
    for tree in trees {
        assert_eq!(
            tree["tree"],
            json!([{"path": LINK, "mode": "120000", "type": "blob", "sha": git_hash(TARGET.as_bytes())}])
        );
    }
    // The default branch is never written: every ref write is warden/fix, and main is
    // where it was.
    for (method, path, body) in &writes {
        assert!(!path.contains("/clean/"), "{method} {path}");
        if path.contains("/git/refs") {
            assert!(
                path.ends_with("/git/refs/heads/warden/fix")
                    || body["ref"] == "refs/heads/warden/fix",
                "{method} {path} {body}"
            );
        }
        assert!(!path.contains("heads/main"), "{method} {path}");
    }
    for (name, main) in ["app", "clean", "pending"].iter().zip(&mains) {
        assert_eq!(&fake.with(name, |r| r.refs["heads/main"].clone()), main);
    }

    // A second run changes nothing: the PRs are up to date.
    let before = writes.len();
    let again = fix(&server, &["--org", ORG, "--format", "json"]).await;
    assert_eq!(again.code, 0, "{}", again.stderr);
    let report = again.json();
    assert_eq!(row(&report, "app")["outcome"], "unchanged");
    assert_eq!(row(&report, "pending")["outcome"], "unchanged");
    // Only git objects GitHub already has (named by their content): no commit, no ref,
    // no pull request edit.
    let mut again: Vec<String> = self::writes(&server).await[before..]
        .iter()
        .map(|(method, path, _)| format!("{method} {}", path.rsplit('/').next().unwrap()))
        .collect();
    again.sort();
    assert_eq!(
        again,
        ["POST blobs", "POST blobs", "POST trees", "POST trees"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_lists_the_plan_and_writes_nothing() {
    let fake = organisation();
    let server = serve(&fake).await;
    let run = fix(&server, &["--org", ORG, "--dry-run"]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(writes(&server).await, [], "a dry run made a write");
    let out = &run.stdout;
    assert!(
        out.contains(&format!("{ORG}/app: would open a pull request")),
        "{out}"
    );
    assert!(
        out.contains(&format!("link `{LINK}` -> `{TARGET}`")),
        "{out}"
    );
    assert!(
        out.contains(&format!("{ORG}/pending: would update #5")),
        "{out}"
    );
    assert!(
        out.contains(&format!("{ORG}/clean: nothing to fix")),
        "{out}"
    );
    assert!(out.contains("dry run, nothing written"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forbidden_branch_names_the_permission_and_the_others_go_on() {
    let fake = organisation();
    fake.refs_forbidden.lock().unwrap().push("app".into());
    let server = serve(&fake).await;
    let list = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(list.path(), format!("{ORG}/app\n{ORG}/pending\n")).unwrap();
    let run = fix(
        &server,
        &["--repos", list.path().to_str().unwrap(), "--format", "json"],
    )
    .await;
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let report = run.json();
    let app = row(&report, "app");
    assert_eq!(app["outcome"], "failed");
    let message = app["message"].as_str().unwrap();
    assert!(message.contains("`contents: write`"), "{message}");
    assert!(message.contains("warden/fix"), "{message}");
    assert_eq!(row(&report, "pending")["outcome"], "updated");
    fake.with("app", |repo| {
        assert!(repo.pulls.is_empty());
        assert!(!repo.refs.contains_key("heads/warden/fix"));
    });
}

#[tokio::test(flavor = "multi_thread")]
async fn a_branch_with_someone_elses_commit_is_never_moved() {
    let fake = organisation();
    // Someone pushed to warden's branch.
    fake.with("pending", |repo| {
        let tip = repo.refs["heads/warden/fix"].clone();
        let tree = repo.commits[&tip].tree.clone();
        let theirs = repo.commit(&tree, vec![tip], "a fix of my own");
        repo.refs.insert("heads/warden/fix".into(), theirs);
    });
    let tip = fake.with("pending", |r| r.refs["heads/warden/fix"].clone());
    let server = serve(&fake).await;
    let run = fix(
        &server,
        &["--repo", &format!("{ORG}/pending"), "--format", "json"],
    )
    .await;
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let pending = row(&run.json(), "pending").clone();
    assert_eq!(pending["outcome"], "failed");
    assert!(
        pending["message"]
            .as_str()
            .unwrap()
            .contains("warden did not make"),
        "{pending}"
    );
    assert_eq!(
        fake.with("pending", |r| r.refs["heads/warden/fix"].clone()),
        tip
    );
    assert!(writes(&server)
        .await
        .iter()
        .all(|(_, p, _)| !p.contains("/git/refs") && !p.contains("/pulls")));
}

#[tokio::test(flavor = "multi_thread")]
async fn warden_closes_its_pull_request_once_the_gap_is_closed_on_main() {
    let fake = organisation();
    // The link was committed to main by hand; warden's PR is still open.
    fake.with("pending", |repo| {
        let head = repo.refs["heads/main"].clone();
        let mut tree = repo.trees[&repo.commits[&head].tree].clone();
        let sha = repo.blob(TARGET.as_bytes());
        tree.insert(
            LINK.into(),
            Entry {
                mode: "120000".into(),
                sha,
            },
        );
        let tree = repo.tree(tree);
        let commit = repo.commit(&tree, vec![head], "link by hand");
        repo.refs.insert("heads/main".into(), commit);
    });
    let server = serve(&fake).await;
    let dry = fix(&server, &["--repo", &format!("{ORG}/pending"), "--dry-run"]).await;
    assert!(dry.stdout.contains("would close #5"), "{}", dry.stdout);
    assert_eq!(writes(&server).await, []);
    let run = fix(&server, &["--repo", &format!("{ORG}/pending")]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("closed #5"), "{}", run.stdout);
    fake.with("pending", |repo| {
        assert_eq!(repo.pulls[0]["state"], "closed")
    });
}

/// A created file and a value set in an existing file (read from its blob, edited with its
/// formatting kept) travel in the same commit, as regular files.
#[tokio::test(flavor = "multi_thread")]
async fn created_files_and_edited_values_go_in_one_commit() {
    const EDITS: &str = r#"
[[rule]]
id = "codeowners"
kind = "required-files"
paths = [".github/CODEOWNERS"]
fix = "* @octo-org/maintainers\n"

[[rule]]
id = "strict-ts"
kind = "file-value"
file = "tsconfig.json"

[[rule.expect]]
select = "compilerOptions.strict"
equals = true
"#;
    let fake = Fake::default();
    fake.add(
        "web",
        &[(
            "tsconfig.json",
            "{\n  \"compilerOptions\": {\n    \"strict\": false,\n    \"target\": \"es2022\"\n  }\n}\n",
        )],
    );
    let server = serve(&fake).await;
    let run = fix_with(
        &server,
        EDITS,
        &["--repo", &format!("{ORG}/web"), "--format", "json"],
    )
    .await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let web = row(&run.json(), "web").clone();
    assert_eq!(web["outcome"], "opened", "{web}");
    let closed: Vec<&str> = web["closes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["rule"].as_str().unwrap())
        .collect();
    assert_eq!(closed, ["codeowners", "strict-ts"]);
    fake.with("web", |repo| {
        let tip = repo.refs["heads/warden/fix"].clone();
        let tree = repo.trees[&repo.commits[&tip].tree].clone();
        let text = |path: &str| {
            assert_eq!(tree[path].mode, "100644", "{path}");
            String::from_utf8(repo.blobs[&tree[path].sha].clone()).unwrap()
        };
        assert_eq!(text(".github/CODEOWNERS"), "* @octo-org/maintainers\n");
        assert_eq!(
            text("tsconfig.json"),
            "{\n  \"compilerOptions\": {\n    \"strict\": true,\n    \"target\": \"es2022\"\n  }\n}\n"
        );
        assert_eq!(repo.commits.len(), 2, "one commit on top of main");
    });
}
