//! Security events on Redis.

use redis::AsyncCommands as _;

use super::{corrupt, RedisStore};
use crate::traits::Events;
use crate::traits::Result;
use crate::{Event, EventQuery, StoreError};

impl Events for RedisStore {
    async fn record(&self, event: Event) -> Result<()> {
        event.validate()?;
        let (zset, seq_key) = (self.key(&["events"]), self.key(&["events", "seq"]));
        let body = serde_json::to_string(&event).map_err(|e| StoreError::corrupt(e.to_string()))?;
        let at = event.at;
        self.run(|mut c| async move {
            let seq: u64 = c.incr(&seq_key, 1).await?;
            // Members sort by the sequence number within one second.
            let member = format!("{seq:020}\t{body}");
            c.zadd(&zset, member, at).await
        })
        .await
    }

    async fn events(&self, query: EventQuery) -> Result<Vec<Event>> {
        let zset = self.key(&["events"]);
        let mut out = Vec::new();
        let mut offset = 0usize;
        const PAGE: usize = 1000;
        while out.len() < query.limit {
            let (z, from, to) = (zset.clone(), query.from, query.to);
            let page: Vec<String> = self
                .run(|mut c| async move {
                    redis::cmd("ZRANGE")
                        .arg(z)
                        .arg(from)
                        .arg(format!("({to}"))
                        .arg("BYSCORE")
                        .arg("LIMIT")
                        .arg(offset)
                        .arg(PAGE)
                        .query_async(&mut c)
                        .await
                })
                .await?;
            let done = page.len() < PAGE;
            offset += page.len();
            for member in page {
                let (_, body) = member.split_once('\t').ok_or_else(|| corrupt("event"))?;
                let event: Event = serde_json::from_str(body).map_err(|_| corrupt("event"))?;
                if query.selects(&event.name) && out.len() < query.limit {
                    out.push(event);
                }
            }
            if done {
                break;
            }
        }
        Ok(out)
    }

    async fn purge_events(&self, before: i64) -> Result<u64> {
        let zset = self.key(&["events"]);
        self.run(|mut c| async move { c.zrembyscore(zset, "-inf", format!("({before}")).await })
            .await
    }
}

impl RedisStore {
    /// Forgets the client addresses of `subject`'s events (a deleted user's
    /// events keep the subject id only): each such member is replaced by the
    /// same event without its address, at the same score and with the same
    /// sequence number, so it keeps its place and the pages stay aligned.
    pub(super) async fn scrub_event_addresses(&self, subject: &str) -> Result<()> {
        const PAGE: isize = 1000;
        let zset = self.key(&["events"]);
        let mut start = 0isize;
        loop {
            let z = zset.clone();
            let page: Vec<(String, f64)> = self
                .run(|mut c| async move { c.zrange_withscores(z, start, start + PAGE - 1).await })
                .await?;
            let done = page.len() < usize::try_from(PAGE).unwrap_or(usize::MAX);
            start += PAGE;
            for (member, score) in page {
                let (seq, body) = member.split_once('\t').ok_or_else(|| corrupt("event"))?;
                let event: Event = serde_json::from_str(body).map_err(|_| corrupt("event"))?;
                if event.subject.as_deref() != Some(subject) || event.client.is_none() {
                    continue;
                }
                let scrubbed = Event {
                    client: None,
                    ..event
                };
                let body = serde_json::to_string(&scrubbed)
                    .map_err(|e| StoreError::corrupt(e.to_string()))?;
                let replacement = format!("{seq}\t{body}");
                let z = zset.clone();
                self.run(|mut c| async move {
                    redis::pipe()
                        .atomic()
                        .zrem(&z, &member)
                        .ignore()
                        .zadd(&z, replacement, score)
                        .ignore()
                        .query_async::<()>(&mut c)
                        .await
                })
                .await?;
            }
            if done {
                return Ok(());
            }
        }
    }
}
