//! Service accounts: users of kind `service` in one workspace, administered by its admins, using
//! API credentials only (the console refuses them at login). Deleting one revokes its credentials
//! and ends its membership; its user row stays, so what it created still names it.

use std::sync::Arc;

use serde_json::json;

use app::api::service_accounts::{CreatedServiceAccount, ServiceAccount};
use app::domain::credentials::{self, CredentialInfo, NewCredential};
use app::domain::identity::Admin;
use app::domain::{AppError, Identity, Role, validate};

use super::credentials::{CredentialsService, new_access_key, new_secret};
use super::{Object, Write};
use crate::crypto;
use crate::state::Core;
use crate::store::{self, Conn, users::UserRow};
use app::domain::audit::AuditObject;

#[derive(Debug)]
pub struct ServiceAccountsService {
    pub core: Arc<Core>,
    pub credentials: Arc<CredentialsService>,
}

fn view(r: store::service_accounts::ServiceAccountRow) -> ServiceAccount {
    ServiceAccount {
        groups: vec!["Users".into()],
        id: r.id,
        name: r.name,
        username: r.username,
        allow_impersonation: r.allow_impersonation,
        credentials: r.credentials,
        last_active_ms: r.last_active_ms,
        created_ms: r.created_ms,
    }
}

/// A login name for a service account: `sa-` and the name, lower-cased, with a random suffix.
fn username_for(name: &str) -> String {
    let slug: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let slug: String = slug.chars().take(24).collect();
    format!(
        "sa-{}{}{}",
        slug,
        if slug.is_empty() { "" } else { "-" },
        &crypto::new_id()[..6]
    )
}

impl ServiceAccountsService {
    async fn find(
        &self,
        conn: &mut Conn,
        who: &Identity,
        id: &str,
    ) -> Result<ServiceAccount, AppError> {
        store::service_accounts::list(conn, &who.workspace_id)
            .await?
            .into_iter()
            .find(|s| s.id == id)
            .map(view)
            .ok_or_else(|| AppError::not_found("service account in this workspace"))
    }

    /// Inserts a key pair for the account inside the caller's transaction.
    async fn new_key(
        &self,
        tx: &mut Write<'_>,
        who: &Identity,
        account_id: &str,
        label: &str,
        now: i64,
    ) -> Result<NewCredential, AppError> {
        let label = credentials::label(label)?;
        let max_days = store::workspaces::membership(tx, &who.user_id, &who.workspace_id)
            .await?
            .and_then(|m| m.max_credential_days);
        let expires_ms = credentials::expiry(now, None, max_days)?;
        let (access_key, secret) = (new_access_key(), new_secret());
        store::credentials::insert(
            tx,
            store::credentials::NewCredentialRow {
                id: &crypto::new_id(),
                access_key: &access_key,
                secret_hash: &self.credentials.secret_hash(&secret),
                user_id: account_id,
                workspace_id: &who.workspace_id,
                label: &label,
                created_ms: now,
                created_by: &who.user_id,
                expires_ms,
            },
        )
        .await?;
        tx.audit_as(
            who,
            "service_account.credentials.create",
            Object {
                kind: AuditObject::ServiceAccount,
                id: account_id,
                name: &access_key,
            },
            &json!({"after": {"access_key": access_key, "label": label}}),
        )
        .await?;
        let hosts = self.credentials.hosts();
        Ok(NewCredential {
            config_section: credentials::config_section(&hosts, &access_key, &secret),
            jupyter: credentials::jupyter_lines(&hosts, &access_key, &secret),
            info: CredentialInfo {
                access_key,
                label,
                workspace_id: who.workspace_id.clone(),
                workspace_name: who.workspace_name.clone(),
                created_ms: now,
                expires_ms,
                last_used_ms: None,
                last_used_from: None,
            },
            secret_key: secret,
        })
    }
}

impl ServiceAccountsService {
    pub async fn list(&self, who: &Admin<'_>) -> Result<Vec<ServiceAccount>, AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        let mut groups =
            super::groups::groups_by_user(&mut conn, &who.workspace_id, self.core.clock.now_ms())
                .await?;
        Ok(store::service_accounts::list(&mut conn, &who.workspace_id)
            .await?
            .into_iter()
            .map(|r| {
                let names = groups.remove(&r.id);
                ServiceAccount {
                    groups: names.unwrap_or_else(|| vec!["Users".into()]),
                    ..view(r)
                }
            })
            .collect())
    }

