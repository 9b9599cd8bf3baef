//! The GitHub Action (`action.yml`) and the GitLab CI template
//! (`ci/signoff.gitlab-ci.yml`) run under a simulated runner: their files are
//! parsed, their shell steps run with bash in a real git repository with the
//! runner's variables set (`GITHUB_*`, `CI_*`), on the example app's real tool
//! outputs, against the built `signoff` binary.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::util::{example, root};

/// A git repository with one commit, the example's evidence in `reports/` and a
/// build in `dist/`.
struct Workspace {
    dir: tempfile::TempDir,
    sha: String,
}

impl Workspace {
    fn new(state: &str) -> Workspace {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(repo.join("reports")).unwrap();
        std::fs::create_dir_all(repo.join("dist")).unwrap();
        for name in ["bandit.sarif", "semgrep.sarif", "junit.xml", "coverage.xml", "sbom.cdx.json"] {
            std::fs::copy(example(&format!("{state}/{name}")), repo.join("reports").join(name)).unwrap();
        }
        std::fs::write(repo.join("dist/shop.tar.gz"), format!("the {state} build")).unwrap();
        std::fs::write(repo.join("README"), "shop\n").unwrap();
        let git = |args: &[&str]| {
            let output = Command::new("git")
                .args(args)
                .current_dir(&repo)
                .env("GIT_AUTHOR_NAME", "Alice")
                .env("GIT_AUTHOR_EMAIL", "alice@example.com")
                .env("GIT_COMMITTER_NAME", "Alice")
                .env("GIT_COMMITTER_EMAIL", "alice@example.com")
                .output()
                .unwrap();
            assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
            String::from_utf8(output.stdout).unwrap().trim().to_owned()
        };
        git(&["init", "-q", "-b", "main"]);
        git(&["add", "README"]);
        git(&["commit", "-q", "-m", "shop"]);
        let sha = git(&["rev-parse", "HEAD"]);
        Workspace { dir, sha }
    }

    fn repo(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The runner's environment: only PATH (the built binary first), HOME and `vars`.
    fn run(&self, script: &str, vars: &BTreeMap<String, String>) -> std::process::Output {
        let binary = PathBuf::from(env!("CARGO_BIN_EXE_signoff"));
        let path = format!(
            "{}:{}",
            binary.parent().unwrap().display(),
            std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into())
        );
        Command::new("bash")
            .arg("-c")
            .arg(script)
            .current_dir(self.repo())
            .env_clear()
            .env("PATH", path)
            .env("HOME", self.dir.path())
            .envs(vars)
            .output()
            .unwrap()
    }

    /// Records a human approval, as a release manager does outside the pipeline.
    fn approve(&self, release: &str) {
        let output = Command::new(env!("CARGO_BIN_EXE_signoff"))
            .args(["--store", ".signoff", "approve", release, "--role", "release-manager"])
            .current_dir(self.repo())
            .env_clear()
            .env("SIGNOFF_ACTOR", "carol")
            .output()
            .unwrap();
        assert!(output.status.success(), "approve: {}", String::from_utf8_lossy(&output.stderr));
    }
}

