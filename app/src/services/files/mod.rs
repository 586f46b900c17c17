//! The file server's use cases: files a workspace's members upload (the `clearml` SDK's artifacts,
//! models, datasets), kept in the workspace's own space — `<files dir>/<workspace id>/<path>` — and
//! counted per workspace in the `stored_files` table.
//!
//! An upload streams into a temporary file of its own (`<files dir>/.tmp/`), never into its target,
//! so that a reader or a failed upload never sees half a file. Only when the whole body arrived
//! within the size limit is it synced and, inside one write transaction, recorded and renamed into
//! place. The transaction holds the record's lock while renaming (SQLite's write lock; PostgreSQL's
//! row lock), so that concurrent uploads of one path take turns: the last one to commit is the file
//! on disk and the size on record. Deleting takes the same lock, removes the file and its record.
//! No audit entry is written per file: uploads are as frequent as a training run's artifacts.
//!
//! With a bucket configured ([`bucket`]), files are objects `<workspace id>/<path>` in it instead;
//! uploads still spool to the temporary folder and are then sent with their length. The rules on
//! paths, the records and the sizes stay the same. S3 has no rename under a lock, so writers of one
//! object take turns in the process (PostgreSQL also holds the record's row lock while the object is
//! sent, for other replicas); on SQLite the object is sent before the short write transaction that
//! records it, so that the database's single write lock is never held during a transfer. Either way
//! the last upload to be recorded is the object in the bucket.

pub mod bucket;

use std::collections::HashMap;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tokio::io::AsyncWriteExt;

use app::domain::files::FilePath;
use app::domain::{AppError, Identity};

use super::internal;
use crate::state::Core;
use crate::store;

/// Where files are kept and how large one may be.
#[derive(Debug, Clone)]
pub struct FilesSettings {
    /// The folder holding one folder per workspace (and `.tmp` for uploads under way).
    pub root: PathBuf,
    /// The largest file accepted, in bytes.
    pub max_bytes: u64,
    /// The bucket files are kept in instead of the folder (which then only holds `.tmp`).
    pub bucket: Option<bucket::Bucket>,
}

#[derive(Debug)]
pub struct FilesService {
    pub core: Arc<Core>,
    turns: Turns,
}

/// Writers of one object waiting for their turn, by object key (an entry lives while it is used).
#[derive(Debug, Default)]
struct Turns(Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>);

/// One writer's turn at an object, until dropped.
struct Turn<'a> {
    turns: &'a Turns,
    key: String,
    lock: Arc<tokio::sync::Mutex<()>>,
    _held: tokio::sync::OwnedMutexGuard<()>,
}

impl Turns {
    async fn take(&self, key: &str) -> Turn<'_> {
        let lock = {
            let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
            map.entry(key.to_string()).or_default().clone()
        };
        let held = lock.clone().lock_owned().await;
        Turn {
            turns: self,
            key: key.to_string(),
            lock,
            _held: held,
        }
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut map = self.turns.0.lock().unwrap_or_else(|p| p.into_inner());
        // Only the map's handle and this one left: nobody waits (a waiter clones under this lock).
        if Arc::strong_count(&self.lock) == 2 {
            map.remove(&self.key);
        }
    }
}

/// Why an upload's bytes were not taken.
#[derive(Debug)]
pub enum UploadError {
    /// The file grew past the limit (in bytes).
    TooLarge(u64),
    /// Writing failed (logged).
    Failed(AppError),
}

/// An upload under way: the bytes received so far, in a temporary file that is removed unless the
/// upload is finished.
#[derive(Debug)]
pub struct Upload {
    tmp: PathBuf,
    file: Option<tokio::fs::File>,
    written: u64,
    limit: u64,
}

