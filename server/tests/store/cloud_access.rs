//! Cloud access: a person's S3 settings per bucket, the secret sealed at rest and masked everywhere
//! else, presigned links signed with it, and each entry private to its owner in one workspace.

use app::domain::AppError;
use app::domain::audit::MASK;
use app::domain::cloud_access::{CloudAccess, CloudAccessForm};
use app::domain::{Identity, Role};
use atrium_server::db::Db;
use atrium_server::services::cloud_access::{SigningInput, presign_get};
use atrium_server::store;

use crate::common::identity_of;
use crate::common::workspace::Workspace;

fn cloud_form(id: &str, bucket: &str, key: &str, secret: &str, host: &str) -> CloudAccessForm {
    CloudAccessForm {
        id: id.into(),
        bucket: bucket.into(),
        key: key.into(),
        secret: secret.into(),
        region: "eu-west-1".into(),
        host: host.into(),
    }
}

const CLOUD_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

/// Ada's settings for " datasets " on a local MinIO, as she typed them.
async fn saved_on_minio(w: &Workspace) -> CloudAccess {
    w.services
        .cloud_access
        .save(
            &w.admin,
            cloud_form(
                "",
                " datasets ",
                "AKIAEXAMPLE",
                CLOUD_SECRET,
                "http://127.0.0.1:9000/",
            ),
        )
        .await
        .unwrap()
}

/// Ada's settings for "datasets" on AWS with key AKIA1.
async fn saved(w: &Workspace) -> CloudAccess {
    w.services
        .cloud_access
        .save(
            &w.admin,
            cloud_form("", "datasets", "AKIA1", CLOUD_SECRET, ""),
        )
        .await
        .unwrap()
}

async fn sealed(w: &Workspace, id: &str) -> Option<String> {
    let mut conn = w.conn().await;
    store::cloud_access::sealed_secret(&mut conn, id)
        .await
        .unwrap()
}

async fn saving_trims_the_bucket_and_host_and_masks_the_secret(db: Db) {
    let w = Workspace::new(db).await;
    let saved = saved_on_minio(&w).await;
    assert_eq!(saved.bucket, "datasets");
    assert_eq!(saved.host, "http://127.0.0.1:9000");
    assert_eq!(saved.secret_masked, "••••••••EKEY");
}

/// Lists show the masked form only.
async fn lists_show_the_masked_secret_only(db: Db) {
    let w = Workspace::new(db).await;
    let saved = saved_on_minio(&w).await;
    let listed = w.services.cloud_access.list(&w.admin).await.unwrap();
    assert_eq!(listed, vec![saved.clone()]);
    assert!(!format!("{listed:?}").contains(CLOUD_SECRET));
}

/// At rest the secret is sealed by the master key: no row holds it in plain text.
async fn the_secret_is_sealed_at_rest(db: Db) {
    let w = Workspace::new(db).await;
    let saved = saved_on_minio(&w).await;
    let sealed = sealed(&w, &saved.id).await.unwrap();
    assert!(!sealed.contains(CLOUD_SECRET) && !sealed.contains("EXAMPLEKEY"));
    assert_eq!(
        w.services.core.key.decrypt(&sealed).unwrap(),
        CLOUD_SECRET.as_bytes()
    );
    let mut conn = w.conn().await;
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT bucket || access_key || secret_sealed || secret_mask || region || host FROM cloud_access",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    assert!(rows.iter().all(|r| !r.contains(CLOUD_SECRET)));
}

/// The audit entry names the bucket and masks the secret.
async fn creation_is_audited_with_the_secret_masked(db: Db) {
    let w = Workspace::new(db).await;
    saved_on_minio(&w).await;
    let entries = w.audit("cloud_access").await;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].action, "cloud_access.create");
    assert_eq!(entries[0].object_name, "datasets");
    assert_eq!(entries[0].summary["after"]["secret"], MASK);
    assert_eq!(entries[0].summary["after"]["key"], "AKIAEXAMPLE");
    assert!(!entries[0].summary.to_string().contains("EXAMPLEKEY"));
}

/// The presigned link is signed with the stored secret, at the server's clock.
async fn a_presigned_link_is_signed_with_the_stored_secret(db: Db) {
    let w = Workspace::new(db).await;
    saved_on_minio(&w).await;
    let link = w
        .services
        .cloud_access
        .presign(&w.admin, "", "s3://datasets/images/cat.png", None)
        .await
        .unwrap();
    assert_eq!(
        (link.bucket.as_str(), link.key.as_str()),
        ("datasets", "images/cat.png")
    );
    let expected = presign_get(SigningInput {
        endpoint: "http://127.0.0.1:9000",
        path_style: true,
        bucket: "datasets",
        region: "eu-west-1",
        access_key: "AKIAEXAMPLE",
        secret: CLOUD_SECRET,
        object_key: "images/cat.png",
        expires_secs: 900,
        now_ms: link.expires_ms - 900_000,
    })
    .unwrap();
    assert_eq!(link.url, expected);
    assert!(
        link.url
            .starts_with("http://127.0.0.1:9000/datasets/images/cat.png?")
    );
    assert!(!link.url.contains(CLOUD_SECRET));
}

