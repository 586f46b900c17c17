//! API calls per workspace per month. Counting every call with its own write would make the
//! database the bottleneck of the API, so calls are counted in memory and added to the stored
//! totals every few seconds (and at shutdown); each replica adds its own share.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::db::Db;
use crate::store;

#[derive(Debug, Default)]
pub struct UsageCounter {
    pending: Mutex<HashMap<(String, String), i64>>,
}

/// `YYYY-MM` of a time.
pub fn month_of(ms: i64) -> String {
    app::domain::timefmt::iso_utc(ms)[..7].to_string()
}

impl UsageCounter {
    pub fn record(&self, workspace_id: &str, now_ms: i64) {
        if let Ok(mut p) = self.pending.lock() {
            *p.entry((workspace_id.to_string(), month_of(now_ms)))
                .or_insert(0) += 1;
        }
    }

    /// Adds the pending counts to the database; counts that fail to be written are kept for the
    /// next flush.
    pub async fn flush(&self, db: &Db) {
        let batch: Vec<((String, String), i64)> = match self.pending.lock() {
            Ok(mut p) => p.drain().collect(),
            Err(_) => return,
        };
        for ((ws, month), n) in batch {
            let written = match db.pool.acquire().await {
                Ok(mut conn) => store::workspaces::add_api_calls(&mut conn, &ws, &month, n)
                    .await
                    .is_ok(),
                Err(_) => false,
            };
            if !written && let Ok(mut p) = self.pending.lock() {
                *p.entry((ws, month)).or_insert(0) += n;
            }
        }
    }
}