impl Upload {
    /// Appends bytes; refuses them once the file would pass the limit.
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), UploadError> {
        self.written += bytes.len() as u64;
        if self.written > self.limit {
            return Err(UploadError::TooLarge(self.limit));
        }
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| UploadError::Failed(internal("upload written after it ended")))?;
        file.write_all(bytes)
            .await
            .map_err(|e| UploadError::Failed(internal(e)))
    }

    /// The bytes written so far.
    pub fn len(&self) -> u64 {
        self.written
    }

    pub fn is_empty(&self) -> bool {
        self.written == 0
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        // Unfinished (or finished and renamed, when this fails harmlessly).
        let _ = std::fs::remove_file(&self.tmp);
    }
}

/// Where a stored file is kept.
#[derive(Debug, Clone)]
pub enum Stored {
    /// A file in the folder (sent as a file, with ranges and conditional requests).
    File(PathBuf),
    /// An object in the bucket, by key ([`FilesService::fetch`] sends it).
    Object(String),
}

/// A stored file ready to be sent.
#[derive(Debug, Clone)]
pub struct Located {
    pub stored: Stored,
    pub size_bytes: u64,
}

impl FilesService {
    pub fn new(core: Arc<Core>) -> Self {
        Self {
            core,
            turns: Turns::default(),
        }
    }

    fn bucket(&self) -> Option<&bucket::Bucket> {
        self.settings().bucket.as_ref()
    }

    /// The object key of `path` in the caller's workspace.
    fn object_key(who: &Identity, path: &FilePath) -> Result<String, AppError> {
        Ok(format!("{}/{}", workspace_id(who)?, path.as_str()))
    }

    /// Sends the object a [`Located`] names (`HEAD` without its body), with the client's range
    /// and conditional headers; the answer's body streams from the bucket.
    pub async fn fetch(
        &self,
        key: &str,
        head: bool,
        headers: &http::HeaderMap,
    ) -> Result<http::Response<hyper::body::Incoming>, AppError> {
        let bucket = self
            .bucket()
            .ok_or_else(|| internal("an object located without a bucket"))?;
        bucket.get(key, head, headers).await
    }

    /// Sends a finished upload to the bucket and records it, taking turns with other writers of
    /// the object (see the module's note).
    async fn finish_in_bucket(
        &self,
        bucket: &bucket::Bucket,
        who: &Identity,
        path: &FilePath,
        upload: &Upload,
    ) -> Result<(), AppError> {
        let key = Self::object_key(who, path)?;
        {
            let mut conn = self.core.db.pool.acquire().await.map_err(internal)?;
            if let Some(other) =
                store::files::in_the_way(&mut conn, &who.workspace_id, path.as_str()).await?
            {
                return Err(if other.len() < path.as_str().len() {
                    AppError::Conflict(format!("{other} is a file, so it cannot hold other files."))
                } else {
                    AppError::Conflict(format!("{path} is a folder of other files."))
                });
            }
        }
        let size = upload.written;
        let _turn = self.turns.take(&key).await;
        let file = tokio::fs::File::open(&upload.tmp).await.map_err(internal)?;
        let now = self.core.clock.now_ms();
        let (ws, user) = (&who.workspace_id, &who.user_id);
        // Refused before anything is sent when it would not fit.
        let replaced = {
            let mut conn = self.core.db.pool.acquire().await.map_err(internal)?;
            let replaced = store::files::get(&mut conn, ws, path.as_str()).await?;
            let old = replaced.as_ref().map_or(0, |r| r.size_bytes);
            self.check_quota(&mut conn, who, now, size as i64 - old, false)
                .await?;
            replaced
        };
        let checked = if self.core.db.kind == crate::db::Kind::Postgres {
            let mut tx = self.core.db.begin_write().await.map_err(internal)?;
            store::files::put(&mut tx, ws, path.as_str(), size as i64, now, user).await?;
            bucket.put(&key, file, size).await?;
            match self.within_quota(&mut tx, who, now).await {
                Ok(()) => tx.commit().await.map_err(internal),
                Err(e) => Err(e),
            }
        } else {
            // Never hold SQLite's write lock across a transfer.
            bucket.put(&key, file, size).await?;
            let mut tx = self.core.db.begin_write().await.map_err(internal)?;
            store::files::put(&mut tx, ws, path.as_str(), size as i64, now, user).await?;
            match self.within_quota(&mut tx, who, now).await {
                Ok(()) => tx.commit().await.map_err(internal),
                Err(e) => Err(e),
            }
        };
        if let Err(e) = checked {
            // Another upload took the room meanwhile: a new object goes again. One that replaced
            // an earlier object cannot bring it back (the record keeps the earlier size).
            if replaced.is_none() {
                let _ = bucket.delete(&key).await;
            } else {
                tracing::warn!(key = %key, "an upload refused at the storage quota replaced an object in the bucket");
            }
            return Err(e);
        }
        Ok(())
    }

