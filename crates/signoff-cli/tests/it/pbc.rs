//! `signoff pbc` (F4) as an auditor's counterpart uses it: import the request
//! list, see what is due, answer with a saved query and a package, hand over the
//! exact bytes that were ledgered, and get a clear error for a bad list.

use serde_json::Value;

use crate::util::*;

#[test]
fn a_request_list_is_imported_answered_and_reported() {
    let store = TestStore::new();
    let sha = commit("pbc");
    store.capture_shop(&["bandit.sarif", "junit.xml"], &sha);
    store.ok(&["release", "create", "shop@1.0.0", "--commit", &sha]);
    // Deployed uncertified: recorded, and exit 1 says so.
    let deployed = store.run(&["deploy", "record", "shop@1.0.0", "--env", "prod", "--actor", "carol"]);
    assert_eq!(deployed.status.code(), Some(1), "{}", String::from_utf8_lossy(&deployed.stderr));
    let list = root().join("examples/pbc/soc2-requests.csv");
    let list = list.to_str().unwrap();

    let imported = store.ok(&["pbc", "import", list, "--actor", "carol"]);
    assert!(imported.contains("soc2-requests.csv: 5 requests imported, 0 already there"), "{imported}");
    let again: Value = serde_json::from_str(&store.ok(&["pbc", "import", list, "--actor", "carol", "--json"])).unwrap();
    assert_eq!(again["unchanged"].as_array().unwrap().len(), 5, "{again}");

    // A bad list: exit 2, the file and line named, nothing stored.
    let size = store.ledger_size();
    let bad = store.home().with_file_name("q4.csv");
    std::fs::write(&bad, "Request ID,Description,Due Date\nREQ-9,Access reviews,2026-13-40\n").unwrap();
    let output = store.run(&["pbc", "import", bad.to_str().unwrap(), "--actor", "carol"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("q4.csv:2: due: \"2026-13-40\" is not a date (YYYY-MM-DD)"), "{stderr}");
    assert_eq!(store.ledger_size(), size);

    // On 2026-10-20 two requests are overdue: status says so and exits 1.
    let output = store.run(&["pbc", "status", "--today", "2026-10-20"]);
    assert_eq!(output.status.code(), Some(1), "{}", String::from_utf8_lossy(&output.stderr));
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(text.contains("5 audit requests as of 2026-10-20: 3 open, 2 overdue"), "{text}");
    assert!(text.contains("OVERDUE"), "{text}");

    let answered: Value = serde_json::from_str(&store.ok(&[
        "pbc",
        "answer",
        "REQ-1",
        "--query",
        "population env=prod",
        "--note",
        "every production deployment",
        "--actor",
        "carol",
        "--json",
    ]))
    .unwrap();
    let answer = &answered["answers"][0];
    assert_eq!(answer["answer"]["rows"], 1, "{answered}");
    assert_eq!(answered["state"], "answered_late", "{answered}");
    let out = store.home().with_file_name("population.csv");
    store.ok(&["pbc", "show", "REQ-1", "--answer", answer["id"].as_str().unwrap(), "-o", out.to_str().unwrap()]);
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(answer["answer"]["digest"], signoff_core::Digest::of(&bytes).to_string().as_str());
    assert!(String::from_utf8(bytes).unwrap().contains("shop"));

    let package = store.home().with_file_name("shop.zip");
    store.ok(&["export", "shop@1.0.0", "-o", package.to_str().unwrap()]);
    let given = store.ok(&["pbc", "answer", "REQ-2", "--package", package.to_str().unwrap(), "--actor", "carol"]);
    assert!(given.contains("REQ-2 answered with package shop.zip"), "{given}");

    let output = store.run(&["pbc", "answer", "REQ-3", "--query", "search severity=urgent", "--actor", "carol"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("urgent"));
    let output = store.run(&["pbc", "answer", "REQ-3", "--actor", "carol"]);
    assert_eq!(output.status.code(), Some(2), "an answer needs --query, --package, --report or --file");

    let shown = store.ok(&["pbc", "show", "REQ-1"]);
    assert!(shown.contains("answer ") && shown.contains("query `population env=prod` (1 row"), "{shown}");
    assert!(shown.contains("note: every production deployment"), "{shown}");
    let open = json_lines(&store.ok(&["pbc", "list", "--state", "open", "--json"]));
    let ids: Vec<&str> = open.iter().map(|view| view["request"]["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["REQ-3", "REQ-4", "REQ-5"]);
    let (code, verified) = store.verify();
    assert_eq!(code, 0, "{verified}");
}
