//! The one boundary with `signoff-git`, which depends on nothing of signoff's:
//! its people, actor kinds, changes and signature states become the store's
//! records here, typed by the store's actor patterns (J1).

use signoff_core::records::{ActorKind, ChangeRecord, Person, SignatureKind, SignatureStatus};
use signoff_git::actor::ActorPatterns;

use crate::home::Signoff;

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

    /// The kind of an identity known only by a login or name (a reviewer, an
    /// approver).
    pub(crate) fn kind_of_login(&self, login: &str) -> ActorKind {
        kind_of(&self.actor_patterns(), &signoff_git::Person { name: login.to_owned(), email: String::new() })
    }

    /// A change as the release record keeps it.
    pub(crate) fn change_record(&self, change: &signoff_git::Change) -> ChangeRecord {
        let patterns = self.actor_patterns();
        ChangeRecord {
            commit: change.commit.clone(),
            summary: change.summary.clone(),
            author: self.person(&change.author),
            committer: self.person(&change.committer),
            co_authors: change.co_authors.iter().map(|person| self.person(person)).collect(),
            trailers: change.trailers.iter().map(|trailer| (trailer.key.clone(), trailer.value.clone())).collect(),
            pr: change.pr,
            merge: change.merge,
            signature: match change.signature.status {
                signoff_git::SignatureStatus::Unsigned => SignatureStatus::None,
                signoff_git::SignatureStatus::Unverified => SignatureStatus::Unverified,
                signoff_git::SignatureStatus::Verified => SignatureStatus::Verified,
                signoff_git::SignatureStatus::Bad => SignatureStatus::Bad,
            },
            signature_kind: change.signature.kind.map(|kind| match kind {
                signoff_git::SignatureKind::Ssh => SignatureKind::Ssh,
                signoff_git::SignatureKind::Gpg => SignatureKind::Gpg,
                signoff_git::SignatureKind::X509 => SignatureKind::X509,
            }),
            agents: patterns.agents(change).into_iter().map(|agent| agent.identity).collect(),
        }
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
