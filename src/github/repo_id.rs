//! Which GitHub repository a checkout is: `--repo`, `GITHUB_REPOSITORY`, or the `origin` remote.

use std::path::Path;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepoId {
    pub owner: String,
    pub name: String,
}

impl std::fmt::Display for RepoId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

impl RepoId {
    /// `OWNER/NAME`.
    pub fn parse(text: &str) -> Option<RepoId> {
        let (owner, name) = text.trim().split_once('/')?;
        let valid = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        };
        (valid(owner) && valid(name)).then(|| RepoId {
            owner: owner.to_string(),
            name: name.trim_end_matches(".git").to_string(),
        })
    }

    /// From a remote URL: `git@github.com:o/r.git`, `https://github.com/o/r`, `ssh://git@host/o/r.git`.
    pub fn from_remote_url(url: &str) -> Option<RepoId> {
        let url = url.trim().trim_end_matches('/');
        let path = if let Some((_, rest)) = url.split_once("://") {
            rest.split_once('/')?.1
        } else if let Some((_, rest)) = url.split_once(':') {
            rest
        } else {
            return None;
        };
        let mut parts = path.rsplitn(3, '/');
        let name = parts.next()?;
        let owner = parts.next()?;
        RepoId::parse(&format!("{owner}/{name}"))
    }

    /// The repository of the checkout at `dir`, from its `origin` remote.
    pub fn from_checkout(dir: &Path) -> Option<RepoId> {
        let repo = git2::Repository::discover(dir).ok()?;
        let remote = repo.find_remote("origin").ok()?;
        RepoId::from_remote_url(remote.url()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_usual_remote_forms() {
        let want = Some(RepoId {
            owner: "octo-org".into(),
            name: "hello-world".into(),
        });
        assert_eq!(
            RepoId::from_remote_url("git@github.com:octo-org/hello-world.git"),
            want
        );
        assert_eq!(
            RepoId::from_remote_url("https://github.com/octo-org/hello-world"),
            want
        );
        assert_eq!(
            RepoId::from_remote_url("ssh://git@ghe.example.com/octo-org/hello-world.git"),
            want
        );
        assert_eq!(RepoId::parse("not a repo"), None);
    }
}
