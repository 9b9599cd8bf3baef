//! A store's home folder: `signoff.db`, `blobs/`, and the ledger's signing key in
//! `keys/` (the private key readable by its owner only).

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use signoff_core::context::{self, CiContext};
use signoff_ledger::{LedgerKey, NoteVerifier, PublicKey};
use signoff_store::{BlobStore, Store};

use crate::error::AppError;

const KEY_FILE: &str = "keys/ledger.key";
const PUBLIC_KEY_FILE: &str = "keys/ledger.pub";
const REDACTION_KEY_FILE: &str = "keys/redaction.key";
const DATABASE_FILE: &str = "signoff.db";
pub(crate) const CONFIG_FILE: &str = "signoff.toml";

/// The commented `signoff.toml` that `init` writes: every setting, off.
const SETTINGS_TEMPLATE: &str = "\
# signoff store settings. Every setting is optional; paths are relative to this folder.
# The README's Configuration section describes each one.

{database}
# lock_timeout = 300                         # seconds a writer waits for another's lock (SIGNOFF_LOCK_TIMEOUT wins)

# [git]
# allowed_signers = \"allowed_signers\"        # SSH commit signatures (git's gpg.ssh.allowedSignersFile format)
# openpgp_keys = \"release-signers.asc\"       # OpenPGP commit signatures (gpg --armor --export ...)

# [actors]                                   # typed as bots / AI agents besides the built-in patterns
# bots = [\"deploy-robot*\"]
# ai_agents = [\"*copilot*\", \"*@agents.example.com\"]

# [controls]
# catalog = \"our-controls.yaml\"              # adds to or overrides the built-in control catalog
# frameworks = [\"soc2\", \"iso27001\"]          # in force: coverage defaults and retention

# [server]
# public_url = \"https://signoff.example.com\"  # compliance artifacts link releases and evidence there

# [sync]                                     # GRC destinations: `signoff sync add` writes them (docs/sync.md)
# allow_private_networks = false             # let webhooks reach private and loopback addresses
";

/// The store's settings, `signoff.toml` in its home folder (all optional).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Config {
    /// A PostgreSQL URL; absent means SQLite in the home folder.
    pub(crate) database: Option<String>,
    /// Seconds a writer waits for another writer's lock (default 300).
    pub(crate) lock_timeout: Option<u64>,
    /// How actors are typed (J1).
    #[serde(default)]
    pub(crate) actors: ActorsConfig,
    /// How git history is read.
    #[serde(default)]
    pub(crate) git: GitConfig,
    /// The control catalog and the frameworks in force.
    #[serde(default)]
    pub(crate) controls: ControlsConfig,
    /// GRC destinations (`[sync]`, `signoff sync add`).
    #[serde(default)]
    pub(crate) sync: Option<signoff_grc::config::SyncConfig>,
    /// The evidence server.
    #[serde(default)]
    pub(crate) server: ServerSection,
}

/// `[server]`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ServerSection {
    /// OIDC issuers whose ID tokens the server accepts (`[[server.oidc]]`).
    #[serde(default)]
    pub(crate) oidc: Vec<crate::access::oidc::IssuerConfig>,
    /// The server's public base URL (`https://signoff.example.com`): compliance
    /// artifacts link the release, its evidence and its certificate there.
    pub(crate) public_url: Option<String>,
}

/// `[controls]`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ControlsConfig {
    /// A YAML file of controls that add to or override the built-in catalog;
    /// relative to the store folder.
    pub(crate) catalog: Option<PathBuf>,
    /// The frameworks in force (coverage defaults, retention); all when absent.
    pub(crate) frameworks: Option<Vec<String>>,
}

/// `[actors]`: glob patterns over `Name <email>` (or a bare login), added to the
/// built-in ones (GitHub `[bot]` accounts, known AI agents).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ActorsConfig {
    /// Bots.
    #[serde(default)]
    pub(crate) bots: Vec<String>,
    /// AI agents.
    #[serde(default)]
    pub(crate) ai_agents: Vec<String>,
}

/// `[git]`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct GitConfig {
    /// An SSH allowed-signers file (git's `gpg.ssh.allowedSignersFile` format) that
    /// commit signatures are verified against; relative to the store folder.
    pub(crate) allowed_signers: Option<PathBuf>,
    /// ASCII-armored OpenPGP public keys (`gpg --armor --export ...`) that commit
    /// signatures are verified against; relative to the store folder.
    pub(crate) openpgp_keys: Option<PathBuf>,
}

