//! Who is asking, and whether they may: the bearer token of a request is turned
//! into a [`Principal`] and checked against the scope the route needs before the
//! request body is read.

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use signoff_app::access::{self, Principal, Scope};
use signoff_core::ProjectName;

use crate::AppState;
use crate::problem::ApiError;

/// A scope a route needs, as a type.
pub(crate) trait Needs: Send + Sync + 'static {
    /// The scope.
    const SCOPE: Scope;
}

macro_rules! scopes {
    ($($name:ident => $scope:ident),* $(,)?) => {
        $(
            #[doc = concat!("The `", stringify!($scope), "` scope.")]
            #[derive(Debug)]
            pub(crate) struct $name;
            impl Needs for $name {
                const SCOPE: Scope = Scope::$scope;
            }
        )*
    };
}

scopes! {
    CaptureScope => Capture,
    ReleaseScope => Release,
    ApproveScope => Approve,
    CertifyScope => Certify,
    ReadScope => Read,
    AdminScope => Admin,
}

/// A request whose token holds scope `N`.
pub(crate) struct Authorized<N: Needs> {
    /// Who asks.
    pub(crate) who: Principal,
    needs: PhantomData<N>,
}

/// Requests per token, limited by the generic cell rate algorithm (governor).
pub(crate) type Limiter = governor::DefaultKeyedRateLimiter<String>;

/// The limiter for `per_second` requests a second per token with bursts of
/// `burst`; `None` when `per_second` is 0.
pub(crate) fn limiter(per_second: u32, burst: u32) -> Option<Limiter> {
    let rate = std::num::NonZeroU32::new(per_second)?;
    let burst = std::num::NonZeroU32::new(burst.max(per_second)).unwrap_or(rate);
    Some(governor::RateLimiter::keyed(governor::Quota::per_second(rate).allow_burst(burst)))
}

/// 429 with `Retry-After` when the token has spent its rate.
fn within_rate(state: &AppState, who: &Principal) -> Result<(), ApiError> {
    let Some(limiter) = state.limiter() else { return Ok(()) };
    match limiter.check_key(&who.token) {
        Ok(()) => Ok(()),
        Err(not_until) => {
            let wait = not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()));
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            tracing::warn!(actor = %who.actor.id, token = %who.token, "rate limited for {seconds} s");
            Err(ApiError::new(
                axum::http::StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "token {} is over its rate of {} requests a second; retry in {seconds} s",
                    who.token,
                    state.config().rate_per_second
                ),
            )
            .retry_after(seconds.max(1)))
        }
    }
}

/// The bearer token of a request, checked.
///
/// # Errors
/// 401 without a token or with one that is not accepted.
pub(crate) async fn principal(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
    let Some(value) = parts.headers.get(AUTHORIZATION) else {
        return Err(ApiError::from(signoff_app::AppError::Unauthenticated(
            "no token: send `Authorization: Bearer so_...` (see `signoff token create`)".into(),
        )));
    };
    let token = value.to_str().ok().and_then(|text| text.strip_prefix("Bearer ")).map(str::trim).ok_or_else(|| {
        ApiError::from(signoff_app::AppError::Unauthenticated("the Authorization header is not `Bearer so_...`".into()))
    })?;
    Ok(access::authenticate(state.signoff(), token).await?)
}

impl<N: Needs> FromRequestParts<AppState> for Authorized<N> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let who = principal(parts, state).await?;
        within_rate(state, &who)?;
        if let Err(refusal) = who.may(N::SCOPE) {
            tracing::warn!(actor = %who.actor.id, token = %who.token, scope = %N::SCOPE, "refused: {refusal}");
            return Err(access::refuse(state.signoff(), &who, refusal, N::SCOPE.as_str(), None).await.into());
        }
        Ok(Authorized { who, needs: PhantomData })
    }
}

impl<N: Needs> Authorized<N> {
    /// Checks that the token's project limits cover `project`.
    ///
    /// # Errors
    /// 403 when they do not.
    pub(crate) async fn on(&self, state: &AppState, project: &ProjectName) -> Result<(), ApiError> {
        match self.who.may_on(N::SCOPE, project) {
            Ok(()) => Ok(()),
            Err(refusal) => Err(self.refused(state, refusal, Some(project)).await),
        }
    }

    /// The project an aggregate answer is limited to (see
    /// [`Principal::project_for`]).
    ///
    /// # Errors
    /// 403 for a project the token does not cover, or none named by a token of
    /// several.
    pub(crate) async fn project_for(
        &self,
        state: &AppState,
        asked: Option<ProjectName>,
    ) -> Result<Option<ProjectName>, ApiError> {
        match self.who.project_for(asked.clone()) {
            Ok(project) => Ok(project),
            Err(refusal) => Err(self.refused(state, refusal, asked.as_ref()).await),
        }
    }

    /// Checks that the token reads every project.
    ///
    /// # Errors
    /// 403 for a token limited to some.
    pub(crate) async fn every_project(&self, state: &AppState) -> Result<(), ApiError> {
        match self.who.every_project() {
            Ok(()) => Ok(()),
            Err(refusal) => Err(self.refused(state, refusal, None).await),
        }
    }

    async fn refused(
        &self,
        state: &AppState,
        refusal: signoff_app::Refusal,
        project: Option<&ProjectName>,
    ) -> ApiError {
        tracing::warn!(actor = %self.who.actor.id, token = %self.who.token, "refused: {refusal}");
        access::refuse(state.signoff(), &self.who, refusal, N::SCOPE.as_str(), project).await.into()
    }
}
