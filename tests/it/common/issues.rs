//! A tiny stateful stand-in for GitHub's issues API (list by label, create, edit,
//! comment), for any number of repositories, answering with the recorded bodies from
//! fixtures/github. Mount it on `^/repos/[^/]+/[^/]+/issues`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use wiremock::{Request, Respond, ResponseTemplate};

use super::fixture;

fn load(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap()
}

/// Issues per `OWNER/NAME`; numbers count per repository, as on GitHub.
#[derive(Clone, Default)]
pub struct Tracker {
    issues: Arc<Mutex<BTreeMap<String, Vec<Value>>>>,
}

impl Tracker {
    /// The issues of `repo` (`OWNER/NAME`) now.
    pub fn issues(&self, repo: &str) -> Vec<Value> {
        self.issues
            .lock()
            .unwrap()
            .get(repo)
            .cloned()
            .unwrap_or_default()
    }

    /// An issue that is already there (from an earlier sweep), with the recorded shape.
    pub fn add(&self, repo: &str, number: u64, state: &str, body: &str) {
        let mut issue = load("github/issues-page-1.json")[0].clone();
        issue["number"] = json!(number);
        issue["state"] = json!(state);
        issue["body"] = json!(body);
        issue["labels"] = json!([{"name": "warden-drift"}]);
        self.issues
            .lock()
            .unwrap()
            .entry(repo.to_string())
            .or_default()
            .push(issue);
    }
}

impl Respond for Tracker {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let path = request.url.path().to_string();
        // /repos/{owner}/{name}/issues[/{number}[/comments]]
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        if parts.len() < 4 || parts[0] != "repos" || parts[3] != "issues" {
            return ResponseTemplate::new(404).set_body_json(load("github/not-found.json"));
        }
        let repo = format!("{}/{}", parts[1], parts[2]);
        let mut all = self.issues.lock().unwrap();
        let issues = all.entry(repo).or_default();
        let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        match (request.method.as_str(), &parts[4..]) {
            ("GET", []) => ResponseTemplate::new(200).set_body_json(Value::Array(issues.clone())),
            ("POST", []) => {
                let number = issues.len() as u64 + 1;
                let mut issue = load("github/issues-page-1.json")[0].clone();
                issue["number"] = json!(number);
                issue["title"] = body["title"].clone();
                issue["body"] = body["body"].clone();
                issue["state"] = json!("open");
                issue["labels"] = json!([{"name": "warden-drift"}]);
                issues.push(issue.clone());
                ResponseTemplate::new(201).set_body_json(issue)
            }
            ("POST", [_, "comments"]) => {
                ResponseTemplate::new(201).set_body_json(load("github/issue-comment.json"))
            }
            ("PATCH", [number]) => {
                let number: u64 = number.parse().unwrap_or(0);
                let Some(issue) = issues.iter_mut().find(|i| i["number"] == number) else {
                    return ResponseTemplate::new(404).set_body_json(load("github/not-found.json"));
                };
                for key in ["body", "state", "state_reason"] {
                    if let Some(value) = body.get(key) {
                        issue[key] = value.clone();
                    }
                }
                ResponseTemplate::new(200).set_body_json(issue.clone())
            }
            _ => ResponseTemplate::new(404).set_body_json(load("github/not-found.json")),
        }
    }
}
