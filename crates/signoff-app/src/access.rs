//! Access tokens of the server (R5) and what each may do.
//!
//! A token is `so_<id>_<secret>`: a public id (16 hex digits) to find it by and a
//! secret of 256 random bits (64 hex digits). The store keeps only SHA-256 of the
//! whole string and compares it in constant time; the secret is shown once, when
//! the token is issued. A token carries a name, scopes, optional project limits,
//! an expiry and an actor kind. Its name is the actor every write made with it is
//! recorded under: a request cannot claim another identity.
//!
//! Architecture Invariant: the tokens table is access configuration, not evidence
//! (its `revoked_at` and `last_used_at` change in place); every issue and
//! revocation is also a ledger entry (`token_issued`, `token_revoked`, never the
//! secret or its hash), written in the same transaction as the row.
//!
//! Architecture Invariant (J2): an `ai_agent` token never carries the `approve`,
//! `certify` or `admin` scope, and a request an agent is refused is itself a
//! ledger entry (`access_denied`).

use std::fmt;

use serde::Serialize;
use signoff_core::ProjectName;
use signoff_core::entry::Event;
use signoff_core::records::{AccessDeniedRecord, Actor, ActorKind, TokenGrantRecord, TokenRevocationRecord};
use signoff_store::TokenRow;
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use time::macros::format_description;

pub mod oidc;

use crate::error::{AppError, Refusal};
use crate::home::Signoff;
use crate::ledger::now;

/// What a token may do.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Capture evidence.
    Capture,
    /// Create releases, record deployments, request exceptions.
    Release,
    /// Approve releases and exceptions (humans only).
    Approve,
    /// Certify releases (humans and bots, never agents).
    Certify,
    /// Read anything of its projects: releases, findings, traces, proofs.
    Read,
    /// Administer: tokens, server metrics.
    Admin,
}

impl Scope {
    /// Every scope.
    pub const ALL: [Scope; 6] =
        [Scope::Capture, Scope::Release, Scope::Approve, Scope::Certify, Scope::Read, Scope::Admin];

    /// The name (`capture`, ...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::Capture => "capture",
            Scope::Release => "release",
            Scope::Approve => "approve",
            Scope::Certify => "certify",
            Scope::Read => "read",
            Scope::Admin => "admin",
        }
    }

    /// Whether an AI agent may hold it (J2).
    pub const fn for_agents(self) -> bool {
        matches!(self, Scope::Capture | Scope::Release | Scope::Read)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Scope {
    type Err = AppError;

    fn from_str(text: &str) -> Result<Scope, AppError> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == text).ok_or_else(|| {
            AppError::Invalid(format!("{text:?} is not a scope (capture, release, approve, certify, read, admin)"))
        })
    }
}

/// One form for every time the tokens table holds, so that text order is time
/// order: UTC, milliseconds, `Z`.
fn stamp(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    at.format(format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"))
        .unwrap_or_default()
}

fn parse_stamp(text: &str) -> Result<OffsetDateTime, AppError> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .map_err(|error| AppError::Inconsistent(format!("token time {text:?} does not parse: {error}")))
}

/// Parses a length of time: `90d`, `12h`, `30m`, `2w`.
///
/// # Errors
/// Anything else.
pub fn parse_duration(text: &str) -> Result<time::Duration, AppError> {
    let bad = || AppError::Invalid(format!("{text:?} is not a duration: use a number and m, h, d or w (90d, 12h)"));
    let (number, unit) = text.trim().split_at(text.trim().len().saturating_sub(1));
    let number: i64 = number.parse().map_err(|_| bad())?;
    if number <= 0 {
        return Err(bad());
    }
    match unit {
        "m" => Ok(time::Duration::minutes(number)),
        "h" => Ok(time::Duration::hours(number)),
        "d" => Ok(time::Duration::days(number)),
        "w" => Ok(time::Duration::weeks(number)),
        _ => Err(bad()),
    }
}

/// A token to issue.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// Its name: the identity its requests act as.
    pub name: String,
    /// What it may do.
    pub scopes: Vec<Scope>,
    /// The projects it is limited to; empty: all.
    pub projects: Vec<ProjectName>,
    /// Who acts with it.
    pub kind: ActorKind,
    /// How long it is valid; `None`: until revoked.
    pub expires_in: Option<time::Duration>,
    /// Who issues it.
    pub actor: Actor,
}

