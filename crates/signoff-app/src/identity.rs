//! Who is acting (J1): the identity of the person or program running signoff, and
//! whether it is a human, a bot or an AI agent.
//!
//! The identity is, in order: `--actor` (the caller passes it), `SIGNOFF_ACTOR`,
//! the CI system's actor (`GITHUB_ACTOR`, `GITLAB_USER_LOGIN`, ...), the OS user
//! (`USER`). Its kind is `SIGNOFF_ACTOR_KIND` when set, else the patterns of
//! `[actors]` in `signoff.toml` and the built-in ones (signoff-git's defaults:
//! GitHub `[bot]` accounts, known AI agents). `SIGNOFF_ON_BEHALF_OF` names the human
//! an agent or bot acts for.

use signoff_core::records::{Actor, ActorKind, Person};
use signoff_git::actor::ActorPatterns;

use crate::error::AppError;
use crate::home::{Environment, Signoff};

impl Signoff {
    /// The patterns that type actors: built-in ones plus the store's.
    pub(crate) fn actor_patterns(&self) -> ActorPatterns {
        let mut patterns = ActorPatterns::default();
        patterns.bots.extend(self.config.actors.bots.iter().cloned());
        patterns.ai_agents.extend(self.config.actors.ai_agents.iter().cloned());
        patterns
    }

    /// Types a git person.
    pub(crate) fn person(&self, person: &signoff_git::Person) -> Person {
        Person { name: person.name.clone(), email: person.email.clone(), kind: kind_of(&self.actor_patterns(), person) }
    }

    /// Types an identity known only by a login or name (a reviewer, an approver).
    pub(crate) fn actor_named(&self, id: &str) -> Actor {
        let person = signoff_git::Person { name: id.to_owned(), email: String::new() };
        Actor { id: id.to_owned(), kind: kind_of(&self.actor_patterns(), &person), on_behalf_of: None, source: None }
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
        } else if let Some(id) =
            environment.var("USER").or_else(|| environment.var("LOGNAME")).filter(|id| !id.is_empty())
        {
            (id, "os-user".to_owned())
        } else {
            return Err(AppError::Invalid("who is acting? pass --actor NAME or set SIGNOFF_ACTOR".into()));
        };
        let mut actor = self.actor_named(&id);
        if let Some(kind) = environment.var("SIGNOFF_ACTOR_KIND").filter(|kind| !kind.is_empty()) {
            actor.kind = match kind.as_str() {
                "human" => ActorKind::Human,
                "bot" => ActorKind::Bot,
                "ai_agent" => ActorKind::AiAgent,
                other => {
                    return Err(AppError::Invalid(format!(
                        "SIGNOFF_ACTOR_KIND is {other:?}; expected human, bot or ai_agent"
                    )));
                }
            };
        }
        actor.on_behalf_of = environment.var("SIGNOFF_ON_BEHALF_OF").filter(|id| !id.is_empty());
        actor.source = Some(source);
        Ok(actor)
    }
}

fn kind_of(patterns: &ActorPatterns, person: &signoff_git::Person) -> ActorKind {
    // The patterns match `Name <email>`; a bare login (`dependabot[bot]`, `claude`)
    // is matched as a name with a placeholder address.
    let kind = if person.email.is_empty() {
        patterns.classify(&signoff_git::Person { name: person.name.clone(), email: "unknown".into() })
    } else {
        patterns.classify(person)
    };
    match kind {
        signoff_git::actor::ActorKind::Human => ActorKind::Human,
        signoff_git::actor::ActorKind::Bot => ActorKind::Bot,
        signoff_git::actor::ActorKind::AiAgent => ActorKind::AiAgent,
    }
}
