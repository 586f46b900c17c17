//! The file server's store and service: files kept in their workspace's own space and recorded with
//! their size in the upload's transaction; overwrites replace the count, deletes remove file and
//! record, concurrent uploads of one path never leave a torn file, and links are never followed.
//! Every behaviour but the links runs twice: files in the folder, and objects in a bucket of moto's
//! S3 server on loopback.

use app::domain::files::FilePath;
use app::domain::{AppError, Identity, Role};
use atrium_server::db::Db;
use atrium_server::services::Services;
use atrium_server::services::files::UploadError;
use atrium_server::store;

use http_body_util::BodyExt;

use atrium_server::services::files::Stored;

use crate::common::workspace::Workspace;
use crate::common::{identity_of, s3};

fn path(raw: &str) -> FilePath {
    FilePath::parse(raw).unwrap()
}

/// Uploads `bytes` to `at` as `who`, in chunks as the HTTP layer does.
async fn upload(s: &Services, who: &Identity, at: &str, bytes: &[u8]) -> Result<u64, AppError> {
    let mut up = s.files.begin_upload().await?;
    for chunk in bytes.chunks(7 * 1024) {
        match up.write(chunk).await {
            Ok(()) => {}
            Err(UploadError::TooLarge(limit)) => {
                return Err(AppError::validation("file", format!("over {limit}")));
            }
            Err(UploadError::Failed(e)) => return Err(e),
        }
    }
    s.files.finish_upload(who, &path(at), up).await
}

/// The bytes of a stored file as the service locates and sends it.
async fn read(s: &Services, who: &Identity, at: &str) -> Result<Vec<u8>, AppError> {
    let found = s.files.locate(who, &path(at)).await?;
    match found.stored {
        Stored::File(full_path) => Ok(std::fs::read(full_path).unwrap()),
        Stored::Object(key) => {
            let res = s.files.fetch(&key, false, &http::HeaderMap::new()).await?;
            assert_eq!(res.status(), 200);
            let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
            assert_eq!(bytes.len() as u64, found.size_bytes);
            Ok(bytes)
        }
    }
}

/// What the backend holds at `at` in `workspace` (`<files dir>/<workspace>/<path>`, or the object
/// `<workspace>/<path>` as moto has it), looked at from outside the service.
async fn kept(s: &Services, workspace: &str, at: &str) -> Option<Vec<u8>> {
    match s3::bucket_of(&s.core.settings) {
        Some(bucket) => s3::object(&bucket, &format!("{workspace}/{at}")).await,
        None => std::fs::read(root(s).join(workspace).join(at)).ok(),
    }
}

fn root(s: &Services) -> std::path::PathBuf {
    s.core.settings.files.root.clone()
}

/// The files waiting in the uploads' temporary folder.
fn temporary_files(s: &Services) -> usize {
    std::fs::read_dir(root(s).join(".tmp"))
        .map(|d| d.count())
        .unwrap_or(0)
}

async fn an_upload_is_kept_in_the_workspace_space_and_recorded(w: Workspace) {
    let size = upload(
        &w.services,
        &w.member,
        "/project/task.1/artifacts/a.txt",
        b"hello",
    )
    .await
    .unwrap();
    assert_eq!(size, 5);
    assert_eq!(
        kept(
            &w.services,
            &w.member.workspace_id,
            "project/task.1/artifacts/a.txt"
        )
        .await
        .as_deref(),
        Some(&b"hello"[..])
    );
    let mut conn = w.conn().await;
    let row = store::files::get(
        &mut conn,
        &w.member.workspace_id,
        "project/task.1/artifacts/a.txt",
    )
    .await
    .unwrap()
    .expect("a record");
    assert_eq!(row.size_bytes, 5);
    assert_eq!(row.uploaded_by, w.member.user_id);
    assert_eq!(
        store::files::total_bytes(&mut conn, &w.member.workspace_id)
            .await
            .unwrap(),
        5
    );
    // Another member of the workspace reads it: files belong to the workspace.
    assert_eq!(
        read(&w.services, &w.admin, "project/task.1/artifacts/a.txt")
            .await
            .unwrap(),
        b"hello"
    );
    assert_eq!(temporary_files(&w.services), 0);
}

async fn the_total_sums_every_file_of_the_workspace(w: Workspace) {
    upload(&w.services, &w.member, "a", &[1; 100])
        .await
        .unwrap();
    upload(&w.services, &w.admin, "b/c", &[2; 250])
        .await
        .unwrap();
    upload(&w.services, &w.admin, "empty", b"").await.unwrap();
    assert_eq!(w.services.files.usage(&w.admin).await.unwrap(), (350, 3));
}

