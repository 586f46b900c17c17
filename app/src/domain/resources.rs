//! Resource configuration: pools of resources (GPUs), profiles that say how much one job takes and
//! which pools it may run on, and policies that give a user group a reservation and a limit through
//! queues. This module holds the exact amounts and the configuration's checks; the allocator that
//! admits queued jobs onto pools is [`allocator`].

pub mod allocator;
pub mod pending;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};

use super::AppError;

/// An amount of resources with two decimal places (0.25, 0.5, 4), held as hundredths so that
/// adding and taking away jobs never drifts.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct Amount(pub i64);

impl Amount {
    pub const ZERO: Amount = Amount(0);

    /// Whole resources.
    pub fn units(n: i64) -> Amount {
        Amount(n * 100)
    }

    /// Reads "4", "0.5", "0.25" or "1.50" (at most two decimal places, not negative, at most
    /// 1,000,000); `field` names the input in the error.
    pub fn parse(field: &str, raw: &str) -> Result<Amount, AppError> {
        let t = raw.trim();
        let bad = || {
            AppError::validation(
                field,
                format!(
                    "\"{t}\" is not an amount: use a number with at most two decimals, such as 4, 0.5 or 0.25."
                ),
            )
        };
        let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
        if whole.is_empty() && frac.is_empty()
            || !whole.chars().all(|c| c.is_ascii_digit())
            || !frac.chars().all(|c| c.is_ascii_digit())
            || frac.len() > 2
            || whole.len() > 7
        {
            return Err(bad());
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| bad())?
        };
        let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
        let a = Amount(whole * 100 + frac);
        if a > Amount::units(1_000_000) {
            return Err(AppError::validation(
                field,
                "An amount is at most 1,000,000.",
            ));
        }
        Ok(a)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (w, c) = (self.0 / 100, (self.0 % 100).abs());
        match c {
            0 => write!(f, "{w}"),
            c if c % 10 == 0 => write!(f, "{w}.{}", c / 10),
            c => write!(f, "{w}.{c:02}"),
        }
    }
}

impl std::ops::Add for Amount {
    type Output = Amount;
    fn add(self, o: Amount) -> Amount {
        Amount(self.0 + o.0)
    }
}

impl std::ops::Sub for Amount {
    type Output = Amount;
    fn sub(self, o: Amount) -> Amount {
        Amount(self.0 - o.0)
    }
}

impl std::ops::AddAssign for Amount {
    fn add_assign(&mut self, o: Amount) {
        self.0 += o.0;
    }
}

impl std::ops::SubAssign for Amount {
    fn sub_assign(&mut self, o: Amount) {
        self.0 -= o.0;
    }
}

/// A pool of resources and its execution priority: the profiles linked to it, those whose jobs
/// get it first at the front.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Pool {
    pub id: String,
    pub name: String,
    pub capacity: Amount,
    pub description: String,
    pub priority: Vec<String>,
}

/// A profile: what one job takes, and the pools it may run on, the preferred one first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Profile {
    pub id: String,
    pub name: String,
    pub allotment: Amount,
    /// The links to pools, in precedence order.
    pub links: Vec<Link>,
    /// The policies whose queues expose this profile, the one whose jobs go first at the front.
    pub policy_priority: Vec<String>,
}

/// A named link from a profile to a pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Link {
    pub name: String,
    pub pool: String,
}

/// A policy: a user group's reservation (resources guaranteed while it has jobs waiting) and
/// limit (the most it uses at once), and its queues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Policy {
    pub id: String,
    pub name: String,
    pub group: String,
    pub reservation: Amount,
    pub limit: Amount,
    pub description: String,
    /// Its queues, in order; each exposes one profile.
    pub queues: Vec<PolicyQueue>,
}

impl Policy {
    /// A policy with this id and nothing else yet.
    pub fn empty(id: String) -> Policy {
        Policy {
            id,
            name: String::new(),
            group: String::new(),
            reservation: Amount::ZERO,
            limit: Amount::ZERO,
            description: String::new(),
            queues: vec![],
        }
    }
}

/// A policy as an editor describes it: new ones and new queues come without ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyDraft {
    pub id: Option<String>,
    pub name: String,
    pub group: String,
    pub reservation: Amount,
    pub limit: Amount,
    pub description: String,
    /// Each queue's id (absent: a new queue), name and profile.
    pub queues: Vec<(Option<String>, String, String)>,
}