fn yaml(path: &Path) -> Value {
    serde_saphyr::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Replaces `${{ inputs.NAME }}` and `${{ github.action_path }}` as the runner does.
fn expand(text: &str, inputs: &BTreeMap<&str, String>) -> String {
    let mut out = text.replace("${{ github.action_path }}", &root().display().to_string());
    while let Some(start) = out.find("${{ inputs.") {
        let end = out[start..].find("}}").map(|end| start + end + 2).unwrap();
        let name = out[start + "${{ inputs.".len()..end - 2].trim();
        let value = inputs.get(name).cloned().unwrap_or_default();
        out.replace_range(start..end, &value);
    }
    out
}

/// Runs every step of action.yml; returns each step's name and output.
fn run_action(workspace: &Workspace, given: &[(&str, &str)]) -> Vec<(String, std::process::Output)> {
    let action = yaml(&root().join("action.yml"));
    assert_eq!(action["runs"]["using"], "composite");
    let mut inputs: BTreeMap<&str, String> = BTreeMap::new();
    for (name, spec) in action["inputs"].as_object().unwrap() {
        inputs.insert(name.as_str(), spec["default"].as_str().unwrap_or_default().to_owned());
    }
    for (name, value) in given {
        assert!(inputs.contains_key(name), "action.yml has no input {name}");
        inputs.insert(name, (*value).to_owned());
    }
    for (name, spec) in action["inputs"].as_object().unwrap() {
        if spec["required"] == true {
            assert!(!inputs[name.as_str()].is_empty(), "required input {name}");
        }
    }
    let mut runner: BTreeMap<String, String> = [
        ("CI", "true"),
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_REPOSITORY", "acme/shop"),
        ("GITHUB_SERVER_URL", "https://github.com"),
        ("GITHUB_RUN_ID", "4242"),
        ("GITHUB_RUN_ATTEMPT", "1"),
        ("GITHUB_JOB", "release"),
        ("GITHUB_ACTOR", "octocat"),
        ("GITHUB_REF_NAME", "main"),
    ]
    .iter()
    .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
    .collect();
    runner.insert("GITHUB_SHA".into(), workspace.sha.clone());
    runner.insert("GITHUB_WORKSPACE".into(), workspace.repo().display().to_string());
    for (name, file) in [("GITHUB_STEP_SUMMARY", "summary.md"), ("GITHUB_OUTPUT", "output"), ("GITHUB_PATH", "path")] {
        runner.insert(name.into(), workspace.file(file).display().to_string());
    }
    let mut outputs = Vec::new();
    for step in action["runs"]["steps"].as_array().unwrap() {
        assert_eq!(step["shell"], "bash", "{step}");
        let mut vars = runner.clone();
        for (name, value) in step["env"].as_object().into_iter().flatten() {
            vars.insert(name.clone(), expand(value.as_str().unwrap(), &inputs));
        }
        let name = step["name"].as_str().unwrap().to_owned();
        if name.starts_with("Certify") {
            // Certification needs a release manager's approval, given outside the job.
            workspace.run("signoff --store .signoff release create shop@1.4.1 --artifact dist/shop.tar.gz", &vars);
            workspace.approve("shop@1.4.1");
        }
        let output = workspace.run(step["run"].as_str().unwrap(), &vars);
        outputs.push((name, output));
    }
    outputs
}

fn text(output: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

#[test]
fn the_github_action_captures_certifies_gates_and_summarizes() {
    let workspace = Workspace::new("v2");
    let steps = run_action(
        &workspace,
        &[
            ("project", "shop"),
            ("version", "1.4.1"),
            ("evidence", "reports/*.sarif\nreports/junit.xml reports/coverage.xml reports/sbom.cdx.json"),
            ("artifact", "dist/shop.tar.gz"),
            ("environment", "prod"),
            ("policy", &root().join("examples/policy.yaml").display().to_string()),
        ],
    );
    for (name, output) in &steps {
        assert!(output.status.success(), "{name}: {}", text(output));
    }
    assert!(text(&steps[0].1).contains("signoff: using"), "the binary on PATH is used: {}", text(&steps[0].1));
    assert!(text(&steps[1].1).contains("bandit.sarif"), "{}", text(&steps[1].1));
    let output = std::fs::read_to_string(workspace.file("output")).unwrap();
    assert!(output.contains("certified=true"), "{output}");
    let summary = std::fs::read_to_string(workspace.file("summary.md")).unwrap();
    assert!(
        summary.contains("shop") && summary.contains("1.4.1") && summary.to_lowercase().contains("certified"),
        "{summary}"
    );
    assert!(summary.contains("### signoff gate: prod") && summary.contains("open:"), "{summary}");
    // The evidence is bound to the runner's commit and run.
    let show = workspace.run(
        "signoff --store .signoff release show shop@1.4.1 --json",
        &BTreeMap::from([("USER".to_owned(), "tester".to_owned())]),
    );
    let release: Value = serde_json::from_slice(&show.stdout).unwrap();
    assert_eq!(release["commit"], workspace.sha.as_str(), "{release}");
    assert!(release.to_string().contains("github.com/acme/shop/actions/runs/4242"), "{release}");
}

#[test]
fn the_github_action_fails_the_job_when_the_release_is_not_certified() {
    let workspace = Workspace::new("v1");
    let steps = run_action(
        &workspace,
        &[
            ("project", "shop"),
            ("version", "1.4.1"),
            (
                "evidence",
                "reports/bandit.sarif reports/semgrep.sarif reports/junit.xml reports/coverage.xml reports/sbom.cdx.json",
            ),
            ("artifact", "dist/shop.tar.gz"),
            ("environment", "prod"),
            ("policy", &root().join("examples/policy.yaml").display().to_string()),
        ],
    );
    let certify = &steps[2].1;
    assert!(certify.status.success(), "not certified is an output, not an error: {}", text(certify));
    assert!(std::fs::read_to_string(workspace.file("output")).unwrap().contains("certified=false"));
    let gate = &steps[3].1;
    assert_eq!(gate.status.code(), Some(1), "the gate fails the job: {}", text(gate));
    let summary = std::fs::read_to_string(workspace.file("summary.md")).unwrap();
    assert!(summary.contains("closed:"), "{summary}");
}

#[test]
fn the_gitlab_template_captures_certifies_and_gates() {
    let workspace = Workspace::new("v2");
    let template = yaml(&root().join("ci/signoff.gitlab-ci.yml"));
    let mut vars: BTreeMap<String, String> = [
        ("CI", "true"),
        ("GITLAB_CI", "true"),
        ("CI_PROJECT_PATH", "acme/shop"),
        ("CI_PIPELINE_ID", "777"),
        ("CI_PIPELINE_URL", "https://gitlab.example.com/acme/shop/-/pipelines/777"),
        ("CI_JOB_NAME", "signoff"),
        ("CI_COMMIT_REF_NAME", "main"),
        ("GITLAB_USER_LOGIN", "alice"),
        ("SIGNOFF_PROJECT", "shop"),
        ("SIGNOFF_VERSION", "1.4.1"),
        ("SIGNOFF_EVIDENCE", "reports/*"),
        ("SIGNOFF_ARTIFACT", "dist/shop.tar.gz"),
        ("SIGNOFF_ENVIRONMENT", "prod"),
    ]
    .iter()
    .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
    .collect();
    vars.insert("CI_COMMIT_SHA".into(), workspace.sha.clone());
    vars.insert("SIGNOFF_POLICY".into(), root().join("examples/policy.yaml").display().to_string());
    for (name, value) in template["variables"].as_object().unwrap() {
        vars.entry(name.clone()).or_insert_with(|| value.as_str().unwrap().to_owned());
    }
    let lines = |job: &str, key: &str| -> Vec<String> {
        let mut job = &template[job];
        // `extends` one level, as the template uses it.
        let mut lines = Vec::new();
        if job[key].is_null()
            && let Some(parent) = job["extends"].as_str()
        {
            job = &template[parent];
        }
        for line in job[key].as_array().into_iter().flatten() {
            lines.push(line.as_str().unwrap().to_owned());
        }
        lines
    };
    let run_job = |job: &str| {
        let script = [lines(job, "before_script"), lines(job, "script")].concat().join("\n");
        workspace.run(&format!("set -e\n{script}"), &vars)
    };
    let capture = run_job(".signoff-capture");
    assert!(capture.status.success(), "{}", text(&capture));
    assert!(text(&capture).contains("coverage.xml"), "{}", text(&capture));
    let before = workspace.run("signoff --store .signoff release create shop@1.4.1 --artifact dist/shop.tar.gz", &vars);
    assert!(before.status.success(), "{}", text(&before));
    workspace.approve("shop@1.4.1");
    let certify = run_job(".signoff-certify");
    assert!(certify.status.success(), "{}", text(&certify));
    let junit = std::fs::read_to_string(workspace.repo().join("signoff-certification.xml")).unwrap();
    assert!(junit.contains("<testsuite") && !junit.contains("<failure"), "{junit}");
    let gate = run_job(".signoff-gate");
    assert!(gate.status.success() && text(&gate).contains("open:"), "{}", text(&gate));
    // The evidence names the pipeline.
    let show = workspace.run("signoff --store .signoff release show shop@1.4.1 --json", &vars);
    assert!(String::from_utf8_lossy(&show.stdout).contains("pipelines/777"), "{}", text(&show));
}
