//! Where the user stands: the store (found like git finds `.git`), the git work
//! tree and its HEAD, and who the user is when nothing else says.

use std::path::{Path, PathBuf};

use signoff_app::{Environment, Signoff};
use signoff_core::CommitSha;
use signoff_core::records::Actor;

use crate::render::note;

/// The folder name a store lives in.
const STORE_FOLDER: &str = ".signoff";

/// The store folder: `--store`/`SIGNOFF_HOME`, else the nearest `.signoff` in this
/// folder or a parent that holds a store, else `./.signoff` (where `init` makes one).
pub(crate) fn home(flag: Option<&Path>) -> PathBuf {
    if let Some(path) = flag {
        return path.to_owned();
    }
    let here = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    for folder in here.ancestors() {
        let candidate = folder.join(STORE_FOLDER);
        if candidate.join("keys").is_dir()
            && (candidate.join("signoff.db").exists() || candidate.join("signoff.toml").exists())
        {
            return candidate;
        }
    }
    PathBuf::from(STORE_FOLDER)
}

/// Who is acting: `--actor`, `SIGNOFF_ACTOR`, the CI actor, the git identity (an
/// unverified local identity), the OS user (likewise).
pub(crate) fn actor(signoff: &Signoff, flag: Option<&str>) -> anyhow::Result<Actor> {
    let environment = Environment::from_process();
    let explicit = flag.is_some()
        || environment.var("SIGNOFF_ACTOR").is_some_and(|id| !id.is_empty())
        || environment.ci_context().actor.is_some();
    if !explicit && let Some(person) = signoff_git::open(".").ok().and_then(|repo| repo.user()) {
        let mut actor = signoff.actor_named(&person.email);
        actor.source = Some("git-config".into());
        note!(
            "acting as {} from git's user.email (an unverified local identity; --actor or SIGNOFF_ACTOR names another)",
            person.email
        );
        return Ok(actor);
    }
    let actor = signoff.current_actor(&environment, flag)?;
    if actor.source.as_deref() == Some("os-user") {
        note!(
            "acting as {} from the OS user (an unverified local identity; --actor or SIGNOFF_ACTOR names another)",
            actor.id
        );
    }
    Ok(actor)
}

/// The commit evidence or a release is for: the flag (a short id resolved in the
/// git repository `repo`), else CI's, else HEAD of the git work tree `repo` (saying
/// so). `None` when there is none of these.
pub(crate) fn commit(flag: Option<&str>, ci: Option<&str>, repo: &Path) -> anyhow::Result<Option<CommitSha>> {
    if let Some(text) = flag {
        let abbreviated = (4..40).contains(&text.len()) && text.chars().all(|c| c.is_ascii_hexdigit());
        if !abbreviated {
            return Ok(Some(CommitSha::new(text)?));
        }
        let repo = signoff_git::open(repo).map_err(|error| {
            anyhow::anyhow!(
                "--commit {text} is not a full commit id, and there is no git repository at {} to resolve it in ({error})",
                repo.display()
            )
        })?;
        let resolved = repo.resolve(text)?;
        return Ok(Some(CommitSha::new(&resolved)?));
    }
    if let Some(text) = ci {
        return Ok(Some(CommitSha::new(text)?));
    }
    let Ok(work_tree) = signoff_git::open(repo) else { return Ok(None) };
    let Ok(head) = work_tree.head_commit() else { return Ok(None) };
    if repo == Path::new(".") {
        note!("commit {head} (HEAD of the git work tree here; --commit names another)");
    } else {
        note!("commit {head} (HEAD of {}; --commit names another)", repo.display());
    }
    Ok(Some(CommitSha::new(&head)?))
}
