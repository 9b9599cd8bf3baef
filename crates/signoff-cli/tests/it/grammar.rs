//! The command line's surface (issue 15): one grammar on every help page, the old
//! spellings still working with a warning, defaults from where the user stands,
//! output that scripts and terminals can trust.

use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::util::{TestStore, commit, example, json_lines, signoff};

/// Every subcommand path, from the `Commands:` sections of the help pages, each
/// with whether it is a leaf (a command that runs) rather than a group.
fn subcommands(path: &[String]) -> Vec<(Vec<String>, bool)> {
    let output = signoff().args(path).arg("--help").output().unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    let mut found = Vec::new();
    let mut in_commands = false;
    for line in help.lines() {
        if line.starts_with("Commands:") {
            in_commands = true;
            continue;
        }
        if in_commands {
            let Some(name) = line.strip_prefix("  ").and_then(|rest| rest.split_whitespace().next()) else {
                in_commands = false;
                continue;
            };
            if name == "help" || line.starts_with("   ") {
                continue;
            }
            let mut child = path.to_vec();
            child.push(name.to_owned());
            let grandchildren = subcommands(&child);
            let leaf = grandchildren.is_empty();
            found.push((child, leaf));
            found.extend(grandchildren);
        }
    }
    found
}

/// Commands that print something other than a report they could render as JSON,
/// and why.
const NO_JSON: &[(&str, &str)] = &[
    ("policy init", "writes a policy file"),
    ("certificate export", "its output is the DSSE envelope, which is JSON"),
    ("demo", "a walkthrough for people"),
    ("completions", "prints a shell script"),
    ("man", "prints a manual page"),
];

