//! Typing the people in a change as human, bot or AI agent (PRODUCT J1).
//!
//! A person is matched as the text `Name <email>`, the way git prints an identity,
//! against glob patterns: `*` matches any run of characters, `?` exactly one, and
//! every other character (including `[` and `]`) only itself, ignoring case (globset
//! matches them).
//! AI-agent patterns are tried first, so an agent that acts through a bot account
//! (`copilot-swe-agent[bot]`) is an agent; then bot patterns; anyone else is human.
//!
//! `Generated-by` and `Assisted-by` trailers name an agent whatever their value, and
//! `Co-authored-by` trailers name co-authors who are typed like everyone else.
//!
//! The defaults ([`ActorPatterns::default`]) are lists of patterns for well-known
//! bots and agents. They are a starting point: the application passes its own
//! configuration, which can replace either list.

use crate::{Change, Person};

/// What kind of actor a person is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActorKind {
    /// A person.
    Human,
    /// An automated account that is not an AI agent (dependency updaters, CI).
    Bot,
    /// An AI coding agent.
    AiAgent,
}

/// How an agent took part in a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AgentRole {
    /// It is the commit's author.
    Author,
    /// It is the commit's committer.
    Committer,
    /// A `Co-authored-by` trailer names it.
    CoAuthor,
    /// A `Generated-by` trailer names it.
    GeneratedBy,
    /// An `Assisted-by` trailer names it.
    AssistedBy,
}

/// An AI agent involved in a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    /// Its identity: `Name <email>` for people matched by pattern, the trailer's
    /// value for `Generated-by` and `Assisted-by`.
    pub identity: String,
    /// How it took part.
    pub role: AgentRole,
}

/// The patterns that type actors. See the module documentation for the syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorPatterns {
    /// Patterns for bots.
    pub bots: Vec<String>,
    /// Patterns for AI agents; tried before `bots`.
    pub ai_agents: Vec<String>,
}

/// Default bot patterns.
pub const DEFAULT_BOTS: &[&str] = &[
    // GitHub Apps: dependabot[bot], renovate[bot], github-actions[bot].
    "*[bot] <*",
    "* <*[bot]@users.noreply.github.com>",
    // GitHub's web-flow committer of merges and edits made in the web interface.
    "* <noreply@github.com>",
    // GitLab project and group access-token users.
    "* <*_bot_*@noreply.*>",
];

/// Default AI agent patterns.
pub const DEFAULT_AI_AGENTS: &[&str] = &[
    // Anthropic Claude and Claude Code.
    "claude <*",
    "claude code <*",
    "* <noreply@anthropic.com>",
    // GitHub Copilot (coding agent and co-author trailers).
    "copilot <*",
    "github copilot <*",
    "* <*+copilot@users.noreply.github.com>",
    // Cursor.
    "cursor agent <*",
    "* <cursoragent@cursor.com>",
    // Devin.
    "devin <*",
    "devin ai <*",
    "devin-ai-integration*",
    // OpenAI Codex.
    "codex <*",
    "openai codex <*",
    "*codex*[bot] <*",
    // Aider marks its commits `Name (aider)` and co-authors `aider (model)`.
    "aider <*",
    "aider (*) <*",
    "* (aider) <*",
    "* <*@aider.chat>",
    // Anything whose name says it is an agent.
    "*agent* <*",
];

impl Default for ActorPatterns {
    fn default() -> Self {
        ActorPatterns {
            bots: DEFAULT_BOTS.iter().map(|p| (*p).to_owned()).collect(),
            ai_agents: DEFAULT_AI_AGENTS.iter().map(|p| (*p).to_owned()).collect(),
        }
    }
}

impl ActorPatterns {
    /// The kind of actor `person` is.
    pub fn classify(&self, person: &Person) -> ActorKind {
        let identity = person.identity();
        if self.ai_agents.iter().any(|pattern| glob_match(pattern, &identity)) {
            ActorKind::AiAgent
        } else if self.bots.iter().any(|pattern| glob_match(pattern, &identity)) {
            ActorKind::Bot
        } else {
            ActorKind::Human
        }
    }

    /// Every AI agent involved in `change`: its author, committer and co-authors
    /// when they are agents, and every `Generated-by` and `Assisted-by` trailer.
    pub fn agents(&self, change: &Change) -> Vec<Agent> {
        let mut agents = Vec::new();
        let people = [(&change.author, AgentRole::Author), (&change.committer, AgentRole::Committer)]
            .into_iter()
            .chain(change.co_authors.iter().map(|person| (person, AgentRole::CoAuthor)));
        for (person, role) in people {
            if self.classify(person) == ActorKind::AiAgent {
                agents.push(Agent { identity: person.identity(), role });
            }
        }
        for trailer in &change.trailers {
            let role = if trailer.key.eq_ignore_ascii_case("Generated-by") {
                AgentRole::GeneratedBy
            } else if trailer.key.eq_ignore_ascii_case("Assisted-by") {
                AgentRole::AssistedBy
            } else {
                continue;
            };
            agents.push(Agent { identity: trailer.value.clone(), role });
        }
        agents
    }

    /// Whether an AI agent authored or co-authored `change` (the J3 criterion):
    /// any agent except one that only committed it.
    pub fn agent_authored(&self, change: &Change) -> bool {
        self.agents(change).iter().any(|agent| agent.role != AgentRole::Committer)
    }
}

