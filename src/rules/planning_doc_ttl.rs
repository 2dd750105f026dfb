//! `planning-doc-ttl` (being written).

use super::{Rule, RuleKind, Scope};
use crate::facts::Facts;
use crate::model::Evaluation;
use crate::policy::reader::TableReader;

pub const KIND: RuleKind = RuleKind {
    id: "planning-doc-ttl",
    summary: "(being written)",
    scope: Scope::History,
    doc: "## What it checks\n## Why\n## Example policy\n## How to fix\n",
    parse,
};

#[derive(Debug)]
struct Placeholder;

fn parse(_t: &mut TableReader<'_, '_>) -> Option<Box<dyn Rule>> {
    Some(Box::new(Placeholder))
}

impl Rule for Placeholder {
    fn evaluate(&self, _facts: &Facts) -> Evaluation {
        Evaluation::Error("not written yet".to_string())
    }
}