/// Where a token stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenState {
    /// Accepted.
    Active,
    /// Accepted until its revocation takes effect (a rotation's grace).
    Grace,
    /// Past its expiry.
    Expired,
    /// Revoked.
    Revoked,
}

impl TokenState {
    /// The name.
    pub const fn as_str(self) -> &'static str {
        match self {
            TokenState::Active => "active",
            TokenState::Grace => "grace",
            TokenState::Expired => "expired",
            TokenState::Revoked => "revoked",
        }
    }
}

/// A token as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct TokenView {
    /// The public id.
    pub id: String,
    /// The name.
    pub name: String,
    /// Scopes.
    pub scopes: Vec<Scope>,
    /// Project limits; empty: all projects.
    pub projects: Vec<ProjectName>,
    /// The actor kind.
    pub kind: ActorKind,
    /// Where it stands now.
    pub state: TokenState,
    /// When issued.
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String", extend("format" = "date-time"))]
    pub created_at: OffsetDateTime,
    /// Who issued it.
    pub created_by: String,
    /// When it expires.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schemars(with = "Option<String>", extend("format" = "date-time"))]
    pub expires_at: Option<OffsetDateTime>,
    /// From when it is revoked.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schemars(with = "Option<String>", extend("format" = "date-time"))]
    pub revoked_at: Option<OffsetDateTime>,
    /// When it was last accepted (to the minute).
    #[serde(with = "time::serde::rfc3339::option")]
    #[schemars(with = "Option<String>", extend("format" = "date-time"))]
    pub last_used_at: Option<OffsetDateTime>,
    /// The token it succeeds.
    pub predecessor: Option<String>,
}

impl TokenView {
    fn from_row(row: &TokenRow, at: OffsetDateTime) -> Result<TokenView, AppError> {
        let optional = |text: &Option<String>| text.as_deref().map(parse_stamp).transpose();
        let scopes = split(&row.scopes).map(str::parse).collect::<Result<Vec<Scope>, _>>()?;
        let projects = split(&row.projects).map(ProjectName::new).collect::<Result<Vec<_>, _>>()?;
        let kind = row
            .actor_kind
            .parse::<ActorKind>()
            .map_err(|error| AppError::Inconsistent(format!("token {}: {error}", row.id)))?;
        let expires_at = optional(&row.expires_at)?;
        let revoked_at = optional(&row.revoked_at)?;
        let state = match (revoked_at, expires_at) {
            (Some(revoked), _) if revoked <= at => TokenState::Revoked,
            (_, Some(expires)) if expires <= at => TokenState::Expired,
            (Some(_), _) => TokenState::Grace,
            _ => TokenState::Active,
        };
        Ok(TokenView {
            id: row.id.clone(),
            name: row.name.clone(),
            scopes,
            projects,
            kind,
            state,
            created_at: parse_stamp(&row.created_at)?,
            created_by: row.created_by.clone(),
            expires_at,
            revoked_at,
            last_used_at: optional(&row.last_used_at)?,
            predecessor: row.predecessor.clone(),
        })
    }
}

fn split(list: &str) -> impl Iterator<Item = &str> {
    list.split(',').filter(|item| !item.is_empty())
}

/// A token just issued, with its secret: shown once, never again.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct IssuedToken {
    /// The token.
    #[serde(flatten)]
    pub token: TokenView,
    /// The whole token string to present (`Authorization: Bearer so_...`).
    pub secret: String,
    /// The ledger entry recording its issue.
    pub entry: u64,
}

fn check_name(name: &str) -> Result<(), AppError> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'));
    if valid {
        Ok(())
    } else {
        Err(AppError::Invalid(format!("token name {name:?}: use 1 to 64 letters, digits, '-', '_', '.' or '@'")))
    }
}

fn random_hex(bytes: usize) -> Result<String, AppError> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).map_err(|error| AppError::Invalid(format!("no randomness for a token: {error}")))?;
    Ok(hex::encode(buffer))
}

fn hash(token: &str) -> Vec<u8> {
    signoff_core::Digest::of(token.as_bytes()).as_bytes().to_vec()
}

