//! Revocations on Redis: denials with a TTL equal to the token's remaining
//! lifetime, an index for snapshots, cut-offs, and the feed (a stream)
//! announced on a pub/sub channel.

use redis::AsyncCommands as _;

use super::{corrupt, RedisStore};
use crate::traits::Result;
use std::sync::Arc;

use tokio::sync::Notify;

use crate::revocation::{judge, Matches};
use crate::traits::{RevocationFeed, Revocations};
use crate::{Changes, Revocation, RevocationSnapshot, Revoked, StoreError, TokenFacts};

/// Length-prefixed key parts, so that no two (issuer, jti) pairs share a key.
fn part(s: &str) -> String {
    format!("{}:{s}", s.len())
}

/// Stream entries as Redis returns them: (id, [(field, value)]).
type StreamRows = Vec<(String, Vec<(String, String)>)>;
/// (denied `[issuer, jti]` members with their exp, ended sessions with their
/// end, subject cut-offs, global cut-off).
type SnapshotParts = (
    Vec<(String, i64)>,
    Vec<(String, i64)>,
    Vec<(String, i64)>,
    Option<i64>,
);

/// Stream ids `ms-seq` compared as numbers.
fn stream_id(id: &str) -> Option<(u64, u64)> {
    let (ms, seq) = id.split_once('-')?;
    Some((ms.parse().ok()?, seq.parse().ok()?))
}

impl RevocationFeed for RedisStore {
    async fn identity(&self) -> Result<Option<String>> {
        self.read_identity().await
    }

    async fn snapshot(&self, now: i64) -> Result<RevocationSnapshot> {
        // The cursor first: anything revoked meanwhile is in the data read
        // next, or after the cursor, or both (applying twice is harmless).
        let feed = self.feed_key();
        let last: StreamRows = self
            .run(|mut c| async move {
                redis::cmd("XREVRANGE")
                    .arg(feed)
                    .arg("+")
                    .arg("-")
                    .arg("COUNT")
                    .arg(1)
                    .query_async(&mut c)
                    .await
            })
            .await?;
        let cursor = last
            .first()
            .map_or_else(|| "0-0".to_owned(), |(id, _)| id.clone());
        let (idx, sessions, subjects, global) = (
            self.key(&["denyidx"]),
            self.key(&["sdenyidx"]),
            self.key(&["subjects"]),
            self.key(&["global"]),
        );
        let (denied, ended, cutoffs, global_before): SnapshotParts = self
            .run(|mut c| async move {
                redis::pipe()
                    .cmd("ZRANGE")
                    .arg(&idx)
                    .arg(format!("({now}"))
                    .arg("+inf")
                    .arg("BYSCORE")
                    .arg("WITHSCORES")
                    .cmd("ZRANGE")
                    .arg(&sessions)
                    .arg(format!("({now}"))
                    .arg("+inf")
                    .arg("BYSCORE")
                    .arg("WITHSCORES")
                    .hgetall(subjects)
                    .get(global)
                    .query_async(&mut c)
                    .await
            })
            .await?;
        let mut entries = Vec::with_capacity(denied.len() + ended.len() + cutoffs.len() + 1);
        for (member, exp) in denied {
            let (issuer, jti): (String, String) =
                serde_json::from_str(&member).map_err(|_| corrupt("denial index member"))?;
            entries.push(Revocation::Token { issuer, jti, exp });
        }
        for (session, until) in ended {
            entries.push(Revocation::Session { session, until });
        }
        for (subject, before) in cutoffs {
            entries.push(Revocation::Subject { subject, before });
        }
        if let Some(before) = global_before {
            entries.push(Revocation::All { before });
        }
        Ok(RevocationSnapshot { entries, cursor })
    }

    async fn changes_since(&self, cursor: &str) -> Result<Changes> {
        let from = stream_id(cursor)
            .ok_or_else(|| StoreError::invalid("cursor", "not a cursor of this store"))?;
        let (feed, trimmed_key) = (self.feed_key(), self.key(&["revlog", "trimmed"]));
        let cursor = cursor.to_owned();
        let (trimmed, newest, rows): (Option<String>, StreamRows, StreamRows) = self
            .run(|mut c| async move {
                redis::pipe()
                    .get(trimmed_key)
                    .cmd("XREVRANGE")
                    .arg(&feed)
                    .arg("+")
                    .arg("-")
                    .arg("COUNT")
                    .arg(1)
                    .cmd("XRANGE")
                    .arg(&feed)
                    .arg(format!("({cursor}"))
                    .arg("+")
                    .arg("COUNT")
                    .arg(10_000)
                    .query_async(&mut c)
                    .await
            })
            .await?;
        // Trimmed past the cursor, or the feed went back in time (Redis restarted
        // without its data): what the view holds can no longer be patched.
        let newest = newest
            .first()
            .and_then(|(id, _)| stream_id(id))
            .unwrap_or((0, 0));
        let trimmed_past = trimmed
            .as_deref()
            .and_then(stream_id)
            .is_some_and(|t| from < t);
        if trimmed_past || newest < from {
            return Ok(Changes::Reload);
        }
        let mut entries = Vec::with_capacity(rows.len());
        let mut last = None;
        for (id, fields) in rows {
            let text = fields
                .iter()
                .find(|(k, _)| k == "e")
                .map(|(_, v)| v.as_str())
                .ok_or_else(|| corrupt("feed entry"))?;
            entries.push(serde_json::from_str(text).map_err(|_| corrupt("feed entry"))?);
            last = Some(id);
        }
        Ok(Changes::Since {
            entries,
            cursor: last.unwrap_or_else(|| format!("{}-{}", from.0, from.1)),
        })
    }

