//! Migrations.

use atrium_server::db::{self, Db};
use atrium_server::store;

async fn running_the_migrations_again_changes_nothing(db: Db) {
    db::migrate(&db).await.expect("second run is a no-op");
    let mut conn = db.pool.acquire().await.unwrap();
    assert_eq!(store::users::count_users(&mut conn).await.unwrap(), 0);
}

crate::on_both_databases!(running_the_migrations_again_changes_nothing);