    /// Deletes an object and its record, in turn with the object's writers.
    async fn delete_in_bucket(
        &self,
        bucket: &bucket::Bucket,
        who: &Identity,
        path: &FilePath,
    ) -> Result<(), AppError> {
        let key = Self::object_key(who, path)?;
        let _turn = self.turns.take(&key).await;
        let ws = &who.workspace_id;
        if self.core.db.kind == crate::db::Kind::Postgres {
            let mut tx = self.core.db.begin_write().await.map_err(internal)?;
            let recorded = store::files::delete(&mut tx, ws, path.as_str()).await?;
            if !recorded && !bucket.exists(&key).await? {
                return Err(not_found());
            }
            bucket.delete(&key).await?;
            tx.commit().await.map_err(internal)?;
        } else {
            // Never hold SQLite's write lock across a request to the bucket.
            let recorded = {
                let mut conn = self.core.db.pool.acquire().await.map_err(internal)?;
                store::files::get(&mut conn, ws, path.as_str())
                    .await?
                    .is_some()
            };
            if !recorded && !bucket.exists(&key).await? {
                return Err(not_found());
            }
            bucket.delete(&key).await?;
            let mut tx = self.core.db.begin_write().await.map_err(internal)?;
            store::files::delete(&mut tx, ws, path.as_str()).await?;
            tx.commit().await.map_err(internal)?;
        }
        Ok(())
    }
    fn settings(&self) -> &FilesSettings {
        &self.core.settings.files
    }

    /// The workspace's own space. Workspace ids are opaque hex, so they never name anything else.
    fn space(&self, who: &Identity) -> Result<PathBuf, AppError> {
        Ok(self.settings().root.join(workspace_id(who)?))
    }

    /// The largest file accepted, in bytes.
    pub fn max_bytes(&self) -> u64 {
        self.settings().max_bytes
    }

    /// Starts an upload: a new temporary file.
    pub async fn begin_upload(&self) -> Result<Upload, AppError> {
        let dir = self.settings().root.join(".tmp");
        tokio::fs::create_dir_all(&dir).await.map_err(internal)?;
        let tmp = dir.join(crate::crypto::new_id());
        let file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .await
            .map_err(internal)?;
        Ok(Upload {
            tmp,
            file: Some(file),
            written: 0,
            limit: self.settings().max_bytes,
        })
    }

    /// Puts a complete upload in place at `path` in the caller's workspace and records it (the
    /// size of a file it replaces is no longer counted). Returns the size.
    pub async fn finish_upload(
        &self,
        who: &Identity,
        path: &FilePath,
        mut upload: Upload,
    ) -> Result<u64, AppError> {
        if let Some(mut file) = upload.file.take() {
            file.flush().await.map_err(internal)?;
            if let Some(bucket) = self.bucket() {
                drop(file);
                self.finish_in_bucket(bucket, who, path, &upload).await?;
                return Ok(upload.written);
            }
            file.sync_all().await.map_err(internal)?;
        }
        let space = self.space(who)?;
        let target = checked_target(&space, path, false).await?;
        let size = upload.written;
        let mut tx = self.core.db.begin_write().await.map_err(internal)?;
        let now = self.core.clock.now_ms();
        store::files::put(
            &mut tx,
            &who.workspace_id,
            path.as_str(),
            size as i64,
            now,
            &who.user_id,
        )
        .await?;
        self.within_quota(&mut tx, who, now).await?;
        // Still holding the record's lock: put the file in place, then commit.
        move_into_place(&upload.tmp, &target).await?;
        tx.commit().await.map_err(internal)?;
        if let Some(parent) = target.parent() {
            sync_dir(parent).await;
        }
        Ok(size)
    }

