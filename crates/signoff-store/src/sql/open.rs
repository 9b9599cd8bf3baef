//! Opening the SQL store: SQLite (created, migrated, or read-only where the
//! folder cannot be written) or PostgreSQL, and closing it.

use std::fs::OpenOptions;
use std::path::Path;
use std::str::FromStr;

use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use std::time::Duration;

use super::{LOCK_TIMEOUT, POSTGRES_MIGRATIONS, Pool, SQLITE_MIGRATIONS, SqlStore};
use crate::{Store, StoreError, StoreResult};

impl SqlStore {
    /// Opens (creating and migrating if needed) the SQLite file at `path`.
    ///
    /// # Errors
    /// When the file cannot be opened or the schema cannot be brought up to date.
    pub async fn open(path: &Path) -> StoreResult<SqlStore> {
        SqlStore::open_waiting(path, LOCK_TIMEOUT).await
    }

    /// Opens the SQLite file at `path` as [`open`](SqlStore::open) does, with
    /// writers waiting up to `lock_timeout` for each other.
    ///
    /// # Errors
    /// When the file cannot be opened or the schema cannot be brought up to date.
    pub async fn open_waiting(path: &Path, lock_timeout: Duration) -> StoreResult<SqlStore> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(lock_timeout)
            .foreign_keys(true)
            // 8 MB of page cache (the default is 2 MB). Findings are appended in key
            // order, so a large capture needs only the right edge of one B-tree in
            // memory; with a small cache its pages spill to the WAL while the
            // capture is still parsing instead of all at commit. 64 MB made a
            // 500k-finding capture slower (2.87 s against 2.50 s, medians of 8
            // interleaved runs) and 50 MB larger, and answered no audit question
            // faster (BENCHMARKS.md, P1 and P3).
            .pragma("cache_size", "-8192")
            .pragma("temp_store", "memory");
        // Processes that open a new store at the same moment must not both migrate it.
        let lock_path = path.with_extension("lock");
        let lock_error = |source| StoreError::Blob { path: lock_path.display().to_string(), source };
        let lock = match OpenOptions::new().create(true).truncate(false).write(true).open(&lock_path) {
            Ok(lock) => lock,
            // A read-only mount, or a reader who may not write the folder: open it
            // for reading (verify, audit, export and report work; writes fail).
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem
                ) && path.exists() =>
            {
                return SqlStore::open_read_only(path).await;
            }
            Err(error) => return Err(lock_error(error)),
        };
        let lock = tokio::task::spawn_blocking(move || lock.lock().map(|()| lock))
            .await
            .map_err(|error| lock_error(std::io::Error::other(error)))?
            .map_err(lock_error)?;
        let pool = SqlitePoolOptions::new().max_connections(4).connect_with(options).await?;
        SQLITE_MIGRATIONS.run(&pool).await?;
        drop(lock);
        Ok(SqlStore { pool: Pool::Sqlite(pool), lock_timeout })
    }

    /// Opens the SQLite file at `path` for reading only, without creating,
    /// migrating or writing anything (a read-only mount, a reader without write
    /// permission). Its schema must be up to date already.
    ///
    /// # Errors
    /// When the file cannot be read, or its schema needs a migration (which only
    /// someone who may write the store can run).
    pub async fn open_read_only(path: &Path) -> StoreResult<SqlStore> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .read_only(true)
            .foreign_keys(true)
            .pragma("cache_size", "-8192")
            .pragma("temp_store", "memory");
        let wal = path.with_extension("db-wal");
        let wal_empty = std::fs::metadata(&wal).map_or(true, |metadata| metadata.len() == 0);
        let pool = match SqlitePoolOptions::new().max_connections(4).connect_with(options.clone()).await {
            Ok(pool) => pool,
            // Without a writable shared-memory file SQLite cannot read a WAL
            // database; with nothing in the WAL the file alone is the database.
            Err(_) if wal_empty => {
                SqlitePoolOptions::new().max_connections(4).connect_with(options.immutable(true)).await?
            }
            Err(error) => return Err(error.into()),
        };
        let store = SqlStore { pool: Pool::Sqlite(pool), lock_timeout: LOCK_TIMEOUT };
        // Migrations are applied by number but need not arrive in order (a branch's
        // 0007 may land after 0008): every one of this build's must be there.
        if let Some(version) = store.schema().await?.missing.first() {
            return Err(StoreError::Database(sqlx::Error::Configuration(
                format!(
                    "{} needs its schema brought up to date (migration {version} of this signoff is not applied) and cannot be written here: open it once with write access",
                    path.display(),
                )
                .into(),
            )));
        }
        Ok(store)
    }

    /// Opens a private in-memory SQLite store (for tests).
    ///
    /// # Errors
    /// When SQLite cannot start.
    pub async fn open_in_memory() -> StoreResult<SqlStore> {
        let options = SqliteConnectOptions::from_str("sqlite::memory:")?.foreign_keys(true);
        let pool = SqlitePoolOptions::new().max_connections(1).connect_with(options).await?;
        SQLITE_MIGRATIONS.run(&pool).await?;
        Ok(SqlStore { pool: Pool::Sqlite(pool), lock_timeout: LOCK_TIMEOUT })
    }

    /// Connects to PostgreSQL at `url` and brings the schema up to date (sqlx takes
    /// an advisory lock while migrating, so concurrent openers are safe).
    ///
    /// # Errors
    /// When the server cannot be reached or the schema cannot be migrated.
    pub async fn open_postgres(url: &str) -> StoreResult<SqlStore> {
        let pool = PgPoolOptions::new().max_connections(8).connect(url).await?;
        POSTGRES_MIGRATIONS.run(&pool).await?;
        Ok(SqlStore { pool: Pool::Postgres(pool), lock_timeout: LOCK_TIMEOUT })
    }

    /// The PostgreSQL store with writers waiting up to `lock_timeout` for each
    /// other's lock (a SQLite store takes its timeout when it opens:
    /// [`open_waiting`](SqlStore::open_waiting)).
    #[must_use]
    pub fn with_lock_timeout(mut self, lock_timeout: Duration) -> SqlStore {
        self.lock_timeout = lock_timeout;
        self
    }

    /// Which backend: `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => "sqlite",
            Pool::Postgres(_) => "postgres",
        }
    }

    /// Closes the pool (checkpointing SQLite's WAL).
    pub async fn close(&self) {
        on!(&self.pool, |pool| pool.close().await)
    }
}
