//! Server secrets: generated once and shared by every replica, and the one-time set-up token.

use atrium_server::crypto;
use atrium_server::db::Db;
use atrium_server::store;

async fn the_first_writer_of_a_secret_wins(db: Db) {
    let mut conn = db.pool.acquire().await.unwrap();
    let first = store::secrets::get_or_insert(&mut conn, "jwt", "one", 1)
        .await
        .unwrap();
    let second = store::secrets::get_or_insert(&mut conn, "jwt", "two", 2)
        .await
        .unwrap();
    assert_eq!((first.as_str(), second.as_str()), ("one", "one"));
}

async fn a_setup_token_is_open_until_it_expires(db: Db) {
    let mut conn = db.pool.acquire().await.unwrap();
    store::secrets::replace_setup_token(&mut conn, &crypto::token_hash("t"), 100)
        .await
        .unwrap();
    assert!(
        store::secrets::setup_token_open(&mut conn, &crypto::token_hash("t"), 50)
            .await
            .unwrap()
    );
    assert!(
        !store::secrets::setup_token_open(&mut conn, &crypto::token_hash("t"), 150)
            .await
            .unwrap(),
        "expired"
    );
}

async fn a_setup_token_is_used_once(db: Db) {
    let mut conn = db.pool.acquire().await.unwrap();
    store::secrets::replace_setup_token(&mut conn, &crypto::token_hash("t"), 100)
        .await
        .unwrap();
    assert!(
        store::secrets::use_setup_token(&mut conn, &crypto::token_hash("t"), 50)
            .await
            .unwrap()
    );
    assert!(
        !store::secrets::use_setup_token(&mut conn, &crypto::token_hash("t"), 50)
            .await
            .unwrap(),
        "only once"
    );
}

crate::on_both_databases!(
    the_first_writer_of_a_secret_wins,
    a_setup_token_is_open_until_it_expires,
    a_setup_token_is_used_once,
);
