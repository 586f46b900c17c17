//! API credentials: key pairs stored as keyed hashes, tokens issued from them, relabelling and
//! revoking by their owner, expiry and the workspace's maximum lifetime.

use app::api::backend::Caller;
use app::domain::Code;
use app::domain::credentials::{NewCredential, is_access_key, is_secret};
use app::domain::{AppError, Role};
use atrium_server::db::Db;
use atrium_server::services::credentials::AuthFailure;

use crate::common::workspace::Workspace;

/// Ada's key pair labelled " laptop ".
async fn laptop(w: &Workspace) -> NewCredential {
    w.services
        .credentials
        .create(&w.admin, None, " laptop ", None)
        .await
        .unwrap()
}

/// Ada's key pair, and the caller it authenticates from 10.0.0.1.
async fn authenticated(w: &Workspace) -> (NewCredential, Caller) {
    let created = laptop(w).await;
    let caller = w
        .services
        .credentials
        .authenticate_basic(&created.info.access_key, &created.secret_key, "10.0.0.1")
        .await
        .unwrap();
    (created, caller)
}

async fn a_new_key_pair_has_a_trimmed_label_and_its_configuration(db: Db) {
    let w = Workspace::new(db).await;
    let created = laptop(&w).await;
    assert_eq!(created.info.label, "laptop");
    assert!(is_access_key(&created.info.access_key));
    assert!(is_secret(&created.secret_key));
    assert!(created.config_section.contains(&created.secret_key));
}

async fn a_new_key_pair_is_listed(db: Db) {
    let w = Workspace::new(db).await;
    let created = laptop(&w).await;
    let listed = w.services.credentials.list(&w.admin).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].access_key, created.info.access_key);
}

/// The secret is stored only as a keyed hash.
async fn the_secret_is_stored_only_as_a_keyed_hash(db: Db) {
    let w = Workspace::new(db).await;
    let created = laptop(&w).await;
    let mut conn = w.conn().await;
    let stored: String =
        sqlx::query_scalar("SELECT secret_hash FROM credentials WHERE access_key = $1")
            .bind(&created.info.access_key)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert!(!stored.contains(&created.secret_key) && stored.len() == 64);
}

async fn the_key_pair_authenticates_its_owner(db: Db) {
    let w = Workspace::new(db).await;
    let (_, caller) = authenticated(&w).await;
    assert_eq!(caller.identity.user_id, w.ada.id);
}

async fn a_wrong_secret_or_an_unknown_key_is_invalid(db: Db) {
    let w = Workspace::new(db).await;
    let created = laptop(&w).await;
    let credentials = &w.services.credentials;
    assert_eq!(
        credentials
            .authenticate_basic(&created.info.access_key, "wrong", "x")
            .await
            .unwrap_err(),
        AuthFailure::Invalid
    );
    assert_eq!(
        credentials
            .authenticate_basic("NOPE", &created.secret_key, "x")
            .await
            .unwrap_err(),
        AuthFailure::Invalid
    );
}

async fn use_records_the_address_it_came_from(db: Db) {
    let w = Workspace::new(db).await;
    authenticated(&w).await;
    let used = w.services.credentials.list(&w.admin).await.unwrap();
    assert_eq!(used[0].last_used_from.as_deref(), Some("10.0.0.1"));
}

async fn a_token_lives_at_most_the_maximum_and_authenticates_the_owner(db: Db) {
    let w = Workspace::new(db).await;
    let s = &w.services;
    let (_, caller) = authenticated(&w).await;
    let (token, lifetime) = s
        .credentials
        .issue_token(&caller, Some(10_000_000), None)
        .await
        .unwrap();
    assert_eq!(
        lifetime, s.core.settings.token_max_secs,
        "bounded by the maximum"
    );
    assert_eq!(
        s.credentials
            .authenticate_token(&token)
            .await
            .unwrap()
            .identity
            .user_id,
        w.ada.id
    );
}

async fn a_token_of_no_lifetime_is_refused(db: Db) {
    let w = Workspace::new(db).await;
    let (_, caller) = authenticated(&w).await;
    assert!(
        w.services
            .credentials
            .issue_token(&caller, Some(0), None)
            .await
            .is_err()
    );
}

/// Only the owner can relabel or revoke.
async fn others_cannot_relabel_or_revoke_ones_key(db: Db) {
    let w = Workspace::new(db).await;
    let key = laptop(&w).await.info.access_key;
    let credentials = &w.services.credentials;
    assert!(matches!(
        credentials.revoke(&w.member, &key).await,
        Err(AppError::Refused {
            code: Code::InvalidAccessKey,
            ..
        })
    ));
    assert!(matches!(
        credentials.relabel(&w.member, &key, "x").await,
        Err(AppError::Refused {
            code: Code::InvalidAccessKey,
            ..
        })
    ));
}

