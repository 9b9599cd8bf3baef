//! Artifacts and environments as they really are: `--artifact` names files,
//! directories, OCI image layouts, `docker inspect` and `crane digest` output;
//! `env snapshot [--input-format kubectl|docker|ecs] FILE` reads what runs from the runtime's own
//! output (fixtures in tests/data/runtime/, see its README for their provenance).

use serde_json::Value;

use crate::util::{TestStore, commit, root};

const SHOP_141: &str = "sha256:837e5b14783b5207a96e76cb3aa9bacc559e8eee736a21124471883cbe0f1d9a";
const SHOP_140: &str = "sha256:3f820005f91ef585943f26b8bcd2bdaec2fa22af47268fd0b74d4301d44801d2";
const REDIS: &str = "sha256:d04e3a22c97777ac20a780b999833ab63c5da4d1b146082ae0dea777aee584dd";
const MIGRATE: &str = "sha256:3bc801a33ea83df414e1aeb962a52412835be99db28668ec25de73fdd4733804";
const SHOP_141_CONFIG: &str = "sha256:fecf72adc3060eefe68966529b6189221f9cfca7ea32ae8b6e4f3dc76704af74";

fn fixture(name: &str) -> String {
    root().join("crates/signoff-cli/tests/data/runtime").join(name).display().to_string()
}

fn artifacts_of(store: &TestStore, args: &[&str]) -> Vec<String> {
    let sha = commit(&format!("artifacts {args:?}"));
    let version = format!("1.0.{}", store.ledger_size());
    let release = format!("shop@{version}");
    store.ok(&[&["release", "create", &release, "--commit", &sha][..], args].concat());
    let view: Value = serde_json::from_str(&store.ok(&["release", "show", &release, "--json"])).unwrap();
    view["artifacts"].as_array().unwrap().iter().map(|digest| digest.as_str().unwrap().to_owned()).collect()
}

/// An OCI image layout (image-spec v1.1 `image-layout.md`) holding one manifest.
fn oci_layout(dir: &std::path::Path) -> String {
    use sha2::Digest;
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |bytes: &[u8]| -> String {
        let hex = hex::encode(sha2::Sha256::digest(bytes));
        std::fs::write(blobs.join(&hex), bytes).unwrap();
        format!("sha256:{hex}")
    };
    let config = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let config_digest = put(config);
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{}}},"layers":[]}}"#,
        config.len()
    );
    let manifest_digest = put(manifest.as_bytes());
    std::fs::write(dir.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    std::fs::write(
        dir.join("index.json"),
        format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{manifest_digest}","size":{},"annotations":{{"org.opencontainers.image.ref.name":"1.4.1"}}}}]}}"#,
            manifest.len()
        ),
    )
    .unwrap();
    manifest_digest
}