fn join<T: fmt::Display>(items: &[T]) -> String {
    items.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
}

/// Issues a token. The returned secret is the only copy.
///
/// # Errors
/// A bad name, no scope, an agent token with a scope agents may not hold (J2), a
/// store failure.
pub async fn create(signoff: &Signoff, request: NewToken) -> Result<IssuedToken, AppError> {
    issue(signoff, request, None).await
}

async fn issue(signoff: &Signoff, request: NewToken, predecessor: Option<String>) -> Result<IssuedToken, AppError> {
    check_name(&request.name)?;
    let mut scopes = request.scopes;
    scopes.sort_unstable();
    scopes.dedup();
    if scopes.is_empty() {
        return Err(AppError::Invalid("a token needs at least one scope (--scope capture,read, ...)".into()));
    }
    if request.kind == ActorKind::AiAgent
        && let Some(scope) = scopes.iter().find(|scope| !scope.for_agents())
    {
        return Err(AppError::Invalid(format!(
            "an ai_agent token cannot carry the {scope} scope: agents may capture, release and read, never approve, certify or administer (J2)"
        )));
    }
    let mut projects = request.projects;
    projects.sort();
    projects.dedup();
    let at = now();
    let expires_at = request.expires_in.map(|duration| at + duration);
    let id = random_hex(8)?;
    let secret = format!("so_{id}_{}", random_hex(32)?);
    let row = TokenRow {
        id: id.clone(),
        name: request.name.clone(),
        hash: hash(&secret),
        scopes: join(&scopes),
        projects: join(&projects),
        actor_kind: request.kind.as_str().to_owned(),
        created_at: stamp(at),
        created_by: request.actor.id.clone(),
        expires_at: expires_at.map(stamp),
        revoked_at: None,
        last_used_at: None,
        predecessor: predecessor.clone(),
    };
    let record = TokenGrantRecord {
        id,
        name: request.name,
        scopes: scopes.iter().map(|scope| scope.as_str().to_owned()).collect(),
        projects,
        kind: request.kind,
        expires_at,
        predecessor,
        actor: request.actor,
    };
    let mut batch = signoff.begin_batch().await?;
    let entry = batch.append(Event::TokenIssued(Box::new(record))).await?;
    batch.tx().insert_token(&row).await?;
    batch.commit(signoff).await?;
    Ok(IssuedToken { token: TokenView::from_row(&row, at)?, secret, entry: entry.seq })
}

/// Every token, oldest first, with where it stands; never a secret.
///
/// # Errors
/// A store failure.
pub async fn list(signoff: &Signoff) -> Result<Vec<TokenView>, AppError> {
    let at = now();
    signoff.store.tokens().await?.iter().map(|row| TokenView::from_row(row, at)).collect()
}

async fn token_row(signoff: &Signoff, id: &str) -> Result<TokenRow, AppError> {
    signoff.store.token(id).await?.ok_or_else(|| crate::Missing::Token(id.to_owned()).into())
}

/// Revokes a token at once.
///
/// # Errors
/// An unknown token, one revoked already, or a store failure.
pub async fn revoke(signoff: &Signoff, id: &str, actor: Actor) -> Result<TokenView, AppError> {
    let row = token_row(signoff, id).await?;
    let at = now();
    if TokenView::from_row(&row, at)?.state == TokenState::Revoked {
        return Err(Refusal::Exists { what: format!("the revocation of token {id}") }.into());
    }
    end(signoff, &row, at, "revoked".into(), actor).await?;
    TokenView::from_row(&token_row(signoff, id).await?, now())
}

async fn end(
    signoff: &Signoff,
    row: &TokenRow,
    at: OffsetDateTime,
    reason: String,
    actor: Actor,
) -> Result<(), AppError> {
    let record = TokenRevocationRecord { id: row.id.clone(), name: row.name.clone(), effective_at: at, reason, actor };
    let mut batch = signoff.begin_batch().await?;
    batch.append(Event::TokenRevoked(Box::new(record))).await?;
    batch.tx().revoke_token(&row.id, &stamp(at)).await?;
    batch.commit(signoff).await?;
    Ok(())
}