impl Config {
    fn read(home: &Path) -> Result<Config, AppError> {
        let path = home.join(CONFIG_FILE);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(error) => return Err(AppError::io(&path)(error)),
        };
        toml::from_str(&text)
            .map_err(|source| AppError::Config { path: path.display().to_string(), source: Box::new(source) })
    }

    /// How long a writer waits for another's lock: `SIGNOFF_LOCK_TIMEOUT` (seconds)
    /// wins over the file's `lock_timeout`.
    fn lock_timeout(&self) -> Result<Duration, AppError> {
        match std::env::var("SIGNOFF_LOCK_TIMEOUT") {
            Ok(text) if !text.trim().is_empty() => {
                let seconds = text.trim().strip_suffix('s').unwrap_or(text.trim()).trim();
                seconds.parse::<u64>().map(Duration::from_secs).map_err(|_| {
                    AppError::Invalid(format!(
                        "SIGNOFF_LOCK_TIMEOUT={text:?} is not a number of seconds (for example SIGNOFF_LOCK_TIMEOUT=60)"
                    ))
                })
            }
            _ => Ok(self.lock_timeout.map_or(signoff_store::sql::LOCK_TIMEOUT, Duration::from_secs)),
        }
    }

    /// The database URL: `SIGNOFF_DATABASE_URL` wins over the file.
    fn database_url(&self) -> Option<String> {
        std::env::var("SIGNOFF_DATABASE_URL").ok().filter(|url| !url.is_empty()).or_else(|| self.database.clone())
    }
}

/// An open store and its signing key.
pub struct Signoff {
    home: PathBuf,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) blobs: Arc<dyn BlobStore>,
    pub(crate) key: LedgerKey,
    pub(crate) origin: String,
    /// Key of the keyed hash that replaces secret values (A5).
    pub(crate) redaction_key: [u8; 32],
    /// Settings from `signoff.toml`.
    pub(crate) config: Config,
    /// How long a writer waits for another's lock.
    pub(crate) lock_timeout: Duration,
    /// The OIDC issuers the server trusts, with their keys as last fetched.
    pub(crate) oidc: Arc<crate::access::oidc::Verifier>,
    /// Files killed captures left in the staging folder, found at open.
    pub(crate) stale: Vec<signoff_store::StaleFile>,
    /// What is wrong with the store's files, found at open (permissions looser
    /// than private, a public key file that is not the key's).
    warnings: Vec<String>,
}

/// What `init` did.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct InitReport {
    /// The store folder.
    pub home: String,
    /// Whether it was created now (false: it existed and was left as it was).
    pub created: bool,
    /// The checkpoint origin (and key name).
    pub origin: String,
    /// The verifier key in C2SP note form, for anyone who checks checkpoints.
    pub verifier_key: String,
    /// The public key, SPKI PEM.
    pub public_key_pem: String,
}

impl Signoff {
    /// Creates a store at `home` (a folder; created if missing). An existing store
    /// is left untouched and described.
    ///
    /// # Errors
    /// When the folder, key or database cannot be created.
    pub async fn init(home: &Path, origin: Option<&str>, database: Option<&str>) -> Result<InitReport, AppError> {
        // Private whatever the umask: folders 0700, files 0600 (the umask can only
        // take permissions away from what is asked for here).
        for folder in
            [home.to_owned(), home.join("keys"), home.join("blobs"), home.join("blobs/sha256"), home.join("blobs/tmp")]
        {
            if !folder.exists() {
                fs::DirBuilder::new().recursive(true).mode(0o700).create(&folder).map_err(AppError::io(&folder))?;
            }
        }
        let keys = home.join("keys");
        fs::set_permissions(&keys, fs::Permissions::from_mode(0o700)).map_err(AppError::io(&keys))?;
        let key_path = home.join(KEY_FILE);
        let config_path = home.join(CONFIG_FILE);
        if !config_path.exists() {
            let database_line = match database {
                Some(url) => format!("database = {}", toml_string(url)),
                None => "# database = \"postgres://signoff@db.internal/signoff\"   # absent: SQLite in this folder"
                    .to_owned(),
            };
            let text = SETTINGS_TEMPLATE.replace("{database}", &database_line);
            write_new(&config_path, text.as_bytes(), 0o600)?;
        }
        let config = Config::read(home)?;
        let created = !key_path.exists() || (config.database_url().is_none() && !home.join(DATABASE_FILE).exists());
        if !key_path.exists() {
            let key = LedgerKey::generate()
                .map_err(|source| AppError::Key { path: key_path.display().to_string(), source })?;
            let pem =
                key.to_pkcs8_pem().map_err(|source| AppError::Key { path: key_path.display().to_string(), source })?;
            write_new(&key_path, pem.as_bytes(), 0o600)?;
            write_new(&home.join(PUBLIC_KEY_FILE), key.public().to_spki_pem().as_bytes(), 0o600)?;
        }
        let redaction_path = home.join(REDACTION_KEY_FILE);
        if !redaction_path.exists() {
            let mut secret = [0u8; 32];
            getrandom::fill(&mut secret)
                .map_err(|error| AppError::Invalid(format!("no randomness for the redaction key: {error}")))?;
            write_new(&redaction_path, hex::encode(secret).as_bytes(), 0o600)?;
        }
        let database_path = home.join(DATABASE_FILE);
        if config.database_url().is_none() && !database_path.exists() {
            // SQLite gives its WAL and shared-memory files the database file's
            // permissions: create it private, empty, before SQLite opens it.
            write_new(&database_path, b"", 0o600)?;
        }
        let (store, _blobs) =
            signoff_store::open_with(home, config.database_url().as_deref(), config.lock_timeout()?).await?;
        let wanted = origin.map(str::to_owned).unwrap_or_else(|| format!("signoff.local/{}", uuid::Uuid::now_v7()));
        let origin = store.init_meta("origin", &wanted).await?;
        store.close().await;
        let signoff = Signoff::open(home).await?;
        Ok(InitReport {
            home: home.display().to_string(),
            created,
            origin,
            verifier_key: signoff.verifier()?.to_text(),
            public_key_pem: signoff.key.public().to_spki_pem(),
        })
    }