/// Ada's entry edited a second later to key AKIA2 on another host, with no secret.
async fn edited_without_a_secret(w: &Workspace, saved: &CloudAccess) -> CloudAccess {
    w.services.core.clock.advance(1_000);
    w.services
        .cloud_access
        .save(
            &w.admin,
            cloud_form(
                &saved.id,
                "datasets",
                "AKIA2",
                "",
                "https://minio.example.com",
            ),
        )
        .await
        .unwrap()
}

/// The entry given the new secret "another-secret-9876".
async fn rotated(w: &Workspace, saved: &CloudAccess) -> CloudAccess {
    w.services
        .cloud_access
        .save(
            &w.admin,
            cloud_form(
                &saved.id,
                "datasets",
                "AKIA2",
                "another-secret-9876",
                "https://minio.example.com",
            ),
        )
        .await
        .unwrap()
}

/// No secret on edit: the stored one stays.
async fn an_edit_without_a_secret_keeps_the_stored_one(db: Db) {
    let w = Workspace::new(db).await;
    let saved = saved(&w).await;
    let before = sealed(&w, &saved.id).await;
    let edited = edited_without_a_secret(&w, &saved).await;
    assert_eq!(edited.key, "AKIA2");
    assert_eq!(edited.host, "https://minio.example.com");
    assert_eq!(edited.secret_masked, saved.secret_masked);
    assert_eq!(edited.created_ms, saved.created_ms);
    assert!(edited.updated_ms > saved.updated_ms);
    assert_eq!(sealed(&w, &saved.id).await, before);
    assert_eq!(
        w.services.cloud_access.list(&w.admin).await.unwrap(),
        vec![edited.clone()]
    );
}

/// A new secret replaces it.
async fn a_new_secret_replaces_the_stored_one(db: Db) {
    let w = Workspace::new(db).await;
    let saved = saved(&w).await;
    let rotated = rotated(&w, &saved).await;
    assert_eq!(rotated.secret_masked, "••••••••9876");
    let now_sealed = sealed(&w, &saved.id).await.unwrap();
    assert_eq!(
        w.services.core.key.decrypt(&now_sealed).unwrap(),
        b"another-secret-9876"
    );
}

/// Edits are audited with only what changed, the secret masked.
async fn edits_are_audited_with_only_what_changed(db: Db) {
    let w = Workspace::new(db).await;
    let saved = saved(&w).await;
    edited_without_a_secret(&w, &saved).await;
    rotated(&w, &saved).await;
    let entries = w.audit("cloud_access").await;
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "cloud_access.update",
            "cloud_access.update",
            "cloud_access.create"
        ]
    );
    assert_eq!(entries[1].summary["before"]["key"], "AKIA1");
    assert_eq!(entries[1].summary["after"]["key"], "AKIA2");
    assert!(entries[1].summary["after"].get("secret").is_none());
    assert_eq!(entries[0].summary["after"]["secret"], MASK);
    assert!(entries[0].summary["after"].get("key").is_none());
    assert!(!format!("{entries:?}").contains("another-secret"));
}

/// Saving without a change writes nothing.
async fn saving_without_a_change_writes_no_audit_entry(db: Db) {
    let w = Workspace::new(db).await;
    let saved = saved(&w).await;
    edited_without_a_secret(&w, &saved).await;
    let entries = w.audit("cloud_access").await;
    w.services
        .cloud_access
        .save(
            &w.admin,
            cloud_form(
                &saved.id,
                "datasets",
                "AKIA2",
                "",
                "https://minio.example.com",
            ),
        )
        .await
        .unwrap();
    let after_noop = w.audit("cloud_access").await;
    assert_eq!(after_noop.len(), entries.len());
}

/// One entry per bucket.
async fn a_bucket_has_one_entry_per_person(db: Db) {
    let w = Workspace::new(db).await;
    let cloud_access = &w.services.cloud_access;
    saved(&w).await;
    let dup = cloud_access
        .save(&w.admin, cloud_form("", "datasets", "AKIA3", "x", ""))
        .await;
    assert!(
        matches!(&dup, Err(AppError::Taken { field, .. }) if field == "bucket"),
        "{dup:?}"
    );
    let other = cloud_access
        .save(&w.admin, cloud_form("", "models", "AKIA3", "x", ""))
        .await
        .unwrap();
    let renamed = cloud_access
        .save(&w.admin, cloud_form(&other.id, "datasets", "AKIA3", "", ""))
        .await;
    assert!(
        matches!(&renamed, Err(AppError::Taken { field, .. }) if field == "bucket"),
        "{renamed:?}"
    );
}

