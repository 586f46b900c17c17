//! Configuration vaults: personal and per-group vaults, versioned saves, delivery order, the
//! effective configuration, and what happens to vaults when a group or a membership ends.

use app::api::vaults::{VaultForm, VaultScope};
use app::domain::AppError;
use app::domain::identity::Actor;
use app::domain::vaults::VaultFormat;
use atrium_server::db::Db;
use serde_json::json;

use crate::common::workspace::Workspace;

fn json_form(text: &str) -> VaultForm {
    VaultForm {
        format: VaultFormat::Json,
        enabled: true,
        text: text.into(),
        ..VaultForm::default()
    }
}

/// An administrator vault `name` for the group called `group`.
async fn group_vault(
    w: &Workspace,
    group: &str,
    name: &str,
    text: &str,
) -> app::api::vaults::Vault {
    let groups = w.services.vaults.list(&w.proof()).await.unwrap().groups;
    let group_id = groups.iter().find(|g| g.name == group).unwrap().id.clone();
    w.services
        .vaults
        .save(
            &w.proof(),
            VaultForm {
                name: name.into(),
                group_id: Some(group_id),
                ..json_form(text)
            },
        )
        .await
        .unwrap()
}

async fn a_personal_vault_is_created_then_saved_from_the_version_read(db: Db) {
    let w = Workspace::new(db).await;
    let vaults = &w.services.vaults;
    assert_eq!(vaults.personal(&w.member).await.unwrap(), None);
    let first = vaults
        .save_personal(&w.member, json_form(r#"{"sdk": {"a": 1}}"#))
        .await
        .unwrap();
    assert_eq!((first.scope, first.version), (VaultScope::User, 1));
    let without_version = vaults
        .save_personal(&w.member, json_form(r#"{"sdk": {"a": 2}}"#))
        .await
        .unwrap_err();
    assert_eq!(without_version.field(), Some("version"));
    let second = vaults
        .save_personal(
            &w.member,
            VaultForm {
                version: Some(1),
                ..json_form(r#"{"sdk": {"a": 2}}"#)
            },
        )
        .await
        .unwrap();
    assert_eq!(second.version, 2);
    assert_eq!(vaults.personal(&w.member).await.unwrap(), Some(second));
    let actions: Vec<String> = w
        .audit("vault")
        .await
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, ["vault.update", "vault.create"]);
}

async fn a_stale_save_is_a_conflict_and_changes_nothing(db: Db) {
    let w = Workspace::new(db).await;
    let vaults = &w.services.vaults;
    let v = group_vault(&w, "Users", "shared", r#"{"x": 1}"#).await;
    let mine = VaultForm {
        id: Some(v.id.clone()),
        name: "shared".into(),
        group_id: v.group_id.clone(),
        version: Some(v.version),
        ..json_form(r#"{"x": 2}"#)
    };
    vaults.save(&w.proof(), mine.clone()).await.unwrap();
    let stale = vaults
        .save(
            &w.proof(),
            VaultForm {
                text: r#"{"x": 3}"#.into(),
                ..mine
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&stale, AppError::Conflict(m) if m.contains("Someone else saved")),
        "{stale:?}"
    );
    let now = vaults.list(&w.proof()).await.unwrap().vaults;
    assert_eq!(now[0].text, r#"{"x": 2}"#);
}

/// Sixteen saves from the same version at once: exactly one wins, the others are told so.
async fn concurrent_saves_of_one_vault_let_exactly_one_win(db: Db) {
    let w = Workspace::new(db).await;
    let v = group_vault(&w, "Users", "contended", r#"{"n": 0}"#).await;
    let mut tasks = Vec::new();
    for n in 1..=16 {
        let services = w.services.clone();
        let admin = w.admin.clone();
        let form = VaultForm {
            id: Some(v.id.clone()),
            name: "contended".into(),
            group_id: v.group_id.clone(),
            version: Some(v.version),
            ..json_form(&format!(r#"{{"n": {n}}}"#))
        };
        tasks.push(tokio::spawn(async move {
            services
                .vaults
                .save(&admin.admin("test").unwrap(), form)
                .await
        }));
    }
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => won += 1,
            Err(AppError::Conflict(_)) => {}
            Err(e) => panic!("a save failed otherwise: {e:?}"),
        }
    }
    assert_eq!(won, 1);
    let now = &w.services.vaults.list(&w.proof()).await.unwrap().vaults[0];
    assert_eq!(now.version, v.version + 1);
}

async fn bad_content_is_refused_and_nothing_is_stored(db: Db) {
    let w = Workspace::new(db).await;
    let vaults = &w.services.vaults;
    let e = vaults
        .save_personal(&w.member, json_form("{\"sdk\": \n  {\"a\": }"))
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("data"));
    assert!(e.to_string().contains("line 2"), "{e}");
    let e = vaults
        .save_personal(&w.member, json_form(r#"{"agent": {"worker_name": "x"}}"#))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("agent.worker_name"), "{e}");
    assert_eq!(vaults.personal(&w.member).await.unwrap(), None);
    assert!(w.audit("vault").await.is_empty());
}

async fn vault_text_and_data_are_sealed_at_rest(db: Db) {
    let w = Workspace::new(db).await;
    w.services
        .vaults
        .save_personal(
            &w.member,
            json_form(r#"{"sdk": {"secret": "hunter2-plain"}}"#),
        )
        .await
        .unwrap();
    let mut conn = w.conn().await;
    let rows: Vec<(String, String)> = sqlx::query_as("SELECT text_sealed, data_sealed FROM vaults")
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(!rows[0].0.contains("hunter2") && !rows[0].1.contains("hunter2"));
}

async fn members_receive_their_groups_vaults_then_their_own_in_order(db: Db) {
    let w = Workspace::new(db).await;
    let vaults = &w.services.vaults;
    w.services
        .groups
        .save(
            &w.proof(),
            None,
            "Zeta",
            "",
            std::slice::from_ref(&w.bob.id),
        )
        .await
        .unwrap();
    w.services
        .groups
        .save(&w.proof(), None, "Alpha", "", &[])
        .await
        .unwrap();
    group_vault(&w, "Zeta", "b", r#"{"k": "zeta-b"}"#).await;
    group_vault(&w, "Zeta", "a", r#"{"k": "zeta-a"}"#).await;
    group_vault(&w, "Users", "everyone", r#"{"k": "users"}"#).await;
    group_vault(&w, "Admins", "admins only", r#"{"k": "admins"}"#).await;
    group_vault(&w, "Alpha", "not bob's", r#"{"k": "alpha"}"#).await;
    vaults
        .save_personal(&w.member, json_form(r#"{"k": "bob"}"#))
        .await
        .unwrap();
    let names = |list: Vec<atrium_server::services::vaults::Delivered>| {
        list.into_iter()
            .map(|v| v.data["k"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    let bob = vaults.delivered_to(&w.member).await.unwrap();
    assert_eq!(names(bob), ["users", "zeta-a", "zeta-b", "bob"]);
    let ada = vaults.delivered_to(&w.admin).await.unwrap();
    assert_eq!(names(ada), ["admins", "users"]);
}

async fn disabled_vaults_are_not_delivered_but_are_previewed_as_disabled(db: Db) {
    let w = Workspace::new(db).await;
    let vaults = &w.services.vaults;
    group_vault(&w, "Users", "on", r#"{"sdk": {"a": 1, "b": 1}}"#).await;
    vaults
        .save_personal(
            &w.member,
            VaultForm {
                enabled: false,
                ..json_form(r#"{"sdk": {"a": 2}}"#)
            },
        )
        .await
        .unwrap();
    assert_eq!(vaults.delivered_to(&w.member).await.unwrap().len(), 1);
    let preview = vaults.effective(&w.member, None).await.unwrap();
    assert_eq!(preview.applied.len(), 1);
    assert_eq!(preview.disabled.len(), 1);
    assert_eq!(preview.merged.config["sdk"], json!({"a": 1, "b": 1}));
}

async fn the_preview_says_which_vault_set_each_key_and_what_it_overrode(db: Db) {
    let w = Workspace::new(db).await;
    let vaults = &w.services.vaults;
    group_vault(&w, "Users", "team", r#"{"sdk": {"a": 1, "b": 1}}"#).await;
    vaults
        .save_personal(&w.member, json_form(r#"{"sdk": {"a": 2}}"#))
        .await
        .unwrap();
    let preview = vaults.effective(&w.admin, Some(&w.bob.id)).await.unwrap();
    assert_eq!(preview.merged.config["sdk"], json!({"a": 2, "b": 1}));
    let a = &preview.merged.origins["sdk.a"];
    assert_eq!(a.set_by.name, "Personal vault");
    assert_eq!(a.overrode.len(), 1);
    assert_eq!(a.overrode[0].name, "team");
    assert_eq!(a.overrode[0].group.as_deref(), Some("Users"));
    assert_eq!(preview.merged.origins["sdk.b"].set_by.name, "team");
}

async fn members_preview_only_themselves(db: Db) {
    let w = Workspace::new(db).await;
    let e = w
        .services
        .vaults
        .effective(&w.member, Some(&w.ada.id))
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Forbidden(_)), "{e:?}");
    assert!(w.services.vaults.effective(&w.member, None).await.is_ok());
}

async fn an_impersonating_token_cannot_change_a_vault(db: Db) {
    let w = Workspace::new(db).await;
    let mut acting = w.member.clone();
    acting.actor = Actor::Impersonation {
        by_id: "sa".into(),
        by_name: "ci-agent".into(),
    };
    let e = w
        .services
        .vaults
        .save_personal(&acting, json_form("{}"))
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Forbidden(_)), "{e:?}");
}

async fn members_delete_only_their_own_vault_and_admins_any_group_vault(db: Db) {
    let w = Workspace::new(db).await;
    let vaults = &w.services.vaults;
    let team = group_vault(&w, "Users", "team", "{}").await;
    let mine = vaults
        .save_personal(&w.member, json_form("{}"))
        .await
        .unwrap();
    let e = vaults
        .delete_many(&w.member, std::slice::from_ref(&team.id))
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::NotFound(_)), "{e:?}");
    let e = vaults
        .delete_many(&w.admin, std::slice::from_ref(&mine.id))
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::NotFound(_)), "{e:?}");
    assert_eq!(
        vaults
            .delete_many(&w.member, std::slice::from_ref(&mine.id))
            .await
            .unwrap(),
        1
    );
    assert_eq!(vaults.delete_many(&w.admin, &[team.id]).await.unwrap(), 1);
    assert!(vaults.list(&w.proof()).await.unwrap().vaults.is_empty());
}

async fn a_groups_vaults_go_with_the_group(db: Db) {
    let w = Workspace::new(db).await;
    w.services
        .groups
        .save(
            &w.proof(),
            None,
            "Vision",
            "",
            std::slice::from_ref(&w.bob.id),
        )
        .await
        .unwrap();
    let v = group_vault(&w, "Vision", "gpu", r#"{"x": 1}"#).await;
    w.services
        .groups
        .delete(&w.proof(), v.group_id.as_deref().unwrap())
        .await
        .unwrap();
    assert!(
        w.services
            .vaults
            .list(&w.proof())
            .await
            .unwrap()
            .vaults
            .is_empty()
    );
    assert!(
        w.services
            .vaults
            .delivered_to(&w.member)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn a_personal_vault_ends_with_the_membership(db: Db) {
    let w = Workspace::new(db).await;
    w.services
        .vaults
        .save_personal(&w.member, json_form(r#"{"x": 1}"#))
        .await
        .unwrap();
    w.services
        .users
        .remove(&w.proof(), &w.bob.id)
        .await
        .unwrap();
    let mut conn = w.conn().await;
    let left: Vec<(String,)> = sqlx::query_as("SELECT id FROM vaults")
        .fetch_all(&mut *conn)
        .await
        .unwrap();
    assert!(left.is_empty());
}

async fn two_administrator_vaults_cannot_share_a_name(db: Db) {
    let w = Workspace::new(db).await;
    group_vault(&w, "Users", "defaults", "{}").await;
    let groups = w.services.vaults.list(&w.proof()).await.unwrap().groups;
    let admins = groups
        .iter()
        .find(|g| g.name == "Admins")
        .unwrap()
        .id
        .clone();
    let e = w
        .services
        .vaults
        .save(
            &w.proof(),
            VaultForm {
                name: "defaults".into(),
                group_id: Some(admins),
                ..json_form("{}")
            },
        )
        .await
        .unwrap_err();
    assert_eq!(e.field(), Some("name"), "{e:?}");
}

crate::on_both_databases!(
    two_administrator_vaults_cannot_share_a_name,
    a_personal_vault_is_created_then_saved_from_the_version_read,
    a_stale_save_is_a_conflict_and_changes_nothing,
    concurrent_saves_of_one_vault_let_exactly_one_win,
    bad_content_is_refused_and_nothing_is_stored,
    vault_text_and_data_are_sealed_at_rest,
    members_receive_their_groups_vaults_then_their_own_in_order,
    disabled_vaults_are_not_delivered_but_are_previewed_as_disabled,
    the_preview_says_which_vault_set_each_key_and_what_it_overrode,
    members_preview_only_themselves,
    an_impersonating_token_cannot_change_a_vault,
    members_delete_only_their_own_vault_and_admins_any_group_vault,
    a_groups_vaults_go_with_the_group,
    a_personal_vault_ends_with_the_membership,
);
