//! Artifacts as they really are (B1, B3): what `--artifact` names and what an
//! environment runs, as SHA-256 digests.
//!
//! `--artifact` takes, in this order:
//! - a digest, `sha256:<hex>`, or an image reference pinned by one
//!   (`ghcr.io/acme/shop@sha256:<hex>`);
//! - a directory holding an OCI image layout (`oci-layout` and `index.json`): the
//!   digest of its image manifest, as a registry names the image;
//! - any other directory: its tree digest (below);
//! - a file of `docker inspect` output for images: each `RepoDigests` digest (the
//!   manifest digest that Kubernetes and ECS report) and the image `Id`;
//! - a file of `crane digest` output (one `sha256:<hex>` line);
//! - any other file: the SHA-256 of its bytes.
//!
//! **Tree digest** (`docs/artifacts.md`): the SHA-256 of the entries below the
//! directory sorted by their relative path (bytes, `/`-separated), each written
//! as `kind NUL path NUL value NUL`, where kind is `file` (value: the hex SHA-256
//! of its bytes), `exec` (an executable file, same value), `link` (value: the link
//! target, not followed) or `dir` (value empty). The order files were created in,
//! their times and owners do not change it; content, names, the executable bit,
//! links and empty folders do.
//!
//! Running images come from `kubectl get pods -o json` (`imageID` of each
//! container status), `docker inspect` of containers (`Image`) or `aws ecs
//! describe-tasks` (`imageDigest` of each container).

use std::io::Read;
use std::path::Path;

use serde_json::Value;
use signoff_core::{Digest, Sha256};

use crate::error::AppError;

/// How an `--artifact` was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArtifactKind {
    /// A digest or a reference pinned by one.
    Digest,
    /// A file's bytes.
    File,
    /// A directory's tree digest.
    Tree,
    /// An OCI image layout's manifest digest.
    OciLayout,
    /// `docker inspect` output of images.
    DockerInspect,
    /// `crane digest` output.
    CraneDigest,
}

impl ArtifactKind {
    /// A short description for messages.
    pub fn describe(self) -> &'static str {
        match self {
            ArtifactKind::Digest => "a digest",
            ArtifactKind::File => "a file's SHA-256",
            ArtifactKind::Tree => "a directory's tree digest",
            ArtifactKind::OciLayout => "an OCI image layout's manifest digest",
            ArtifactKind::DockerInspect => "docker inspect output",
            ArtifactKind::CraneDigest => "crane digest output",
        }
    }
}

/// An artifact read: one digest or more (an image has several names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// How it was read.
    pub kind: ArtifactKind,
    /// Its digests, the one a registry names first.
    pub digests: Vec<Digest>,
}

fn invalid(text: &str, message: impl std::fmt::Display) -> AppError {
    AppError::Invalid(format!("--artifact {text}: {message}"))
}

/// The digest after `@` in a pinned image reference, or the text itself as a digest.
fn pinned(text: &str) -> Option<Digest> {
    let digest = text.rsplit_once('@').map_or(text, |(_, digest)| digest);
    digest.trim().parse().ok()
}

/// Reads what `--artifact` names (see the module docs).
///
/// # Errors
/// A path that cannot be read, an OCI layout without exactly one manifest, or
/// text that is neither a path nor a digest.
pub fn resolve(text: &str) -> Result<Artifact, AppError> {
    let path = Path::new(text);
    if text.starts_with("sha256:") || (!path.exists() && text.contains("@sha256:")) {
        let digest = pinned(text).ok_or_else(|| invalid(text, "not sha256:<64 hex digits>"))?;
        return Ok(Artifact { kind: ArtifactKind::Digest, digests: vec![digest] });
    }
    if path.is_dir() {
        if path.join("oci-layout").is_file() && path.join("index.json").is_file() {
            return Ok(Artifact { kind: ArtifactKind::OciLayout, digests: vec![oci_layout(text, path)?] });
        }
        return Ok(Artifact { kind: ArtifactKind::Tree, digests: vec![tree_digest(path)?] });
    }
    if path.is_file() {
        let size = std::fs::metadata(path).map_err(|error| invalid(text, error))?.len();
        // Tool outputs are small; anything large is an artifact's bytes.
        if size <= 4 << 20 {
            let bytes = std::fs::read(path).map_err(|error| invalid(text, error))?;
            if let Some(artifact) = tool_output(&bytes) {
                return Ok(artifact);
            }
            return Ok(Artifact { kind: ArtifactKind::File, digests: vec![Digest::of(&bytes)] });
        }
        let mut file = std::fs::File::open(path).map_err(|error| invalid(text, error))?;
        return Ok(Artifact { kind: ArtifactKind::File, digests: vec![hash_reader(&mut file, text)?] });
    }
    Err(invalid(text, "not a sha256 digest (sha256:<64 hex digits>), nor a file or directory"))
}

