//! Usage and billing of a workspace, computed purely from its plan history, its usage and the
//! price table.
//!
//! - **Plans.** A workspace is on [`Plan::Free`] (limits on users, storage and API calls per
//!   month) or on [`Plan::Pro`] (a price per user per month plus usage-based prices). Its plan
//!   history is a list of [`PlanSpan`]s; before the first span it is on Free.
//! - **Money** is always whole cents in an `i64`; no floating point is involved anywhere.
//! - **Billing periods** are calendar months in UTC ([`Period`]).
//! - **Days on Pro.** A day of the period (a UTC calendar day) is charged when the workspace was on
//!   Pro at any moment of it. The day of an upgrade and the day of a downgrade therefore both count
//!   in full. Example: a workspace upgrades at 09:30 UTC on 16 November 2026 (a 30-day month), so
//!   it is charged for 16 to 30 November, 15 days; with 4 users at $15.00 that is
//!   4 × 1,500 × 15 / 30 = 3,000 cents. Had it downgraded again at 08:00 on 20 November, it would
//!   be charged for 16 to 20 November, 5 days.
//! - **Rounding.** Each charge line is computed exactly as a fraction of cents and rounded half up
//!   to a whole cent once, at the end (0.5 cent becomes 1 cent, 0.49 cent becomes 0). The total is
//!   the sum of the rounded lines, so an invoice always adds up.
//! - **Users and storage** are prorated by days on Pro. Storage beyond the included amount is
//!   priced per decimal gigabyte (1,000,000,000 bytes), byte-exactly: 1.5 GB over at 10 cents per
//!   GB is 15 cents for a full month.
//! - **API calls** are not prorated: the calls of the whole period beyond the included allowance
//!   are charged in blocks of 1,000, and a started block counts in full (1,001 calls over is two
//!   blocks).
//! - **Invoices.** One invoice per period in which the workspace had at least one day on Pro,
//!   issued once the period has ended ([`periods_to_invoice`]), numbered gaplessly per workspace
//!   ([`invoice_number`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime};

/// Milliseconds in a day; UTC days have no leap seconds in Unix time.
const DAY_MS: i64 = 86_400_000;

/// Bytes in a decimal gigabyte, the unit storage is priced in.
pub const BYTES_PER_GB: u64 = 1_000_000_000;

/// API calls in one priced block.
pub const API_CALLS_PER_BLOCK: u64 = 1_000;

/// What every invoice number starts with.
pub const INVOICE_PREFIX: &str = "A-";

// ---------------------------------------------------------------------------------------------
// Price table
// ---------------------------------------------------------------------------------------------

/// Every price and limit billing depends on. Missing fields take their defaults; unknown fields are
/// refused, so a misspelt setting is noticed instead of silently ignored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PriceTable {
    /// ISO 4217 code of the currency all prices are in. Default `"USD"`.
    pub currency: String,
    /// Limits of the Free plan.
    pub free: FreeLimits,
    /// Prices of the Pro plan.
    pub pro: ProPrices,
    /// When false (the default), going over a Free limit is reported but nothing is cut off. When
    /// true, API calls beyond the Free allowance are refused (see [`api_calls_allowed`]).
    pub hard_limits: bool,
}

impl Default for PriceTable {
    fn default() -> Self {
        PriceTable {
            currency: "USD".to_owned(),
            free: FreeLimits::default(),
            pro: ProPrices::default(),
            hard_limits: false,
        }
    }
}

/// Limits of the Free plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FreeLimits {
    /// Members of the workspace. Default 3.
    pub users: u32,
    /// Bytes stored. Default 100 GB (100,000,000,000 bytes).
    pub storage_bytes: u64,
    /// API calls per month. Default 1,000,000.
    pub api_calls: u64,
}

impl Default for FreeLimits {
    fn default() -> Self {
        FreeLimits {
            users: 3,
            storage_bytes: 100 * BYTES_PER_GB,
            api_calls: 1_000_000,
        }
    }
}

/// Prices of the Pro plan, in cents of the table's currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProPrices {
    /// Price per user per month. Default 1,500 ($15.00).
    pub user_cents: i64,
    /// Storage included at no charge. Default 100 GB (100,000,000,000 bytes).
    pub storage_included_bytes: u64,
    /// Price per GB-month (1,000,000,000 bytes) beyond the included storage. Default 10.
    pub storage_cents_per_gb: i64,
    /// API calls per month included at no charge. Default 1,000,000.
    pub api_calls_included: u64,
    /// Price per started block of 1,000 API calls beyond the included ones. Default 1.
    pub api_cents_per_thousand: i64,
    /// Most members a Pro workspace may have; `None` (the default) for no limit.
    pub users_max: Option<u32>,
}

impl Default for ProPrices {
    fn default() -> Self {
        ProPrices {
            user_cents: 1_500,
            storage_included_bytes: 100 * BYTES_PER_GB,
            storage_cents_per_gb: 10,
            api_calls_included: 1_000_000,
            api_cents_per_thousand: 1,
            users_max: None,
        }
    }
}

/// A setting of the price table that cannot be used, named by its dotted path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Dotted path of the setting, such as `"pro.user_cents"`.
    pub field: &'static str,
    /// What is wrong with it, as a sentence fragment.
    pub message: String,
}

