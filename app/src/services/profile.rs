//! Profile: the current user's name, login and role.

use serde_json::json;

use app::api::profile::Profile;
use app::domain::audit::AuditObject;
use app::domain::{AppError, Identity, validate};

use super::Object;
use crate::state::Core;
use crate::store::{self, Conn};

#[derive(Debug)]
pub struct ProfileService {
    pub core: std::sync::Arc<Core>,
}

impl ProfileService {
    async fn load_profile(&self, conn: &mut Conn, who: &Identity) -> Result<Profile, AppError> {
        let user = store::users::get_user(conn, &who.user_id)
            .await?
            .ok_or(AppError::Unauthorized)?;
        Ok(Profile {
            user_id: user.id,
            name: user.name,
            username: user.username,
            email: user.email,
            workspace_name: who.workspace_name.clone(),
            role: who.role,
            created_ms: user.created_ms,
        })
    }

    pub async fn get(&self, who: &Identity) -> Result<Profile, AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        self.load_profile(&mut conn, who).await
    }

    pub async fn rename(&self, who: &Identity, name: &str) -> Result<Profile, AppError> {
        let name = validate::display_name("name", name)?;
        let mut tx = self.core.begin(who).await?;
        let now = tx.now();
        let before = self.load_profile(&mut tx, who).await?;
        if before.name == name {
            return Ok(before);
        }
        store::users::rename_user(&mut tx, &who.user_id, &name, now).await?;
        tx.audit(
            "user.rename",
            Object {
                kind: AuditObject::User,
                id: &who.user_id,
                name: &before.email,
            },
            &json!({"before": {"name": before.name}, "after": {"name": name}}),
        )
        .await?;
        tx.commit().await?;
        Ok(Profile { name, ..before })
    }
}