    /// Opens the store at `home`.
    ///
    /// # Errors
    /// [`AppError::NotInitialized`] when there is no store there.
    pub async fn open(home: &Path) -> Result<Signoff, AppError> {
        let key_path = home.join(KEY_FILE);
        let config = Config::read(home)?;
        signoff_grc::artifact::server_base(config.server.public_url.as_deref()).map_err(|error| {
            AppError::Invalid(format!("{}: [server] public_url: {error}", home.join(CONFIG_FILE).display()))
        })?;
        let database = config.database_url();
        if !key_path.exists() || (database.is_none() && !home.join(DATABASE_FILE).exists()) {
            return Err(AppError::NotInitialized { home: home.display().to_string() });
        }
        let pem = fs::read_to_string(&key_path).map_err(AppError::io(&key_path))?;
        let key = LedgerKey::from_pkcs8_pem(&pem)
            .map_err(|source| AppError::Key { path: key_path.display().to_string(), source })?;
        let mut warnings = loose_permissions(home);
        let public_path = home.join(PUBLIC_KEY_FILE);
        if let Ok(public) = fs::read_to_string(&public_path)
            && public.trim() != key.public().to_spki_pem().trim()
        {
            warnings.push(format!(
                "{} does not hold the public half of {}: it was replaced; rewrite it with `signoff key public > {}` (the ledger is signed and verified with {} only)",
                public_path.display(),
                key_path.display(),
                public_path.display(),
                key_path.display()
            ));
        }
        let redaction_path = home.join(REDACTION_KEY_FILE);
        let redaction_text = fs::read_to_string(&redaction_path).map_err(AppError::io(&redaction_path))?;
        let mut redaction_key = [0u8; 32];
        hex::decode_to_slice(redaction_text.trim(), &mut redaction_key)
            .map_err(|_| AppError::Invalid(format!("{}: not 64 hex digits", redaction_path.display())))?;
        let lock_timeout = config.lock_timeout()?;
        let (store, blobs) = signoff_store::open_with(home, database.as_deref(), lock_timeout).await?;
        let origin =
            store.meta("origin").await?.ok_or_else(|| AppError::NotInitialized { home: home.display().to_string() })?;
        let stale = blobs.stale().to_vec();
        let oidc = Arc::new(crate::access::oidc::Verifier::new(&config.server.oidc, home)?);
        Ok(Signoff {
            lock_timeout,
            oidc,
            home: home.to_owned(),
            stale,
            warnings,
            store: Arc::new(store),
            blobs: Arc::new(blobs),
            key,
            origin,
            redaction_key,
            config,
        })
    }

    /// Whether the store answers and its schema is this build's (a server's
    /// `/readyz`).
    ///
    /// # Errors
    /// The store does not answer, lacks a migration of this build, or was migrated
    /// by a newer signoff.
    pub async fn ready(&self) -> Result<(), AppError> {
        let schema = self.store.schema().await?;
        if !schema.missing.is_empty() {
            return Err(AppError::Inconsistent(format!(
                "the database lacks migrations {:?} of this signoff: restart it (it migrates the store when it opens it)",
                schema.missing
            )));
        }
        if !schema.newer.is_empty() {
            return Err(AppError::Inconsistent(format!(
                "the database has migrations {:?} this signoff does not know: a newer signoff migrated it; upgrade this one",
                schema.newer
            )));
        }
        self.store.latest_checkpoint().await?;
        Ok(())
    }