/// Reads `docker inspect` or `crane digest` output, when `bytes` are one.
pub fn tool_output(bytes: &[u8]) -> Option<Artifact> {
    let text = std::str::from_utf8(bytes).ok()?;
    let trimmed = text.trim();
    if trimmed.starts_with("sha256:") && !trimmed.contains(char::is_whitespace) {
        return pinned(trimmed).map(|digest| Artifact { kind: ArtifactKind::CraneDigest, digests: vec![digest] });
    }
    if !trimmed.starts_with('[') {
        return None;
    }
    let images: Vec<Value> = serde_json::from_str(trimmed).ok()?;
    let mut digests = Vec::new();
    for image in &images {
        // An image's inspect output has an Id and RepoTags/RepoDigests; a container's has State.
        let (Some(id), true) = (image.get("Id").and_then(Value::as_str), image.get("RepoDigests").is_some()) else {
            return None;
        };
        for reference in image["RepoDigests"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            if let Some(digest) = pinned(reference)
                && !digests.contains(&digest)
            {
                digests.push(digest);
            }
        }
        if let Some(digest) = pinned(id)
            && !digests.contains(&digest)
        {
            digests.push(digest);
        }
    }
    (!digests.is_empty()).then_some(Artifact { kind: ArtifactKind::DockerInspect, digests })
}

fn hash_reader(reader: &mut dyn Read, what: &str) -> Result<Digest, AppError> {
    let mut sha = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = reader.read(&mut buffer).map_err(|error| invalid(what, error))?;
        if read == 0 {
            return Ok(sha.finish());
        }
        sha.update(&buffer[..read]);
    }
}

/// The manifest digest of an OCI image layout (its `index.json` lists exactly one).
fn oci_layout(text: &str, path: &Path) -> Result<Digest, AppError> {
    let index = std::fs::read(path.join("index.json")).map_err(|error| invalid(text, error))?;
    let index: Value =
        serde_json::from_slice(&index).map_err(|error| invalid(text, format!("index.json is not JSON: {error}")))?;
    let manifests: Vec<&str> = index["manifests"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|manifest| manifest["digest"].as_str())
        .collect();
    match manifests.as_slice() {
        [one] => one.parse().map_err(|error| invalid(text, format!("index.json: manifests[0].digest: {error}"))),
        [] => Err(invalid(text, "index.json lists no manifest")),
        many => Err(invalid(
            text,
            format!("index.json lists {} manifests ({}); name one as --artifact sha256:…", many.len(), many.join(", ")),
        )),
    }
}

