#!/usr/bin/env python3
"""A local stand-in for an organisation on the GitHub REST API, for the org-sweep
benchmark only (tests use wiremock).

Serves N synthetic repositories built from the recorded bodies in fixtures/github/ (see its
README): the organisation listing (`org-repos.json`, paginated with GitHub's `link`
header), one recursive git tree each (`git-tree.json`, blob SHAs computed as git does),
blobs (`blob.json`), classic protection (`branch-protection.json` or the recorded 404
`branch-not-protected.json`) and ruleset rules (`rules-for-branch-full.json` or `[]`),
and `POST /graphql` for the batched classic-protection query (a `BranchProtectionRule`
with the same settings as `branch-protection.json`) and the pooled blob query (`Blob.text`,
`isBinary`, `isTruncated`, `byteSize`), field names from GitHub's published schema
(`@octokit/graphql-schema`). Only values change, never field names.

For the issue-12 rule kinds it also serves the organisation (`org.json`), its open alerts
of each kind (`GET /orgs/{org}/secret-scanning/alerts`, `dependabot/alerts`,
`code-scanning/alerts`, paginated, built from `org-*-alerts.json`: a secret-scanning alert
in every 50th repository, a Dependabot alert in every 10th, a code-scanning alert in
every 2nd), the repositories' own alert lists (empty elsewhere), workflow runs
(`workflow-runs-scenario.json`), the full repository (`repo.json`), and the per-repository GraphQL query of
`src/github/extra_graphql.rs` (labels, the `production` environment, deployments,
`Ref.compare`, CODEOWNERS errors, `hasVulnerabilityAlertsEnabled`) with the values of
`labels.json`, `environment.json`, `deployments.json`, `compare.json` and
`codeowners-errors.json`. Every request waits --latency-ms first (threads,
so requests overlap as they would over the network). Usage:

    fake_github_org.py --repos 1000 --latency-ms 50 --port-file FILE --stats-file FILE

It writes the port it bound to --port-file and, on every request, counts to --stats-file
as JSON: {"requests": N, "by_kind": {"listing": N, "tree": N, "blob": N, ...}}. It stops
by itself after --max-seconds.

By default every repository's ci.yml is the organisation's template, byte for byte (one
blob SHA for all, as with a shared template); --distinct-workflows gives each its own.

With --apply-gap-every K (the `warden apply` benchmark, scripts/bench_apply.sh) it also
keeps each repository's settings, labels and classic protection as state, answers
`GET /repos/{o}/{r}` (`repo.json`), `GET .../labels` (`labels.json`) and the writes warden
apply makes (`PATCH /repos/{o}/{r}`, `POST .../labels` with `label.json`, `PUT
.../branches/main/protection`), changing the state as GitHub does. Every K-th repository
has gaps (`delete_branch_on_merge` off, no `hotfix` label, `main` not protected); the
others are compliant (classic protection from `branch-protection.json`).
"""
import argparse
import base64
import copy
import hashlib
import json
import os
import re
import sys
import threading
import time
from http.server import ThreadingHTTPServer

from fake_http import QuietHandler
from urllib.parse import parse_qs, urlsplit

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures", "github")

CI_WORKFLOW = (
    "name: CI\non:\n  pull_request:\n  push:\n    branches: [main]\n"
    "jobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: npm test\n"
)