/// Ada's entry, deleted a moment after it was saved (so that the log orders the two entries as they
/// happened).
async fn deleted(w: &Workspace) -> CloudAccess {
    let saved = saved(w).await;
    w.services.core.clock.advance(1);
    w.services
        .cloud_access
        .delete(&w.admin, &saved.id)
        .await
        .unwrap();
    saved
}

async fn deletion_removes_the_entry_and_its_sealed_secret(db: Db) {
    let w = Workspace::new(db).await;
    let saved = deleted(&w).await;
    assert!(
        w.services
            .cloud_access
            .list(&w.admin)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        sealed(&w, &saved.id).await.is_none(),
        "the sealed secret is gone too"
    );
}

async fn a_deleted_entry_cannot_be_deleted_edited_or_signed_with(db: Db) {
    let w = Workspace::new(db).await;
    let cloud_access = &w.services.cloud_access;
    let saved = deleted(&w).await;
    assert!(matches!(
        cloud_access.delete(&w.admin, &saved.id).await,
        Err(AppError::NotFound(_))
    ));
    assert!(matches!(
        cloud_access
            .presign(&w.admin, "datasets", "a.txt", None)
            .await,
        Err(AppError::NotFound(_))
    ));
    // Editing a deleted entry is not found either.
    assert!(matches!(
        cloud_access
            .save(&w.admin, cloud_form(&saved.id, "datasets", "AKIA1", "", ""))
            .await,
        Err(AppError::NotFound(_))
    ));
}

async fn deletion_is_audited_with_the_secret_masked(db: Db) {
    let w = Workspace::new(db).await;
    deleted(&w).await;
    let entries = w.audit("cloud_access").await;
    assert_eq!(entries[0].action, "cloud_access.delete");
    assert_eq!(entries[0].summary["before"]["bucket"], "datasets");
    assert_eq!(entries[0].summary["before"]["secret"], MASK);
}

/// The field Ada's save of `form` is refused for.
async fn refused_field(w: &Workspace, form: CloudAccessForm) -> Option<String> {
    w.services
        .cloud_access
        .save(&w.admin, form)
        .await
        .unwrap_err()
        .field()
        .map(str::to_string)
}

async fn a_bucket_name_must_be_valid(db: Db) {
    let w = Workspace::new(db).await;
    assert_eq!(
        refused_field(&w, cloud_form("", "Bad_Bucket", "k", "s", ""))
            .await
            .as_deref(),
        Some("bucket")
    );
    assert_eq!(
        refused_field(&w, cloud_form("", "ab", "k", "s", ""))
            .await
            .as_deref(),
        Some("bucket")
    );
}

async fn a_new_entry_needs_a_key_and_a_secret(db: Db) {
    let w = Workspace::new(db).await;
    assert_eq!(
        refused_field(&w, cloud_form("", "data", "", "s", ""))
            .await
            .as_deref(),
        Some("key")
    );
    assert_eq!(
        refused_field(&w, cloud_form("", "data", "k", " ", ""))
            .await
            .as_deref(),
        Some("secret")
    );
}

async fn a_host_must_be_an_http_url(db: Db) {
    let w = Workspace::new(db).await;
    assert_eq!(
        refused_field(&w, cloud_form("", "data", "k", "s", "minio:9000"))
            .await
            .as_deref(),
        Some("host")
    );
    assert_eq!(
        refused_field(&w, cloud_form("", "data", "k", "s", "ftp://minio"))
            .await
            .as_deref(),
        Some("host")
    );
}

async fn a_region_must_be_valid(db: Db) {
    let w = Workspace::new(db).await;
    assert_eq!(
        refused_field(
            &w,
            CloudAccessForm {
                region: "Mars 1".into(),
                ..cloud_form("", "data", "k", "s", "")
            }
        )
        .await
        .as_deref(),
        Some("region")
    );
}

async fn nothing_invalid_is_saved(db: Db) {
    let w = Workspace::new(db).await;
    for form in [
        cloud_form("", "Bad_Bucket", "k", "s", ""),
        cloud_form("", "data", "", "s", ""),
        cloud_form("", "data", "k", "s", "ftp://minio"),
    ] {
        assert!(refused_field(&w, form).await.is_some());
    }
    assert!(
        w.services
            .cloud_access
            .list(&w.admin)
            .await
            .unwrap()
            .is_empty(),
        "nothing saved"
    );
}