async fn an_overwrite_replaces_the_file_and_its_count(w: Workspace) {
    upload(&w.services, &w.member, "model.bin", &[1; 1000])
        .await
        .unwrap();
    upload(&w.services, &w.admin, "model.bin", &[2; 10])
        .await
        .unwrap();
    assert_eq!(
        read(&w.services, &w.member, "model.bin").await.unwrap(),
        vec![2; 10]
    );
    assert_eq!(w.services.files.usage(&w.member).await.unwrap(), (10, 1));
    let mut conn = w.conn().await;
    let row = store::files::get(&mut conn, &w.member.workspace_id, "model.bin")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.uploaded_by, w.admin.user_id,
        "the last writer is on record"
    );
}

async fn a_delete_removes_the_file_and_its_record(w: Workspace) {
    upload(&w.services, &w.member, "d/e/f.txt", b"bytes")
        .await
        .unwrap();
    upload(&w.services, &w.member, "keep.txt", b"kept")
        .await
        .unwrap();
    w.services
        .files
        .delete(&w.member, &path("d/e/f.txt"))
        .await
        .unwrap();
    let e = read(&w.services, &w.member, "d/e/f.txt").await.unwrap_err();
    assert!(matches!(e, AppError::NotFound(_)), "{e:?}");
    assert_eq!(w.services.files.usage(&w.member).await.unwrap(), (4, 1));
    let ws = &w.member.workspace_id;
    assert_eq!(kept(&w.services, ws, "d/e/f.txt").await, None);
    assert!(kept(&w.services, ws, "keep.txt").await.is_some());
    let space = root(&w.services).join(ws);
    assert!(!space.join("d").exists(), "empty folders go with the file");
    let again = w
        .services
        .files
        .delete(&w.member, &path("d/e/f.txt"))
        .await
        .unwrap_err();
    assert!(matches!(again, AppError::NotFound(_)), "{again:?}");
}

async fn another_workspace_cannot_read_or_delete_the_files(w: Workspace) {
    let oz = identity_of(&w.person("oz@example.com", Role::Admin, "Elsewhere").await);
    upload(&w.services, &w.member, "secret.txt", b"research only")
        .await
        .unwrap();
    let e = read(&w.services, &oz, "secret.txt").await.unwrap_err();
    assert!(matches!(e, AppError::NotFound(_)), "{e:?}");
    let e = w
        .services
        .files
        .delete(&oz, &path("secret.txt"))
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::NotFound(_)), "{e:?}");
    // Oz's own file of the same name is a different file.
    upload(&w.services, &oz, "secret.txt", b"elsewhere")
        .await
        .unwrap();
    assert_eq!(
        read(&w.services, &w.member, "secret.txt").await.unwrap(),
        b"research only"
    );
    assert_eq!(
        read(&w.services, &oz, "secret.txt").await.unwrap(),
        b"elsewhere"
    );
    assert_eq!(w.services.files.usage(&oz).await.unwrap(), (9, 1));
    assert_eq!(
        kept(&w.services, &oz.workspace_id, "secret.txt")
            .await
            .as_deref(),
        Some(&b"elsewhere"[..])
    );
    assert_eq!(w.services.files.usage(&w.member).await.unwrap(), (13, 1));
}

/// Sixteen uploads of one path at once, each of a different size and byte: the file left is
/// exactly one of them, whole, and the record has its size.
async fn concurrent_uploads_of_one_path_leave_one_whole_file(w: Workspace) {
    let mut tasks = Vec::new();
    for i in 0..16u8 {
        let s = w.services.clone();
        let who = w.member.clone();
        tasks.push(tokio::spawn(async move {
            let bytes = vec![i; 20_000 + usize::from(i) * 1000];
            upload(&s, &who, "shared/weights.bin", &bytes).await
        }));
    }
    for t in tasks {
        t.await.unwrap().expect("every upload succeeds");
    }
    let bytes = read(&w.services, &w.member, "shared/weights.bin")
        .await
        .unwrap();
    let first = bytes[0];
    assert!(bytes.iter().all(|b| *b == first), "a torn file");
    assert_eq!(bytes.len(), 20_000 + usize::from(first) * 1000);
    assert_eq!(
        kept(&w.services, &w.member.workspace_id, "shared/weights.bin").await,
        Some(bytes.clone())
    );
    assert_eq!(
        w.services.files.usage(&w.member).await.unwrap(),
        (bytes.len() as i64, 1)
    );
    assert_eq!(temporary_files(&w.services), 0);
}

async fn an_upload_over_the_limit_is_refused_and_leaves_nothing(w: Workspace) {
    let limit = w.services.files.max_bytes();
    let e = upload(
        &w.services,
        &w.member,
        "big.bin",
        &vec![0; limit as usize + 1],
    )
    .await
    .unwrap_err();
    assert!(format!("{e:?}").contains("over"), "{e:?}");
    assert_eq!(temporary_files(&w.services), 0);
    assert_eq!(w.services.files.usage(&w.member).await.unwrap(), (0, 0));
    // Exactly the limit is fine.
    upload(&w.services, &w.member, "big.bin", &vec![0; limit as usize])
        .await
        .unwrap();
}