#[test]
fn every_help_page_has_examples_and_follows_the_grammar() {
    let commands = subcommands(&[]);
    let groups: Vec<String> = commands.iter().filter(|(_, leaf)| !leaf).map(|(path, _)| path.join(" ")).collect();
    assert!(commands.len() > 60 && groups.len() > 15, "{commands:?}");
    for group in ["release", "audit ask", "sync add", "token"] {
        assert!(groups.iter().any(|name| name == group), "{group} is a group: {groups:?}");
    }
    let mut problems = Vec::new();
    for (path, leaf) in &commands {
        let name = path.join(" ");
        let output = signoff().args(path).arg("--help").output().unwrap();
        let help = String::from_utf8(output.stdout).unwrap();
        if !help.contains("\nExamples:\n  ") {
            problems.push(format!("{name}: no examples"));
        }
        if !leaf {
            continue;
        }
        // The command's own option, not the global `--jq` (which mentions --json).
        let takes_json = help.lines().any(|line| line.trim_start().starts_with("--json"));
        if !takes_json && !NO_JSON.iter().any(|(command, _)| *command == name) {
            problems.push(format!("{name}: prints without --json"));
        }
        for line in help.lines().map(str::trim) {
            // A release argument names PROJECT@VERSION, whatever its position.
            if (line.starts_with("--release ") || line.starts_with("<RELEASE")) && !line.contains("PROJECT@VERSION") {
                problems.push(format!("{name}: {line}"));
            }
            if line.starts_with("--format <") && (name == "capture" || name == "inspect") {
                problems.push(format!("{name}: --format names an input format"));
            }
        }
        if help.contains("Usage:") && help.contains("<PROJECT> <VERSION>") {
            problems.push(format!("{name}: names a release as PROJECT VERSION"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_release_is_named_one_way_and_the_old_spellings_warn() {
    let store = TestStore::new();
    let sha = commit("grammar");
    store.ok(&["capture", &example("v2/junit.xml"), "--project", "shop", "--commit", &sha]);
    store.ok(&["release", "create", "shop@1.0.0", "--commit", &sha]);
    assert!(store.ok(&["release", "show", "shop@1.0.0"]).contains("release  shop@1.0.0"));

    // The previous spellings still work, and say what to write instead.
    let old = store.run(&["release", "create", "shop", "1.0.1", "--commit", &sha]);
    assert!(old.status.success(), "{}", String::from_utf8_lossy(&old.stderr));
    assert!(String::from_utf8_lossy(&old.stderr).contains("write `signoff release create shop@1.0.1`"));
    let old = store.run(&["certify", "--release", "shop@1.0.1", "--dry-run"]);
    assert_eq!(old.status.code(), Some(1), "the starter policy does not certify a release with no SAST");
    assert!(String::from_utf8_lossy(&old.stderr).contains("`signoff certify shop@1.0.1`"));
    let old =
        store.run(&["capture", &example("v2/junit.xml"), "--project", "shop", "--commit", &sha, "--format", "junit"]);
    assert!(old.status.success());
    assert!(String::from_utf8_lossy(&old.stderr).contains("--input-format junit"));

    let listed = json_lines(&store.ok(&["release", "list", "--json"]));
    let names: Vec<&str> = listed.iter().map(|line| line["release"].as_str().unwrap()).collect();
    assert_eq!(names, ["shop@1.0.1", "shop@1.0.0"], "newest first");
    assert!(listed.iter().all(|line| line["decision"].is_null()));
    let uncertified = json_lines(&store.ok(&["release", "list", "--status", "uncertified", "--json"]));
    assert_eq!(uncertified.len(), 2);
    assert!(json_lines(&store.ok(&["release", "list", "--status", "certified", "--json"])).is_empty());

    // Every release argument takes PROJECT@VERSION; a bare version says how.
    let wrong = store.run(&["release", "show", "1.0.0"]);
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("PROJECT@VERSION"));
}

fn git(folder: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(args)
        .current_dir(folder)
        .env("GIT_AUTHOR_NAME", "Dana Dev")
        .env("GIT_AUTHOR_EMAIL", "dana@example.com")
        .env("GIT_COMMITTER_NAME", "Dana Dev")
        .env("GIT_COMMITTER_EMAIL", "dana@example.com")
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

#[test]
fn the_commit_comes_from_where_the_user_stands() {
    let store = TestStore::new();
    // Outside a git work tree and outside CI, a capture without a commit is refused.
    let refused = store.run(&["capture", &example("v2/junit.xml"), "--project", "shop"]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("--no-commit"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert_eq!(store.ledger_size(), 0);
    let unbound =
        json_lines(&store.ok(&["capture", &example("v2/junit.xml"), "--project", "shop", "--no-commit", "--json"]));
    assert!(unbound[0]["commit"].is_null());

    // In a git work tree, HEAD is the commit, and short ids resolve.
    let work = tempfile::tempdir().unwrap();
    git(work.path(), &["init", "-q"]);
    git(work.path(), &["config", "user.email", "dana@example.com"]);
    git(work.path(), &["config", "user.name", "Dana Dev"]);
    std::fs::write(work.path().join("app.py"), "print('hi')\n").unwrap();
    git(work.path(), &["add", "app.py"]);
    git(work.path(), &["commit", "-q", "-m", "first"]);
    let head = git(work.path(), &["rev-parse", "HEAD"]);
    let in_tree = |args: &[&str]| store.command().current_dir(work.path()).args(args).output().unwrap();
    let captured = in_tree(&["capture", &example("v2/junit.xml"), "--project", "shop", "--json"]);
    assert!(captured.status.success(), "{}", String::from_utf8_lossy(&captured.stderr));
    assert_eq!(json_lines(&String::from_utf8_lossy(&captured.stdout))[0]["commit"], head.as_str());
    assert!(String::from_utf8_lossy(&captured.stderr).contains("HEAD of the git work tree"));
    let short = in_tree(&["release", "create", "shop@2.0.0", "--commit", &head[..7], "--json"]);
    assert!(short.status.success(), "{}", String::from_utf8_lossy(&short.stderr));
    let release: Value = serde_json::from_slice(&short.stdout).unwrap();
    assert_eq!(release["commit"], head.as_str());
    assert_eq!(release["totals"]["evidence"], 1, "the capture at HEAD joined the release");
    // The git identity acts where nothing else names one, marked as unverified.
    assert_eq!(release["actor"], "dana@example.com");

    // From outside the work tree, --repo names where HEAD and short ids are read.
    let outside =
        store.run(&["release", "create", "shop@2.0.1", "--repo", &work.path().display().to_string(), "--json"]);
    assert!(outside.status.success(), "{}", String::from_utf8_lossy(&outside.stderr));
    let release: Value = serde_json::from_slice(&outside.stdout).unwrap();
    assert_eq!(release["commit"], head.as_str(), "HEAD of --repo, not of the folder the command ran in");
    let short = store.run(&[
        "release",
        "create",
        "shop@2.0.2",
        "--repo",
        &work.path().display().to_string(),
        "--commit",
        &head[..8],
        "--json",
    ]);
    assert!(short.status.success(), "{}", String::from_utf8_lossy(&short.stderr));

    // Outside git, the OS user acts, said to be unverified; without USER and
    // LOGNAME (a container, a cron job) the password database names the user.
    let os_user = store.run(&["release", "create", "shop@2.0.3", "--commit", &head, "--json"]);
    assert!(os_user.status.success(), "{}", String::from_utf8_lossy(&os_user.stderr));
    assert!(
        String::from_utf8_lossy(&os_user.stderr)
            .contains("acting as tester from the OS user (an unverified local identity")
    );
    let release: Value = serde_json::from_slice(&os_user.stdout).unwrap();
    assert_eq!(release["actor"], "tester");
    let account = Command::new("id")
        .arg("-un")
        .output()
        .ok()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned());
    if let Some(account) = account.filter(|name| !name.is_empty()) {
        let bare = store
            .command()
            .env_remove("USER")
            .args(["release", "create", "shop@2.0.4", "--commit", &head, "--json"])
            .output()
            .unwrap();
        assert!(bare.status.success(), "{}", String::from_utf8_lossy(&bare.stderr));
        let release: Value = serde_json::from_slice(&bare.stdout).unwrap();
        assert_eq!(release["actor"], account.as_str());
        let token = store
            .command()
            .env_remove("USER")
            .args(["token", "create", "--name", "ci-shop", "--scope", "capture", "--project", "shop"])
            .output()
            .unwrap();
        assert!(token.status.success(), "token create needs no --actor: {}", String::from_utf8_lossy(&token.stderr));
        assert!(
            String::from_utf8_lossy(&token.stdout).contains("on project shop"),
            "{}",
            String::from_utf8_lossy(&token.stdout)
        );
    }
}

#[test]
fn the_store_is_found_like_git_finds_its_folder() {
    let work = tempfile::tempdir().unwrap();
    let deep = work.path().join("services/shop/src");
    std::fs::create_dir_all(&deep).unwrap();
    let run = |folder: &Path, args: &[&str]| signoff().current_dir(folder).args(args).output().unwrap();
    let init = run(work.path(), &["init"]);
    assert!(init.status.success(), "{}", String::from_utf8_lossy(&init.stderr));
    let settings = std::fs::read_to_string(work.path().join(".signoff/signoff.toml")).unwrap();
    assert!(settings.lines().filter(|line| !line.trim().is_empty()).all(|line| line.starts_with('#')), "{settings}");
    assert!(settings.contains("[actors]") && settings.contains("allowed_signers"), "{settings}");
    let verified = run(&deep, &["ledger", "verify", "--json"]);
    assert!(verified.status.success(), "{}", String::from_utf8_lossy(&verified.stderr));
    let outside = tempfile::tempdir().unwrap();
    let lost = run(outside.path(), &["ledger", "verify"]);
    assert_eq!(lost.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&lost.stderr).contains("run `signoff init`"));
}

/// Runs a command whose standard output is closed before it writes.
fn into_closed_pipe(store: &TestStore, args: &[&str]) -> std::process::ExitStatus {
    let mut child = store.command().args(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert!(
        !String::from_utf8_lossy(&output.stderr).contains("panicked"),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.status
}

#[test]
fn a_closed_pipe_ends_every_printing_command_quietly() {
    let store = TestStore::new();
    let sha = commit("pipes");
    store.ok(&[
        "capture",
        &example("v1/bandit.sarif"),
        &example("v1/junit.xml"),
        "--project",
        "shop",
        "--commit",
        &sha,
    ]);
    store.ok(&["release", "create", "shop@1.0.0", "--commit", &sha]);
    let commands: &[&[&str]] = &[
        &["release", "show", "shop@1.0.0"],
        &["release", "list"],
        &["findings", "--project", "shop"],
        &["findings", "--project", "shop", "--json"],
        &["certify", "shop@1.0.0", "--dry-run"],
        &["controls", "coverage"],
        &["audit", "trace", "shop@1.0.0"],
        &["audit", "search", "--project", "shop"],
        &["audit", "ask", "scans-for-period", "--format", "csv"],
        &["report", "--format", "html"],
        &["metrics"],
        &["ledger", "verify"],
        &["ledger", "checkpoint"],
        &["key", "public"],
        &["exception", "list"],
        &["inspect", &example("v1/bandit.sarif")],
        &["completions", "bash"],
        &["man"],
    ];
    for args in commands {
        let status = into_closed_pipe(&store, args);
        // A "no" (exit 1) is an answer; a closed pipe must not turn into an error (2)
        // or a panic (101).
        assert!(matches!(status.code(), Some(0 | 1)), "{args:?} exited {status}");
    }
}

#[test]
fn escape_sequences_in_evidence_are_shown_not_obeyed() {
    let store = TestStore::new();
    let sha = commit("escapes");
    let crafted = tempfile::tempdir().unwrap();
    let sarif = crafted.path().join("crafted.sarif");
    std::fs::write(
        &sarif,
        r#"{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"Evil\u001b]0;pwned\u0007Scanner"}},
            "results":[{"ruleId":"R\u001b[2J1","level":"error","message":{"text":"clear\u001b[2Jscreen\rfake line"},
            "locations":[{"physicalLocation":{"artifactLocation":{"uri":"src/\u001b[31mapp.py"},"region":{"startLine":3}}}]}]}]}"#,
    )
    .unwrap();
    let path = sarif.display().to_string();
    let outputs = [
        store.ok(&["capture", &path, "--project", "shop", "--commit", &sha]),
        store.ok(&["inspect", &path]),
        store.ok(&["findings", "--project", "shop"]),
        {
            store.ok(&["release", "create", "shop@1.0.0", "--commit", &sha]);
            store.ok(&["release", "show", "shop@1.0.0"])
        },
        store.ok(&["audit", "trace", "shop@1.0.0"]),
        store.ok(&["audit", "search", "--project", "shop"]),
    ];
    for text in &outputs {
        assert!(!text.contains('\u{1b}') && !text.contains('\r') && !text.contains('\u{7}'), "{text:?}");
    }
    assert!(outputs[2].contains("\\x1b[2J"), "escapes are shown: {}", outputs[2]);
    // JSON keeps the bytes (escaped by JSON itself), for tools that read it.
    let json = store.ok(&["findings", "--project", "shop", "--json"]);
    assert!(json.contains("\\u001b[2J"), "{json}");
}

#[test]
fn output_people_can_script() {
    let store = TestStore::new();
    let sha = commit("scripts");
    let quiet = store.ok(&["--quiet", "capture", &example("v1/bandit.sarif"), "--project", "shop", "--commit", &sha]);
    assert_eq!(quiet, "", "--quiet prints nothing on success");
    store.ok(&["release", "create", "shop@1.0.0", "--commit", &sha]);
    let names = store.ok(&["release", "list", "--jq", ".release"]);
    assert_eq!(names, "shop@1.0.0\n", "--jq prints strings raw, like gh --jq");
    let counts = store.ok(&["release", "show", "shop@1.0.0", "--jq", ".totals.findings.high"]);
    assert_eq!(counts, "1\n");
    let bad = store.run(&["release", "list", "--jq", ".["]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--jq"));

    // Colour only when asked for or on a terminal; never in a pipe by default.
    let plain = store.run(&["certify", "shop@1.0.0", "--dry-run"]);
    assert!(!String::from_utf8_lossy(&plain.stdout).contains('\u{1b}'));
    let coloured = store.run(&["--color", "always", "certify", "shop@1.0.0", "--dry-run"]);
    assert!(
        String::from_utf8_lossy(&coloured.stdout).contains("\u{1b}[31m\u{1b}[1mFAIL")
            || String::from_utf8_lossy(&coloured.stdout).contains("\u{1b}[1m\u{1b}[31mFAIL"),
        "{}",
        String::from_utf8_lossy(&coloured.stdout)
    );

    // The output format follows --format or the file name; a contradiction is an error.
    let folder = tempfile::tempdir().unwrap();
    let csv = folder.path().join("q3.csv");
    store.ok(&["report", "-o", &csv.display().to_string()]);
    assert!(std::fs::read_to_string(&csv).unwrap().starts_with("project,version,commit"));
    let clash = store.run(&["report", "-o", &csv.display().to_string(), "--format", "html"]);
    assert_eq!(clash.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&clash.stderr).contains("contradicts"));

    // `-` is standard output for files, standard input for packages.
    let zip = store.command().args(["export", "shop@1.0.0", "-o", "-"]).output().unwrap();
    assert!(zip.status.success());
    assert!(zip.stdout.starts_with(b"PK\x03\x04"), "a zip on stdout");
    let mut verify = signoff()
        .args(["verify-package", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut verify.stdin.take().unwrap(), &zip.stdout).unwrap();
    let verified = verify.wait_with_output().unwrap();
    assert!(verified.status.success(), "{}", String::from_utf8_lossy(&verified.stderr));
    assert!(String::from_utf8_lossy(&verified.stderr).contains("not who signed it"), "without --key it warns");
}

/// Completions and manual pages come from the grammar itself: every visible
/// command is in them, and the shells accept the scripts.
#[test]
fn completions_and_manual_pages_cover_every_command() {
    let commands = subcommands(&[]);
    let top: std::collections::BTreeSet<&str> = commands.iter().map(|(path, _)| path[0].as_str()).collect();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let output = signoff().args(["completions", shell]).output().unwrap();
        assert!(output.status.success(), "{shell}: {}", String::from_utf8_lossy(&output.stderr));
        let script = String::from_utf8(output.stdout).unwrap();
        for name in &top {
            assert!(script.contains(name), "{shell} completion lacks {name}");
        }
        if shell == "bash" && Command::new("bash").arg("--version").output().is_ok() {
            let file = tempfile::NamedTempFile::new().unwrap();
            std::fs::write(file.path(), &script).unwrap();
            let checked = Command::new("bash").arg("-n").arg(file.path()).output().unwrap();
            assert!(checked.status.success(), "bash -n: {}", String::from_utf8_lossy(&checked.stderr));
        }
    }

    let dir = tempfile::tempdir().unwrap();
    let output = signoff().args(["man", "--dir"]).arg(dir.path()).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    for (path, _) in &commands {
        let page = dir.path().join(format!("signoff-{}.1", path.join("-")));
        let text = std::fs::read_to_string(&page).unwrap_or_else(|_| panic!("no page {}", page.display()));
        assert!(text.contains(".SH NAME"), "{}", page.display());
    }
    let main = std::fs::read_to_string(dir.path().join("signoff.1")).unwrap();
    assert!(main.contains(".SH SUBCOMMANDS") || main.contains("capture"), "{main}");
}

/// A release that does not exist is answered with the closest one that does: a
/// mistyped version, or a mistyped project at the same version; nothing when
/// nothing is close.
#[test]
fn an_unknown_release_gets_a_did_you_mean() {
    let store = TestStore::new();
    for (release, label) in [("shop@4.2.1", "a"), ("shop@4.3.0", "b"), ("billing@4.2.1", "c")] {
        store.ok(&["release", "create", release, "--commit", &commit(label)]);
    }
    let said = |release: &str| {
        let output = store.run(&["release", "show", release]);
        assert_eq!(output.status.code(), Some(2), "{release}");
        String::from_utf8(output.stderr).unwrap()
    };
    assert!(said("shop@4.2.l").contains("did you mean shop@4.2.1?"), "{}", said("shop@4.2.l"));
    assert!(said("shpo@4.3.0").contains("did you mean shop@4.3.0?"), "{}", said("shpo@4.3.0"));
    assert!(said("biling@4.2.1").contains("did you mean billing@4.2.1?"), "{}", said("biling@4.2.1"));
    assert!(!said("inventory@1.0.0").contains("did you mean"), "{}", said("inventory@1.0.0"));
    // Every command that names a release gets the hint, not only `release show`.
    let certify = store.run(&["certify", "shop@4.2.2", "--dry-run"]);
    assert!(String::from_utf8_lossy(&certify.stderr).contains("did you mean shop@4.2.1?"));
}

/// Runs `signoff args...` against `store` with `input` on standard input.
fn with_stdin(store: &TestStore, args: &[&str], input: &[u8]) -> std::process::Output {
    let mut child =
        store.command().args(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), input).unwrap();
    child.wait_with_output().unwrap()
}

/// `-` is standard input (or output) wherever a file is named; where a file is
/// kept as a reference to read again later (a secret), `-` is refused.
#[test]
fn a_dash_is_standard_input_wherever_a_file_is_named() {
    let store = TestStore::new();
    let sha = commit("dash");
    store.capture_shop(&["bandit.sarif", "junit.xml"], &sha);
    store.ok(&["release", "create", "shop@1.0.0", "--commit", &sha]);

    // The starter policy on stdout, checked from stdin; no file named `-`.
    let policy = store.ok(&["policy", "init", "-"]);
    assert!(policy.contains("criteria:"), "{policy}");
    assert!(!store.dir.path().join("-").exists());
    let checked = with_stdin(&store, &["policy", "check", "-"], policy.as_bytes());
    assert!(checked.status.success(), "{}", String::from_utf8_lossy(&checked.stderr));
    let said = String::from_utf8_lossy(&checked.stdout);
    assert!(said.starts_with("standard input: ok") && said.contains("4 criteria"), "{said}");
    let broken = with_stdin(&store, &["policy", "check", "-"], b"version: 1\ncriteria: [");
    assert_eq!(broken.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&broken.stderr).contains("standard input"), "the place names stdin");

    // A checkpoint kept elsewhere, and a verifier key, read from stdin.
    let checkpoint = store.ok(&["ledger", "checkpoint"]);
    let verified = with_stdin(&store, &["ledger", "verify", "--checkpoint", "-", "--json"], checkpoint.as_bytes());
    assert!(verified.status.success(), "{}", String::from_utf8_lossy(&verified.stderr));
    let key = store.ok(&["key", "public", "--format", "note"]);
    let package = store.dir.path().join("shop-1.0.0.zip");
    store.ok(&["export", "shop@1.0.0", "-o", &package.display().to_string()]);
    let verified =
        with_stdin(&store, &["verify-package", &package.display().to_string(), "--key", "-"], key.as_bytes());
    assert!(verified.status.success(), "{}", String::from_utf8_lossy(&verified.stderr));
    let said = String::from_utf8_lossy(&verified.stdout);
    assert!(said.contains("checks passed (signatures checked with the key you gave)"), "{said}");
    let both = with_stdin(&store, &["verify-package", "-", "--key", "-"], key.as_bytes());
    assert_eq!(both.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&both.stderr).contains("cannot both be read from standard input"));

    // A document map from stdin; a secret from stdin is refused, and nothing is added.
    let added = with_stdin(
        &store,
        &[
            "sync",
            "add",
            "vanta",
            "--client-id",
            "b2f1c0",
            "--client-secret-env",
            "VANTA_SECRET",
            "--document-map",
            "-",
            "--unchecked",
            "--json",
        ],
        b"soc2: doc-17\nsoc2:CC8.1: doc-21\n",
    );
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let settings = std::fs::read_to_string(store.home().join("signoff.toml")).unwrap();
    assert!(settings.contains("doc-21"), "{settings}");
    let refused = with_stdin(
        &store,
        &["sync", "add", "webhook", "--name", "hook", "--url", "https://grc.example.com/hook", "--secret-file", "-"],
        b"whsec_c2VjcmV0",
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--secret-env"), "says what to use instead");
    let settings = std::fs::read_to_string(store.home().join("signoff.toml")).unwrap();
    assert!(!settings.contains("grc.example.com") && !settings.contains("whsec_"), "{settings}");
}

/// `--jq` filters what is JSON (a schema, a certificate's envelope) and says so
/// where nothing printed is; `schema --list` and `serve` print JSON too.
#[test]
fn jq_filters_every_json_output_and_refuses_the_rest() {
    let store = TestStore::new();
    let refused = store.run(&["completions", "bash", "--jq", "."]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("prints a shell script"));
    let refused = store.run(&["policy", "init", "--jq", "."]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(!store.dir.path().join("signoff-policy.yaml").exists(), "nothing written");

    let listed = json_lines(&store.ok(&["schema", "--list", "--json"]));
    assert!(listed.iter().any(|line| line["name"] == "findings" && line["lines"] == true), "{listed:?}");
    assert!(listed.iter().any(|line| line["name"] == "serve"));
    assert_eq!(store.ok(&["schema", "findings", "--jq", ".title"]), "signoff findings --json\n");

    let sha = commit("jq");
    store.capture_shop(&["bandit.sarif", "semgrep.sarif", "junit.xml", "coverage.xml"], &sha);
    store.ok(&["release", "create", "shop@2.0.0", "--commit", &sha]);
    // Certified or rejected, the decision is a signed certificate.
    let certified = store.run(&["certify", "shop@2.0.0", "--actor", "rm@example.com"]);
    assert!(matches!(certified.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&certified.stderr));
    let kind = store.ok(&["certificate", "export", "shop@2.0.0", "--jq", ".payloadType"]);
    assert_eq!(kind, "application/vnd.in-toto+json\n");
}

/// A project nothing was captured or released for is a typo: said so with the
/// closest known name, for reads and for what configures a project.
#[test]
fn an_unknown_project_gets_a_did_you_mean() {
    let store = TestStore::new();
    let sha = commit("projects");
    store.capture_shop(&["junit.xml"], &sha);
    store.ok(&["release", "create", "billing@1.0.0", "--commit", &sha]);
    let size = store.ledger_size();
    for args in [
        &["findings", "--project", "shoq"][..],
        &["release", "list", "--project", "shpo"],
        &["audit", "search", "--project", "sohp"],
        &["hold", "place", "--project", "shopp", "--reason", "matter 17"],
        &["policy", "pin", "shp", "--latest", "--reason", "x"],
    ] {
        let output = store.run(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("nothing was captured or released") && stderr.contains("did you mean shop?"),
            "{args:?}: {stderr}"
        );
    }
    // A project with a release and no evidence is known; nothing close, no guess.
    store.ok(&["release", "list", "--project", "billing"]);
    let far = store.run(&["findings", "--project", "inventory"]);
    assert_eq!(far.status.code(), Some(2));
    assert!(!String::from_utf8_lossy(&far.stderr).contains("did you mean"));
    assert_eq!(store.ledger_size(), size, "no hold placed nor pin recorded on a typo");
    // A certificate of a release that does not exist names the release as missing.
    let missing = store.run(&["certificate", "show", "shoq@1.0.0"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no release shoq@1.0.0"));
}

/// `init --quiet` prints nothing; `--version` names the commit and build date.
#[test]
fn quiet_init_and_a_version_that_says_what_was_built() {
    let folder = tempfile::tempdir().unwrap();
    let home = folder.path().join(".signoff");
    let output = signoff().arg("--store").arg(&home).args(["--quiet", "init"]).output().unwrap();
    assert!(output.status.success());
    assert!(output.stdout.is_empty() && output.stderr.is_empty(), "{}", String::from_utf8_lossy(&output.stdout));
    assert!(home.join("signoff.toml").exists());

    let version = String::from_utf8(signoff().arg("--version").output().unwrap().stdout).unwrap();
    assert!(version.starts_with("signoff "), "{version}");
    if Command::new("git")
        .args(["-C", env!("CARGO_MANIFEST_DIR"), "rev-parse", "HEAD"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        let built = version.split("built ").nth(1).unwrap_or_default();
        assert!(version.contains("(commit ") && built.len() >= 10, "{version}");
        assert!(
            time::Date::parse(&built[..10], &time::format_description::well_known::Iso8601::DATE).is_ok(),
            "{version}"
        );
    }
}
