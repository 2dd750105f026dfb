//! Every write warden makes to the world, in one place.
//!
//! The flow reads from the folder names: [`crate::facts`] and [`crate::github`] read,
//! [`crate::rules`] judge, [`crate::report`] renders, and this module writes:
//!
//! - [`output`]: report files (atomic, regular files only) and `warden init`'s policy;
//! - [`actions`]: the Actions step summary and outputs;
//! - [`hook`]: the git pre-commit hook;
//! - [`pr_comment`], [`tracking`], [`org_tracking`]: the sticky PR comment and the drift
//!   sweep's tracking issues;
//! - [`fix`] (through [`confined`]): local fixes in the checkout (`warden fix`);
//! - [`fix_pr`]: the same fixes as one pull request per repository (`warden fix --pr`);
//! - [`apply`]: GitHub settings (`warden apply`).
//!
//! Nothing here decides what is true: it acts on a report or a plan made before. (The
//! ETag cache of GitHub answers, `github::cache`, is the one other file warden writes: it
//! is part of reading.)

pub mod actions;
pub mod apply;
pub mod confined;
pub mod fix;
pub mod fix_pr;
pub mod hook;
pub mod org_tracking;
pub mod output;
pub mod pr_comment;
pub mod tracking;