/// A queue of a policy, exposing one profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct PolicyQueue {
    pub id: String,
    pub name: String,
    pub profile: String,
}

/// A workspace's resource configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Configuration {
    pub pools: Vec<Pool>,
    pub profiles: Vec<Profile>,
    pub policies: Vec<Policy>,
}

/// A job waiting in a policy's queue, named by its policy and profile (the queue's identity
/// across configurations), so that another configuration can be tried on the same queues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct QueuedJob {
    pub id: String,
    pub policy: String,
    pub profile: String,
    /// Its place in its queue (smaller: older).
    pub seq: i64,
}

/// Something Validate reports (it changes nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct Finding {
    /// What the finding is about: `pool`, `profile` or `policy`, and its id.
    pub kind: String,
    pub id: String,
    pub message: String,
}

impl Configuration {
    pub fn pool(&self, id: &str) -> Option<&Pool> {
        self.pools.iter().find(|p| p.id == id)
    }

    pub fn profile(&self, id: &str) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.id == id)
    }

    /// What Validate reports: a profile linked to no pool, an allotment larger than every pool
    /// the profile links to, a limit below the reservation, a policy's reservation above the
    /// capacity of the pools its queues reach, and reservations that add up to more than the
    /// pools hold.
    pub fn findings(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        let finding = |kind: &str, id: &str, message: String| Finding {
            kind: kind.into(),
            id: id.into(),
            message,
        };
        for p in &self.profiles {
            let caps: Vec<Amount> = p
                .links
                .iter()
                .filter_map(|l| self.pool(&l.pool))
                .map(|pool| pool.capacity)
                .collect();
            if caps.is_empty() {
                out.push(finding(
                    "profile",
                    &p.id,
                    format!(
                        "Profile {} is linked to no pool: its jobs can never run.",
                        p.name
                    ),
                ));
            } else if caps.iter().all(|c| p.allotment > *c) {
                out.push(finding(
                    "profile",
                    &p.id,
                    format!(
                        "Profile {} takes {} per job, more than any pool it links to holds.",
                        p.name, p.allotment
                    ),
                ));
            }
        }
        for pol in &self.policies {
            if pol.limit < pol.reservation {
                out.push(finding(
                    "policy",
                    &pol.id,
                    format!(
                        "Policy {}'s limit ({}) is below its reservation ({}).",
                        pol.name, pol.limit, pol.reservation
                    ),
                ));
            }
            let reach: BTreeSet<&str> = pol
                .queues
                .iter()
                .filter_map(|q| self.profile(&q.profile))
                .flat_map(|p| p.links.iter().map(|l| l.pool.as_str()))
                .collect();
            let reachable: Amount = reach
                .iter()
                .filter_map(|id| self.pool(id))
                .fold(Amount::ZERO, |a, p| a + p.capacity);
            if pol.reservation > reachable {
                out.push(finding(
                    "policy",
                    &pol.id,
                    format!(
                        "Policy {} reserves {}, but the pools its queues reach hold {}.",
                        pol.name, pol.reservation, reachable
                    ),
                ));
            }
        }
        let reserved = self
            .policies
            .iter()
            .fold(Amount::ZERO, |a, p| a + p.reservation);
        let capacity = self.pools.iter().fold(Amount::ZERO, |a, p| a + p.capacity);
        if reserved > capacity {
            out.push(finding(
                "pool",
                "",
                format!(
                    "The policies reserve {reserved} in all, more than the pools hold ({capacity})."
                ),
            ));
        }
        out
    }

    /// Refuses a configuration that cannot be stored: a missing or repeated id or name, a link
    /// or a queue that names nothing, a profile twice in one policy or above its limit, a queue
    /// name used twice (pools and policy queues become queues). Each error names its field, such
    /// as `pools[1].name`. What can be stored but would not work well is [`Self::findings`].
    pub fn check(&self) -> Result<(), AppError> {
        fn name(field: String, raw: &str) -> Result<(), AppError> {
            let t = raw.trim();
            if t.is_empty() {
                return Err(AppError::validation(field, "A name is required."));
            }
            if t != raw || t.chars().count() > 100 || t.chars().any(char::is_control) {
                return Err(AppError::validation(
                    field,
                    "A name has at most 100 characters, without control characters or spaces at its ends.",
                ));
            }
            Ok(())
        }
        fn id(field: String, raw: &str, seen: &mut BTreeSet<String>) -> Result<(), AppError> {
            if raw.is_empty()
                || raw.len() > 64
                || !raw
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(AppError::validation(
                    field,
                    "An id has 1 to 64 letters, digits, '-' or '_'.",
                ));
            }
            if !seen.insert(raw.to_string()) {
                return Err(AppError::validation(
                    field,
                    format!("The id {raw} is used twice."),
                ));
            }
            Ok(())
        }
        const MAX: usize = 1_000;
        if self.pools.len() > MAX || self.profiles.len() > MAX || self.policies.len() > MAX {
            return Err(AppError::validation(
                "configuration",
                "A configuration has at most 1,000 pools, 1,000 profiles and 1,000 policies.",
            ));
        }
        let mut ids = BTreeSet::new();
        let mut queue_names: BTreeMap<String, String> = BTreeMap::new();
        let mut queue_name = |field: String, n: &str| -> Result<(), AppError> {
            name(field.clone(), n)?;
            if let Some(other) = queue_names.insert(n.to_lowercase(), field.clone()) {
                return Err(AppError::validation(
                    field,
                    format!(
                        "{n} is also the name of {other}: pools and policy queues become queues, whose names are unique."
                    ),
                ));
            }
            Ok(())
        };
        for (i, p) in self.pools.iter().enumerate() {
            id(format!("pools[{i}].id"), &p.id, &mut ids)?;
            queue_name(format!("pools[{i}].name"), &p.name)?;
            if p.capacity <= Amount::ZERO {
                return Err(AppError::validation(
                    format!("pools[{i}].capacity"),
                    "A pool holds more than 0 resources.",
                ));
            }
        }
        let mut names = BTreeSet::new();
        for (i, p) in self.profiles.iter().enumerate() {
            id(format!("profiles[{i}].id"), &p.id, &mut ids)?;
            name(format!("profiles[{i}].name"), &p.name)?;
            if !names.insert(p.name.to_lowercase()) {
                return Err(AppError::validation(
                    format!("profiles[{i}].name"),
                    format!("Another profile is named {}.", p.name),
                ));
            }
            if p.allotment <= Amount::ZERO {
                return Err(AppError::validation(
                    format!("profiles[{i}].allotment"),
                    "A job takes more than 0 resources.",
                ));
            }
            let mut linked = BTreeSet::new();
            for (j, l) in p.links.iter().enumerate() {
                name(format!("profiles[{i}].links[{j}].name"), &l.name)?;
                if self.pool(&l.pool).is_none() {
                    return Err(AppError::validation(
                        format!("profiles[{i}].links[{j}].pool"),
                        format!("No pool has the id {}.", l.pool),
                    ));
                }
                if !linked.insert(l.pool.as_str()) {
                    return Err(AppError::validation(
                        format!("profiles[{i}].links[{j}].pool"),
                        format!("Profile {} links to this pool already.", p.name),
                    ));
                }
            }
            for (j, pol) in p.policy_priority.iter().enumerate() {
                if !self.policies.iter().any(|x| &x.id == pol) {
                    return Err(AppError::validation(
                        format!("profiles[{i}].policy_priority[{j}]"),
                        format!("No policy has the id {pol}."),
                    ));
                }
            }
        }
        for (i, p) in self.pools.iter().enumerate() {
            for (j, prof) in p.priority.iter().enumerate() {
                let linked = self
                    .profile(prof)
                    .is_some_and(|f| f.links.iter().any(|l| l.pool == p.id));
                if !linked {
                    return Err(AppError::validation(
                        format!("pools[{i}].priority[{j}]"),
                        format!(
                            "No profile with the id {prof} is linked to pool {}.",
                            p.name
                        ),
                    ));
                }
            }
        }
        names.clear();
        for (i, pol) in self.policies.iter().enumerate() {
            id(format!("policies[{i}].id"), &pol.id, &mut ids)?;
            name(format!("policies[{i}].name"), &pol.name)?;
            if !names.insert(pol.name.to_lowercase()) {
                return Err(AppError::validation(
                    format!("policies[{i}].name"),
                    format!("Another policy is named {}.", pol.name),
                ));
            }
            if pol.group.is_empty() {
                return Err(AppError::validation(
                    format!("policies[{i}].group"),
                    "A policy is for a user group: pick one.",
                ));
            }
            let mut exposed = BTreeSet::new();
            for (j, q) in pol.queues.iter().enumerate() {
                id(format!("policies[{i}].queues[{j}].id"), &q.id, &mut ids)?;
                queue_name(format!("policies[{i}].queues[{j}].name"), &q.name)?;
                let field = format!("policies[{i}].queues[{j}].profile");
                let Some(profile) = self.profile(&q.profile) else {
                    return Err(AppError::validation(
                        field,
                        format!("No profile has the id {}.", q.profile),
                    ));
                };
                if !exposed.insert(q.profile.as_str()) {
                    return Err(AppError::validation(
                        field,
                        format!(
                            "Policy {} has a queue for profile {} already.",
                            pol.name, profile.name
                        ),
                    ));
                }
                if profile.allotment > pol.limit {
                    return Err(AppError::validation(
                        field,
                        format!(
                            "Profile {} takes {} per job, more than policy {}'s limit ({}): it cannot be chosen.",
                            profile.name, profile.allotment, pol.name, pol.limit
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// An id for a new pool, profile, policy or queue: `prefix`, the name's letters and digits,
    /// and a number when that is taken.
    pub fn new_id(&self, prefix: &str, name: &str) -> String {
        let slug: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == ' ')
            .map(|c| {
                if c == ' ' {
                    '-'
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .take(40)
            .collect();
        let base = format!("{prefix}-{}", slug.trim_matches('-'));
        let taken = |id: &str| {
            self.pools.iter().any(|p| p.id == id)
                || self.profiles.iter().any(|p| p.id == id)
                || self
                    .policies
                    .iter()
                    .any(|p| p.id == id || p.queues.iter().any(|q| q.id == id))
        };
        if !taken(&base) {
            return base;
        }
        (2..)
            .map(|n| format!("{base}-{n}"))
            .find(|id| !taken(id))
            .expect("an id is free")
    }

    /// Links a profile to a pool under `name`: last in the profile's precedence and in the pool's
    /// execution priority. A link that exists is renamed.
    pub fn connect(&mut self, profile: &str, pool: &str, name: &str) {
        if let Some(p) = self.profiles.iter_mut().find(|p| p.id == profile) {
            match p.links.iter_mut().find(|l| l.pool == pool) {
                Some(l) => l.name = name.to_string(),
                None => p.links.push(Link {
                    name: name.to_string(),
                    pool: pool.to_string(),
                }),
            }
        }
        if let Some(p) = self.pools.iter_mut().find(|p| p.id == pool)
            && !p.priority.iter().any(|x| x == profile)
        {
            p.priority.push(profile.to_string());
        }
    }

    /// Removes the link from a profile to a pool (and the profile from the pool's priority).
    pub fn disconnect(&mut self, profile: &str, pool: &str) {
        if let Some(p) = self.profiles.iter_mut().find(|p| p.id == profile) {
            p.links.retain(|l| l.pool != pool);
        }
        if let Some(p) = self.pools.iter_mut().find(|p| p.id == pool) {
            p.priority.retain(|x| x != profile);
        }
    }

    /// Removes a pool and every link to it.
    pub fn remove_pool(&mut self, pool: &str) {
        self.pools.retain(|p| p.id != pool);
        for p in &mut self.profiles {
            p.links.retain(|l| l.pool != pool);
        }
    }

    /// Removes a profile, its links and its places in priorities; refused while a policy's queue
    /// exposes it.
    pub fn remove_profile(&mut self, profile: &str) -> Result<(), AppError> {
        if let Some(pol) = self
            .policies
            .iter()
            .find(|p| p.queues.iter().any(|q| q.profile == profile))
        {
            return Err(AppError::validation(
                "profile",
                format!(
                    "Policy {}'s queues expose this profile: remove that queue first.",
                    pol.name
                ),
            ));
        }
        self.profiles.retain(|p| p.id != profile);
        for p in &mut self.pools {
            p.priority.retain(|x| x != profile);
        }
        Ok(())
    }

    /// Adds a policy, or replaces the one the draft names; new policies and queues get ids unlike
    /// any other. The policy's id.
    pub fn put_policy(&mut self, d: PolicyDraft) -> Result<String, AppError> {
        let id = match &d.id {
            Some(id) if self.policies.iter().any(|x| &x.id == id) => id.clone(),
            Some(id) => {
                return Err(AppError::validation(
                    "id",
                    format!("No policy has the id {id} in the saved configuration."),
                ));
            }
            None => self.new_id("policy", &d.name),
        };
        // The policy goes in first, so that its new queues get ids unlike any other.
        let at = match self.policies.iter().position(|x| x.id == id) {
            Some(at) => at,
            None => {
                self.policies.push(Policy::empty(id.clone()));
                self.policies.len() - 1
            }
        };
        let mut queues = Vec::new();
        for (qid, name, profile) in d.queues {
            let qid = qid.unwrap_or_else(|| self.new_id("queue", &name));
            self.policies[at].queues.push(PolicyQueue {
                id: qid.clone(),
                name: String::new(),
                profile: String::new(),
            });
            queues.push(PolicyQueue {
                id: qid,
                name: name.trim().to_string(),
                profile,
            });
        }
        self.policies[at] = Policy {
            id: id.clone(),
            name: d.name.trim().to_string(),
            group: d.group,
            reservation: d.reservation,
            limit: d.limit,
            description: d.description,
            queues,
        };
        self.tidy_policy_priorities();
        Ok(id)
    }

    /// Removes a policy (its queues go with it) and its places in profiles' policy priorities.
    pub fn remove_policy(&mut self, policy: &str) {
        self.policies.retain(|p| p.id != policy);
        for p in &mut self.profiles {
            p.policy_priority.retain(|x| x != policy);
        }
    }

    /// Keeps every profile's policy priority to the policies exposing it: new ones at the end,
    /// those that no longer expose it out.
    pub fn tidy_policy_priorities(&mut self) {
        for profile in &mut self.profiles {
            let exposing: Vec<String> = self
                .policies
                .iter()
                .filter(|p| p.queues.iter().any(|q| q.profile == profile.id))
                .map(|p| p.id.clone())
                .collect();
            profile.policy_priority.retain(|p| exposing.contains(p));
            for p in exposing {
                if !profile.policy_priority.contains(&p) {
                    profile.policy_priority.push(p);
                }
            }
        }
    }

    /// Queued jobs as the allocator sees them under this configuration: each job's queue is the
    /// one of its policy that exposes its profile (jobs whose policy no longer has such a queue
    /// are left out).
    pub fn waiting(&self, jobs: &[QueuedJob]) -> Vec<allocator::Waiting> {
        let queues: BTreeMap<(&str, &str), &str> = self
            .policies
            .iter()
            .flat_map(|p| {
                p.queues
                    .iter()
                    .map(move |q| ((p.id.as_str(), q.profile.as_str()), q.id.as_str()))
            })
            .collect();
        jobs.iter()
            .filter_map(|j| {
                queues
                    .get(&(j.policy.as_str(), j.profile.as_str()))
                    .map(|q| allocator::Waiting {
                        id: j.id.clone(),
                        queue: q.to_string(),
                        seq: j.seq,
                    })
            })
            .collect()
    }

    /// Each policy queue's policy and profile, by queue id.
    pub fn queues(&self) -> BTreeMap<&str, (&Policy, &PolicyQueue)> {
        self.policies
            .iter()
            .flat_map(|p| p.queues.iter().map(move |q| (q.id.as_str(), (p, q))))
            .collect()
    }
}

/// One of the ordered lists the editor reorders, named by its owner's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderedList {
    /// A pool's execution priority (profile ids).
    PoolPriority(String),
    /// A profile's links, in precedence order.
    ProfileLinks(String),
    /// A profile's policy priority (policy ids).
    PolicyPriority(String),
}

impl OrderedList {
    /// A name for the list, unique in a configuration (the pages mark list items with it).
    pub fn key(&self) -> String {
        match self {
            OrderedList::PoolPriority(id) => format!("pool:{id}"),
            OrderedList::ProfileLinks(id) => format!("links:{id}"),
            OrderedList::PolicyPriority(id) => format!("policies:{id}"),
        }
    }
}

impl Configuration {
    /// Moves an item of an ordered list from one place to another (clamped at the ends); its new
    /// place.
    pub fn reorder(&mut self, list: &OrderedList, from: usize, to: usize) -> usize {
        let delta = to as isize - from as isize;
        match list {
            OrderedList::PoolPriority(id) => self
                .pools
                .iter_mut()
                .find(|p| &p.id == id)
                .map(|p| move_item(&mut p.priority, from, delta)),
            OrderedList::ProfileLinks(id) => self
                .profiles
                .iter_mut()
                .find(|p| &p.id == id)
                .map(|p| move_item(&mut p.links, from, delta)),
            OrderedList::PolicyPriority(id) => self
                .profiles
                .iter_mut()
                .find(|p| &p.id == id)
                .map(|p| move_item(&mut p.policy_priority, from, delta)),
        }
        .unwrap_or(from)
    }
}

/// Moves the item at `index` by `delta` places (clamped at the ends); the new index.
pub fn move_item<T>(items: &mut [T], index: usize, delta: isize) -> usize {
    if items.is_empty() || index >= items.len() {
        return index;
    }
    let to = (index as isize + delta).clamp(0, items.len() as isize - 1) as usize;
    if to < index {
        items[to..=index].rotate_right(1);
    } else {
        items[index..=to].rotate_left(1);
    }
    to
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connecting_disconnecting_and_reordering_keep_both_orders_in_step() {
        let mut c = Configuration::default();
        for name in ["Bare Metal", "H100"] {
            let id = c.new_id("pool", name);
            c.pools.push(Pool {
                id,
                name: name.into(),
                capacity: Amount::units(8),
                description: String::new(),
                priority: vec![],
            });
        }
        assert_eq!(c.pools[0].id, "pool-bare-metal");
        assert_eq!(c.new_id("pool", "Bare Metal"), "pool-bare-metal-2");
        c.profiles.push(Profile {
            id: "4x".into(),
            name: "4xGPU".into(),
            allotment: Amount::units(4),
            links: vec![],
            policy_priority: vec![],
        });
        c.connect("4x", "pool-h100", "fast");
        c.connect("4x", "pool-bare-metal", "cheap");
        assert_eq!(
            c.profiles[0]
                .links
                .iter()
                .map(|l| l.pool.as_str())
                .collect::<Vec<_>>(),
            ["pool-h100", "pool-bare-metal"]
        );
        assert_eq!(c.pools[1].priority, ["4x"]);
        let to = c.reorder(&OrderedList::ProfileLinks("4x".into()), 1, 0);
        assert_eq!(to, 0);
        assert_eq!(c.profiles[0].links[0].name, "cheap");
        assert_eq!(
            move_item(&mut c.profiles[0].links, 0, -1),
            0,
            "clamped at the top"
        );
        c.connect("4x", "pool-h100", "renamed");
        assert_eq!(c.profiles[0].links.len(), 2);
        assert_eq!(c.profiles[0].links[1].name, "renamed");
        c.disconnect("4x", "pool-h100");
        assert_eq!(c.profiles[0].links.len(), 1);
        assert!(c.pools[1].priority.is_empty());
        assert!(c.check().is_ok(), "{:?}", c.check());
        c.policies.push(Policy {
            id: "dev".into(),
            name: "Dev".into(),
            group: "g".into(),
            reservation: Amount::ZERO,
            limit: Amount::units(8),
            description: String::new(),
            queues: vec![PolicyQueue {
                id: "q".into(),
                name: "dev".into(),
                profile: "4x".into(),
            }],
        });
        c.tidy_policy_priorities();
        assert_eq!(c.profiles[0].policy_priority, ["dev"]);
        // A drafted policy gets ids unlike any other, and keeps its queues' ids when edited.
        let draft = PolicyDraft {
            id: None,
            name: "Dev".into(),
            group: "g".into(),
            reservation: Amount::ZERO,
            limit: Amount::units(8),
            description: String::new(),
            queues: vec![(None, "dev".into(), "4x".into())],
        };
        let id = c.put_policy(draft.clone()).unwrap();
        assert_eq!(id, "policy-dev");
        let qid = c.policies[1].queues[0].id.clone();
        assert_eq!(qid, "queue-dev");
        c.put_policy(PolicyDraft {
            id: Some(id.clone()),
            limit: Amount::units(16),
            queues: vec![(Some(qid.clone()), "dev-4x".into(), "4x".into())],
            ..draft.clone()
        })
        .unwrap();
        assert_eq!(
            (c.policies[1].limit, c.policies[1].queues[0].id.as_str()),
            (Amount::units(16), qid.as_str())
        );
        assert_eq!(c.profiles[0].policy_priority, ["dev", "policy-dev"]);
        assert!(
            c.put_policy(PolicyDraft {
                id: Some("nope".into()),
                ..draft
            })
            .is_err()
        );
        c.remove_policy(&id);
        let e = c.remove_profile("4x").unwrap_err();
        assert!(
            e.to_string()
                .contains("Policy Dev's queues expose this profile")
        );
        c.remove_policy("dev");
        assert!(c.profiles[0].policy_priority.is_empty());
        c.remove_profile("4x").unwrap();
        c.remove_pool("pool-bare-metal");
        assert_eq!(c.pools.len(), 1);
    }

    #[test]
    fn amounts_are_exact_hundredths() {
        assert_eq!(Amount::parse("a", "4").unwrap(), Amount(400));
        assert_eq!(Amount::parse("a", "0.5").unwrap(), Amount(50));
        assert_eq!(Amount::parse("a", " 0.25 ").unwrap(), Amount(25));
        assert_eq!(Amount::parse("a", ".75").unwrap(), Amount(75));
        assert_eq!(Amount::parse("a", "1.50").unwrap(), Amount(150));
        for bad in ["", ".", "-1", "0.125", "1e3", "abc", "1.2.3", "99999999"] {
            let e = Amount::parse("allotment", bad).unwrap_err();
            assert_eq!(e.field(), Some("allotment"), "{bad}");
        }
        assert_eq!(Amount(25).to_string(), "0.25");
        assert_eq!(Amount(50).to_string(), "0.5");
        assert_eq!(Amount(400).to_string(), "4");
        assert_eq!(Amount(1205).to_string(), "12.05");
        // Ten thousand quarters and back are exactly nothing.
        let mut a = Amount::ZERO;
        for _ in 0..10_000 {
            a += Amount(25);
        }
        assert_eq!(a, Amount::units(2500));
        for _ in 0..10_000 {
            a -= Amount(25);
        }
        assert_eq!(a, Amount::ZERO);
    }

    #[test]
    fn validate_reports_what_cannot_work() {
        let c = Configuration {
            pools: vec![Pool {
                id: "p1".into(),
                name: "H100".into(),
                capacity: Amount::units(8),
                description: String::new(),
                priority: vec!["big".into()],
            }],
            profiles: vec![
                Profile {
                    id: "lonely".into(),
                    name: "Lonely".into(),
                    allotment: Amount::units(1),
                    links: vec![],
                    policy_priority: vec![],
                },
                Profile {
                    id: "big".into(),
                    name: "16xGPU".into(),
                    allotment: Amount::units(16),
                    links: vec![Link {
                        name: "to H100".into(),
                        pool: "p1".into(),
                    }],
                    policy_priority: vec!["dev".into()],
                },
            ],
            policies: vec![Policy {
                id: "dev".into(),
                name: "Dev".into(),
                group: "g".into(),
                reservation: Amount::units(10),
                limit: Amount::units(4),
                description: String::new(),
                queues: vec![PolicyQueue {
                    id: "q".into(),
                    name: "dev-big".into(),
                    profile: "big".into(),
                }],
            }],
        };
        let found: Vec<String> = c.findings().into_iter().map(|f| f.message).collect();
        assert_eq!(found.len(), 5, "{found:#?}");
        assert!(found[0].contains("Lonely is linked to no pool"));
        assert!(found[1].contains("16xGPU takes 16 per job"));
        assert!(found[2].contains("limit (4) is below its reservation (10)"));
        assert!(found[3].contains("reserves 10, but the pools its queues reach hold 8"));
        assert!(found[4].contains("reserve 10 in all, more than the pools hold (8)"));
    }
}
