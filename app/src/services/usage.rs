//! API calls per workspace per day (UTC). Counting every call with its own write would make the
//! database the bottleneck of the API, so calls are counted in memory and added to the stored
//! totals every few seconds (and at shutdown); each replica adds its own share.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, RwLock};

use crate::db::Db;
use crate::store;

/// Pending counts by day (`YYYY-MM-DD`) and workspace. Nested so that counting a call on a day and
/// in a workspace already seen allocates nothing.
#[derive(Debug, Default)]
pub struct UsageCounter {
    pending: Mutex<HashMap<String, HashMap<String, i64>>>,
    /// Workspaces whose API calls are refused for the rest of the month: on Free, past the Free
    /// allowance, when the price table sets hard limits (see `BillingService::refresh_api_limits`).
    blocked: RwLock<HashSet<String>>,
}

/// `YYYY-MM` of a time.
pub fn month_of(ms: i64) -> String {
    app::domain::timefmt::iso_utc(ms)[..7].to_string()
}

/// `YYYY-MM-DD` of a time.
pub fn day_of(ms: i64) -> String {
    app::domain::timefmt::iso_utc(ms)[..10].to_string()
}

/// The day of a time, remembered per thread.
fn cached_day(ms: i64) -> String {
    thread_local! {
        static LAST: std::cell::RefCell<(i64, String)> = const { std::cell::RefCell::new((i64::MIN, String::new())) };
    }
    let day = ms.div_euclid(86_400_000);
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if last.0 != day {
            *last = (day, day_of(ms));
        }
        last.1.clone()
    })
}

impl UsageCounter {
    /// Whether the workspace's API calls are refused (hard limits).
    pub fn is_blocked(&self, workspace_id: &str) -> bool {
        self.blocked
            .read()
            .is_ok_and(|b| !b.is_empty() && b.contains(workspace_id))
    }

    /// The workspaces whose API calls are refused from now on.
    pub fn set_blocked(&self, workspaces: HashSet<String>) {
        if let Ok(mut b) = self.blocked.write() {
            *b = workspaces;
        }
    }

    /// Lets a workspace's calls through again (it moved to Pro).
    pub fn unblock(&self, workspace_id: &str) {
        if let Ok(mut b) = self.blocked.write() {
            b.remove(workspace_id);
        }
    }

    pub fn record(&self, workspace_id: &str, now_ms: i64) {
        let day = cached_day(now_ms);
        if let Ok(mut p) = self.pending.lock() {
            let by_ws = p.entry(day).or_default();
            match by_ws.get_mut(workspace_id) {
                Some(n) => *n += 1,
                None => {
                    by_ws.insert(workspace_id.to_string(), 1);
                }
            }
        }
    }

    /// Adds the pending counts to the database; counts that fail to be written are kept for the
    /// next flush.
    pub async fn flush(&self, db: &Db) {
        let batch: Vec<((String, String), i64)> = match self.pending.lock() {
            Ok(mut p) => p
                .drain()
                .flat_map(|(day, by_ws)| {
                    by_ws.into_iter().map(move |(ws, n)| ((ws, day.clone()), n))
                })
                .collect(),
            Err(_) => return,
        };
        for ((ws, day), n) in batch {
            let written = match db.pool.acquire().await {
                Ok(mut conn) => store::workspaces::add_api_calls(&mut conn, &ws, &day, n)
                    .await
                    .is_ok(),
                Err(_) => false,
            };
            if !written && let Ok(mut p) = self.pending.lock() {
                *p.entry(day).or_default().entry(ws).or_insert(0) += n;
            }
        }
    }
}