async fn an_abandoned_upload_leaves_no_temporary_file(w: Workspace) {
    let mut up = w.services.files.begin_upload().await.unwrap();
    up.write(b"half of it").await.unwrap();
    assert_eq!(temporary_files(&w.services), 1);
    drop(up);
    assert_eq!(temporary_files(&w.services), 0);
}

async fn links_in_the_space_are_never_followed(w: Workspace) {
    upload(&w.services, &w.member, "real/file.txt", b"inside")
        .await
        .unwrap();
    let outside = std::env::temp_dir().join(format!(
        "atrium-outside-{}",
        atrium_server::crypto::new_id()
    ));
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("passwd"), b"outside").unwrap();
    let space = root(&w.services).join(&w.member.workspace_id);
    std::os::unix::fs::symlink(&outside, space.join("escape")).unwrap();
    std::os::unix::fs::symlink(outside.join("passwd"), space.join("passwd")).unwrap();

    assert!(read(&w.services, &w.member, "escape/passwd").await.is_err());
    assert!(read(&w.services, &w.member, "passwd").await.is_err());
    assert!(
        upload(&w.services, &w.member, "escape/new.txt", b"x")
            .await
            .is_err()
    );
    assert!(
        w.services
            .files
            .delete(&w.member, &path("escape/passwd"))
            .await
            .is_err()
    );
    assert!(
        w.services
            .files
            .delete(&w.member, &path("passwd"))
            .await
            .is_err()
    );
    assert_eq!(std::fs::read(outside.join("passwd")).unwrap(), b"outside");
    assert!(!outside.join("new.txt").exists());
    let _ = std::fs::remove_dir_all(outside);
}

async fn a_file_and_a_folder_cannot_share_a_path(w: Workspace) {
    upload(&w.services, &w.member, "a/b.txt", b"x")
        .await
        .unwrap();
    let e = upload(&w.services, &w.member, "a", b"y").await.unwrap_err();
    assert!(matches!(e, AppError::Conflict(_)), "{e:?}");
    let e = upload(&w.services, &w.member, "a/b.txt/c", b"z")
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Conflict(_)), "{e:?}");
    assert_eq!(w.services.files.usage(&w.member).await.unwrap(), (1, 1));
}

async fn the_store_upserts_and_deletes_records(w: Workspace) {
    let ws = &w.member.workspace_id;
    let mut conn = w.conn().await;
    store::files::put(&mut conn, ws, "x", 10, 1, "u1")
        .await
        .unwrap();
    store::files::put(&mut conn, ws, "y", 5, 2, "u1")
        .await
        .unwrap();
    store::files::put(&mut conn, ws, "x", 3, 3, "u2")
        .await
        .unwrap();
    assert_eq!(store::files::usage(&mut conn, ws).await.unwrap(), (8, 2));
    let x = store::files::get(&mut conn, ws, "x")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (x.size_bytes, x.created_ms, x.uploaded_by.as_str()),
        (3, 3, "u2")
    );
    assert!(store::files::delete(&mut conn, ws, "x").await.unwrap());
    assert!(!store::files::delete(&mut conn, ws, "x").await.unwrap());
    assert_eq!(store::files::total_bytes(&mut conn, ws).await.unwrap(), 5);
    assert_eq!(
        store::files::total_bytes(&mut conn, "elsewhere")
            .await
            .unwrap(),
        0
    );
}

/// Declares each behaviour on SQLite and PostgreSQL, with files in the folder and in a bucket.
macro_rules! in_folder_and_bucket {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                use atrium_server::db::Db;

                async fn folder(db: Db) {
                    super::$name(super::Workspace::new(db).await).await
                }

                async fn bucket(db: Db) {
                    let settings = crate::common::s3::settings_with_bucket().await;
                    let services = crate::common::services_with(db.clone(), settings);
                    super::$name(super::Workspace::over(db, services).await).await
                }

                crate::on_both_databases!(folder, bucket);
            }
        )*
    };
}

in_folder_and_bucket!(
    an_upload_is_kept_in_the_workspace_space_and_recorded,
    the_total_sums_every_file_of_the_workspace,
    an_overwrite_replaces_the_file_and_its_count,
    a_delete_removes_the_file_and_its_record,
    another_workspace_cannot_read_or_delete_the_files,
    concurrent_uploads_of_one_path_leave_one_whole_file,
    an_upload_over_the_limit_is_refused_and_leaves_nothing,
    an_abandoned_upload_leaves_no_temporary_file,
    a_file_and_a_folder_cannot_share_a_path,
);

async fn links_in_the_folder_are_never_followed(db: Db) {
    links_in_the_space_are_never_followed(Workspace::new(db).await).await
}

async fn the_store_upserts_and_deletes_records_in(db: Db) {
    the_store_upserts_and_deletes_records(Workspace::new(db).await).await
}

crate::on_both_databases!(
    links_in_the_folder_are_never_followed,
    the_store_upserts_and_deletes_records_in,
);
