//! Where evidence came from: the CI system, run, job, commit and actor, read from the
//! environment variables each CI system sets (A3). Flags given on the command line
//! override anything detected here; that merge happens in the application layer.
//!
//! Detection is a pure function of a variable lookup, so it is tested without
//! touching the process environment.

use serde::{Deserialize, Serialize};

/// The pipeline context of a capture. Every field is optional: a developer's laptop
/// has none of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CiContext {
    /// `github-actions`, `gitlab-ci`, `jenkins`, `circleci`, `azure-pipelines`,
    /// `buildkite`, `bitbucket-pipelines`, or `local`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    /// The repository (`acme/shop`, or a clone URL where that is all there is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository: Option<String>,
    /// The commit being built.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// The branch being built (for a pull request, its source branch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// The pipeline run id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// A link to the pipeline run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_url: Option<String>,
    /// The job within the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    /// Who or what started the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
}

impl CiContext {
    /// A project name derived from the repository: its last path segment, without a
    /// `.git` suffix.
    pub fn project_hint(&self) -> Option<String> {
        let repository = self.repository.as_deref()?;
        let last = repository.trim_end_matches('/').rsplit(['/', ':']).next()?;
        let name = last.strip_suffix(".git").unwrap_or(last);
        (!name.is_empty()).then(|| name.to_owned())
    }
}

