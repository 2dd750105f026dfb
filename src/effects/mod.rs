//! Every write warden makes to the world, in one place.
//!
//! The flow reads from the folder names: [`crate::facts`] and [`crate::github`] read,
//! [`crate::rules`] judge, [`crate::report`] renders, and this module writes: report
//! files, the Actions step summary and outputs, the git hook, the sticky PR comment and
//! the drift sweep's tracking issues, and the fixes `warden fix` makes in the checkout. Nothing here decides what is true; it acts on a
//! report or a plan that was made before.

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
