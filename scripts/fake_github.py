#!/usr/bin/env python3
"""A local stand-in for the GitHub REST API, for benchmarks only (tests use wiremock).

Serves the recorded bodies in fixtures/github/ on 127.0.0.1 with GitHub's headers
(x-ratelimit-*, etag), answers conditional requests with 304, injects a fixed latency per
request, and counts what it served. Usage:

    fake_github.py --port 0 --latency-ms 50 --port-file FILE --stats-file FILE

It writes the port it bound to --port-file, and request counts to --stats-file on every
request, as JSON: {"requests": N, "not_modified": N, "by_path": {...}}.
"""
import argparse
import hashlib
import json
import os
import sys
import threading
import time
from http.server import ThreadingHTTPServer

from fake_http import QuietHandler

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "fixtures", "github")


def load(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return json.load(f)


def load_fixture(name):
    return load(name)


def routes(owner, repo):
    base = f"/repos/{owner}/{repo}"
    repository = load("repo.json")
    repository["default_branch"] = "main"
    repository["allow_merge_commit"] = False
    repository["allow_rebase_merge"] = False
    repository["security_and_analysis"]["secret_scanning_push_protection"]["status"] = "enabled"
    protection = load("branch-protection.json")
    protection["allow_force_pushes"]["enabled"] = False
    protection["allow_deletions"]["enabled"] = False
    protection["required_status_checks"]["contexts"] = ["lint", "test"]
    protection["required_status_checks"]["checks"] = [
        {"context": "lint", "app_id": 15368},
        {"context": "test", "app_id": 15368},
    ]
    runs = load("workflow-runs-scenario.json")
    for run in runs["workflow_runs"]:
        run["path"] = ".github/workflows/ci.yml"
        run["head_branch"] = "main"
        run["status"] = "completed"
        run["conclusion"] = "success"
        run["updated_at"] = "2026-11-21T09:00:00Z"
    pull = load("pull-request.json")
    pull["number"] = 7
    pull["body"] = "Fixes #1\n\nAllowed paths: app/** packages/**\n\n## Definition of Done\n- [x] tests\n"
    template = load("pull-request-files.json")[0]
    files = []
    for i in range(200):
        f = dict(template)
        f["filename"] = f"app/src/module_{i:03}.ts" if i % 10 else f"app/src/module_{i:03}.test.ts"
        f["status"] = "modified"
        files.append(f)
    issue = load("issues-page-1.json")[0]
    issue["number"] = 1
    issue["state"] = "open"
    return {
        f"{base}/pulls/7": (200, pull),
        f"{base}/pulls/7/files": (200, files[:100]),
        f"{base}/pulls/7/files?page=2": (200, files[100:]),
        f"{base}/issues/1": (200, issue),
        # What `danger ci` reads besides the PR and its files (scripts/bench_pr.sh).
        f"{base}/issues/7": (200, load("issue.json")),
        f"{base}/pulls/7/commits": (200, load("pull-request-commits.json")),
        f"{base}/pulls/7/reviews": (200, load("pull-request-reviews.json")),
        f"{base}/pulls/7/requested_reviewers": (200, load("pull-request-requested-reviewers.json")),
        f"{base}/pulls/7/comments": (200, load("pull-request-review-comments.json")),
        f"{base}/issues/7/comments": (200, load("issue-comments.json")),
        base: (200, repository),
        f"{base}/branches/main/protection": (200, protection),
        f"{base}/branches/staging/protection": (404, load("branch-not-protected.json")),
        f"{base}/rules/branches/main": (200, load("rules-for-branch-full.json")),
        f"{base}/rules/branches/staging": (200, []),
        f"{base}/actions/runs": (200, runs),
        f"{base}/vulnerability-alerts": (204, None),
    }


class Stats:
    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()
        self.data = {"requests": 0, "not_modified": 0, "by_path": {}}

    def record(self, path, status):
        with self.lock:
            self.data["requests"] += 1
            if status == 304:
                self.data["not_modified"] += 1
            self.data["by_path"][path] = self.data["by_path"].get(path, 0) + 1
            if self.path:
                with open(self.path, "w") as f:
                    json.dump(self.data, f)


def handler(table, latency, stats):
    class Handler(QuietHandler):
        def do_GET(self):
            time.sleep(latency)
            path = self.path.split("?")[0]
            key = path + ("?page=2" if "page=2" in self.path else "")
            status, body = table.get(key, (404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}))
            payload = b"" if body is None else json.dumps(body).encode()
            etag = '"' + hashlib.sha256(payload).hexdigest() + '"'
            headers = {
                "x-ratelimit-limit": "5000",
                "x-ratelimit-remaining": "4985",
                "x-ratelimit-reset": str(int(time.time()) + 3600),
                "x-ratelimit-used": "15",
                "x-ratelimit-resource": "core",
                "x-github-request-id": "0684:716A:2015008:5E2FD3C:62D634F3",
            }
            if key.endswith("/pulls/7/files"):
                host = self.headers.get("Host")
                nxt = f"http://{host}{path}?per_page=100&page=2"
                headers["link"] = f'<{nxt}>; rel="next", <{nxt}>; rel="last"'
            if status == 200 and self.headers.get("If-None-Match") == etag:
                status, payload = 304, b""
            if status in (200, 304):
                headers["etag"] = etag
                headers["cache-control"] = "private, max-age=60, s-maxage=60"
            stats.record(path, status)
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            if payload:
                self.send_header("content-type", "application/json; charset=utf-8")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def write(self):
            # Writes (a comment, a commit status) are answered with the recorded bodies.
            time.sleep(latency)
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            path = self.path.split("?")[0]
            if "/statuses/" in path:
                status, body = 201, load_fixture("status-created.json")
            elif path.endswith("/comments") or "/comments/" in path:
                status, body = (201 if self.command == "POST" else 200), load_fixture("issue-comment.json")
            else:
                status, body = 404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}
            stats.record(f"{self.command} {path}", status)
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json; charset=utf-8")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_POST = write
        do_PATCH = write

    return Handler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=50)
    parser.add_argument("--owner", default="octocat")
    parser.add_argument("--repo", default="hello-world")
    parser.add_argument("--port-file")
    parser.add_argument("--stats-file")
    parser.add_argument("--max-seconds", type=float, default=600, help="stop by itself after this long")
    args = parser.parse_args()
    stats = Stats(args.stats_file)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler(routes(args.owner, args.repo), args.latency_ms / 1000, stats))
    if args.port_file:
        with open(args.port_file, "w") as f:
            f.write(str(server.server_address[1]))
    threading.Timer(args.max_seconds, server.shutdown).start()
    server.serve_forever()
    sys.exit(0)


if __name__ == "__main__":
    main()
