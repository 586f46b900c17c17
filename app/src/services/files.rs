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

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
}

#[derive(Debug)]
pub struct FilesService {
    pub core: Arc<Core>,
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

/// A stored file ready to be sent.
#[derive(Debug, Clone)]
pub struct Located {
    pub full_path: PathBuf,
    pub size_bytes: u64,
}

impl FilesService {
    fn settings(&self) -> &FilesSettings {
        &self.core.settings.files
    }

    /// The workspace's own space. Workspace ids are opaque hex, so they never name anything else.
    fn space(&self, who: &Identity) -> Result<PathBuf, AppError> {
        let id = &who.workspace_id;
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(internal(format!("unexpected workspace id {id:?}")));
        }
        Ok(self.settings().root.join(id))
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
        let space = self.space(who)?;
        let target = checked_target(&space, path, false).await?;
        if let Some(mut file) = upload.file.take() {
            file.flush().await.map_err(internal)?;
            file.sync_all().await.map_err(internal)?;
        }
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
        let space = self.space(who)?;
        let target = checked_target(&space, path, true).await?;
        match tokio::fs::symlink_metadata(&target).await {
            Ok(m) if m.is_file() => Ok(Located {
                full_path: target,
                size_bytes: m.len(),
            }),
            Ok(_) => Err(not_found()),
            Err(e) if e.kind() == ErrorKind::NotFound => Err(not_found()),
            Err(e) => Err(internal(e)),
        }
    }

    /// Deletes the file at `path` in the caller's workspace and its record.
    pub async fn delete(&self, who: &Identity, path: &FilePath) -> Result<(), AppError> {
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

    /// The bytes the caller's workspace stores, and in how many files.
    pub async fn usage(&self, who: &Identity) -> Result<(i64, i64), AppError> {
        let mut conn = self.core.db.pool.acquire().await.map_err(internal)?;
        Ok(store::files::usage(&mut conn, &who.workspace_id).await?)
    }
}

fn not_found() -> AppError {
    AppError::not_found("file")
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
