//! Read caches for the API's hot path (credentials behind keys and tokens, the current user), kept
//! correct by invalidation: every committed user action clears them on this replica at once and, on
//! PostgreSQL, tells the other replicas through `NOTIFY` to clear theirs. A short time-to-live bounds
//! staleness if a notification is ever lost (a replica whose listener reconnects also clears).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::RwLock;

/// How long an entry may be served without being read again from the database.
pub const TTL_MS: i64 = 5_000;
/// Past this many entries a map is emptied rather than grown (a simple bound on memory).
const MAX_ENTRIES: usize = 100_000;

/// How long a workspace's access rules may be served from memory. Reading them again is costly at
/// scale (a second for 130,000 rules), and every change clears them on every replica at once, so
/// the bound only matters if a notification is lost.
pub const ACCESS_TTL_MS: i64 = 60_000;

/// A map of values with the time each was read.
#[derive(Debug)]
pub struct TtlMap<K, V> {
    inner: RwLock<HashMap<K, (V, i64)>>,
    ttl_ms: i64,
}

impl<K, V> Default for TtlMap<K, V> {
    fn default() -> Self {
        Self::with_ttl(TTL_MS)
    }
}

impl<K, V> TtlMap<K, V> {
    /// A map whose entries live `ttl_ms`.
    pub fn with_ttl(ttl_ms: i64) -> Self {
        Self {
            inner: RwLock::new(HashMap::new()),
            ttl_ms,
        }
    }
}

impl<K: Eq + Hash, V: Clone> TtlMap<K, V> {
    pub fn get<Q>(&self, key: &Q, now_ms: i64) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Eq + Hash + ?Sized,
    {
        let map = self.inner.read().ok()?;
        map.get(key)
            .filter(|(_, at)| now_ms - at < self.ttl_ms && now_ms >= *at)
            .map(|(v, _)| v.clone())
    }

    pub fn put(&self, key: K, value: V, now_ms: i64) {
        if let Ok(mut map) = self.inner.write() {
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
            map.insert(key, (value, now_ms));
        }
    }

    pub fn clear(&self) {
        if let Ok(mut map) = self.inner.write() {
            map.clear();
        }
    }
}

/// The caches, cleared together.
#[derive(Debug)]
pub struct Caches {
    /// Credential rows (with the identity they act as), by credential id.
    pub credentials: TtlMap<String, std::sync::Arc<crate::store::credentials::AuthRow>>,
    /// Credential ids by access key.
    pub access_keys: TtlMap<String, String>,
    /// Tokens whose signature was checked and that were not logged out (a token's bytes always
    /// verify the same way, so only its expiry and credential need checking again).
    pub tokens: TtlMap<String, CheckedToken>,
    /// Identities that tokens impersonate, by user and workspace.
    pub impersonated: TtlMap<(String, String), app::domain::Identity>,
    /// `users.get_current_user` answers (the serialized `data`), by user and workspace: the SDK and
    /// agents call it often, and serializing it is most of its cost.
    pub current_users: TtlMap<(String, String), std::sync::Arc<serde_json::value::RawValue>>,
    /// Each workspace's access rules, group memberships and project tree, by workspace id.
    pub access: TtlMap<String, std::sync::Arc<crate::services::access_rules::WorkspaceAccess>>,
}

impl Default for Caches {
    fn default() -> Self {
        Self {
            credentials: TtlMap::default(),
            access_keys: TtlMap::default(),
            tokens: TtlMap::default(),
            impersonated: TtlMap::default(),
            current_users: TtlMap::default(),
            access: TtlMap::with_ttl(ACCESS_TTL_MS),
        }
    }
}

impl Caches {
    pub fn clear(&self) {
        self.credentials.clear();
        self.access_keys.clear();
        self.tokens.clear();
        self.impersonated.clear();
        self.current_users.clear();
        self.access.clear();
    }
}

/// What a checked token says.
#[derive(Debug, Clone)]
pub struct CheckedToken {
    /// The token's own id (its `session_id` claim), by which `auth.logout` ends it.
    pub id: String,
    /// The credential it was issued from.
    pub credential_id: String,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    pub impersonated: Option<String>,
    pub impersonated_since: Option<i64>,
}

/// The PostgreSQL channel replicas announce their changes on.
pub const CHANNEL: &str = "atrium_changes";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_clear() {
        let m: TtlMap<&str, i32> = TtlMap::default();
        m.put("a", 1, 1_000);
        assert_eq!(m.get(&"a", 1_000 + TTL_MS - 1), Some(1));
        assert_eq!(m.get(&"a", 1_000 + TTL_MS), None);
        assert_eq!(
            m.get(&"a", 999),
            None,
            "an entry from the future (clock moved back) is not trusted"
        );
        m.put("a", 2, 5_000);
        m.clear();
        assert_eq!(m.get(&"a", 5_000), None);
    }
}
