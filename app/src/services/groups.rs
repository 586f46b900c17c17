//! User groups. Users is everyone (members and service accounts) and cannot be edited; Admins is
//! the workspace's administrators, so editing it changes roles (and keeps at least one); Queue
//! admins and the workspace's own groups keep their member lists. Deleting a group of the
//! workspace's own removes it and its memberships in one transaction: whatever was granted
//! through it goes with it (access rules, vaults and policies that name groups arrive later and
//! are detached in the same transaction).

use std::sync::Arc;

use serde_json::json;

use app::api::groups::{Group, GroupCandidate, GroupsOverview};
use app::domain::identity::Admin;
use app::domain::{AppError, Role, validate};

use super::Object;
use crate::crypto;
use crate::state::Core;
use crate::store::{self, Conn};
use app::domain::audit::AuditObject;

#[derive(Debug)]
pub struct GroupsService {
    pub core: Arc<Core>,
}

async fn candidates(
    conn: &mut Conn,
    workspace_id: &str,
) -> Result<Vec<(GroupCandidate, Role)>, AppError> {
    Ok(store::workspaces::members(conn, workspace_id)
        .await?
        .into_iter()
        .map(|m| {
            (
                GroupCandidate {
                    service_account: m.kind == "service",
                    email: if m.kind == "service" {
                        m.username.clone()
                    } else {
                        m.email.clone()
                    },
                    id: m.user_id,
                    name: m.name,
                },
                m.role,
            )
        })
        .collect())
}

/// The groups each user is in, by user id: Users for everyone, Admins for administrators, and
/// the stored groups (Queue admins and the workspace's own).
pub async fn groups_by_user(
    conn: &mut Conn,
    workspace_id: &str,
    now_ms: i64,
) -> Result<std::collections::HashMap<String, Vec<String>>, AppError> {
    store::groups::ensure_builtins(conn, workspace_id, now_ms).await?;
    let mut out: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    for (c, role) in candidates(conn, workspace_id).await? {
        let mut names = vec!["Users".to_string()];
        if role == Role::Admin && !c.service_account {
            names.push("Admins".into());
        }
        out.insert(c.id, names);
    }
    for g in store::groups::list(conn, workspace_id).await? {
        if matches!(g.builtin.as_deref(), Some("users") | Some("admins")) {
            continue;
        }
        for u in store::groups::members(conn, &g.id).await? {
            if let Some(names) = out.get_mut(&u) {
                names.push(g.name.clone());
            }
        }
    }
    Ok(out)
}

impl GroupsService {
    pub async fn overview(&self, who: &Admin<'_>) -> Result<GroupsOverview, AppError> {
        let now = self.core.clock.now_ms();
        let mut conn = self.core.db.pool.acquire().await?;
        store::groups::ensure_builtins(&mut conn, &who.workspace_id, now).await?;
        let everyone = candidates(&mut conn, &who.workspace_id).await?;
        let mut groups = vec![];
        for g in store::groups::list(&mut conn, &who.workspace_id).await? {
            let members: Vec<GroupCandidate> = match g.builtin.as_deref() {
                Some("users") => everyone.iter().map(|(c, _)| c.clone()).collect(),
                Some("admins") => everyone
                    .iter()
                    .filter(|(_, r)| *r == Role::Admin)
                    .map(|(c, _)| c.clone())
                    .collect(),
                _ => {
                    let ids = store::groups::members(&mut conn, &g.id).await?;
                    everyone
                        .iter()
                        .filter(|(c, _)| ids.contains(&c.id))
                        .map(|(c, _)| c.clone())
                        .collect()
                }
            };
            groups.push(Group {
                editable_members: g.builtin.as_deref() != Some("users"),
                id: g.id,
                name: g.name,
                description: g.description,
                builtin: g.builtin,
                members,
            });
        }
        Ok(GroupsOverview {
            groups,
            candidates: everyone.into_iter().map(|(c, _)| c).collect(),
        })
    }