async fn the_owner_relabels_within_the_length_limit(db: Db) {
    let w = Workspace::new(db).await;
    let key = laptop(&w).await.info.access_key;
    let credentials = &w.services.credentials;
    assert_eq!(
        credentials
            .relabel(&w.admin, &key, "ci")
            .await
            .unwrap()
            .label,
        "ci"
    );
    assert_eq!(
        credentials
            .relabel(&w.admin, &key, &"x".repeat(101))
            .await
            .unwrap_err()
            .field(),
        Some("label")
    );
}

async fn revoking_ends_the_key_pair_and_its_tokens(db: Db) {
    let w = Workspace::new(db).await;
    let credentials = &w.services.credentials;
    let (created, caller) = authenticated(&w).await;
    let key = created.info.access_key.clone();
    let (token, _) = credentials.issue_token(&caller, None, None).await.unwrap();
    credentials.revoke(&w.admin, &key).await.unwrap();
    assert_eq!(
        credentials
            .authenticate_basic(&key, &created.secret_key, "x")
            .await
            .unwrap_err(),
        AuthFailure::Invalid
    );
    assert!(matches!(
        credentials.authenticate_token(&token).await,
        Err(AuthFailure::BadToken(_))
    ));
}

async fn a_revoked_key_is_no_longer_listed_nor_found(db: Db) {
    let w = Workspace::new(db).await;
    let credentials = &w.services.credentials;
    let key = laptop(&w).await.info.access_key;
    credentials.revoke(&w.admin, &key).await.unwrap();
    assert!(credentials.list(&w.admin).await.unwrap().is_empty());
    assert!(matches!(
        credentials.revoke(&w.admin, &key).await,
        Err(AppError::Refused {
            code: Code::InvalidAccessKey,
            ..
        })
    ));
}

async fn an_expired_key_pair_and_its_tokens_stop_working(db: Db) {
    let w = Workspace::new(db).await;
    let s = &w.services;
    let short = s
        .credentials
        .create(&w.admin, None, "short", Some(1))
        .await
        .unwrap();
    let c = s
        .credentials
        .authenticate_basic(&short.info.access_key, &short.secret_key, "x")
        .await
        .unwrap();
    let (t, _) = s.credentials.issue_token(&c, None, None).await.unwrap();
    s.core.clock.advance(2 * 86_400_000);
    assert!(matches!(
        s.credentials
            .authenticate_basic(&short.info.access_key, &short.secret_key, "x")
            .await,
        Err(AuthFailure::Expired(_))
    ));
    assert!(s.credentials.authenticate_token(&t).await.is_err());
}

/// Only an administrator's proof reaches the limit; a member cannot obtain one.
async fn members_cannot_set_the_lifetime_limit(db: Db) {
    let w = Workspace::new(db).await;
    assert!(matches!(
        w.member.admin("set the credential lifetime limit"),
        Err(AppError::Forbidden(_))
    ));
}

async fn the_workspaces_maximum_lifetime_bounds_new_key_pairs(db: Db) {
    let w = Workspace::new(db).await;
    let s = &w.services;
    s.workspaces
        .set_max_credential_days(&w.proof(), Some(30))
        .await
        .unwrap();
    assert_eq!(
        s.credentials
            .create(&w.admin, None, "", Some(31))
            .await
            .unwrap_err()
            .field(),
        Some("expires_in_days")
    );
    let capped = s
        .credentials
        .create(&w.admin, None, "", None)
        .await
        .unwrap();
    assert!(
        capped.info.expires_ms.is_some(),
        "the maximum applies when none is asked for"
    );
}

/// Credentials only in workspaces one belongs to.
async fn key_pairs_only_in_workspaces_one_belongs_to(db: Db) {
    let w = Workspace::new(db).await;
    let other = w.person("cy@example.com", Role::Admin, "Other").await;
    assert!(matches!(
        w.services
            .credentials
            .create(&w.admin, Some(other.workspace_id.clone()), "", None)
            .await,
        Err(AppError::Forbidden(_))
    ));
}

crate::on_both_databases!(
    a_new_key_pair_has_a_trimmed_label_and_its_configuration,
    a_new_key_pair_is_listed,
    the_secret_is_stored_only_as_a_keyed_hash,
    the_key_pair_authenticates_its_owner,
    a_wrong_secret_or_an_unknown_key_is_invalid,
    use_records_the_address_it_came_from,
    a_token_lives_at_most_the_maximum_and_authenticates_the_owner,
    a_token_of_no_lifetime_is_refused,
    others_cannot_relabel_or_revoke_ones_key,
    the_owner_relabels_within_the_length_limit,
    revoking_ends_the_key_pair_and_its_tokens,
    a_revoked_key_is_no_longer_listed_nor_found,
    an_expired_key_pair_and_its_tokens_stop_working,
    members_cannot_set_the_lifetime_limit,
    the_workspaces_maximum_lifetime_bounds_new_key_pairs,
    key_pairs_only_in_workspaces_one_belongs_to,
);