    fn notifier(&self) -> Arc<Notify> {
        Arc::clone(&self.notify)
    }
}

impl Revocations for RedisStore {
    async fn revoke(&self, revocation: Revocation, now: i64) -> Result<()> {
        self.record_revocation(revocation, false, now)
            .await
            .map(|_| ())
    }

    async fn consume(&self, issuer: &str, jti: &str, exp: i64, now: i64) -> Result<bool> {
        let token = Revocation::Token {
            issuer: issuer.to_owned(),
            jti: jti.to_owned(),
            exp,
        };
        self.record_revocation(token, true, now).await
    }

    async fn is_revoked(&self, token: TokenFacts<'_>, now: i64) -> Result<Option<Revoked>> {
        let deny = self.key(&["deny", &part(token.issuer), token.jti]);
        // A key no token names when there is no session: it never exists.
        let session = token.session.map_or_else(
            || self.key(&["sdeny", ""]),
            |session| self.key(&["sdeny", session]),
        );
        let (subjects, global) = (self.key(&["subjects"]), self.key(&["global"]));
        let subject = token.subject;
        type Found = (Option<i64>, Option<i64>, Option<i64>, Option<i64>);
        let (exp, until, subject_before, global_before): Found = self
            .run(|mut c| async move {
                redis::pipe()
                    .get(deny)
                    .get(session)
                    .hget(subjects, subject)
                    .get(global)
                    .query_async(&mut c)
                    .await
            })
            .await?;
        let found = Matches {
            denied: exp.is_some_and(|e| e > now),
            session_ended: until.is_some_and(|u| u > now),
            subject_before,
            global_before,
        };
        Ok(judge(found, token.iat))
    }

    async fn purge_expired(&self, now: i64) -> Result<u64> {
        // Denials, families, windows and locks expire by TTL; the index and the feed are trimmed here.
        let (idx, sessions, feed, trimmed_key) = (
            self.key(&["denyidx"]),
            self.key(&["sdenyidx"]),
            self.feed_key(),
            self.key(&["revlog", "trimmed"]),
        );
        let horizon_ms = u64::try_from(now.saturating_sub(86_400))
            .unwrap_or(0)
            .saturating_mul(1000);
        let horizon = format!("{horizon_ms}-0");
        let (removed, trimmed): (u64, u64) = self
            .run(|mut c| async move {
                let mut removed: u64 = c.zrembyscore(&idx, "-inf", now).await?;
                removed += c
                    .zrembyscore::<_, _, _, u64>(&sessions, "-inf", now)
                    .await?;
                let trimmed: u64 = redis::cmd("XTRIM")
                    .arg(&feed)
                    .arg("MINID")
                    .arg(&horizon)
                    .query_async(&mut c)
                    .await?;
                if trimmed > 0 {
                    let () = c.set(&trimmed_key, &horizon).await?;
                }
                Ok((removed, trimmed))
            })
            .await?;
        Ok(removed.saturating_add(trimmed))
    }
}

impl RedisStore {
    /// Records a revocation; with `once`, a token denial only if it is not
    /// denied already, answering whether this call recorded it.
    async fn record_revocation(
        &self,
        revocation: Revocation,
        once: bool,
        now: i64,
    ) -> Result<bool> {
        if !revocation.worth_storing(now)? {
            // Expired already: nothing to deny, and nothing left to use.
            return Ok(false);
        }
        let entry =
            serde_json::to_string(&revocation).map_err(|e| StoreError::corrupt(e.to_string()))?;
        let (kind, a, b, value) = match &revocation {
            Revocation::Token { issuer, jti, exp } => {
                let kind = if once { "consume" } else { "token" };
                (kind, issuer.as_str(), jti.as_str(), *exp)
            }
            Revocation::Session { session, until } => ("session", session.as_str(), "", *until),
            Revocation::Subject { subject, before } => ("subject", subject.as_str(), "", *before),
            Revocation::All { before } => ("all", "", "", *before),
        };
        let (deny_key, index) = if kind == "session" {
            (self.key(&["sdeny", a]), self.key(&["sdenyidx"]))
        } else {
            (self.key(&["deny", &part(a), b]), self.key(&["denyidx"]))
        };
        let keys = [
            deny_key,
            index,
            self.key(&["subjects"]),
            self.key(&["global"]),
            self.feed_key(),
        ];
        let channel = self.key(&["revocations"]);
        let script = &self.scripts.revoke;
        let id: String = self
            .run(|mut c| async move {
                script
                    .key(&keys[..])
                    .arg(kind)
                    .arg(a)
                    .arg(b)
                    .arg(value)
                    .arg(entry)
                    .arg(now)
                    .arg(channel)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        Ok(!id.is_empty())
    }
}