impl FieldError {
    fn new(field: &'static str, message: impl Into<String>) -> Self {
        FieldError {
            field,
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for FieldError {}

impl PriceTable {
    /// Checks the table before it is used, returning the first unusable setting: a currency that
    /// is not three capital letters, a negative price, a Free plan without room for one user, or a
    /// Pro user limit of zero or below the Free one.
    pub fn check(&self) -> Result<(), FieldError> {
        let code = self.currency.as_bytes();
        if code.len() != 3 || !code.iter().all(u8::is_ascii_uppercase) {
            return Err(FieldError::new(
                "currency",
                "must be a three-letter currency code in capitals, such as USD",
            ));
        }
        if self.free.users == 0 {
            return Err(FieldError::new("free.users", "must be at least 1"));
        }
        let prices = [
            ("pro.user_cents", self.pro.user_cents),
            ("pro.storage_cents_per_gb", self.pro.storage_cents_per_gb),
            (
                "pro.api_cents_per_thousand",
                self.pro.api_cents_per_thousand,
            ),
        ];
        for (field, cents) in prices {
            if cents < 0 {
                return Err(FieldError::new(field, "must not be negative"));
            }
        }
        if let Some(max) = self.pro.users_max {
            if max == 0 {
                return Err(FieldError::new(
                    "pro.users_max",
                    "must be at least 1, or left out for no limit",
                ));
            }
            if max < self.free.users {
                return Err(FieldError::new(
                    "pro.users_max",
                    format!(
                        "must not be below the Free plan's {} users",
                        self.free.users
                    ),
                ));
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Periods
// ---------------------------------------------------------------------------------------------

/// A billing period: one calendar month in UTC, from January of year 1 to December of year 9999.
///
/// Ordered chronologically; written `"2026-11"` (also in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Period {
    year: i32,
    month: u8,
}

/// Text that could not be read as what was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The text as given.
    pub input: String,
    /// What it should have been, such as "a month written YYYY-MM".
    pub expected: &'static str,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} is not {}", self.input, self.expected)
    }
}

impl std::error::Error for ParseError {}

impl Period {
    /// The first period there is: January of year 1.
    pub const MIN: Period = Period { year: 1, month: 1 };
    /// The last period there is: December 9999.
    pub const MAX: Period = Period {
        year: 9999,
        month: 12,
    };

    /// The period of a year and a month (1 for January to 12 for December), if both are in range.
    pub fn new(year: i32, month: u8) -> Option<Period> {
        ((1..=9999).contains(&year) && (1..=12).contains(&month)).then_some(Period { year, month })
    }

    /// The year, 1 to 9999.
    pub fn year(self) -> i32 {
        self.year
    }

    /// The month, 1 for January to 12 for December.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The period an instant (milliseconds since the epoch) falls in. Instants before year 1 or
    /// after year 9999 give [`Period::MIN`] or [`Period::MAX`].
    pub fn of(ms_utc: i64) -> Period {
        match OffsetDateTime::from_unix_timestamp(ms_utc.div_euclid(1000)) {
            Ok(at) => Period::new(at.year(), u8::from(at.month())).unwrap_or(if at.year() < 1 {
                Period::MIN
            } else {
                Period::MAX
            }),
            Err(_) if ms_utc < 0 => Period::MIN,
            Err(_) => Period::MAX,
        }
    }

    /// The period of an RFC 3339 date and time with any offset, such as
    /// `"2026-01-31T23:30:00-05:00"` — which is 04:30 UTC on 1 February, so in February 2026.
    pub fn of_rfc3339(s: &str) -> Result<Period, ParseError> {
        let at = OffsetDateTime::parse(s, &Rfc3339).map_err(|_| ParseError {
            input: s.to_owned(),
            expected: "a date and time written as in RFC 3339",
        })?;
        Ok(Period::of(at.unix_timestamp().saturating_mul(1000)))
    }

    /// Reads a period written `YYYY-MM`, such as `"2026-11"`.
    pub fn parse(s: &str) -> Result<Period, ParseError> {
        let b = s.as_bytes();
        let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
        let well_formed = b.len() == 7 && b[4] == b'-' && digits(0..4) && digits(5..7);
        let period = well_formed
            .then(|| Period::new(s[..4].parse().ok()?, s[5..].parse().ok()?))
            .flatten();
        period.ok_or_else(|| ParseError {
            input: s.to_owned(),
            expected: "a month written YYYY-MM",
        })
    }

    /// The month as the `time` crate names it.
    fn time_month(self) -> Month {
        Month::try_from(self.month).expect("a period's month is always 1 to 12")
    }

    /// The first day of the period.
    fn first_day(self) -> Date {
        Date::from_calendar_date(self.year, self.time_month(), 1)
            .expect("a period's year and month are always a valid date")
    }

    /// When the period starts: midnight UTC on its first day, in milliseconds since the epoch.
    pub fn start_ms(self) -> i64 {
        self.first_day().midnight().assume_utc().unix_timestamp() * 1000
    }

    /// When the period ends, exclusive: the start of the next one.
    pub fn end_ms(self) -> i64 {
        self.start_ms() + i64::from(self.days()) * DAY_MS
    }

    /// Whether an instant falls in the period.
    pub fn contains(self, ms: i64) -> bool {
        (self.start_ms()..self.end_ms()).contains(&ms)
    }

    /// The number of days, 28 to 31.
    pub fn days(self) -> u32 {
        u32::from(self.time_month().length(self.year))
    }

    /// The following month ([`Period::MAX`] stays itself).
    pub fn next(self) -> Period {
        match self {
            Period::MAX => Period::MAX,
            Period { year, month: 12 } => Period {
                year: year + 1,
                month: 1,
            },
            Period { year, month } => Period {
                year,
                month: month + 1,
            },
        }
    }

    /// The preceding month ([`Period::MIN`] stays itself).
    pub fn prev(self) -> Period {
        match self {
            Period::MIN => Period::MIN,
            Period { year, month: 1 } => Period {
                year: year - 1,
                month: 12,
            },
            Period { year, month } => Period {
                year,
                month: month - 1,
            },
        }
    }

    /// The period as people read it, such as "November 2026".
    pub fn label(self) -> String {
        format!("{} {}", self.time_month(), self.year)
    }

    /// The day of the period an instant falls on, 0 for the first. Instants before the period give
    /// 0 and instants after it the last day.
    pub fn day_index(self, ms: i64) -> u32 {
        let start = self.start_ms();
        if ms < start {
            return 0;
        }
        let day = (ms - start) / DAY_MS;
        u32::try_from(day).map_or(self.days() - 1, |d| d.min(self.days() - 1))
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Period {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Period::parse(s)
    }
}

impl TryFrom<String> for Period {
    type Error = ParseError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Period::parse(&s)
    }
}

impl From<Period> for String {
    fn from(period: Period) -> Self {
        period.to_string()
    }
}

/// The period of an RFC 3339 date and time; see [`Period::of_rfc3339`].
pub fn period_of_rfc3339(s: &str) -> Result<Period, ParseError> {
    Period::of_rfc3339(s)
}

// ---------------------------------------------------------------------------------------------
// Plans and usage
// ---------------------------------------------------------------------------------------------

/// A workspace's plan.
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    #[default]
    Free,
    Pro,
}

impl Plan {
    /// How the console names it.
    pub fn label(self) -> &'static str {
        match self {
            Plan::Free => "Free",
            Plan::Pro => "Pro",
        }
    }
}

/// One entry of a workspace's plan history: the plan it has been on since `from_ms`, until the
/// next entry starts.
///
/// A history is kept sorted by `from_ms`. Functions reading it tolerate any order; of entries
/// starting at the same instant, the later one in the list wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanSpan {
    pub plan: Plan,
    pub from_ms: i64,
}

/// The plan a workspace is on at an instant: that of the latest span started by then, or Free
/// before the first one.
pub fn plan_at(history: &[PlanSpan], ms: i64) -> Plan {
    let mut current: Option<&PlanSpan> = None;
    for span in history {
        if span.from_ms <= ms && current.is_none_or(|c| span.from_ms >= c.from_ms) {
            current = Some(span);
        }
    }
    current.map_or(Plan::Free, |span| span.plan)
}

/// The history in chronological order; entries starting together keep their order.
fn sorted(history: &[PlanSpan]) -> Vec<PlanSpan> {
    let mut spans = history.to_vec();
    spans.sort_by_key(|span| span.from_ms);
    spans
}

/// The number of days of a period on which the workspace was on Pro at any moment (see the module
/// documentation): 0 to the period's number of days.
pub fn pro_days(period: Period, history: &[PlanSpan]) -> u32 {
    pro_days_sorted(period, &sorted(history))
}

fn pro_days_sorted(period: Period, spans: &[PlanSpan]) -> u32 {
    let (start, end) = (period.start_ms(), period.end_ms());
    let mut on_pro = [false; 31];
    for (i, span) in spans.iter().enumerate() {
        if span.plan != Plan::Pro {
            continue;
        }
        let until = spans.get(i + 1).map_or(i64::MAX, |next| next.from_ms);
        let (from, to) = (span.from_ms.max(start), until.min(end));
        if from < to {
            let first = period.day_index(from) as usize;
            let last = period.day_index(to - 1) as usize;
            on_pro[first..=last].fill(true);
        }
    }
    on_pro.iter().filter(|&&day| day).count() as u32
}

/// What a workspace used in a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Members of the workspace.
    pub users: u32,
    /// Bytes stored now, or at the end of a closed period.
    pub storage_bytes: u64,
    /// API calls made during the period.
    pub api_calls: u64,
}