    pub async fn create(
        &self,
        who: &Admin<'_>,
        name: &str,
        allow_impersonation: bool,
    ) -> Result<CreatedServiceAccount, AppError> {
        let name = validate::display_name("name", name)?;
        let mut tx = self.core.begin(who).await?;
        let now = tx.now();
        let username = username_for(&name);
        let user = UserRow {
            id: crypto::new_id(),
            email: format!("{username}@service-account.invalid"),
            username,
            name: name.clone(),
            password_hash: None,
            kind: "service".into(),
            created_ms: now,
        };
        store::users::insert_user(&mut tx, &user).await?;
        store::users::add_membership(&mut tx, &who.workspace_id, &user.id, Role::Member, now)
            .await?;
        store::service_accounts::set_impersonation(&mut tx, &user.id, allow_impersonation).await?;
        tx.audit(
            "service_account.create",
            Object {
                kind: AuditObject::ServiceAccount,
                id: &user.id,
                name: &name,
            },
            &json!({"after": {"name": name, "allow_impersonation": allow_impersonation}}),
        )
        .await?;
        let key = self.new_key(&mut tx, who, &user.id, "initial", now).await?;
        let account = self.find(&mut tx, who, &user.id).await?;
        tx.commit().await?;
        Ok(CreatedServiceAccount {
            account,
            credentials: key,
        })
    }

    pub async fn update(
        &self,
        who: &Admin<'_>,
        id: &str,
        name: &str,
        allow_impersonation: bool,
    ) -> Result<(), AppError> {
        let name = validate::display_name("name", name)?;
        let mut tx = self.core.begin(who).await?;
        let now = tx.now();
        let before = self.find(&mut tx, who, id).await?;
        store::users::rename_user(&mut tx, id, &name, now).await?;
        store::service_accounts::set_impersonation(&mut tx, id, allow_impersonation).await?;
        tx.audit(
            "service_account.update",
            Object {
                kind: AuditObject::ServiceAccount,
                id,
                name: &name,
            },
            &app::domain::audit::change_summary(
                &json!({"name": before.name, "allow_impersonation": before.allow_impersonation}),
                &json!({"name": name, "allow_impersonation": allow_impersonation}),
            ),
        )
        .await?;
        tx.commit().await
    }

    pub async fn delete(&self, who: &Admin<'_>, id: &str) -> Result<(), AppError> {
        let mut tx = self.core.begin(who).await?;
        let now = tx.now();
        let account = self.find(&mut tx, who, id).await?;
        let revoked = super::end_membership(&mut tx, id, &who.workspace_id, now).await?;
        store::service_accounts::mark_deleted(&mut tx, id).await?;
        tx.audit(
            "service_account.delete",
            Object {
                kind: AuditObject::ServiceAccount,
                id,
                name: &account.name,
            },
            &json!({"before": {"name": account.name}, "after": {"credentials_revoked": revoked}}),
        )
        .await?;
        tx.commit().await
    }

    pub async fn credentials(
        &self,
        who: &Admin<'_>,
        id: &str,
    ) -> Result<Vec<CredentialInfo>, AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        self.find(&mut conn, who, id).await?;
        store::credentials::list_for_user(&mut conn, id)
            .await
            .map_err(AppError::from)
    }

    pub async fn create_credentials(
        &self,
        who: &Admin<'_>,
        id: &str,
        label: &str,
    ) -> Result<NewCredential, AppError> {
        let mut tx = self.core.begin(who).await?;
        let now = tx.now();
        self.find(&mut tx, who, id).await?;
        let key = self.new_key(&mut tx, who, id, label, now).await?;
        tx.commit().await?;
        Ok(key)
    }

    pub async fn revoke_credentials(
        &self,
        who: &Admin<'_>,
        id: &str,
        access_key: &str,
    ) -> Result<(), AppError> {
        let mut tx = self.core.begin(who).await?;
        let now = tx.now();
        self.find(&mut tx, who, id).await?;
        let (cred_id, info) = store::credentials::find_owned(&mut tx, id, access_key.trim())
            .await?
            .ok_or_else(|| AppError::not_found("credentials of this service account"))?;
        store::credentials::revoke(&mut tx, &cred_id, now).await?;
        tx.audit(
            "service_account.credentials.revoke",
            Object {
                kind: AuditObject::ServiceAccount,
                id,
                name: &info.access_key,
            },
            &json!({"before": {"access_key": info.access_key, "label": info.label}}),
        )
        .await?;
        tx.commit().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_slugs_with_a_suffix() {
        let u = username_for("CI Runner #1");
        assert!(
            u.starts_with("sa-ci-runner-1-") && u.len() == "sa-ci-runner-1-".len() + 6,
            "{u}"
        );
        assert!(validate::username("username", &u).is_ok());
        assert!(username_for("!!!").starts_with("sa-"));
    }
}