    pub async fn save(
        &self,
        who: &Admin<'_>,
        id: Option<&str>,
        name: &str,
        description: &str,
        members: &[String],
    ) -> Result<(), AppError> {
        let name = validate::display_name("name", name)?;
        let description = description.trim().to_string();
        if description.chars().count() > 300 {
            return Err(AppError::validation(
                "description",
                "Description must be at most 300 characters.",
            ));
        }
        let mut tx = self.core.begin(who).await?;
        let now = tx.now();
        store::groups::ensure_builtins(&mut tx, &who.workspace_id, now).await?;
        let everyone = candidates(&mut tx, &who.workspace_id).await?;
        let mut wanted: Vec<String> = vec![];
        for m in members {
            if !everyone.iter().any(|(c, _)| &c.id == m) {
                return Err(AppError::validation(
                    "members",
                    "Only members and service accounts of this workspace can be in its groups.",
                ));
            }
            if !wanted.contains(m) {
                wanted.push(m.clone());
            }
        }
        let existing = store::groups::list(&mut tx, &who.workspace_id).await?;
        // People are named by e-mail in the audit entry, service accounts by login name.
        let label = |uid: &str| {
            everyone
                .iter()
                .find(|(c, _)| c.id == uid)
                .map(|(c, _)| c.email.clone())
                .unwrap_or_else(|| uid.to_string())
        };
        let mut previous: Vec<String> = vec![];
        let mut roles_before = serde_json::Map::new();
        let mut roles_after = serde_json::Map::new();
        let (group_id, before) = match id {
            None => {
                let gid = crypto::new_id();
                store::groups::insert(&mut tx, &gid, &who.workspace_id, &name, &description, now)
                    .await?;
                store::groups::set_members(&mut tx, &gid, &wanted).await?;
                (gid, json!({}))
            }
            Some(gid) => {
                let g = existing
                    .iter()
                    .find(|g| g.id == gid)
                    .ok_or_else(|| AppError::not_found("group"))?;
                let before = json!({"name": g.name, "description": g.description});
                previous = match g.builtin.as_deref() {
                    Some("admins") => everyone
                        .iter()
                        .filter(|(c, r)| *r == Role::Admin && !c.service_account)
                        .map(|(c, _)| c.id.clone())
                        .collect(),
                    _ => store::groups::members(&mut tx, gid).await?,
                };
                match g.builtin.as_deref() {
                    Some("users") => {
                        return Err(AppError::forbidden(
                            "edit the Users group: it is everyone in the workspace",
                        ));
                    }
                    Some("admins") => {
                        // The Admins group is the administrator role.
                        if wanted.is_empty() {
                            return Err(AppError::validation(
                                "members",
                                "A workspace keeps at least one administrator.",
                            ));
                        }
                        if wanted.iter().any(|u| {
                            everyone
                                .iter()
                                .any(|(c, _)| &c.id == u && c.service_account)
                        }) {
                            return Err(AppError::validation(
                                "members",
                                "Service accounts cannot be administrators.",
                            ));
                        }
                        if let Some(owner) = store::workspaces::owner(&mut tx, &who.workspace_id)
                            .await?
                            .filter(|o| everyone.iter().any(|(c, _)| &c.id == o))
                            && !wanted.contains(&owner)
                        {
                            return Err(AppError::validation(
                                "members",
                                format!(
                                    "{} owns this workspace and stays an administrator.",
                                    label(&owner)
                                ),
                            ));
                        }
                        for (c, role) in &everyone {
                            let want = if wanted.contains(&c.id) {
                                Role::Admin
                            } else {
                                Role::Member
                            };
                            if *role != want && !c.service_account {
                                store::workspaces::set_role(
                                    &mut tx,
                                    &who.workspace_id,
                                    &c.id,
                                    want,
                                )
                                .await?;
                                roles_before.insert(c.email.clone(), json!(role.as_str()));
                                roles_after.insert(c.email.clone(), json!(want.as_str()));
                                // The role change is also on the person's record, as when it
                                // is made in the Users table.
                                tx.audit("member.role",
                                    Object { kind: AuditObject::User, id: &c.id, name: &c.email },
                                    &json!({"before": {"role": role.as_str()},
                                            "after": {"role": want.as_str(), "via": "Admins group"}}),
                                )
                                .await?;
                            }
                        }
                    }
                    _ => {
                        if g.builtin.is_none() {
                            store::groups::update(&mut tx, gid, &name, &description).await?;
                        }
                        store::groups::set_members(&mut tx, gid, &wanted).await?;
                    }
                }
                (gid.to_string(), before)
            }
        };
        let added: Vec<String> = wanted
            .iter()
            .filter(|u| !previous.contains(u))
            .map(|u| label(u))
            .collect();
        let removed: Vec<String> = previous
            .iter()
            .filter(|u| !wanted.contains(u))
            .map(|u| label(u))
            .collect();
        let mut before = before;
        let mut after = json!({"name": name, "description": description, "members": wanted.len(),
                               "added": added, "removed": removed});
        if id.is_some() {
            before["members"] = json!(previous.len());
        }
        if !roles_after.is_empty() {
            before["roles"] = serde_json::Value::Object(roles_before);
            after["roles"] = serde_json::Value::Object(roles_after);
        }
        tx.audit(
            if id.is_some() {
                "group.update"
            } else {
                "group.create"
            },
            Object {
                kind: AuditObject::Group,
                id: &group_id,
                name: &name,
            },
            &json!({"before": before, "after": after}),
        )
        .await?;
        tx.commit().await
    }

    pub async fn delete(&self, who: &Admin<'_>, id: &str) -> Result<(), AppError> {
        let mut tx = self.core.begin(who).await?;
        let g = store::groups::list(&mut tx, &who.workspace_id)
            .await?
            .into_iter()
            .find(|g| g.id == id)
            .ok_or_else(|| AppError::not_found("group"))?;
        if g.builtin.is_some() {
            return Err(AppError::forbidden(format!(
                "delete the built-in {} group",
                g.name
            )));
        }
        let members = store::groups::members(&mut tx, id).await?;
        let vaults = store::vaults::delete_for_group(&mut tx, id).await?;
        let grants = store::access_rules::remove_subject(&mut tx, &who.workspace_id, id).await?;
        store::groups::delete(&mut tx, id).await?;
        tx.audit(
            "group.delete",
            Object {
                kind: AuditObject::Group,
                id,
                name: &g.name,
            },
            &json!({"before": {"name": g.name, "members": members.len(), "vaults": vaults, "access_rule_grants": grants}}),
        )
        .await?;
        tx.commit().await
    }
}