    /// The store folder.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// What was found wrong with the store's own files when it was opened:
    /// permissions looser than private, a public key file that is not the key's.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The checkpoint origin.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The ledger's public key.
    pub fn public_key(&self) -> PublicKey {
        self.key.public()
    }

    /// The control catalog: built in, plus the store's own file.
    ///
    /// # Errors
    /// A mistake in the store's catalog file, with file and line.
    pub fn catalog(&self) -> Result<signoff_controls::Catalog, AppError> {
        let built_in = signoff_controls::Catalog::built_in();
        match &self.config.controls.catalog {
            None => Ok(built_in),
            Some(file) => {
                let path = self.home.join(file);
                let text = fs::read_to_string(&path).map_err(AppError::io(&path))?;
                Ok(built_in.merge(&text, &path.display().to_string())?)
            }
        }
    }

    /// The frameworks in force: `[controls] frameworks`, else every framework of
    /// the catalog.
    ///
    /// # Errors
    /// A mistake in the store's catalog file.
    pub fn frameworks(&self) -> Result<Vec<String>, AppError> {
        match &self.config.controls.frameworks {
            Some(frameworks) => Ok(frameworks.clone()),
            None => Ok(self.catalog()?.framework_names()),
        }
    }

    /// The note verifier for this store's checkpoints.
    ///
    /// # Errors
    /// Only if the stored origin is not a valid key name.
    pub fn verifier(&self) -> Result<NoteVerifier, AppError> {
        Ok(NoteVerifier::new(self.origin.clone(), self.key.public())?)
    }
}

/// The store's folders and files that group or others may use: the evidence and
/// keys are private (folders 0700, files 0600).
fn loose_permissions(home: &Path) -> Vec<String> {
    let mut paths = vec![home.to_owned(), home.join("keys"), home.join("blobs"), home.join(DATABASE_FILE)];
    for file in [KEY_FILE, PUBLIC_KEY_FILE, REDACTION_KEY_FILE, CONFIG_FILE] {
        paths.push(home.join(file));
    }
    let mut warnings = Vec::new();
    for path in paths {
        let Ok(metadata) = fs::metadata(&path) else { continue };
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            let private = if metadata.is_dir() { "700" } else { "600" };
            warnings.push(format!(
                "{} may be used by others (mode {mode:03o}): the store is private; `chmod {private} {}`",
                path.display(),
                path.display()
            ));
        }
    }
    warnings
}

/// A TOML basic string.
fn toml_string(text: &str) -> String {
    let mut quoted = String::from('"');
    for character in text.chars() {
        match character {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            character if character.is_control() => quoted.push_str(&format!("\\u{:04x}", character as u32)),
            character => quoted.push(character),
        }
    }
    quoted.push('"');
    quoted
}

fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), AppError> {
    let mut file =
        fs::OpenOptions::new().write(true).create_new(true).mode(mode).open(path).map_err(AppError::io(path))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(AppError::io(path))
}

/// A snapshot of environment variables, so CI detection is testable.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    variables: HashMap<String, String>,
    /// The account name the password database gives this process's user (for a
    /// process environment only).
    account: Option<String>,
}

impl Environment {
    /// This process's environment.
    pub fn from_process() -> Environment {
        let account = whoami::username().ok().filter(|name| !name.is_empty());
        Environment { variables: std::env::vars().collect(), account }
    }

    /// Given variables (and no password database).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(pairs: impl IntoIterator<Item = (K, V)>) -> Environment {
        let variables = pairs.into_iter().map(|(key, value)| (key.into(), value.into())).collect();
        Environment { variables, account: None }
    }

    /// One variable.
    pub fn var(&self, name: &str) -> Option<String> {
        self.variables.get(name).cloned()
    }

    /// The OS user: `USER`, else `LOGNAME`, else the password database's name for
    /// this process's user (a container or cron job often sets neither variable).
    pub fn os_user(&self) -> Option<String> {
        ["USER", "LOGNAME"]
            .iter()
            .find_map(|name| self.var(name).filter(|id| !id.is_empty()))
            .or_else(|| self.account.clone())
    }

    /// The CI context these variables describe.
    pub fn ci_context(&self) -> CiContext {
        context::detect(|name| self.var(name))
    }
}