/// Something that is measured, limited and charged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    Users,
    Storage,
    ApiCalls,
}

impl Metric {
    /// How the console names it.
    pub fn label(self) -> &'static str {
        match self {
            Metric::Users => "Users",
            Metric::Storage => "Storage",
            Metric::ApiCalls => "API calls",
        }
    }

    /// A quantity of this metric as people read it: bytes for storage, a count otherwise.
    fn format(self, n: u64) -> String {
        match self {
            Metric::Storage => format_bytes(n),
            Metric::Users | Metric::ApiCalls => format_count(n),
        }
    }
}

/// A limit of the plan that usage goes beyond.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overage {
    pub what: Metric,
    pub limit: u64,
    pub used: u64,
    /// `used - limit`, always above 0.
    pub over_by: u64,
}

impl Overage {
    fn check(what: Metric, limit: u64, used: u64) -> Option<Overage> {
        (used > limit).then(|| Overage {
            what,
            limit,
            used,
            over_by: used - limit,
        })
    }

    /// The overage as a sentence, such as
    /// "API calls: 1,250,000 of 1,000,000 this month — 250,000 over.".
    pub fn describe(&self) -> String {
        let when = match self.what {
            Metric::ApiCalls => " this month",
            Metric::Users | Metric::Storage => "",
        };
        format!(
            "{}: {} of {}{} — {} over.",
            self.what.label(),
            self.what.format(self.used),
            self.what.format(self.limit),
            when,
            self.what.format(self.over_by),
        )
    }
}

/// The limits of a plan that usage goes beyond, in the order users, storage, API calls. Free is
/// held to all its limits; Pro only to its user limit, if it has one.
pub fn over_limits(plan: Plan, usage: &Usage, prices: &PriceTable) -> Vec<Overage> {
    let checks = match plan {
        Plan::Free => vec![
            (
                Metric::Users,
                u64::from(prices.free.users),
                u64::from(usage.users),
            ),
            (
                Metric::Storage,
                prices.free.storage_bytes,
                usage.storage_bytes,
            ),
            (Metric::ApiCalls, prices.free.api_calls, usage.api_calls),
        ],
        Plan::Pro => prices
            .pro
            .users_max
            .map(|max| (Metric::Users, u64::from(max), u64::from(usage.users)))
            .into_iter()
            .collect(),
    };
    checks
        .into_iter()
        .filter_map(|(what, limit, used)| Overage::check(what, limit, used))
        .collect()
}

/// Whether a Pro workspace may go back to Free: only when its usage fits the Free limits.
/// Otherwise the limits it goes beyond.
pub fn can_downgrade(usage: &Usage, prices: &PriceTable) -> Result<(), Vec<Overage>> {
    let over = over_limits(Plan::Free, usage, prices);
    if over.is_empty() { Ok(()) } else { Err(over) }
}

/// Whether one more API call may be served, given the calls already made this period. Always on
/// Pro; on Free unless the table sets hard limits and the allowance is used up (so with an
/// allowance of 1,000,000 the 1,000,000th call is served and the next one refused).
pub fn api_calls_allowed(plan: Plan, calls_made: u64, prices: &PriceTable) -> bool {
    match plan {
        Plan::Pro => true,
        Plan::Free => !prices.hard_limits || calls_made < prices.free.api_calls,
    }
}

// ---------------------------------------------------------------------------------------------
// Charges
// ---------------------------------------------------------------------------------------------

/// One line of a period's charges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChargeLine {
    pub kind: Metric,
    /// What is charged and at which price, such as
    /// "Pro users at $15.00 per user per month, 15 of 30 days".
    pub description: String,
    /// The quantity charged as people read it, such as "4 users" or "20.5 GB".
    pub quantity: String,
    pub amount_cents: i64,
}

/// What a workspace owes for a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Charges {
    pub period: Period,
    /// The currency of the amounts.
    pub currency: String,
    /// Days of the period on Pro (see the module documentation).
    pub pro_days: u32,
    /// One line per metric when the period had days on Pro, even when a line is 0; none otherwise.
    pub lines: Vec<ChargeLine>,
    /// The sum of the lines.
    pub total_cents: i64,
}

/// A price as a non-negative number; a negative price, which [`PriceTable::check`] refuses,
/// counts as 0 so that charges are never negative.
fn price(cents: i64) -> u128 {
    u128::from(cents.max(0).unsigned_abs())
}

/// `numerator / denominator` rounded half up to a whole number (`denominator` above 0).
fn div_round_half_up(numerator: u128, denominator: u128) -> u128 {
    let (quotient, remainder) = (numerator / denominator, numerator % denominator);
    if remainder >= denominator - remainder {
        quotient + 1
    } else {
        quotient
    }
}

/// An exact amount, `numerator / denominator` cents, rounded half up to a whole cent. An amount
/// too large to compute or hold (far beyond any real invoice) is `i64::MAX`.
fn cents(numerator: Option<u128>, denominator: u128) -> i64 {
    numerator
        .and_then(|n| i64::try_from(div_round_half_up(n, denominator)).ok())
        .unwrap_or(i64::MAX)
}

/// `n` followed by a noun, in the plural unless `n` is 1 ("1 day", "2 days", "1,000 users").
pub fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", format_count(n), if n == 1 { one } else { many })
}

/// What a workspace owes for a period, given its plan history and its usage in that period.
///
/// A period without a day on Pro owes nothing and has no lines. Otherwise:
/// - users: `users × user_cents × pro_days / period_days`;
/// - storage: `bytes beyond the included × storage_cents_per_gb × pro_days /
///   (1,000,000,000 × period_days)`;
/// - API calls: `started thousands beyond the included × api_cents_per_thousand`, not prorated;
///
/// each rounded half up to a whole cent, and the total is their sum.
pub fn charges(
    period: Period,
    history: &[PlanSpan],
    usage: &Usage,
    prices: &PriceTable,
) -> Charges {
    let days = pro_days(period, history);
    let mut lines = Vec::new();
    if days > 0 {
        let pro = &prices.pro;
        let currency = prices.currency.as_str();
        let (on, of) = (u128::from(days), u128::from(period.days()));
        let share = format!("{days} of {of} days");

        let users = u64::from(usage.users);
        lines.push(ChargeLine {
            kind: Metric::Users,
            description: format!(
                "Pro users at {} per user per month, {share}",
                format_cents(pro.user_cents, currency)
            ),
            quantity: counted(users, "user", "users"),
            amount_cents: cents(
                u128::from(users)
                    .checked_mul(price(pro.user_cents))
                    .and_then(|n| n.checked_mul(on)),
                of,
            ),
        });

        let over_bytes = usage
            .storage_bytes
            .saturating_sub(pro.storage_included_bytes);
        lines.push(ChargeLine {
            kind: Metric::Storage,
            description: format!(
                "Storage beyond {} included, at {} per GB per month, {share}",
                format_bytes(pro.storage_included_bytes),
                format_cents(pro.storage_cents_per_gb, currency)
            ),
            quantity: format_bytes(over_bytes),
            amount_cents: cents(
                u128::from(over_bytes)
                    .checked_mul(price(pro.storage_cents_per_gb))
                    .and_then(|n| n.checked_mul(on)),
                u128::from(BYTES_PER_GB) * of,
            ),
        });

        let over_calls = usage.api_calls.saturating_sub(pro.api_calls_included);
        let blocks = over_calls.div_ceil(API_CALLS_PER_BLOCK);
        lines.push(ChargeLine {
            kind: Metric::ApiCalls,
            description: format!(
                "API calls beyond {} included, at {} per {} calls (a started {} counts in full)",
                format_count(pro.api_calls_included),
                format_cents(pro.api_cents_per_thousand, currency),
                format_count(API_CALLS_PER_BLOCK),
                format_count(API_CALLS_PER_BLOCK),
            ),
            quantity: format!(
                "{} × {} calls",
                format_count(blocks),
                format_count(API_CALLS_PER_BLOCK)
            ),
            amount_cents: cents(
                u128::from(blocks).checked_mul(price(pro.api_cents_per_thousand)),
                1,
            ),
        });
    }
    let total_cents = lines
        .iter()
        .fold(0_i64, |total, line| total.saturating_add(line.amount_cents));
    Charges {
        period,
        currency: prices.currency.clone(),
        pro_days: days,
        lines,
        total_cents,
    }
}

