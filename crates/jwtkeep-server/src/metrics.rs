//! Counters for `GET /metrics`, in the Prometheus text format (version
//! 0.0.4). A handful of fixed counters do not need a metrics library: each
//! is an atomic, and the exposition is written by hand.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::events::SecurityEvent;

/// One counter per label value, labels fixed at compile time.
#[derive(Debug)]
struct Family<const N: usize> {
    name: &'static str,
    help: &'static str,
    label: &'static str,
    values: [&'static str; N],
    counts: [AtomicU64; N],
}

impl<const N: usize> Family<N> {
    const fn new(
        name: &'static str,
        help: &'static str,
        label: &'static str,
        values: [&'static str; N],
    ) -> Family<N> {
        Family {
            name,
            help,
            label,
            values,
            counts: [const { AtomicU64::new(0) }; N],
        }
    }

    /// Counts one under `value`; an unlisted value counts under the last ("other").
    fn inc(&self, value: &str) {
        let at = self
            .values
            .iter()
            .position(|v| *v == value)
            .unwrap_or(N.saturating_sub(1));
        if let Some(count) = self.counts.get(at) {
            count.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn write(&self, out: &mut String) {
        let _ = writeln!(out, "# HELP {} {}", self.name, self.help);
        let _ = writeln!(out, "# TYPE {} counter", self.name);
        for (value, count) in self.values.iter().zip(&self.counts) {
            let _ = writeln!(
                out,
                "{}{{{}=\"{value}\"}} {}",
                self.name,
                self.label,
                count.load(Ordering::Relaxed)
            );
        }
    }
}

/// The service's counters.
#[derive(Debug)]
pub struct Metrics {
    logins: Family<3>,
    issued: Family<3>,
    verifications: Family<4>,
    revocations: Family<4>,
    reuse: Family<1>,
    limited: Family<3>,
    events: Family<{ SecurityEvent::ALL.len() }>,
    outages: Family<2>,
    store_down: std::sync::atomic::AtomicBool,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics {
            logins: Family::new(
                "jwtkeep_logins_total",
                "Login attempts by result.",
                "result",
                ["succeeded", "failed", "limited"],
            ),
            issued: Family::new(
                "jwtkeep_tokens_issued_total",
                "Tokens signed, by purpose.",
                "purpose",
                ["access", "refresh", "confirm"],
            ),
            verifications: Family::new(
                "jwtkeep_verifications_total",
                "Token verifications by result.",
                "result",
                ["valid", "invalid", "revoked", "unavailable"],
            ),
            revocations: Family::new(
                "jwtkeep_revocations_total",
                "Revocations recorded, by kind.",
                "kind",
                ["token", "family", "subject", "all"],
            ),
            reuse: Family::new(
                "jwtkeep_refresh_reuse_total",
                "Refresh tokens presented again after rotation (the family was ended).",
                "action",
                ["family_revoked"],
            ),
            limited: Family::new(
                "jwtkeep_rate_limited_total",
                "Requests refused by a rate limit.",
                "endpoint",
                ["login", "password_busy", "other"],
            ),
            events: Family::new(
                "jwtkeep_security_events_total",
                "Security events recorded, by their stable name.",
                "event",
                SecurityEvent::ALL.map(SecurityEvent::name),
            ),
            outages: Family::new(
                "jwtkeep_store_outages_total",
                "Times the store was found unreachable, or reset (its identity gone or changed).",
                "kind",
                ["unreachable", "reset"],
            ),
            store_down: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

impl Metrics {
    /// A login's result: `succeeded`, `failed` or `limited`.
    pub(crate) fn login(&self, result: &str) {
        self.logins.inc(result);
        if result == "limited" {
            self.limited.inc("login");
        }
    }

    /// A token signed for `purpose`.
    pub(crate) fn issued(&self, purpose: crate::Purpose) {
        self.issued.inc(purpose.as_str());
    }

    /// A verification's result: `valid`, `invalid`, `revoked` or `unavailable`.
    pub(crate) fn verification(&self, result: &str) {
        self.verifications.inc(result);
    }

    /// A revocation of `kind`: `token`, `family`, `subject` or `all`.
    pub(crate) fn revocation(&self, kind: &str) {
        self.revocations.inc(kind);
    }

    /// A refresh token reused.
    pub(crate) fn reuse(&self) {
        self.reuse.inc("family_revoked");
    }

    /// A password check or hash refused because every worker was busy.
    pub(crate) fn busy(&self) {
        self.limited.inc("password_busy");
    }

    /// The store was found unreachable or reset (`kind`), or is up again (`None`).
    pub(crate) fn store(&self, outage: Option<&str>) {
        if let Some(kind) = outage {
            self.outages.inc(kind);
        }
        self.store_down.store(outage.is_some(), Ordering::Relaxed);
    }

    /// A security event recorded.
    pub(crate) fn security_event(&self, event: SecurityEvent) {
        self.events.inc(event.name());
    }

    /// The exposition, with the age of each purpose's signing key appended.
    pub(crate) fn render(&self, key_ages: &[(crate::Purpose, Option<i64>)]) -> String {
        let mut out = String::with_capacity(2048);
        self.logins.write(&mut out);
        self.issued.write(&mut out);
        self.verifications.write(&mut out);
        self.revocations.write(&mut out);
        self.reuse.write(&mut out);
        self.limited.write(&mut out);
        self.events.write(&mut out);
        self.outages.write(&mut out);
        out.push_str("# HELP jwtkeep_store_up Whether the last sync with the store succeeded and found the expected store.\n");
        out.push_str("# TYPE jwtkeep_store_up gauge\n");
        let up = u8::from(!self.store_down.load(Ordering::Relaxed));
        let _ = writeln!(out, "jwtkeep_store_up {up}");
        out.push_str("# HELP jwtkeep_active_key_age_seconds Seconds since the signing key of each purpose began to sign.\n");
        out.push_str("# TYPE jwtkeep_active_key_age_seconds gauge\n");
        for (purpose, age) in key_ages {
            if let Some(age) = age {
                let _ = writeln!(
                    out,
                    "jwtkeep_active_key_age_seconds{{purpose=\"{purpose}\"}} {age}"
                );
            }
        }
        out
    }
}