/// Issues a successor of a token (same name, scopes, projects, kind and length of
/// validity) and keeps the old one valid for `grace`.
///
/// # Errors
/// An unknown or revoked token, or a store failure.
pub async fn rotate(signoff: &Signoff, id: &str, grace: time::Duration, actor: Actor) -> Result<IssuedToken, AppError> {
    let row = token_row(signoff, id).await?;
    let old = TokenView::from_row(&row, now())?;
    if matches!(old.state, TokenState::Revoked | TokenState::Expired) {
        return Err(AppError::Invalid(format!(
            "token {id} is {}: issue a new one with `signoff token create`",
            old.state.as_str()
        )));
    }
    let request = NewToken {
        name: old.name.clone(),
        scopes: old.scopes.clone(),
        projects: old.projects.clone(),
        kind: old.kind,
        expires_in: old.expires_at.map(|expires| expires - old.created_at),
        actor: actor.clone(),
    };
    let issued = issue(signoff, request, Some(old.id.clone())).await?;
    let until = now() + grace;
    end(signoff, &row, until, format!("rotated to {}", issued.token.id), actor).await?;
    Ok(issued)
}

/// Who a request acts as: the identity of the token it presented.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The token's id.
    pub token: String,
    /// What it may do.
    pub scopes: Vec<Scope>,
    /// Its project limits; empty: all.
    pub projects: Vec<ProjectName>,
    /// The actor recorded for what it does.
    pub actor: Actor,
}

impl Principal {
    /// Whether the token may act in `scope` at all (on some project).
    ///
    /// # Errors
    /// [`Refusal::NoScope`], or [`Refusal::NotHuman`] for an agent asking for a
    /// scope agents never hold.
    pub fn may(&self, scope: Scope) -> Result<(), Refusal> {
        if self.actor.kind == ActorKind::AiAgent && !scope.for_agents() {
            return Err(Refusal::NotHuman {
                actor: self.actor.id.clone(),
                kind: self.actor.kind,
                action: scope.action(),
            });
        }
        if self.scopes.contains(&scope) {
            Ok(())
        } else {
            Err(Refusal::NoScope { token: self.actor.id.clone(), scope: scope.as_str() })
        }
    }

    /// Whether the token may act in `scope` on `project`.
    ///
    /// # Errors
    /// As [`may`](Self::may), or [`Refusal::OtherProject`].
    pub fn may_on(&self, scope: Scope, project: &ProjectName) -> Result<(), Refusal> {
        self.may(scope)?;
        if self.covers(project) {
            Ok(())
        } else {
            Err(Refusal::OtherProject {
                token: self.actor.id.clone(),
                project: project.to_string(),
                allowed: join(&self.projects),
            })
        }
    }

    /// Whether the token reads every project (for answers that span them all).
    ///
    /// # Errors
    /// [`Refusal::SpansProjects`] for a token limited to some projects.
    pub fn every_project(&self) -> Result<(), Refusal> {
        if self.projects.is_empty() {
            Ok(())
        } else {
            Err(Refusal::SpansProjects { token: self.actor.id.clone(), allowed: join(&self.projects) })
        }
    }

    /// Whether its limits cover `project`.
    pub fn covers(&self, project: &ProjectName) -> bool {
        self.projects.is_empty() || self.projects.contains(project)
    }

    /// The project an aggregate answer must be limited to: the one asked for (if
    /// covered), else the token's only project; `None` for a token of every
    /// project that asked for none.
    ///
    /// # Errors
    /// A project the token does not cover, or none named by a token of several.
    pub fn project_for(&self, asked: Option<ProjectName>) -> Result<Option<ProjectName>, Refusal> {
        match (asked, self.projects.as_slice()) {
            (Some(project), _) if self.covers(&project) => Ok(Some(project)),
            (Some(project), _) => Err(Refusal::OtherProject {
                token: self.actor.id.clone(),
                project: project.to_string(),
                allowed: join(&self.projects),
            }),
            (None, []) => Ok(None),
            (None, [only]) => Ok(Some(only.clone())),
            (None, _) => Err(Refusal::NameAProject { token: self.actor.id.clone(), allowed: join(&self.projects) }),
        }
    }
}

impl Scope {
    /// What the scope lets one do, for messages.
    pub const fn action(self) -> &'static str {
        match self {
            Scope::Capture => "capture evidence",
            Scope::Release => "create releases",
            Scope::Approve => "approve",
            Scope::Certify => "certify",
            Scope::Read => "read",
            Scope::Admin => "administer",
        }
    }
}