// ---------------------------------------------------------------------------------------------
// Invoices
// ---------------------------------------------------------------------------------------------

/// The number of a workspace's `seq`-th invoice, such as "A-000001" for the first. Invoices are
/// numbered 1, 2, 3… per workspace without gaps; numbers beyond 999,999 simply grow longer.
pub fn invoice_number(seq: u64) -> String {
    format!("{INVOICE_PREFIX}{seq:06}")
}

/// The periods still to invoice, oldest first: those that ended by `now_ms`, come after
/// `last_invoiced`, and had at least one day on Pro. A job issuing one invoice for each catches up
/// on any it missed and never invoices the period still under way.
pub fn periods_to_invoice(
    last_invoiced: Option<Period>,
    history: &[PlanSpan],
    now_ms: i64,
) -> Vec<Period> {
    let spans = sorted(history);
    let Some(first_pro) = spans.iter().find(|span| span.plan == Plan::Pro) else {
        return Vec::new();
    };
    let mut period = Period::of(first_pro.from_ms);
    if let Some(last) = last_invoiced
        && last >= period
    {
        if last == Period::MAX {
            return Vec::new();
        }
        period = last.next();
    }
    let mut due = Vec::new();
    while period.end_ms() <= now_ms {
        if pro_days_sorted(period, &spans) > 0 {
            due.push(period);
        }
        if period == Period::MAX {
            break;
        }
        period = period.next();
    }
    due
}

// ---------------------------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------------------------

/// A count with thousands separators, such as "1,250,000".
pub fn format_count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A number of bytes in decimal units with at most one decimal, such as "512 B", "1.5 kB",
/// "120.5 GB" or "100 GB" (a trailing ".0" is left out; halves round up).
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [(&str, u64); 6] = [
        ("kB", 1_000),
        ("MB", 1_000_000),
        ("GB", 1_000_000_000),
        ("TB", 1_000_000_000_000),
        ("PB", 1_000_000_000_000_000),
        ("EB", 1_000_000_000_000_000_000),
    ];
    let Some(mut unit) = UNITS.iter().rposition(|&(_, size)| bytes >= size) else {
        return format!("{bytes} B");
    };
    let tenths = |unit: usize| div_round_half_up(u128::from(bytes) * 10, u128::from(UNITS[unit].1));
    let mut t = tenths(unit);
    // Rounding may reach 1,000 of a unit, which reads better as 1 of the next one.
    if t >= 10_000 && unit + 1 < UNITS.len() {
        unit += 1;
        t = tenths(unit);
    }
    // Even u64::MAX bytes is only 184.5 EB, so this always fits.
    let whole = format_count(u64::try_from(t / 10).unwrap_or(u64::MAX));
    match t % 10 {
        0 => format!("{whole} {}", UNITS[unit].0),
        tenth => format!("{whole}.{tenth} {}", UNITS[unit].0),
    }
}