#[test]
fn artifacts_are_named_the_way_builds_leave_them() {
    let store = TestStore::new();
    // A directory: its tree digest, whatever order the files were written in.
    let one = store.dir.path().join("dist-one");
    let two = store.dir.path().join("dist-two");
    for (dir, order) in [(&one, ["a.txt", "lib/b.so"]), (&two, ["lib/b.so", "a.txt"])] {
        for name in order {
            std::fs::create_dir_all(dir.join(name).parent().unwrap()).unwrap();
            std::fs::write(dir.join(name), name).unwrap();
        }
    }
    let tree = artifacts_of(&store, &["--artifact", one.to_str().unwrap()]);
    assert_eq!(tree, artifacts_of(&store, &["--artifact", two.to_str().unwrap()]));
    assert!(tree[0].starts_with("sha256:"));
    std::fs::write(two.join("a.txt"), "changed").unwrap();
    assert_ne!(tree, artifacts_of(&store, &["--artifact", two.to_str().unwrap()]));

    // An OCI image layout: its manifest digest, as a registry names the image.
    let layout = store.dir.path().join("image");
    let manifest = oci_layout(&layout);
    let output = store
        .command()
        .args(["release", "create", "shop@2.0.0", "--commit", &commit("oci")])
        .arg("--artifact")
        .arg(&layout)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stderr).contains("OCI image layout"), "the note says how it was read");
    let view: Value = serde_json::from_str(&store.ok(&["release", "show", "shop@2.0.0", "--json"])).unwrap();
    assert_eq!(view["artifacts"], serde_json::json!([manifest]));

    // docker inspect of the image: the registry digest first, then the image id.
    assert_eq!(
        artifacts_of(&store, &["--artifact", &fixture("docker-inspect-image.json")]),
        [SHOP_141, SHOP_141_CONFIG]
    );
    // crane digest output, and an image reference pinned by digest.
    assert_eq!(artifacts_of(&store, &["--artifact", &fixture("crane-digest.txt")]), [SHOP_141]);
    assert_eq!(artifacts_of(&store, &["--artifact", &format!("ghcr.io/acme/shop@{SHOP_140}")]), [SHOP_140]);
    // Anything else is a file whose bytes are hashed.
    let plain = store.dir.path().join("shop.tar.gz");
    std::fs::write(&plain, b"\x1f\x8b not really gzip").unwrap();
    let expected =
        format!("sha256:{}", hex::encode(<sha2::Sha256 as sha2::Digest>::digest(b"\x1f\x8b not really gzip")));
    assert_eq!(artifacts_of(&store, &["--artifact", plain.to_str().unwrap()]), [expected]);

    // Two manifests in one layout: the user must say which.
    let index = std::fs::read_to_string(layout.join("index.json")).unwrap();
    let doubled: Value = serde_json::from_str(&index).unwrap();
    let mut doubled = doubled.clone();
    let first = doubled["manifests"][0].clone();
    doubled["manifests"].as_array_mut().unwrap().push(first);
    std::fs::write(layout.join("index.json"), doubled.to_string()).unwrap();
    let output = store.command().args(["gate", "--artifact"]).arg(&layout).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("2 manifests"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn snapshot(store: &TestStore, args: &[&str], stdin: Option<&str>) -> (i32, Value, String) {
    let mut command = store.command();
    command.args([&["env", "snapshot", "--env", "prod", "--json"][..], args].concat());
    if let Some(path) = stdin {
        command.stdin(std::fs::File::open(path).unwrap());
    }
    let output = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| panic!("{stderr}"));
    (output.status.code().unwrap(), value, stderr)
}

fn recorded(snapshot: &Value) -> Vec<&str> {
    snapshot["artifacts"].as_array().unwrap().iter().map(|digest| digest.as_str().unwrap()).collect()
}

#[test]
fn snapshots_read_what_runs_from_kubectl_docker_and_ecs() {
    let store = TestStore::new();
    let (code, pods, stderr) =
        snapshot(&store, &["--input-format", "kubectl", &fixture("kubectl-get-pods.json")], None);
    assert_eq!(code, 1, "nothing running was certified: {stderr}");
    assert_eq!(recorded(&pods), [MIGRATE, SHOP_141, SHOP_140, REDIS], "init containers count, repeats do not");
    assert!(stderr.contains("shop/shop-7d9c5b7f4-q2b5c/shop") && stderr.contains("no image digest"), "{stderr}");
    assert!(stderr.contains("5 containers"), "{stderr}");

    let ecs = fixture("ecs-describe-tasks.json");
    // Without --input-format, the runtime is told from the output's shape.
    let (_, tasks, _) = snapshot(&store, &["-"], Some(&ecs));
    assert_eq!(recorded(&tasks), [SHOP_141, SHOP_140]);

    let (_, containers, _) = snapshot(&store, &[&fixture("docker-inspect-containers.json")], None);
    assert_eq!(
        recorded(&containers)[0],
        SHOP_141_CONFIG,
        "docker reports the image id that `docker inspect IMAGE` names"
    );

    // A release certified for its image covers the running pods of that image.
    let (_, combined, _) = snapshot(&store, &["--artifact", SHOP_140, "--input-format", "ecs", &ecs], None);
    assert_eq!(recorded(&combined), [SHOP_140, SHOP_141]);

    // The wrong tool's output is refused with the file and the tool named.
    let output = store
        .command()
        .args(["env", "snapshot", "--env", "prod", "--input-format", "docker", &fixture("ecs-describe-tasks.json")])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("ecs-describe-tasks.json") && stderr.contains("docker inspect"), "{stderr}");
    let output = store
        .command()
        .args(["env", "snapshot", "--env", "prod", "--from", "docker", &fixture("docker-inspect-image.json")])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("images, not containers"), "{stderr}");
    assert!(stderr.contains("--input-format docker"), "the old spelling says the new one: {stderr}");

    // Output of no runtime, unnamed, is refused with the way to name it.
    let sbom = root().join("examples/evidence/v2/sbom.cdx.json");
    let output = store.command().args(["env", "snapshot", "--env", "prod"]).arg(&sbom).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("sbom.cdx.json") && stderr.contains("--input-format"), "{stderr}");
}