/// Detects the CI system from its variables. `var` looks one up; empty values count
/// as unset.
pub fn detect(var: impl Fn(&str) -> Option<String>) -> CiContext {
    let get = |name: &str| var(name).filter(|value| !value.trim().is_empty());
    let is_set = |name: &str| get(name).is_some();

    if get("GITHUB_ACTIONS").as_deref() == Some("true") {
        let run_url = match (get("GITHUB_SERVER_URL"), get("GITHUB_REPOSITORY"), get("GITHUB_RUN_ID")) {
            (Some(server), Some(repository), Some(run)) => Some(format!("{server}/{repository}/actions/runs/{run}")),
            _ => None,
        };
        return CiContext {
            system: Some("github-actions".into()),
            repository: get("GITHUB_REPOSITORY"),
            commit: get("GITHUB_SHA"),
            branch: get("GITHUB_HEAD_REF").or_else(|| get("GITHUB_REF_NAME")),
            run_id: get("GITHUB_RUN_ID").map(|run| match get("GITHUB_RUN_ATTEMPT") {
                Some(attempt) if attempt != "1" => format!("{run}.{attempt}"),
                _ => run,
            }),
            run_url,
            job: get("GITHUB_JOB"),
            actor: get("GITHUB_ACTOR"),
        };
    }
    if is_set("GITLAB_CI") {
        return CiContext {
            system: Some("gitlab-ci".into()),
            repository: get("CI_PROJECT_PATH"),
            commit: get("CI_COMMIT_SHA"),
            branch: get("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME").or_else(|| get("CI_COMMIT_REF_NAME")),
            run_id: get("CI_PIPELINE_ID"),
            run_url: get("CI_PIPELINE_URL"),
            job: get("CI_JOB_NAME"),
            actor: get("GITLAB_USER_LOGIN"),
        };
    }
    if is_set("BUILDKITE") {
        return CiContext {
            system: Some("buildkite".into()),
            repository: get("BUILDKITE_REPO"),
            commit: get("BUILDKITE_COMMIT"),
            branch: get("BUILDKITE_BRANCH"),
            run_id: get("BUILDKITE_BUILD_ID"),
            run_url: get("BUILDKITE_BUILD_URL"),
            job: get("BUILDKITE_LABEL"),
            actor: get("BUILDKITE_BUILD_CREATOR"),
        };
    }
    if is_set("CIRCLECI") {
        let repository = match (get("CIRCLE_PROJECT_USERNAME"), get("CIRCLE_PROJECT_REPONAME")) {
            (Some(owner), Some(name)) => Some(format!("{owner}/{name}")),
            _ => get("CIRCLE_REPOSITORY_URL"),
        };
        return CiContext {
            system: Some("circleci".into()),
            repository,
            commit: get("CIRCLE_SHA1"),
            branch: get("CIRCLE_BRANCH"),
            run_id: get("CIRCLE_WORKFLOW_ID").or_else(|| get("CIRCLE_BUILD_NUM")),
            run_url: get("CIRCLE_BUILD_URL"),
            job: get("CIRCLE_JOB"),
            actor: get("CIRCLE_USERNAME"),
        };
    }
    if get("TF_BUILD").is_some_and(|value| value.eq_ignore_ascii_case("true")) {
        let run_url = match (get("SYSTEM_COLLECTIONURI"), get("SYSTEM_TEAMPROJECT"), get("BUILD_BUILDID")) {
            (Some(collection), Some(project), Some(build)) => {
                Some(format!("{collection}{project}/_build/results?buildId={build}"))
            }
            _ => None,
        };
        return CiContext {
            system: Some("azure-pipelines".into()),
            repository: get("BUILD_REPOSITORY_NAME"),
            commit: get("BUILD_SOURCEVERSION"),
            branch: get("SYSTEM_PULLREQUEST_SOURCEBRANCH").or_else(|| get("BUILD_SOURCEBRANCHNAME")),
            run_id: get("BUILD_BUILDID"),
            run_url,
            job: get("SYSTEM_JOBDISPLAYNAME").or_else(|| get("AGENT_JOBNAME")),
            actor: get("BUILD_REQUESTEDFOR"),
        };
    }
    if is_set("BITBUCKET_BUILD_NUMBER") {
        let run_url = match (get("BITBUCKET_REPO_FULL_NAME"), get("BITBUCKET_BUILD_NUMBER")) {
            (Some(repository), Some(build)) => {
                Some(format!("https://bitbucket.org/{repository}/pipelines/results/{build}"))
            }
            _ => None,
        };
        return CiContext {
            system: Some("bitbucket-pipelines".into()),
            repository: get("BITBUCKET_REPO_FULL_NAME"),
            commit: get("BITBUCKET_COMMIT"),
            branch: get("BITBUCKET_BRANCH"),
            run_id: get("BITBUCKET_BUILD_NUMBER"),
            run_url,
            job: get("BITBUCKET_STEP_UUID"),
            actor: get("BITBUCKET_STEP_TRIGGERER_UUID"),
        };
    }
    if is_set("JENKINS_URL") {
        return CiContext {
            system: Some("jenkins".into()),
            repository: get("GIT_URL"),
            commit: get("GIT_COMMIT"),
            branch: get("BRANCH_NAME").or_else(|| get("GIT_BRANCH")),
            run_id: get("BUILD_NUMBER").or_else(|| get("BUILD_ID")),
            run_url: get("BUILD_URL"),
            job: get("JOB_NAME"),
            actor: get("BUILD_USER_ID"),
        };
    }
    CiContext::default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn detect_from(vars: &[(&str, &str)]) -> CiContext {
        detect(|name| vars.iter().find(|(key, _)| *key == name).map(|(_, value)| (*value).to_owned()))
    }

    #[test]
    fn github_actions() {
        let context = detect_from(&[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567"),
            ("GITHUB_REF_NAME", "main"),
            ("GITHUB_HEAD_REF", ""),
            ("GITHUB_RUN_ID", "9001"),
            ("GITHUB_RUN_ATTEMPT", "2"),
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_REPOSITORY", "acme/shop"),
            ("GITHUB_JOB", "scan"),
            ("GITHUB_ACTOR", "octocat"),
        ]);
        assert_eq!(context.system.as_deref(), Some("github-actions"));
        assert_eq!(context.branch.as_deref(), Some("main"));
        assert_eq!(context.run_id.as_deref(), Some("9001.2"));
        assert_eq!(context.run_url.as_deref(), Some("https://github.com/acme/shop/actions/runs/9001"));
        assert_eq!(context.project_hint().as_deref(), Some("shop"));
    }

    #[test]
    fn gitlab_merge_request_pipeline() {
        let context = detect_from(&[
            ("GITLAB_CI", "true"),
            ("CI_COMMIT_SHA", "89abcdef0123456789abcdef0123456789abcdef"),
            ("CI_COMMIT_REF_NAME", "refs/merge-requests/7/head"),
            ("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "feature/login"),
            ("CI_PIPELINE_ID", "77"),
            ("CI_PIPELINE_URL", "https://gitlab.example.com/acme/shop/-/pipelines/77"),
            ("CI_JOB_NAME", "sast"),
            ("GITLAB_USER_LOGIN", "dev1"),
            ("CI_PROJECT_PATH", "acme/shop"),
        ]);
        assert_eq!(context.system.as_deref(), Some("gitlab-ci"));
        assert_eq!(context.branch.as_deref(), Some("feature/login"));
        assert_eq!(context.job.as_deref(), Some("sast"));
    }

    #[test]
    fn others_and_none() {
        assert_eq!(
            detect_from(&[("JENKINS_URL", "http://ci/"), ("GIT_COMMIT", "abc")]).system.as_deref(),
            Some("jenkins")
        );
        assert_eq!(detect_from(&[("TF_BUILD", "True")]).system.as_deref(), Some("azure-pipelines"));
        assert_eq!(detect_from(&[("CIRCLECI", "true")]).system.as_deref(), Some("circleci"));
        assert_eq!(detect_from(&[("BUILDKITE", "true")]).system.as_deref(), Some("buildkite"));
        assert_eq!(detect_from(&[("BITBUCKET_BUILD_NUMBER", "3")]).system.as_deref(), Some("bitbucket-pipelines"));
        assert_eq!(detect_from(&[]), CiContext::default());
        let jenkins = CiContext { repository: Some("git@github.com:acme/shop.git".into()), ..CiContext::default() };
        assert_eq!(jenkins.project_hint().as_deref(), Some("shop"));
    }
}
