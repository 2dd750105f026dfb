//! The plan, the writes and the re-check as text (`terraform plan` style).

use std::io::Write;

use super::{Applied, Plan, Remaining};

/// The plan as text, `terraform plan` style.
pub fn render_plan(plan: &Plan, out: &mut dyn Write) -> std::io::Result<()> {
    let mut last = "";
    for change in &plan.changes {
        if change.repo != last {
            writeln!(out, "\n{}", change.repo)?;
            last = &change.repo;
        }
        let mark = if change.error.is_some() && change.requests.is_empty() {
            "!"
        } else if change.requests.is_empty() {
            "="
        } else if change
            .settings
            .first()
            .is_some_and(|d| (d.setting == "exists" || d.setting == "protected") && d.changes())
        {
            "+"
        } else {
            "~"
        };
        // Where the current values come from: once, when one answer gave them all.
        let common = change
            .settings
            .first()
            .map(|d| d.source.as_str())
            .filter(|s| change.settings.iter().all(|d| d.source == *s));
        match common {
            Some(source) => writeln!(out, "  {mark} {}   (current: {source})", change.target)?,
            None => writeln!(out, "  {mark} {}", change.target)?,
        }
        for d in &change.settings {
            let from = match common {
                Some(_) => String::new(),
                None => format!("   (current: {})", d.source),
            };
            match &d.kept {
                None => writeln!(
                    out,
                    "      {}: {} → {}{from}",
                    d.setting, d.current, d.after
                )?,
                Some(why) => writeln!(
                    out,
                    "      {}: {} ({why}; the policy asks {}){from}",
                    d.setting, d.current, d.wanted
                )?,
            }
        }
        for r in &change.requests {
            writeln!(out, "      will send {} {}", r.method, r.path)?;
        }
        if let Some(error) = &change.error {
            writeln!(out, "      error: {error}; nothing is written for it")?;
        }
    }
    for (repo, error) in &plan.errors {
        writeln!(out, "\n{repo}\n  ! {error}")?;
    }
    let targets = plan
        .changes
        .iter()
        .filter(|c| !c.requests.is_empty())
        .count();
    let errors = plan.changes.iter().filter(|c| c.error.is_some()).count() + plan.errors.len();
    writeln!(
        out,
        "\nPlan: {} write(s) to {} target(s) in {} repositories checked; {} error(s); {} requests to read.",
        plan.writes(),
        targets,
        plan.repositories,
        errors,
        plan.requests
    )
}

pub fn render_applied(applied: &Applied, out: &mut dyn Write) -> std::io::Result<()> {
    for w in &applied.writes {
        match &w.error {
            None => writeln!(
                out,
                "{}: {}: {} {} → {}",
                w.repo,
                w.target,
                w.method,
                w.path,
                w.status.unwrap_or_default()
            )?,
            Some(e) => writeln!(
                out,
                "{}: {}: {} {} failed: {e}",
                w.repo, w.target, w.method, w.path
            )?,
        }
    }
    // Read again right before writing: a state that could not be read then is not written.
    for c in applied.changes.iter().filter(|c| c.error.is_some()) {
        writeln!(
            out,
            "{}: {}: not written: {}",
            c.repo,
            c.target,
            c.error.as_deref().unwrap_or_default()
        )?;
    }
    Ok(())
}

pub fn render_remaining(remaining: &[Remaining], out: &mut dyn Write) -> std::io::Result<()> {
    let mut open = 0;
    for r in remaining {
        for gap in &r.fixable {
            open += 1;
            writeln!(out, "{}: still open: {gap}", r.repo)?;
        }
        for gap in &r.unfixable {
            writeln!(out, "{}: needs a person: {gap}", r.repo)?;
        }
        for e in &r.errors {
            writeln!(out, "{}: could not re-check: {e}", r.repo)?;
        }
    }
    if open == 0 {
        writeln!(
            out,
            "Re-check: every gap warden applied a fix for is closed."
        )?;
    } else {
        writeln!(out, "Re-check: {open} fixable gap(s) remain open.")?;
    }
    Ok(())
}