async fn a_presigned_path_may_not_climb_out_of_the_bucket(db: Db) {
    let w = Workspace::new(db).await;
    assert_eq!(
        w.services
            .cloud_access
            .presign(&w.admin, "", "s3://data/../x", None)
            .await
            .unwrap_err()
            .field(),
        Some("path")
    );
}

async fn a_presigned_link_needs_a_lifetime(db: Db) {
    let w = Workspace::new(db).await;
    assert_eq!(
        w.services
            .cloud_access
            .presign(&w.admin, "", "s3://data/x", Some(0))
            .await
            .unwrap_err()
            .field(),
        Some("expires_in")
    );
}

/// Another member of the same workspace sees nothing, cannot edit, delete or sign with it.
async fn another_member_can_neither_see_nor_touch_ones_entry(db: Db) {
    let w = Workspace::new(db).await;
    let cloud_access = &w.services.cloud_access;
    let mine = saved(&w).await;
    assert!(cloud_access.list(&w.member).await.unwrap().is_empty());
    assert!(matches!(
        cloud_access
            .save(
                &w.member,
                cloud_form(&mine.id, "datasets", "BOB", "stolen", "")
            )
            .await,
        Err(AppError::NotFound(_))
    ));
    assert!(matches!(
        cloud_access.delete(&w.member, &mine.id).await,
        Err(AppError::NotFound(_))
    ));
    assert!(matches!(
        cloud_access
            .presign(&w.member, "", "s3://datasets/a.txt", None)
            .await,
        Err(AppError::NotFound(_))
    ));
}

/// Bob may keep his own settings for the same bucket.
async fn another_member_keeps_their_own_entry_for_the_same_bucket(db: Db) {
    let w = Workspace::new(db).await;
    let cloud_access = &w.services.cloud_access;
    let mine = saved(&w).await;
    let his = cloud_access
        .save(
            &w.member,
            cloud_form("", "datasets", "BOB", "bobs-secret-1234", ""),
        )
        .await
        .unwrap();
    assert_eq!(cloud_access.list(&w.member).await.unwrap(), vec![his]);
    assert_eq!(cloud_access.list(&w.admin).await.unwrap(), vec![mine]);
}

/// The same person in another workspace starts empty.
async fn the_same_person_starts_empty_in_another_workspace(db: Db) {
    let w = Workspace::new(db).await;
    let cloud_access = &w.services.cloud_access;
    let c = w.person("cy@example.com", Role::Admin, "Other").await;
    let mine = saved(&w).await;
    let ada_elsewhere = Identity {
        workspace_id: c.workspace_id.clone(),
        workspace_name: c.workspace_name.clone(),
        ..w.admin.clone()
    };
    assert!(cloud_access.list(&ada_elsewhere).await.unwrap().is_empty());
    assert!(matches!(
        cloud_access.delete(&ada_elsewhere, &mine.id).await,
        Err(AppError::NotFound(_))
    ));
    assert_eq!(cloud_access.list(&w.admin).await.unwrap(), vec![mine]);
}

/// Cy's admin rights in Other do not reach Ada's entries.
async fn another_workspaces_administrator_sees_none_of_it(db: Db) {
    let w = Workspace::new(db).await;
    let c = w.person("cy@example.com", Role::Admin, "Other").await;
    saved(&w).await;
    assert!(
        w.services
            .cloud_access
            .list(&identity_of(&c))
            .await
            .unwrap()
            .is_empty()
    );
}

crate::on_both_databases!(
    saving_trims_the_bucket_and_host_and_masks_the_secret,
    lists_show_the_masked_secret_only,
    the_secret_is_sealed_at_rest,
    creation_is_audited_with_the_secret_masked,
    a_presigned_link_is_signed_with_the_stored_secret,
    an_edit_without_a_secret_keeps_the_stored_one,
    a_new_secret_replaces_the_stored_one,
    edits_are_audited_with_only_what_changed,
    saving_without_a_change_writes_no_audit_entry,
    a_bucket_has_one_entry_per_person,
    deletion_removes_the_entry_and_its_sealed_secret,
    a_deleted_entry_cannot_be_deleted_edited_or_signed_with,
    deletion_is_audited_with_the_secret_masked,
    a_bucket_name_must_be_valid,
    a_new_entry_needs_a_key_and_a_secret,
    a_host_must_be_an_http_url,
    a_region_must_be_valid,
    nothing_invalid_is_saved,
    a_presigned_path_may_not_climb_out_of_the_bucket,
    a_presigned_link_needs_a_lifetime,
    another_member_can_neither_see_nor_touch_ones_entry,
    another_member_keeps_their_own_entry_for_the_same_bucket,
    the_same_person_starts_empty_in_another_workspace,
    another_workspaces_administrator_sees_none_of_it,
);