/// The tree digest of a directory (see the module docs).
///
/// # Errors
/// An entry that cannot be read.
pub fn tree_digest(root: &Path) -> Result<Digest, AppError> {
    let what = root.display().to_string();
    let mut entries: Vec<(Vec<u8>, &'static str, Vec<u8>)> = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).map_err(|error| invalid(&what, error))? {
            let entry = entry.map_err(|error| invalid(&what, error))?;
            let path = entry.path();
            let relative = path.strip_prefix(root).map_err(|error| invalid(&what, error))?;
            let name = relative
                .components()
                .map(|part| part.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/")
                .into_bytes();
            let kind = entry.file_type().map_err(|error| invalid(&what, error))?;
            if kind.is_symlink() {
                let target = std::fs::read_link(&path).map_err(|error| invalid(&what, error))?;
                entries.push((name, "link", target.to_string_lossy().into_owned().into_bytes()));
            } else if kind.is_dir() {
                entries.push((name, "dir", Vec::new()));
                pending.push(path);
            } else {
                let mut file = std::fs::File::open(&path).map_err(|error| invalid(&what, error))?;
                let digest = hash_reader(&mut file, &path.display().to_string())?;
                let kind = if executable(&entry) { "exec" } else { "file" };
                entries.push((name, kind, digest.to_hex().into_bytes()));
            }
        }
    }
    entries.sort();
    let mut sha = Sha256::new();
    for (name, kind, value) in &entries {
        for part in [kind.as_bytes(), name, value] {
            sha.update(part);
            sha.update(&[0]);
        }
    }
    Ok(sha.finish())
}

#[cfg(unix)]
fn executable(entry: &std::fs::DirEntry) -> bool {
    use std::os::unix::fs::PermissionsExt;
    entry.metadata().is_ok_and(|metadata| metadata.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn executable(_: &std::fs::DirEntry) -> bool {
    false
}

/// Where a list of running containers comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    /// `kubectl get pods -o json` (a `List` of pods, or one pod).
    Kubectl,
    /// `docker inspect` of containers.
    Docker,
    /// `aws ecs describe-tasks`.
    Ecs,
}

impl Runtime {
    /// The runtime whose output has this shape, if one does.
    fn detect(document: &Value) -> Option<Runtime> {
        if matches!(document["kind"].as_str(), Some("List" | "PodList" | "Pod")) {
            return Some(Runtime::Kubectl);
        }
        if document["tasks"].is_array() {
            return Some(Runtime::Ecs);
        }
        let containers = document.as_array()?;
        (!containers.is_empty() && containers.iter().all(|container| container["Id"].is_string()))
            .then_some(Runtime::Docker)
    }

    fn name(self) -> &'static str {
        match self {
            Runtime::Kubectl => "kubectl get pods -o json",
            Runtime::Docker => "docker inspect",
            Runtime::Ecs => "aws ecs describe-tasks",
        }
    }
}

/// One container found running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Running {
    /// Where: `namespace/pod/container`, the container's name, or `task/container`.
    pub place: String,
    /// The image as the runtime names it.
    pub image: String,
    /// The image's digest, when the runtime reports one.
    pub digest: Option<Digest>,
}

