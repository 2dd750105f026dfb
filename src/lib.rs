//! warden: policy-as-code governance checks for software repositories.
//!
//! The flow is always the same: a [`policy`] is loaded and validated, the [`facts`] the
//! rules need are gathered once, [`rules`] judge those facts as pure functions, the
//! [`engine`] collects their findings (applying waivers and levels) into a
//! [`report::Report`], and one of the renderers in [`report`] writes it out.

pub mod effects;
pub mod engine;
pub mod facts;
pub mod fix;
pub mod github;
pub mod init;
pub mod model;
pub mod org;
pub mod policy;
pub mod pr;
pub mod progress;
pub mod report;
pub mod rules;
pub mod run;
pub mod schema;
pub mod select;
pub mod workflow_checks;
