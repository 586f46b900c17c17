//! The profile over REST with a session cookie: who one is, and renaming oneself.

use crate::common::site::{Console, on_sqlite};

#[tokio::test]
async fn the_current_user_is_read_with_a_session_cookie() {
    on_sqlite(async |w: Console| {
        let (s, v) = w
            .app
            .api(
                "POST",
                "/v2.23/users.get_current_user",
                Some(&w.member),
                Some("{}"),
            )
            .await;
        assert_eq!(s, 200);
        assert_eq!(v["data"]["user"]["email"], "max@example.com");
        assert_eq!(v["data"]["user"]["role"], "user");
        assert_eq!(v["data"]["user"]["company"]["name"], "Research");
    })
    .await
}

#[tokio::test]
async fn an_empty_name_is_400_naming_the_field() {
    on_sqlite(async |w: Console| {
        let (s, v) = w
            .app
            .api(
                "POST",
                "/users.update",
                Some(&w.member),
                Some(r#"{"name": ""}"#),
            )
            .await;
        assert_eq!(s, 400);
        assert!(
            v["meta"]["result_msg"].as_str().unwrap().contains("(name)"),
            "{v}"
        );
    })
    .await
}

#[tokio::test]
async fn a_member_renames_themself_over_rest() {
    on_sqlite(async |w: Console| {
        let (s, _) = w
            .app
            .api(
                "POST",
                "/users.update",
                Some(&w.member),
                Some(r#"{"name": "Max Power"}"#),
            )
            .await;
        assert_eq!(s, 200);
    })
    .await
}