    /// The stored file at `path` in the caller's workspace, to be sent; not found when it does not
    /// exist, is a folder, or the way to it passes through a link.
    pub async fn locate(&self, who: &Identity, path: &FilePath) -> Result<Located, AppError> {
        if self.bucket().is_some() {
            // The record says what the bucket holds (a missing object is still not found when sent).
            let key = Self::object_key(who, path)?;
            let mut conn = self.core.db.pool.acquire().await.map_err(internal)?;
            let row = store::files::get(&mut conn, &who.workspace_id, path.as_str()).await?;
            return match row {
                Some(r) => Ok(Located {
                    stored: Stored::Object(key),
                    size_bytes: u64::try_from(r.size_bytes).unwrap_or_default(),
                }),
                None => Err(not_found()),
            };
        }
        let space = self.space(who)?;
        let target = checked_target(&space, path, true).await?;
        match tokio::fs::symlink_metadata(&target).await {
            Ok(m) if m.is_file() => Ok(Located {
                stored: Stored::File(target),
                size_bytes: m.len(),
            }),
            Ok(_) => Err(not_found()),
            Err(e) if e.kind() == ErrorKind::NotFound => Err(not_found()),
            Err(e) => Err(internal(e)),
        }
    }

    /// Deletes the file at `path` in the caller's workspace and its record.
    pub async fn delete(&self, who: &Identity, path: &FilePath) -> Result<(), AppError> {
        if let Some(bucket) = self.bucket() {
            return self.delete_in_bucket(bucket, who, path).await;
        }
        let space = self.space(who)?;
        let target = checked_target(&space, path, true).await?;
        let mut tx = self.core.db.begin_write().await.map_err(internal)?;
        let recorded = store::files::delete(&mut tx, &who.workspace_id, path.as_str()).await?;
        let removed = match tokio::fs::symlink_metadata(&target).await {
            Ok(m) if m.is_file() => {
                tokio::fs::remove_file(&target).await.map_err(internal)?;
                true
            }
            Ok(_) => false,
            Err(e) if e.kind() == ErrorKind::NotFound => false,
            Err(e) => return Err(internal(e)),
        };
        if !recorded && !removed {
            return Err(not_found());
        }
        tx.commit().await.map_err(internal)?;
        // Empty folders left behind go too (one an upload is creating meanwhile is recreated there).
        let mut dir = target.parent();
        while let Some(d) = dir {
            if d == space || tokio::fs::remove_dir(d).await.is_err() {
                break;
            }
            dir = d.parent();
        }
        Ok(())
    }

    /// Refuses, inside the transaction that recorded an upload, a workspace now past its storage
    /// quota. Holding the workspace's lock, so that uploads of one workspace take turns at the
    /// check and two cannot both take the last room.
    async fn within_quota(
        &self,
        conn: &mut store::Conn,
        who: &Identity,
        now: i64,
    ) -> Result<(), AppError> {
        self.check_quota(conn, who, now, 0, true).await
    }

    /// Refuses an upload that would add `delta` bytes past the workspace's storage quota (the
    /// Free plan's storage; none on Pro); with `lock`, after taking the workspace's lock.
    async fn check_quota(
        &self,
        conn: &mut store::Conn,
        who: &Identity,
        now: i64,
        delta: i64,
        lock: bool,
    ) -> Result<(), AppError> {
        let prices = &self.core.settings.prices;
        let ws = &who.workspace_id;
        let Some(quota) = super::billing::storage_quota(conn, prices, ws, now).await? else {
            return Ok(());
        };
        if lock {
            store::billing::lock_workspace(conn, ws).await?;
        }
        let total = store::files::total_bytes(conn, ws).await? + delta;
        let total = u64::try_from(total).unwrap_or_default();
        if total > quota {
            return Err(super::billing::over_quota(total, quota));
        }
        Ok(())
    }

