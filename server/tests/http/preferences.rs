//! Preferences over REST.

use crate::common::site::{Console, on_sqlite};

#[tokio::test]
async fn preferences_are_saved_with_a_post() {
    on_sqlite(async |w: Console| {
        let (s, v) = w
            .app
            .api(
                "POST",
                "/users.set_preferences",
                Some(&w.member),
                Some(r#"{"preferences": {"hide_tips": true}}"#),
            )
            .await;
        assert_eq!(s, 200);
        assert_eq!(v["data"]["preferences"]["hide_tips"], true);
    })
    .await
}