def load(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return json.load(f)


def rename(value, old, new):
    """Replace `old` by `new` in every string of a JSON value."""
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [rename(v, old, new) for v in value]
    if isinstance(value, dict):
        return {k: rename(v, old, new) for k, v in value.items()}
    return value


def git_sha(content):
    data = content.encode()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class Org:
    def __init__(self, org, count, distinct_workflows):
        self.org = org
        self.listing = []
        self.routes = {}
        self.blobs = {}
        item_template = load("org-repos.json")[0]
        tree_template = load("git-tree.json")
        blob_template = load("blob.json")
        classic = load("branch-protection.json")
        classic["allow_force_pushes"]["enabled"] = False
        not_protected = load("branch-not-protected.json")
        ruleset = load("rules-for-branch-full.json")
        self.graphql = {}
        rule = graphql_rule(classic)
        self.org_alerts = {"secret-scanning": [], "dependabot": [], "code-scanning": []}
        alert_templates = {
            "secret-scanning": load("org-secret-scanning-alerts.json")[0],
            "dependabot": next(a for a in load("org-dependabot-alerts.json") if a["state"] == "open"),
            "code-scanning": next(a for a in load("org-code-scanning-alerts.json") if a["state"] == "open"),
        }
        every = {"secret-scanning": 50, "dependabot": 10, "code-scanning": 2}
        runs = load("workflow-runs-scenario.json")
        repo_template = load("repo.json")
        self.extra = repo_extra_graphql()
        for i in range(count):
            name = f"repo-{i:04d}"
            full = f"{org}/{name}"
            item = rename(copy.deepcopy(item_template), "octocat/Hello-World", full)
            item["name"] = name
            item["id"] = 100000 + i
            item["owner"]["login"] = org
            item["default_branch"] = "main"
            self.listing.append(item)
            base = f"/repos/{full}"

            tree = copy.deepcopy(tree_template)
            for entry in tree["tree"]:
                if entry["type"] != "blob":
                    continue
                path = entry["path"]
                if path == ".github/workflows/ci.yml":
                    content = CI_WORKFLOW + (f"# {name}\n" if distinct_workflows else "")
                elif path == "docs-link":
                    content = "README.md"
                else:
                    content = f"{path} of {full}\n"
                sha = git_sha(content)
                entry["sha"] = sha
                entry["size"] = len(content.encode())
                entry["url"] = f"https://api.github.com/repos/{full}/git/blobs/{sha}"
                if sha not in self.blobs:
                    blob = dict(blob_template)
                    blob["content"] = base64.b64encode(content.encode()).decode()
                    blob["sha"] = sha
                    blob["size"] = len(content.encode())
                    blob["url"] = f"https://api.github.com/repos/{full}/git/blobs/{sha}"
                    self.blobs[sha] = blob
            self.routes[f"{base}/git/trees/main"] = (200, tree)
            kind = i % 3
            self.routes[f"{base}/branches/main/protection"] = (
                (200, classic) if kind == 0 else (404, not_protected)
            )
            self.routes[f"{base}/rules/branches/main"] = (200, ruleset if kind == 2 else [])
            self.graphql[full] = rule if kind == 0 else None
            for alert_kind, template in alert_templates.items():
                if i % every[alert_kind] == 0:
                    alert = copy.deepcopy(template)
                    alert["state"] = "open"
                    alert["repository"] = dict(alert["repository"], full_name=full, name=name)
                    self.org_alerts[alert_kind].append(alert)
            self.routes[f"{base}/actions/runs"] = (200, runs)
            repo = rename(copy.deepcopy(repo_template), "octocat/Hello-World", full)
            repo.update(name=name, default_branch="main")
            self.routes[base] = (200, repo)

    def answer_graphql(self, request):
        """The batched query, answered by its variables: `o{i}`/`n{i}` per repository,
        `q{j}` per qualified branch name; `data` keyed by the aliases `r{i}`/`b{j}`."""
        variables = request.get("variables") or {}
        if "o" in variables and "n" in variables:
            return self.answer_extra(request)
        data, errors = {}, []
        i = 0
        while f"o{i}" in variables:
            full = f"{variables[f'o{i}']}/{variables[f'n{i}']}"
            if full not in self.graphql:
                data[f"r{i}"] = None
                errors.append({"type": "NOT_FOUND", "path": [f"r{i}"],
                               "locations": [{"line": 1, "column": 1}],
                               "message": f"Could not resolve to a Repository with the name '{full}'."})
            elif f"s{i}_0" in variables:
                # The pooled blob query: `x{k}: object(oid: $s{i}_{k}) { ... on Blob }`.
                repo, k = {}, 0
                while f"s{i}_{k}" in variables:
                    blob = self.blobs.get(variables[f"s{i}_{k}"])
                    repo[f"x{k}"] = None if blob is None else {
                        "text": base64.b64decode(blob["content"]).decode(),
                        "isBinary": False, "isTruncated": False, "byteSize": blob["size"]}
                    k += 1
                data[f"r{i}"] = repo
            else:
                repo = {"viewerCanAdminister": True}
                j = 0
                while f"q{j}" in variables:
                    repo[f"b{j}"] = ({"branchProtectionRule": self.graphql[full]}
                                     if variables[f"q{j}"] == "refs/heads/main" else None)
                    j += 1
                data[f"r{i}"] = repo
            i += 1
        body = {"data": data}
        if errors:
            body["errors"] = errors
        return body

    def answer_extra(self, request):
        """The per-repository query of the issue-12 facts: `data.repository` with the
        fields and aliases (`e{i}`, `d{i}`, `c{i}`) the query asks for."""
        query, variables = request.get("query", ""), request["variables"]
        full = f"{variables['o']}/{variables['n']}"
        if full not in self.graphql:
            return {"data": {"repository": None}, "errors": [{
                "type": "NOT_FOUND", "path": ["repository"], "locations": [{"line": 1, "column": 1}],
                "message": f"Could not resolve to a Repository with the name '{full}'."}]}
        repo = {}
        if "labels(" in query:
            repo["labels"] = self.extra["labels"]
        if "codeowners {" in query:
            repo["codeowners"] = self.extra["codeowners"]
        if "hasVulnerabilityAlertsEnabled" in query:
            repo["hasVulnerabilityAlertsEnabled"] = True
        i = 0
        while f"e{i}" in variables:
            repo[f"e{i}"] = self.extra["environment"] if variables[f"e{i}"] == "production" else None
            i += 1
        i = 0
        while f"d{i}" in variables:
            repo[f"d{i}"] = self.extra["deployments"]
            i += 1
        i = 0
        while f"c{i}" in variables:
            repo[f"c{i}"] = self.extra["compare"]
            i += 1
        return {"data": {"repository": repo}}

    def answer(self, path, query, host):
        if path == f"/orgs/{self.org}/repos":
            per_page = min(int(query.get("per_page", ["30"])[0]), 100)
            page = int(query.get("page", ["1"])[0])
            items = self.listing[(page - 1) * per_page : page * per_page]
            last = max(1, -(-len(self.listing) // per_page))
            links = []
            url = f"http://{host}{path}?per_page={per_page}&type=all&page="
            if page < last:
                links.append(f'<{url}{page + 1}>; rel="next"')
                links.append(f'<{url}{last}>; rel="last"')
            return "listing", 200, items, ", ".join(links) or None
        if path == f"/orgs/{self.org}":
            return "org", 200, load("org.json"), None
        match = re.fullmatch(rf"/orgs/{re.escape(self.org)}/(secret-scanning|dependabot|code-scanning)/alerts", path)
        if match:
            alerts = self.org_alerts[match.group(1)]
            per_page = min(int(query.get("per_page", ["30"])[0]), 100)
            page = int(query.get("page", ["1"])[0])
            last = max(1, -(-len(alerts) // per_page))
            link = None
            if page < last:
                url = f"http://{host}{path}?state=open&per_page={per_page}&page="
                link = f'<{url}{page + 1}>; rel="next", <{url}{last}>; rel="last"'
            return "org-alerts", 200, alerts[(page - 1) * per_page : page * per_page], link
        if re.fullmatch(r"/repos/[^/]+/[^/]+/(secret-scanning|dependabot|code-scanning)/alerts", path):
            # Only asked for repositories the organisation's list cannot vouch for.
            full = "/".join(path.split("/")[2:4])
            kind = path.split("/")[4]
            return "repo-alerts", 200, [a for a in self.org_alerts[kind] if a["repository"]["full_name"] == full], None
        match = re.fullmatch(r"/repos/[^/]+/[^/]+/git/blobs/([0-9a-f]{40})", path)
        if match and match.group(1) in self.blobs:
            return "blob", 200, self.blobs[match.group(1)], None
        if path in self.routes:
            status, body = self.routes[path]
            kind = "tree" if "/git/trees/" in path else (
                "protection" if path.endswith("/protection") else (
                    "runs" if path.endswith("/actions/runs") else (
                        "repo" if path.count("/") == 3 else "rules")))
            return kind, status, body, None
        return "other", 404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}, None


def repo_extra_graphql():
    """The recorded REST bodies of the issue-12 facts in GraphQL's shapes."""
    labels = load("labels.json")
    env = load("environment.json")
    rules = []
    for rule in env["protection_rules"]:
        reviewers = [
            {"__typename": "Team", "slug": r["reviewer"]["slug"]} if r["type"] == "Team"
            else {"__typename": "User", "login": r["reviewer"]["login"]}
            for r in rule.get("reviewers", [])]
        rules.append({"type": rule["type"].upper(), "timeout": rule.get("wait_timer", 0),
                      "preventSelfReview": rule.get("prevent_self_review"),
                      "reviewers": {"totalCount": len(reviewers), "nodes": reviewers}})
    deployments = [
        {"databaseId": d["id"], "commitOid": d["sha"], "createdAt": d["created_at"],
         "originalEnvironment": d["original_environment"], "ref": {"name": d["ref"]}}
        for d in load("deployments.json")]
    compare = load("compare.json")
    commits = [{"oid": c["sha"], "messageHeadline": c["commit"]["message"].split("\n")[0]}
               for c in compare["commits"]][-5:]
    errors = [{k: e.get(k) for k in ("line", "kind", "path", "message", "suggestion")}
              for e in load("codeowners-errors.json")["errors"]]
    return {
        "labels": {"totalCount": len(labels), "nodes": [
            {"name": l["name"], "color": l["color"], "description": l["description"]} for l in labels]},
        "environment": {"name": "production", "protectionRules": {"totalCount": len(rules), "nodes": rules}},
        "deployments": {"nodes": deployments},
        "compare": {"compare": {"aheadBy": compare["ahead_by"], "commits": {"nodes": commits}}},
        "codeowners": {"errors": errors},
    }


def graphql_rule(classic):
    """GraphQL's `BranchProtectionRule` with the settings of a REST protection body."""
    def enabled(key):
        return bool((classic.get(key) or {}).get("enabled", False))
    checks = classic.get("required_status_checks")
    reviews = classic.get("required_pull_request_reviews")
    return {
        "requiresStatusChecks": checks is not None,
        "requiresStrictStatusChecks": bool(checks and checks.get("strict")),
        "requiredStatusCheckContexts": (checks or {}).get("contexts", []),
        "requiredStatusChecks": [
            {"context": c["context"],
             "app": {"databaseId": c["app_id"]} if c.get("app_id") is not None else None}
            for c in (checks or {}).get("checks", [])],
        "isAdminEnforced": enabled("enforce_admins"),
        "requiresApprovingReviews": reviews is not None,
        "requiredApprovingReviewCount": (reviews or {}).get("required_approving_review_count"),
        "dismissesStaleReviews": bool((reviews or {}).get("dismiss_stale_reviews")),
        "requiresCodeOwnerReviews": bool((reviews or {}).get("require_code_owner_reviews")),
        "requireLastPushApproval": bool((reviews or {}).get("require_last_push_approval")),
        "requiresLinearHistory": enabled("required_linear_history"),
        "allowsForcePushes": enabled("allow_force_pushes"),
        "allowsDeletions": enabled("allow_deletions"),
        "requiresConversationResolution": enabled("required_conversation_resolution"),
        "requiresCommitSignatures": enabled("required_signatures"),
    }


class ApplyState:
    """Writable settings for the `warden apply` benchmark (kept apart from the read-only
    routes above): one state per repository, changed by the writes."""

    def __init__(self, org, count, gap_every):
        self.lock = threading.Lock()
        self.repos = {}
        repo_template = load("repo.json")
        labels = load("labels.json")
        protected = load("branch-protection.json")
        protected["allow_force_pushes"]["enabled"] = False
        self.protection_template = load("branch-protection.json")
        self.label_template = load("label.json")
        for i in range(count):
            full = f"{org}/repo-{i:04d}"
            gap = i % gap_every == 0
            repo = rename(copy.deepcopy(repo_template), "octocat/Hello-World", full)
            repo["full_name"] = full
            repo["name"] = full.split("/")[1]
            repo["owner"]["login"] = org
            repo["default_branch"] = "main"
            repo["delete_branch_on_merge"] = not gap
            repo_labels = copy.deepcopy(labels)
            if not gap:
                hotfix = dict(self.label_template, name="hotfix", default=False)
                repo_labels.append(hotfix)
            self.repos[full] = {
                "repo": repo,
                "labels": repo_labels,
                "protection": None if gap else copy.deepcopy(protected),
            }

    def answer(self, method, path, body):
        """(kind, status, body), or None when the path is not one of these."""
        match = re.fullmatch(r"/repos/([^/]+/[^/]+)(/.*)?", path)
        if not match or match.group(1) not in self.repos:
            return None
        state, rest = self.repos[match.group(1)], match.group(2) or ""
        with self.lock:
            if (method, rest) == ("GET", ""):
                return "repo", 200, state["repo"]
            if (method, rest) == ("PATCH", ""):
                state["repo"].update(body)
                return "write", 200, state["repo"]
            if (method, rest) == ("GET", "/labels"):
                return "labels", 200, state["labels"]
            if (method, rest) == ("POST", "/labels"):
                label = dict(self.label_template, name=body["name"], default=False)
                label["color"] = body.get("color", "ededed")
                label["description"] = body.get("description")
                state["labels"].append(label)
                return "write", 201, label
            if (method, rest) == ("GET", "/branches/main/protection"):
                if state["protection"] is None:
                    return "protection", 404, load("branch-not-protected.json")
                return "protection", 200, state["protection"]
            if (method, rest) == ("GET", "/rules/branches/main"):
                return "rules", 200, []
            if (method, rest) == ("PUT", "/branches/main/protection"):
                protection = copy.deepcopy(self.protection_template)
                for key in ("required_status_checks", "required_pull_request_reviews", "restrictions"):
                    if body.get(key) is None:
                        protection.pop(key, None)
                protection["enforce_admins"]["enabled"] = bool(body.get("enforce_admins"))
                for key in ("required_linear_history", "allow_force_pushes", "allow_deletions",
                            "block_creations", "required_conversation_resolution",
                            "lock_branch", "allow_fork_syncing"):
                    protection[key]["enabled"] = bool(body.get(key, False))
                state["protection"] = protection
                return "write", 200, protection
        return None


class Stats:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.data = {"requests": 0, "by_kind": {}}

    def record(self, kind):
        with self.lock:
            self.data["requests"] += 1
            self.data["by_kind"][kind] = self.data["by_kind"].get(kind, 0) + 1
            if self.path:
                with open(self.path, "w") as f:
                    json.dump(self.data, f)


def handler(org, latency, stats, writable=None):
    class Handler(QuietHandler):
        def do_GET(self):
            time.sleep(latency)
            url = urlsplit(self.path)
            if self.apply_answer("GET", url.path, None):
                return
            kind, status, body, link = org.answer(
                url.path, parse_qs(url.query), self.headers.get("Host", "127.0.0.1"))
            self.reply(kind, status, body, link)

        def apply_answer(self, method, path, request):
            """The `warden apply` benchmark's state, when it has the path."""
            answered = writable.answer(method, path, request) if writable else None
            if answered:
                self.reply(answered[0], answered[1], answered[2], None)
            return answered is not None

        def do_PUT(self):
            self.do_write("PUT")

        def do_PATCH(self):
            self.do_write("PATCH")

        def do_write(self, method):
            time.sleep(latency)
            length = int(self.headers.get("content-length", "0"))
            request = json.loads(self.rfile.read(length) or b"{}")
            if not self.apply_answer(method, urlsplit(self.path).path, request):
                self.reply("other", 404, {"message": "Not Found"}, None)

        def do_POST(self):
            time.sleep(latency)
            length = int(self.headers.get("content-length", "0"))
            request = json.loads(self.rfile.read(length) or b"{}")
            if self.apply_answer("POST", urlsplit(self.path).path, request):
                return
            if urlsplit(self.path).path == "/graphql":
                self.reply("graphql", 200, org.answer_graphql(request), None)
            else:
                self.reply("other", 404, {"message": "Not Found"}, None)

        def reply(self, kind, status, body, link):
            payload = json.dumps(body).encode()
            stats.record(kind)
            self.send_response(status)
            self.send_header("content-type", "application/json; charset=utf-8")
            self.send_header("x-ratelimit-limit", "5000")
            self.send_header("x-ratelimit-remaining", "4985")
            self.send_header("x-ratelimit-reset", str(int(time.time()) + 3600))
            self.send_header("x-ratelimit-resource", "core")
            if link:
                self.send_header("link", link)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--org", default="bench")
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--distinct-workflows", action="store_true")
    parser.add_argument("--port-file")
    parser.add_argument("--stats-file")
    parser.add_argument("--max-seconds", type=float, default=600, help="stop by itself after this long")
    parser.add_argument("--apply-gap-every", type=int, default=0,
                        help="keep writable state for `warden apply`; every K-th repository has gaps")
    args = parser.parse_args()
    org = Org(args.org, args.repos, args.distinct_workflows)
    stats = Stats(args.stats_file)
    ThreadingHTTPServer.request_queue_size = 128
    ThreadingHTTPServer.daemon_threads = True
    writable = ApplyState(args.org, args.repos, args.apply_gap_every) if args.apply_gap_every else None
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler(org, args.latency_ms / 1000, stats, writable))
    if args.port_file:
        with open(args.port_file, "w") as f:
            f.write(str(server.server_address[1]))
    timer = threading.Timer(args.max_seconds, server.shutdown)
    timer.daemon = True
    timer.start()
    server.serve_forever()
    sys.exit(0)


if __name__ == "__main__":
    main()