    /// The bytes the caller's workspace stores, and in how many files.
    pub async fn usage(&self, who: &Identity) -> Result<(i64, i64), AppError> {
        let mut conn = self.core.db.pool.acquire().await.map_err(internal)?;
        Ok(store::files::usage(&mut conn, &who.workspace_id).await?)
    }
}

fn not_found() -> AppError {
    AppError::not_found("file")
}

/// The caller's workspace id, which names its space. Workspace ids are opaque hex, so they never
/// name anything else.
fn workspace_id(who: &Identity) -> Result<&str, AppError> {
    let id = &who.workspace_id;
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(internal(format!("unexpected workspace id {id:?}")));
    }
    Ok(id)
}

/// The full path of `path` in `space`, after checking that no folder on the way (nor the file
/// itself, when `existing`) is a link and that every folder on the way is one. A link could only
/// have been put there by hand, but following it could leave the space, so it is never followed.
async fn checked_target(
    space: &Path,
    path: &FilePath,
    existing: bool,
) -> Result<PathBuf, AppError> {
    let link = || {
        AppError::validation(
            "path",
            "The path passes through a link, which is not followed.",
        )
    };
    let mut at = space.to_path_buf();
    let names: Vec<&str> = path.names().collect();
    let last = names.len() - 1;
    for (i, name) in std::iter::once("").chain(names.iter().copied()).enumerate() {
        if i > 0 {
            at.push(name);
        }
        let is_target = i == last + 1;
        match tokio::fs::symlink_metadata(&at).await {
            Ok(m) if m.file_type().is_symlink() => return Err(link()),
            Ok(m) if !is_target && !m.is_dir() => {
                return Err(if existing {
                    not_found()
                } else {
                    AppError::Conflict(format!(
                        "{} is a file, so it cannot hold other files.",
                        names[..i].join("/")
                    ))
                });
            }
            Ok(m) if is_target && m.is_dir() && !existing => {
                return Err(AppError::Conflict(format!(
                    "{path} is a folder of other files."
                )));
            }
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => break,
            Err(e) if e.kind() == ErrorKind::NotADirectory => return Err(not_found()),
            Err(e) => return Err(internal(e)),
        }
    }
    let mut full = space.to_path_buf();
    full.extend(names);
    Ok(full)
}

/// Renames the finished upload onto its target, making the folders on the way. A delete may remove
/// a folder just made (it prunes empty ones): then the folders are made again.
async fn move_into_place(tmp: &Path, target: &Path) -> Result<(), AppError> {
    let parent = target
        .parent()
        .ok_or_else(|| internal("a file's target has no folder"))?;
    let mut attempt = 0;
    loop {
        attempt += 1;
        tokio::fs::create_dir_all(parent)
            .await
            .map_err(|e| match e.kind() {
                ErrorKind::NotADirectory | ErrorKind::AlreadyExists => AppError::Conflict(
                    "A file on the path is in the way of this one's folder.".into(),
                ),
                _ => internal(e),
            })?;
        match tokio::fs::rename(tmp, target).await {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound && attempt < 5 => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::IsADirectory | ErrorKind::DirectoryNotEmpty
                ) =>
            {
                return Err(AppError::Conflict(
                    "The path is a folder of other files.".into(),
                ));
            }
            Err(e) => return Err(internal(e)),
        }
    }
}

/// Makes a rename durable (best effort: some file systems cannot sync a folder).
async fn sync_dir(dir: &Path) {
    if let Ok(d) = tokio::fs::File::open(dir).await {
        let _ = d.sync_all().await;
    }
}