/// How long a token's last use may lag: it is written at most once a minute.
const LAST_USED_RESOLUTION: time::Duration = time::Duration::minutes(1);

/// Checks a presented token string and returns who it acts as.
///
/// # Errors
/// [`AppError::Unauthenticated`]: malformed, unknown, wrong secret, expired or
/// revoked (each says which, naming the token by id only).
pub async fn authenticate(signoff: &Signoff, presented: &str) -> Result<Principal, AppError> {
    let unauthenticated = |why: String| AppError::Unauthenticated(why);
    // An OIDC ID token (a JWT: three base64url parts) of a CI system, where the
    // server trusts its issuer.
    if !presented.starts_with("so_") && presented.split('.').count() == 3 {
        if signoff.oidc.is_empty() {
            return Err(unauthenticated(
                "an OIDC token, but this server trusts no OIDC issuer ([[server.oidc]] in signoff.toml)".into(),
            ));
        }
        return signoff.oidc.authenticate(presented).await;
    }
    let mut parts = presented.splitn(3, '_');
    let (Some("so"), Some(id), Some(secret)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(unauthenticated("the token is not a signoff token (so_<id>_<secret>)".into()));
    };
    if id.len() != 16 || secret.len() != 64 || !id.bytes().chain(secret.bytes()).all(|b| b.is_ascii_hexdigit()) {
        return Err(unauthenticated("the token is not a signoff token (so_<id>_<secret>)".into()));
    }
    let Some(row) = signoff.store.token(id).await? else {
        return Err(unauthenticated(format!("token {id} is unknown")));
    };
    if !bool::from(row.hash.as_slice().ct_eq(hash(presented).as_slice())) {
        return Err(unauthenticated(format!("token {id} is unknown")));
    }
    let at = now();
    let view = TokenView::from_row(&row, at)?;
    match view.state {
        TokenState::Revoked => {
            tracing::warn!(token = %id, name = %view.name, "a revoked token was presented");
            return Err(unauthenticated(format!("token {id} ({}) was revoked", view.name)));
        }
        TokenState::Expired => {
            tracing::warn!(token = %id, name = %view.name, "an expired token was presented");
            return Err(unauthenticated(format!("token {id} ({}) has expired", view.name)));
        }
        TokenState::Active | TokenState::Grace => {}
    }
    if view.last_used_at.is_none_or(|last| at - last >= LAST_USED_RESOLUTION) {
        signoff.store.touch_token(id, &stamp(at)).await?;
    }
    Ok(Principal {
        token: view.id.clone(),
        scopes: view.scopes,
        projects: view.projects,
        actor: Actor { id: view.name, kind: view.kind, on_behalf_of: None, source: Some(format!("token {id}")) },
    })
}

/// Records, for an AI agent, that it was refused (J2), and returns the refusal as
/// the error to answer with. Other actors' refusals are only counted and logged
/// by the front end.
///
/// # Errors
/// Always: the refusal, or a store failure while recording it.
pub async fn refuse(
    signoff: &Signoff,
    principal: &Principal,
    refusal: Refusal,
    action: &str,
    project: Option<&ProjectName>,
) -> AppError {
    if principal.actor.kind == ActorKind::AiAgent {
        let record = AccessDeniedRecord {
            id: uuid::Uuid::now_v7().to_string(),
            actor: principal.actor.clone(),
            token: principal.token.clone(),
            action: action.to_owned(),
            project: project.cloned(),
            reason: refusal.to_string(),
        };
        let recorded = async {
            let mut batch = signoff.begin_batch().await?;
            batch.append(Event::AccessDenied(Box::new(record))).await?;
            batch.commit(signoff).await?;
            Ok::<(), AppError>(())
        };
        if let Err(error) = recorded.await {
            return error;
        }
    }
    refusal.into()
}

/// The `access_denied` entries of the ledger (J2), oldest first.
///
/// # Errors
/// A store failure.
pub async fn denials(signoff: &Signoff) -> Result<Vec<signoff_store::Stored<AccessDeniedRecord>>, AppError> {
    Ok(signoff.store.records(&signoff_store::RecordQuery::default()).await?)
}