/// An amount of money, such as "$1,234.56" in USD, "€1,234.56" in EUR, or "1,234.56 GBP" in any
/// other currency; negative amounts start with "-".
pub fn format_cents(cents: i64, currency: &str) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let abs = cents.unsigned_abs();
    let number = format!("{}.{:02}", format_count(abs / 100), abs % 100);
    match currency {
        "USD" => format!("{sign}${number}"),
        "EUR" => format!("{sign}€{number}"),
        _ => format!("{sign}{number} {currency}"),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use time::macros::datetime;

    use super::*;

    /// Milliseconds since the epoch of an instant written with `time`'s `datetime!` macro.
    fn ms(at: OffsetDateTime) -> i64 {
        (at.unix_timestamp_nanos() / 1_000_000) as i64
    }

    fn period(year: i32, month: u8) -> Period {
        Period::new(year, month).unwrap()
    }

    fn span(plan: Plan, at: OffsetDateTime) -> PlanSpan {
        PlanSpan {
            plan,
            from_ms: ms(at),
        }
    }

    fn pro_from(at: OffsetDateTime) -> Vec<PlanSpan> {
        vec![span(Plan::Pro, at)]
    }

    fn users(n: u32) -> Usage {
        Usage {
            users: n,
            ..Usage::default()
        }
    }

    /// Overages as `(metric, limit, used, over by)`, to compare at a glance.
    fn rows(overages: &[Overage]) -> Vec<(Metric, u64, u64, u64)> {
        overages
            .iter()
            .map(|o| (o.what, o.limit, o.used, o.over_by))
            .collect()
    }

    fn line(charges: &Charges, kind: Metric) -> &ChargeLine {
        charges.lines.iter().find(|l| l.kind == kind).unwrap()
    }

    // --- Proration and rounding ---

    #[test]
    fn upgrade_mid_month_charges_the_remaining_days_exactly() {
        let nov = period(2026, 11);
        let history = pro_from(datetime!(2026-11-16 09:30 UTC));
        let c = charges(nov, &history, &users(4), &PriceTable::default());
        assert_eq!(c.pro_days, 15);
        assert_eq!(line(&c, Metric::Users).amount_cents, 3_000);
        assert_eq!(line(&c, Metric::Users).quantity, "4 users");
        assert_eq!(
            line(&c, Metric::Users).description,
            "Pro users at $15.00 per user per month, 15 of 30 days"
        );
        assert_eq!(c.total_cents, 3_000);
        assert_eq!(c.currency, "USD");
    }

    #[test]
    fn upgrade_in_a_31_day_month_rounds_once_half_up() {
        let dec = period(2026, 12);
        let prices = PriceTable::default();
        // 4 × 1,500 × 3 / 31 = 580.645… → 581.
        let c = charges(
            dec,
            &pro_from(datetime!(2026-12-29 23:59 UTC)),
            &users(4),
            &prices,
        );
        assert_eq!(c.pro_days, 3);
        assert_eq!(c.total_cents, 581);
        // 4 × 1,500 × 15 / 31 = 2,903.225… → 2,903.
        let c = charges(
            dec,
            &pro_from(datetime!(2026-12-17 00:00 UTC)),
            &users(4),
            &prices,
        );
        assert_eq!(c.pro_days, 15);
        assert_eq!(c.total_cents, 2_903);
    }

    #[test]
    fn half_a_cent_rounds_up_and_less_rounds_down() {
        let mut prices = PriceTable::default();
        prices.pro.user_cents = 1;
        prices.pro.storage_included_bytes = 0;
        prices.pro.storage_cents_per_gb = 1;
        let nov = period(2026, 11);
        let history = pro_from(datetime!(2026-11-16 00:00 UTC));
        let storage = |bytes| {
            let usage = Usage {
                storage_bytes: bytes,
                ..Usage::default()
            };
            line(&charges(nov, &history, &usage, &prices), Metric::Storage).amount_cents
        };
        // 1 user × 1 cent × 15 / 30 = 0.5 cent → 1.
        assert_eq!(
            line(&charges(nov, &history, &users(1), &prices), Metric::Users).amount_cents,
            1
        );
        // 1 GB × 1 cent × 15 / 30 = 0.5 cent → 1; 0.98 GB → 0.49 cent → 0; 1.01 GB → 0.505 → 1.
        assert_eq!(storage(1_000_000_000), 1);
        assert_eq!(storage(980_000_000), 0);
        assert_eq!(storage(999_999_999), 0);
        assert_eq!(storage(1_010_000_000), 1);
        assert_eq!(storage(2_999_999_999), 1);
        assert_eq!(storage(3_000_000_000), 2);
    }

    #[test]
    fn division_rounds_half_up() {
        assert_eq!(div_round_half_up(1, 2), 1);
        assert_eq!(div_round_half_up(49, 100), 0);
        assert_eq!(div_round_half_up(50, 100), 1);
        assert_eq!(div_round_half_up(149, 100), 1);
        assert_eq!(div_round_half_up(150, 100), 2);
        assert_eq!(div_round_half_up(1, 3), 0);
        assert_eq!(div_round_half_up(2, 3), 1);
        assert_eq!(div_round_half_up(0, 7), 0);
    }

    #[test]
    fn a_full_month_charges_every_line_and_adds_up() {
        let nov = period(2026, 11);
        let history = pro_from(datetime!(2026-01-01 00:00 UTC));
        let usage = Usage {
            users: 4,
            storage_bytes: 120_500_000_000,
            api_calls: 1_250_001,
        };
        let c = charges(nov, &history, &usage, &PriceTable::default());
        assert_eq!(c.pro_days, 30);
        let amounts: Vec<(Metric, i64)> =
            c.lines.iter().map(|l| (l.kind, l.amount_cents)).collect();
        // 20.5 GB × 10 cents; 250,001 calls over → 251 started thousands × 1 cent.
        assert_eq!(
            amounts,
            [
                (Metric::Users, 6_000),
                (Metric::Storage, 205),
                (Metric::ApiCalls, 251)
            ]
        );
        assert_eq!(c.total_cents, 6_456);
        assert_eq!(
            c.total_cents,
            c.lines.iter().map(|l| l.amount_cents).sum::<i64>()
        );
        assert_eq!(line(&c, Metric::Storage).quantity, "20.5 GB");
        assert_eq!(line(&c, Metric::ApiCalls).quantity, "251 × 1,000 calls");
    }

    #[test]
    fn storage_is_prorated_byte_exactly_and_api_calls_are_not() {
        let nov = period(2026, 11);
        let history = pro_from(datetime!(2026-11-16 12:00 UTC));
        let usage = Usage {
            users: 0,
            storage_bytes: 101_500_000_000,
            api_calls: 1_001_000,
        };
        let c = charges(nov, &history, &usage, &PriceTable::default());
        // 1.5 GB × 10 × 15 / 30 = 7.5 → 8; 1,000 calls over → 1 block, whole-month price.
        assert_eq!(line(&c, Metric::Storage).amount_cents, 8);
        assert_eq!(line(&c, Metric::ApiCalls).amount_cents, 1);
        assert_eq!(line(&c, Metric::Users).amount_cents, 0);
        assert_eq!(c.total_cents, 9);
    }

    #[test]
    fn lines_at_zero_are_still_listed_on_pro() {
        let c = charges(
            period(2026, 11),
            &pro_from(datetime!(2026-11-01 00:00 UTC)),
            &Usage::default(),
            &PriceTable::default(),
        );
        assert_eq!(c.lines.len(), 3);
        assert!(c.lines.iter().all(|l| l.amount_cents == 0));
        assert_eq!(line(&c, Metric::Storage).quantity, "0 B");
        assert_eq!(line(&c, Metric::ApiCalls).quantity, "0 × 1,000 calls");
        assert_eq!(c.total_cents, 0);
    }

    #[test]
    fn a_downgrade_day_counts_and_later_days_do_not() {
        let history = vec![
            span(Plan::Pro, datetime!(2026-10-05 00:00 UTC)),
            span(Plan::Free, datetime!(2026-11-10 08:00 UTC)),
        ];
        let c = charges(
            period(2026, 11),
            &history,
            &users(4),
            &PriceTable::default(),
        );
        // 1 to 10 November: 4 × 1,500 × 10 / 30.
        assert_eq!(c.pro_days, 10);
        assert_eq!(c.total_cents, 2_000);
        // October: 5 to 31, 27 of 31 days: 4 × 1,500 × 27 / 31 = 5,225.8… → 5,226.
        let oct = charges(
            period(2026, 10),
            &history,
            &users(4),
            &PriceTable::default(),
        );
        assert_eq!(oct.pro_days, 27);
        assert_eq!(oct.total_cents, 5_226);
    }

    #[test]
    fn periods_without_a_pro_day_owe_nothing() {
        let prices = PriceTable::default();
        let nov = period(2026, 11);
        let busy = Usage {
            users: 9,
            storage_bytes: u64::MAX,
            api_calls: u64::MAX,
        };
        let free = charges(nov, &[], &busy, &prices);
        assert!(free.lines.is_empty());
        assert_eq!(free.total_cents, 0);
        assert_eq!(free.pro_days, 0);
        // Downgraded exactly as November began.
        let history = vec![
            span(Plan::Pro, datetime!(2026-09-01 00:00 UTC)),
            PlanSpan {
                plan: Plan::Free,
                from_ms: nov.start_ms(),
            },
        ];
        assert_eq!(charges(nov, &history, &busy, &prices).lines, []);
        // Upgraded exactly as November ended.
        assert_eq!(
            charges(
                nov,
                &pro_from(datetime!(2026-12-01 00:00 UTC)),
                &busy,
                &prices
            )
            .lines,
            []
        );
    }

    #[test]
    fn pro_for_an_hour_counts_one_day_and_overlapping_days_count_once() {
        let nov = period(2026, 11);
        let hour = [
            span(Plan::Pro, datetime!(2026-11-20 10:00 UTC)),
            span(Plan::Free, datetime!(2026-11-20 11:00 UTC)),
        ];
        assert_eq!(pro_days(nov, &hour), 1);
        // Pro 1–3, Free, Pro again 3–5: days 1 to 5.
        let twice = [
            span(Plan::Pro, datetime!(2026-11-01 00:00 UTC)),
            span(Plan::Free, datetime!(2026-11-03 06:00 UTC)),
            span(Plan::Pro, datetime!(2026-11-03 18:00 UTC)),
            span(Plan::Free, datetime!(2026-11-05 00:00:00.001 UTC)),
        ];
        assert_eq!(pro_days(nov, &twice), 5);
        // Spans given out of order are read in order.
        let mut shuffled = twice.to_vec();
        shuffled.reverse();
        assert_eq!(pro_days(nov, &shuffled), 5);
        // A span replaced at the very instant it starts lasts no time.
        let replaced = [
            span(Plan::Pro, datetime!(2026-11-10 00:00 UTC)),
            span(Plan::Free, datetime!(2026-11-10 00:00 UTC)),
        ];
        assert_eq!(pro_days(nov, &replaced), 0);
    }

    #[test]
    fn plan_at_follows_the_history() {
        let history = [
            PlanSpan {
                plan: Plan::Pro,
                from_ms: 1_000,
            },
            PlanSpan {
                plan: Plan::Free,
                from_ms: 5_000,
            },
        ];
        assert_eq!(plan_at(&history, 999), Plan::Free);
        assert_eq!(plan_at(&history, 1_000), Plan::Pro);
        assert_eq!(plan_at(&history, 4_999), Plan::Pro);
        assert_eq!(plan_at(&history, 5_000), Plan::Free);
        assert_eq!(plan_at(&[], 5_000), Plan::Free);
        let reversed = [history[1], history[0]];
        assert_eq!(plan_at(&reversed, 2_000), Plan::Pro);
        let tie = [
            history[0],
            PlanSpan {
                plan: Plan::Free,
                from_ms: 1_000,
            },
        ];
        assert_eq!(plan_at(&tie, 2_000), Plan::Free);
    }

    // --- Limits ---

    #[test]
    fn free_reports_each_limit_exceeded() {
        let prices = PriceTable::default();
        let at_limits = Usage {
            users: 3,
            storage_bytes: 100_000_000_000,
            api_calls: 1_000_000,
        };
        assert_eq!(over_limits(Plan::Free, &at_limits, &prices), []);
        let over = Usage {
            users: 5,
            storage_bytes: 120_500_000_000,
            api_calls: 1_250_000,
        };
        assert_eq!(
            rows(&over_limits(Plan::Free, &over, &prices)),
            [
                (Metric::Users, 3, 5, 2),
                (
                    Metric::Storage,
                    100_000_000_000,
                    120_500_000_000,
                    20_500_000_000
                ),
                (Metric::ApiCalls, 1_000_000, 1_250_000, 250_000),
            ]
        );
        let only_calls = Usage {
            api_calls: 1_000_001,
            ..at_limits
        };
        assert_eq!(
            rows(&over_limits(Plan::Free, &only_calls, &prices)),
            [(Metric::ApiCalls, 1_000_000, 1_000_001, 1)]
        );
    }

    #[test]
    fn pro_is_only_held_to_its_user_limit() {
        let mut prices = PriceTable::default();
        let big = Usage {
            users: 12,
            storage_bytes: u64::MAX,
            api_calls: u64::MAX,
        };
        assert_eq!(over_limits(Plan::Pro, &big, &prices), []);
        prices.pro.users_max = Some(10);
        assert_eq!(
            rows(&over_limits(Plan::Pro, &big, &prices)),
            [(Metric::Users, 10, 12, 2)]
        );
        assert_eq!(over_limits(Plan::Pro, &users(10), &prices), []);
    }

    #[test]
    fn overages_read_as_sentences() {
        let prices = PriceTable::default();
        let over = Usage {
            users: 5,
            storage_bytes: 120_500_000_000,
            api_calls: 1_250_000,
        };
        let sentences: Vec<String> = over_limits(Plan::Free, &over, &prices)
            .iter()
            .map(Overage::describe)
            .collect();
        assert_eq!(
            sentences,
            [
                "Users: 5 of 3 — 2 over.",
                "Storage: 120.5 GB of 100 GB — 20.5 GB over.",
                "API calls: 1,250,000 of 1,000,000 this month — 250,000 over.",
            ]
        );
    }

    #[test]
    fn downgrade_is_refused_while_over_free_limits() {
        let prices = PriceTable::default();
        let fits = Usage {
            users: 3,
            storage_bytes: 99_000_000_000,
            api_calls: 10,
        };
        assert_eq!(can_downgrade(&fits, &prices), Ok(()));
        let too_many = Usage { users: 4, ..fits };
        assert_eq!(
            can_downgrade(&too_many, &prices).map_err(|o| rows(&o)),
            Err(vec![(Metric::Users, 3, 4, 1)])
        );
        let too_much = Usage {
            storage_bytes: 100_000_000_001,
            ..fits
        };
        assert_eq!(can_downgrade(&too_much, &prices).unwrap_err()[0].over_by, 1);
    }

    #[test]
    fn api_calls_are_cut_off_only_on_free_with_hard_limits() {
        let mut prices = PriceTable::default();
        assert!(api_calls_allowed(Plan::Free, 5_000_000, &prices));
        prices.hard_limits = true;
        assert!(api_calls_allowed(Plan::Free, 999_999, &prices));
        assert!(!api_calls_allowed(Plan::Free, 1_000_000, &prices));
        assert!(api_calls_allowed(Plan::Pro, u64::MAX, &prices));
    }

    // --- Price table ---

    #[test]
    fn default_prices_are_as_documented_and_pass_the_check() {
        let prices = PriceTable::default();
        assert_eq!(prices.check(), Ok(()));
        assert_eq!(prices.currency, "USD");
        assert_eq!(
            (
                prices.free.users,
                prices.free.storage_bytes,
                prices.free.api_calls
            ),
            (3, 100_000_000_000, 1_000_000)
        );
        assert_eq!(prices.pro.user_cents, 1_500);
        assert_eq!(prices.pro.storage_cents_per_gb, 10);
        assert_eq!(prices.pro.api_cents_per_thousand, 1);
        assert_eq!(prices.pro.users_max, None);
        assert!(!prices.hard_limits);
    }

    #[test]
    fn check_names_the_unusable_field() {
        let field = |change: fn(&mut PriceTable)| {
            let mut prices = PriceTable::default();
            change(&mut prices);
            prices.check().map_err(|e| e.field)
        };
        assert_eq!(field(|p| p.currency = String::new()), Err("currency"));
        assert_eq!(field(|p| p.currency = "usd".into()), Err("currency"));
        assert_eq!(field(|p| p.currency = "EURO".into()), Err("currency"));
        assert_eq!(field(|p| p.currency = "GBP".into()), Ok(()));
        assert_eq!(field(|p| p.free.users = 0), Err("free.users"));
        assert_eq!(field(|p| p.pro.user_cents = -1), Err("pro.user_cents"));
        assert_eq!(field(|p| p.pro.user_cents = 0), Ok(()));
        assert_eq!(
            field(|p| p.pro.storage_cents_per_gb = -1),
            Err("pro.storage_cents_per_gb")
        );
        assert_eq!(
            field(|p| p.pro.api_cents_per_thousand = -5),
            Err("pro.api_cents_per_thousand")
        );
        assert_eq!(field(|p| p.pro.users_max = Some(0)), Err("pro.users_max"));
        assert_eq!(field(|p| p.pro.users_max = Some(2)), Err("pro.users_max"));
        assert_eq!(field(|p| p.pro.users_max = Some(3)), Ok(()));
        let mut prices = PriceTable::default();
        prices.pro.user_cents = -1;
        assert_eq!(
            prices.check().unwrap_err().to_string(),
            "pro.user_cents: must not be negative"
        );
    }

    #[test]
    fn a_negative_price_never_makes_a_negative_charge() {
        let mut prices = PriceTable::default();
        prices.pro.user_cents = -1_500;
        let c = charges(
            period(2026, 11),
            &pro_from(datetime!(2026-11-01 00:00 UTC)),
            &users(4),
            &prices,
        );
        assert_eq!(c.total_cents, 0);
    }

    // --- Periods ---

    #[test]
    fn periods_have_the_right_bounds_and_lengths() {
        assert_eq!(period(2026, 11).start_ms(), 1_793_491_200_000);
        assert_eq!(period(2026, 11).end_ms(), 1_796_083_200_000);
        assert_eq!(period(2026, 12).end_ms(), 1_798_761_600_000);
        assert_eq!(period(2026, 2).days(), 28);
        assert_eq!(period(2028, 2).days(), 29);
        assert_eq!(period(2100, 2).days(), 28);
        assert_eq!(period(2000, 2).days(), 29);
        assert_eq!(period(2026, 11).days(), 30);
        assert_eq!(period(2026, 12).days(), 31);
        assert_eq!(
            period(2028, 2).end_ms() - period(2028, 2).start_ms(),
            29 * DAY_MS
        );
        assert_eq!(period(2028, 2).end_ms(), 1_835_481_600_000);
        for p in [
            period(2026, 1),
            period(2026, 2),
            period(2028, 2),
            period(2026, 12),
        ] {
            assert_eq!(p.end_ms(), p.next().start_ms());
            assert_eq!(p.next().prev(), p);
        }
    }

    #[test]
    fn months_roll_over_into_the_next_year() {
        assert_eq!(period(2026, 12).next(), period(2027, 1));
        assert_eq!(period(2027, 1).prev(), period(2026, 12));
        assert_eq!(period(2026, 11).next(), period(2026, 12));
        assert_eq!(Period::MAX.next(), Period::MAX);
        assert_eq!(Period::MIN.prev(), Period::MIN);
        assert!(period(2026, 12) < period(2027, 1));
        assert!(period(2027, 1) < period(2027, 2));
    }

    #[test]
    fn instants_fall_in_their_utc_month() {
        let last_of_jan = ms(datetime!(2026-02-01 00:00 UTC)) - 1;
        assert_eq!(Period::of(last_of_jan), period(2026, 1));
        assert_eq!(Period::of(last_of_jan + 1), period(2026, 2));
        assert_eq!(
            Period::of(ms(datetime!(2028-02-29 12:00 UTC))),
            period(2028, 2)
        );
        assert_eq!(
            Period::of(ms(datetime!(2026-12-31 23:59:59.999 UTC))),
            period(2026, 12)
        );
        assert_eq!(
            Period::of(ms(datetime!(2027-01-01 00:00 UTC))),
            period(2027, 1)
        );
        assert_eq!(Period::of(-1), period(1969, 12));
        assert_eq!(Period::of(0), period(1970, 1));
        assert_eq!(Period::of(i64::MIN), Period::MIN);
        assert_eq!(Period::of(i64::MAX), Period::MAX);
    }

    #[test]
    fn day_index_counts_utc_days_from_zero() {
        let feb = period(2028, 2);
        assert_eq!(feb.day_index(feb.start_ms()), 0);
        assert_eq!(feb.day_index(ms(datetime!(2028-02-01 23:59:59.999 UTC))), 0);
        assert_eq!(feb.day_index(ms(datetime!(2028-02-02 00:00 UTC))), 1);
        assert_eq!(feb.day_index(ms(datetime!(2028-02-29 23:00 UTC))), 28);
        assert_eq!(feb.day_index(feb.start_ms() - 1), 0);
        assert_eq!(feb.day_index(feb.end_ms()), 28);
        assert_eq!(feb.day_index(i64::MAX), 28);
        assert!(feb.contains(feb.start_ms()));
        assert!(!feb.contains(feb.end_ms()));
    }

    #[test]
    fn offsets_are_turned_into_utc_before_finding_the_month() {
        // 23:30 at -05:00 on 31 January is 04:30 UTC on 1 February.
        assert_eq!(
            period_of_rfc3339("2026-01-31T23:30:00-05:00"),
            Ok(period(2026, 2))
        );
        // 08:00 at +09:00 on 1 March is 23:00 UTC on 28 February.
        assert_eq!(
            period_of_rfc3339("2026-03-01T08:00:00+09:00"),
            Ok(period(2026, 2))
        );
        assert_eq!(
            period_of_rfc3339("2026-03-01T09:00:00+09:00"),
            Ok(period(2026, 3))
        );
        assert_eq!(
            period_of_rfc3339("2026-12-31T23:30:00-01:00"),
            Ok(period(2027, 1))
        );
        assert_eq!(
            period_of_rfc3339("2026-11-16T09:30:00Z"),
            Ok(period(2026, 11))
        );
        let err = period_of_rfc3339("2026-01-31 23:30").unwrap_err();
        assert_eq!(err.input, "2026-01-31 23:30");
        assert_eq!(
            err.to_string(),
            "\"2026-01-31 23:30\" is not a date and time written as in RFC 3339"
        );
    }

    #[test]
    fn periods_are_written_and_read_as_year_dash_month() {
        assert_eq!(period(2026, 11).to_string(), "2026-11");
        assert_eq!(period(2027, 1).to_string(), "2027-01");
        assert_eq!(period(987, 3).to_string(), "0987-03");
        assert_eq!(Period::parse("2026-11"), Ok(period(2026, 11)));
        assert_eq!("2027-01".parse::<Period>(), Ok(period(2027, 1)));
        for bad in [
            "2026-13", "2026-00", "2026-1", "0000-01", "26-11", "2026/11", "+026-11", "2026-11 ",
        ] {
            assert!(Period::parse(bad).is_err(), "{bad} should be refused");
        }
        assert_eq!(Period::new(2026, 13), None);
        assert_eq!(Period::new(10_000, 1), None);
        assert_eq!(period(2026, 11).label(), "November 2026");
        assert_eq!(period(2028, 2).label(), "February 2028");
        assert_eq!(
            (period(2026, 11).year(), period(2026, 11).month()),
            (2026, 11)
        );
        assert_eq!(String::from(period(2026, 11)), "2026-11");
        assert_eq!(Period::try_from("2026-11".to_owned()), Ok(period(2026, 11)));
    }

    // --- Invoices ---

    #[test]
    fn invoice_numbers_are_zero_padded_with_a_prefix() {
        assert_eq!(invoice_number(1), "A-000001");
        assert_eq!(invoice_number(42), "A-000042");
        assert_eq!(invoice_number(1_234_567), "A-1234567");
    }

    #[test]
    fn missed_periods_are_caught_up_and_the_open_one_is_left_alone() {
        let history = pro_from(datetime!(2026-01-15 10:00 UTC));
        let now = ms(datetime!(2026-12-10 00:00 UTC));
        assert_eq!(
            periods_to_invoice(Some(period(2026, 9)), &history, now),
            [period(2026, 10), period(2026, 11)]
        );
        assert_eq!(
            periods_to_invoice(Some(period(2026, 11)), &history, now),
            []
        );
        // A period is closed from the instant it ends.
        let dec_start = period(2026, 12).start_ms();
        assert_eq!(
            periods_to_invoice(Some(period(2026, 10)), &history, dec_start - 1),
            []
        );
        assert_eq!(
            periods_to_invoice(Some(period(2026, 10)), &history, dec_start),
            [period(2026, 11)]
        );
        // Never invoiced: from the month of the upgrade.
        let late = pro_from(datetime!(2026-10-20 00:00 UTC));
        assert_eq!(
            periods_to_invoice(None, &late, now),
            [period(2026, 10), period(2026, 11)]
        );
        // Invoiced before a long stretch on Free.
        assert_eq!(
            periods_to_invoice(Some(period(2020, 1)), &late, now),
            [period(2026, 10), period(2026, 11)]
        );
    }

    #[test]
    fn months_entirely_on_free_are_not_invoiced() {
        let history = [
            span(Plan::Pro, datetime!(2026-06-10 00:00 UTC)),
            span(Plan::Free, datetime!(2026-08-01 00:00 UTC)),
            span(Plan::Pro, datetime!(2026-10-31 23:00 UTC)),
            span(Plan::Free, datetime!(2026-11-01 00:00 UTC)),
        ];
        let now = ms(datetime!(2027-03-01 00:00 UTC));
        assert_eq!(
            periods_to_invoice(None, &history, now),
            [period(2026, 6), period(2026, 7), period(2026, 10)]
        );
        assert_eq!(periods_to_invoice(None, &[], now), []);
    }

    // --- Formatting ---

    #[test]
    fn counts_bytes_and_money_read_well() {
        assert_eq!(format_count(0), "0");
        assert_eq!(format_count(999), "999");
        assert_eq!(format_count(1_000), "1,000");
        assert_eq!(format_count(1_250_000), "1,250,000");
        assert_eq!(format_count(u64::MAX), "18,446,744,073,709,551,615");

        assert_eq!(format_bytes(0), "0 B");
        assert_eq!(format_bytes(999), "999 B");
        assert_eq!(format_bytes(1_000), "1 kB");
        assert_eq!(format_bytes(1_550), "1.6 kB");
        assert_eq!(format_bytes(1_549), "1.5 kB");
        assert_eq!(format_bytes(999_949), "999.9 kB");
        assert_eq!(format_bytes(999_950), "1 MB");
        assert_eq!(format_bytes(100_000_000_000), "100 GB");
        assert_eq!(format_bytes(120_500_000_000), "120.5 GB");
        assert_eq!(format_bytes(1_234_500_000_000_000), "1.2 PB");
        assert_eq!(format_bytes(u64::MAX), "18.4 EB");

        assert_eq!(format_cents(123_456, "USD"), "$1,234.56");
        assert_eq!(format_cents(123_456, "EUR"), "€1,234.56");
        assert_eq!(format_cents(123_456, "GBP"), "1,234.56 GBP");
        assert_eq!(format_cents(5, "USD"), "$0.05");
        assert_eq!(format_cents(0, "USD"), "$0.00");
        assert_eq!(format_cents(-1_500, "USD"), "-$15.00");
        assert_eq!(format_cents(i64::MIN, "USD"), "-$92,233,720,368,547,758.08");
    }

    // --- Properties ---

    fn any_prices() -> impl Strategy<Value = PriceTable> {
        (
            0_i64..100_000,
            0_u64..500_000_000_000,
            0_i64..1_000,
            0_u64..5_000_000,
            0_i64..100,
        )
            .prop_map(
                |(user_cents, included, per_gb, calls, per_thousand)| PriceTable {
                    pro: ProPrices {
                        user_cents,
                        storage_included_bytes: included,
                        storage_cents_per_gb: per_gb,
                        api_calls_included: calls,
                        api_cents_per_thousand: per_thousand,
                        users_max: None,
                    },
                    ..PriceTable::default()
                },
            )
    }

    fn any_usage() -> impl Strategy<Value = Usage> {
        (0_u32..10_000, any::<u64>(), any::<u64>()).prop_map(|(users, storage_bytes, api_calls)| {
            Usage {
                users,
                storage_bytes,
                api_calls,
            }
        })
    }

    /// A period from 1990 to 2099 and a history of up to five spans around it.
    fn any_case() -> impl Strategy<Value = (Period, Vec<PlanSpan>)> {
        (1990_i32..2100, 1_u8..=12).prop_flat_map(|(year, month)| {
            let p = Period::new(year, month).unwrap();
            let around = (p.start_ms() - 40 * DAY_MS)..(p.end_ms() + 40 * DAY_MS);
            let one = (any::<bool>(), around).prop_map(|(pro, from_ms)| PlanSpan {
                plan: if pro { Plan::Pro } else { Plan::Free },
                from_ms,
            });
            (Just(p), proptest::collection::vec(one, 0..5))
        })
    }

    proptest! {
        #[test]
        fn charges_are_never_negative_add_up_and_never_exceed_a_full_month(
            (p, history) in any_case(),
            usage in any_usage(),
            prices in any_prices(),
        ) {
            let c = charges(p, &history, &usage, &prices);
            prop_assert!(c.pro_days <= p.days());
            prop_assert_eq!(c.lines.is_empty(), c.pro_days == 0);
            prop_assert!(c.lines.iter().all(|l| l.amount_cents >= 0));
            prop_assert_eq!(c.total_cents, c.lines.iter().map(|l| l.amount_cents).sum::<i64>());
            let always = [PlanSpan { plan: Plan::Pro, from_ms: i64::MIN }];
            let full = charges(p, &always, &usage, &prices);
            prop_assert_eq!(full.pro_days, p.days());
            for (part, whole) in c.lines.iter().zip(&full.lines) {
                prop_assert_eq!(part.kind, whole.kind);
                prop_assert!(part.amount_cents <= whole.amount_cents);
            }
            prop_assert!(c.total_cents <= full.total_cents);
        }

        #[test]
        fn pro_days_agree_with_plan_at((p, history) in any_case()) {
            // A day counts when the plan is Pro at its start or becomes Pro during it.
            let expected = (0..p.days())
                .filter(|&d| {
                    let start = p.start_ms() + i64::from(d) * DAY_MS;
                    let end = start + DAY_MS;
                    plan_at(&history, start) == Plan::Pro
                        || history.iter().any(|s| {
                            (start + 1..end).contains(&s.from_ms)
                                && plan_at(&history, s.from_ms) == Plan::Pro
                        })
                })
                .count() as u32;
            prop_assert_eq!(pro_days(p, &history), expected);
        }

        #[test]
        fn every_instant_lies_in_its_period(ms in -62_135_596_800_000_i64..253_402_300_800_000) {
            let p = Period::of(ms);
            prop_assert!(p.start_ms() <= ms && ms < p.end_ms());
            prop_assert!(p.day_index(ms) < p.days());
            prop_assert_eq!(Period::parse(&p.to_string()), Ok(p));
            prop_assert_eq!(p.next().prev(), p);
        }
    }
}
