//! Who is acting (J1), for front ends that run as the actor: the command line.
//! (The server acts as the identity of the token or OIDC token presented.)
//!
//! The identity is, in order: `--actor` (the caller passes it), `SIGNOFF_ACTOR`,
//! the CI system's actor (`GITHUB_ACTOR`, `GITLAB_USER_LOGIN`, ...), the OS user
//! (`USER`, `LOGNAME`, else the password database's name for the process's user),
//! which is an unverified local identity (source `os-user`). Its kind is `SIGNOFF_ACTOR_KIND` when set, else the patterns of
//! `[actors]` in `signoff.toml` and the built-in ones (signoff-git's defaults:
//! GitHub `[bot]` accounts, known AI agents). `SIGNOFF_ON_BEHALF_OF` names the human
//! an agent or bot acts for.

use signoff_core::records::{Actor, ActorKind};

use crate::error::AppError;
use crate::home::{Environment, Signoff};

impl Signoff {
    /// An identity known only by a login or name, typed by the patterns.
    pub fn actor_named(&self, id: &str) -> Actor {
        Actor { id: id.to_owned(), kind: self.kind_of_login(id), on_behalf_of: None, source: None }
    }

    /// The actor running this command.
    ///
    /// # Errors
    /// When no identity can be found, or `SIGNOFF_ACTOR_KIND` is not a kind.
    pub fn current_actor(&self, environment: &Environment, flag: Option<&str>) -> Result<Actor, AppError> {
        let ci = environment.ci_context();
        let (id, source) = if let Some(id) = flag {
            (id.to_owned(), "flag".to_owned())
        } else if let Some(id) = environment.var("SIGNOFF_ACTOR").filter(|id| !id.is_empty()) {
            (id, "SIGNOFF_ACTOR".to_owned())
        } else if let (Some(id), Some(system)) = (ci.actor.clone(), ci.system.clone()) {
            (id, system)
        } else if let Some(id) = environment.os_user() {
            (id, "os-user".to_owned())
        } else {
            return Err(AppError::Invalid("who is acting? pass --actor NAME or set SIGNOFF_ACTOR".into()));
        };
        let mut actor = self.actor_named(&id);
        if let Some(kind) = environment.var("SIGNOFF_ACTOR_KIND").filter(|kind| !kind.is_empty()) {
            actor.kind = kind.parse::<ActorKind>().map_err(|_| {
                AppError::Invalid(format!("SIGNOFF_ACTOR_KIND is {kind:?}; expected human, bot or ai_agent"))
            })?;
        }
        actor.on_behalf_of = environment.var("SIGNOFF_ON_BEHALF_OF").filter(|id| !id.is_empty());
        actor.source = Some(source);
        Ok(actor)
    }
}