/// Whether `text` matches the glob `pattern` (`*`, `?`, case ignored).
///
/// Matched by globset (a regular expression, so the cost is linear in the text);
/// every character other than `*` and `?` stands for itself, `[`, `]`, `{`, `}`
/// and `\\` included. Compiled patterns are kept per thread: the same few patterns
/// are tried on every person of every commit.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    type Compiled = std::collections::HashMap<String, Option<globset::GlobMatcher>>;
    thread_local! {
        static COMPILED: std::cell::RefCell<Compiled> = std::cell::RefCell::default();
    }
    COMPILED.with(|cell| {
        let mut compiled = cell.borrow_mut();
        if let Some(matcher) = compiled.get(pattern) {
            return matcher.as_ref().is_some_and(|matcher| matcher.is_match(text));
        }
        if compiled.len() >= 1024 {
            compiled.clear();
        }
        let matcher = wildcard_matcher(pattern, Wildcards { question_mark: true, case_insensitive: true });
        let matched = matcher.as_ref().is_some_and(|matcher| matcher.is_match(text));
        compiled.insert(pattern.to_owned(), matcher);
        matched
    })
}

/// How [`wildcard_matcher`] reads a pattern.
#[derive(Debug, Clone, Copy)]
pub struct Wildcards {
    /// `?` matches any one character (else it stands for itself).
    pub question_mark: bool,
    /// Letters match either case.
    pub case_insensitive: bool,
}

/// The one way signoff matches names against patterns (actor logins, OIDC
/// claims): `*` matches any run of characters, `/` included (runs of `*` are one
/// `*`); `?` as `wildcards` says; every other character only itself (`[`, `{`,
/// `\\` included). Built on globset, so matching is linear in the text. `None`
/// for a pattern globset cannot compile.
pub fn wildcard_matcher(pattern: &str, wildcards: Wildcards) -> Option<globset::GlobMatcher> {
    let mut glob = String::with_capacity(pattern.len() + 8);
    for character in pattern.chars() {
        match character {
            // `**` means something else to globset; here it is one `*`.
            '*' if glob.ends_with('*') => {}
            '*' => glob.push('*'),
            '?' if wildcards.question_mark => glob.push('?'),
            other => glob.push_str(&globset::escape(other.encode_utf8(&mut [0; 4]))),
        }
    }
    globset::GlobBuilder::new(&glob)
        .case_insensitive(wildcards.case_insensitive)
        .literal_separator(false)
        .backslash_escape(false)
        .build()
        .ok()
        .map(|glob| glob.compile_matcher())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(identity: &str) -> Person {
        crate::message::parse_identity(identity)
    }

    #[test]
    fn globs() {
        for (pattern, text, expected) in [
            ("*", "", true),
            ("*[bot] <*", "dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>", true),
            ("*[bot] <*", "Bob <bob@example.com>", false),
            ("claude <*", "Claude <noreply@anthropic.com>", true),
            ("claude <*", "Claude Monet <claude@example.com>", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("*a*b*c*", "xxaxxbxxcxx", true),
            ("*a*b*c*", "xxaxxcxxbxx", false),
            ("exact", "EXACT", true),
            ("", "x", false),
            ("a{b,c}", "a{b,c}", true),
            ("a{b,c}", "ab", false),
            ("x\\*", "x\\yz", true),
            ("a**b", "axxb", true),
            ("dir/*", "dir/sub/file", true),
        ] {
            assert_eq!(glob_match(pattern, text), expected, "{pattern:?} on {text:?}");
        }
    }

    #[test]
    fn default_classification() {
        let patterns = ActorPatterns::default();
        for (identity, expected) in [
            ("Ada Lovelace <ada@example.com>", ActorKind::Human),
            // A person's own GitHub noreply address is not a bot.
            ("Ada <12345+ada@users.noreply.github.com>", ActorKind::Human),
            ("Claude Monet <claude@example.com>", ActorKind::Human),
            ("dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>", ActorKind::Bot),
            ("github-actions[bot] <41898282+github-actions[bot]@users.noreply.github.com>", ActorKind::Bot),
            ("GitHub <noreply@github.com>", ActorKind::Bot),
            ("Project Bot <project_12_bot_5f3a@noreply.gitlab.example.com>", ActorKind::Bot),
            ("Claude <noreply@anthropic.com>", ActorKind::AiAgent),
            ("Copilot <175728472+Copilot@users.noreply.github.com>", ActorKind::AiAgent),
            ("copilot-swe-agent[bot] <198982749+Copilot@users.noreply.github.com>", ActorKind::AiAgent),
            ("Cursor Agent <cursoragent@cursor.com>", ActorKind::AiAgent),
            (
                "devin-ai-integration[bot] <158243242+devin-ai-integration[bot]@users.noreply.github.com>",
                ActorKind::AiAgent,
            ),
            (
                "chatgpt-codex-connector[bot] <1+chatgpt-codex-connector[bot]@users.noreply.github.com>",
                ActorKind::AiAgent,
            ),
            ("Paul (aider) <paul@example.com>", ActorKind::AiAgent),
            ("aider (anthropic/claude-sonnet) <noreply@aider.chat>", ActorKind::AiAgent),
        ] {
            assert_eq!(patterns.classify(&person(identity)), expected, "{identity}");
        }
    }

    #[test]
    fn patterns_are_overridable() {
        let patterns = ActorPatterns { bots: vec!["* <ci@example.com>".into()], ai_agents: vec!["robo *".into()] };
        assert_eq!(patterns.classify(&person("CI <ci@example.com>")), ActorKind::Bot);
        assert_eq!(patterns.classify(&person("Robo Coder <r@example.com>")), ActorKind::AiAgent);
        assert_eq!(patterns.classify(&person("Claude <noreply@anthropic.com>")), ActorKind::Human);
    }
}
