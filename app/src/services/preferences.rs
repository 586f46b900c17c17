//! Configuration → UI preferences: stored per user as JSON, validated by the domain's rules.

use app::domain::audit::AuditObject;
use app::domain::preferences::Preferences;
use app::domain::{AppError, Identity};

use super::{Object, internal};
use crate::state::Core;
use crate::store::{self, Conn};

#[derive(Debug)]
pub struct PreferencesService {
    pub core: std::sync::Arc<Core>,
}

pub async fn load_preferences(conn: &mut Conn, user_id: &str) -> Result<Preferences, AppError> {
    let stored = store::users::user_preferences(conn, user_id).await?;
    Ok(stored
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default())
}

impl PreferencesService {
    pub async fn get(&self, who: &Identity) -> Result<Preferences, AppError> {
        let mut conn = self.core.db.pool.acquire().await?;
        load_preferences(&mut conn, &who.user_id).await
    }

    pub async fn save(&self, who: &Identity, prefs: Preferences) -> Result<Preferences, AppError> {
        let prefs = prefs.validated()?;
        let mut tx = self.core.begin(who).await?;
        let now = tx.now();
        let before = load_preferences(&mut tx, &who.user_id).await?;
        if before == prefs {
            return Ok(prefs);
        }
        let json = serde_json::to_value(&prefs).map_err(internal)?;
        store::users::save_user_preferences(&mut tx, &who.user_id, &json.to_string(), now).await?;
        let before_json = serde_json::to_value(&before).map_err(internal)?;
        tx.audit(
            "preferences.update",
            Object {
                kind: AuditObject::Preferences,
                id: &who.user_id,
                name: &who.email,
            },
            &app::domain::audit::change_summary(&before_json, &json),
        )
        .await?;
        tx.commit().await?;
        Ok(prefs)
    }
}