/// The containers in a runtime's output (`source` names the file in messages).
///
/// # Errors
/// Output that is not JSON or not of the runtime's shape.
/// Without a runtime, it is told from the document's shape: a `kind` of `List`,
/// `PodList` or `Pod` is kubectl's, an array of objects with an `Id` is `docker
/// inspect`'s, an object with `tasks` is ECS's.
pub fn running(runtime: Option<Runtime>, bytes: &[u8], source: &str) -> Result<Vec<Running>, AppError> {
    let document: Value = serde_json::from_slice(bytes).map_err(|error| match runtime {
        Some(runtime) => AppError::Invalid(format!("{source}: not {} output: {error}", runtime.name())),
        None => AppError::Invalid(format!("{source}: not JSON: {error}")),
    })?;
    let runtime = match runtime.or_else(|| Runtime::detect(&document)) {
        Some(runtime) => runtime,
        None => {
            return Err(AppError::Invalid(format!(
                "{source}: not output signoff can read running containers from (kubectl get pods -o json, docker inspect, aws ecs describe-tasks); name it with --input-format"
            )));
        }
    };
    let shape = |message: &str| AppError::Invalid(format!("{source}: not {} output: {message}", runtime.name()));
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    let mut found = Vec::new();
    match runtime {
        Runtime::Kubectl => {
            let pods: Vec<&Value> = match document["kind"].as_str() {
                Some("List" | "PodList") => document["items"].as_array().into_iter().flatten().collect(),
                Some("Pod") => vec![&document],
                _ => return Err(shape("expected kind List or Pod")),
            };
            for pod in pods {
                let name = format!("{}/{}", text(&pod["metadata"]["namespace"]), text(&pod["metadata"]["name"]));
                for key in ["initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses"] {
                    for status in pod["status"][key].as_array().into_iter().flatten() {
                        found.push(Running {
                            place: format!("{name}/{}", text(&status["name"])),
                            image: text(&status["image"]),
                            digest: pinned(&text(&status["imageID"])),
                        });
                    }
                }
            }
        }
        Runtime::Docker => {
            let containers = document.as_array().ok_or_else(|| shape("expected a JSON array"))?;
            for container in containers {
                if container.get("State").is_none() {
                    return Err(shape("an entry without State: images, not containers (give those as --artifact)"));
                }
                found.push(Running {
                    place: text(&container["Name"]).trim_start_matches('/').to_owned(),
                    image: text(&container["Config"]["Image"]),
                    digest: pinned(&text(&container["Image"])),
                });
            }
        }
        Runtime::Ecs => {
            let tasks = document["tasks"].as_array().ok_or_else(|| shape("expected an object with tasks"))?;
            for task in tasks {
                let id = text(&task["taskArn"]).rsplit('/').next().unwrap_or_default().to_owned();
                for container in task["containers"].as_array().into_iter().flatten() {
                    found.push(Running {
                        place: format!("{id}/{}", text(&container["name"])),
                        image: text(&container["image"]),
                        digest: pinned(&text(&container["imageDigest"])),
                    });
                }
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_digest_ignores_creation_order_and_sees_content_names_and_modes() {
        let make = |order: &[(&str, &str)]| {
            let dir = tempfile::tempdir().unwrap();
            for (name, content) in order {
                let path = dir.path().join(name);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, content).unwrap();
            }
            dir
        };
        let one = make(&[("a.txt", "a"), ("lib/b.so", "b"), ("lib/c/d", "d")]);
        let two = make(&[("lib/c/d", "d"), ("lib/b.so", "b"), ("a.txt", "a")]);
        let digest = tree_digest(one.path()).unwrap();
        assert_eq!(digest, tree_digest(two.path()).unwrap());
        let renamed = make(&[("A.txt", "a"), ("lib/b.so", "b"), ("lib/c/d", "d")]);
        assert_ne!(digest, tree_digest(renamed.path()).unwrap());
        let changed = make(&[("a.txt", "A"), ("lib/b.so", "b"), ("lib/c/d", "d")]);
        assert_ne!(digest, tree_digest(changed.path()).unwrap());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(two.path().join("a.txt"), std::fs::Permissions::from_mode(0o755)).unwrap();
            assert_ne!(digest, tree_digest(two.path()).unwrap(), "the executable bit counts");
        }
        std::fs::create_dir(one.path().join("empty")).unwrap();
        assert_ne!(digest, tree_digest(one.path()).unwrap(), "an empty folder counts");
    }

    #[test]
    fn digests_references_and_crane_output() {
        let hex = "a".repeat(64);
        let digest: Digest = format!("sha256:{hex}").parse().unwrap();
        assert_eq!(resolve(&format!("sha256:{hex}")).unwrap().digests, [digest]);
        let pinned = resolve(&format!("ghcr.io/acme/shop@sha256:{hex}")).unwrap();
        assert_eq!((pinned.kind, pinned.digests), (ArtifactKind::Digest, vec![digest]));
        let crane = tool_output(format!("sha256:{hex}\n").as_bytes()).unwrap();
        assert_eq!((crane.kind, crane.digests), (ArtifactKind::CraneDigest, vec![digest]));
        assert!(tool_output(b"just some text").is_none());
        assert!(tool_output(b"[1, 2, 3]").is_none());
        let error = resolve("no/such/file").unwrap_err().to_string();
        assert!(error.contains("no/such/file") && error.contains("not a sha256 digest"), "{error}");
    }
}
