//! Storage benchmarks (issue 4), printed as Markdown:
//! - a revocation check through the in-process view holding a million
//!   denied `jti`s (ns per check, hit and miss; memory per million entries);
//! - revocation propagation between two processes over Redis (p50 / p99):
//!   this process revokes, a child process's view sees it;
//! - refresh-token rotations per second and rate-limit hits per second on
//!   each backend (SQLite, Redis, PostgreSQL), with one client and with 8
//!   concurrent clients.
//!
//! Run: `cd bench && cargo bench --bench store` (needs Redis on 127.0.0.1:6379
//! and PostgreSQL on 127.0.0.1:5432 with a database `test`).

use std::hint::black_box;
use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use jwtkeep_store::{
    FamilyLimits, NewFamily, PostgresConfig, PostgresStore, RedisConfig, RedisStore, Revocation,
    RevocationView, Revocations as _, SqliteStore, Store, TokenFacts, ViewSync,
};

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn wall_nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn view_check() {
    const N: usize = 1_000_000;
    let t = unix_now();
    let view = RevocationView::new(Duration::from_secs(3600));
    let before = rss_bytes();
    view.load((0..N).map(|i| Revocation::Token {
        issuer: "https://auth.example.com".into(),
        jti: format!("jti-{i:016x}"),
        exp: t + 3600,
    }));
    let after = rss_bytes();
    assert_eq!(view.denied_len(), N);
    let probe = |prefix: &str| {
        let jtis: Vec<String> = (0..4096)
            .map(|i| format!("{prefix}{:016x}", i * 241 % N))
            .collect();
        let mut per_batch = Vec::new();
        for _ in 0..50 {
            let start = Instant::now();
            for jti in &jtis {
                black_box(
                    view.check(TokenFacts::new("https://auth.example.com", black_box(jti), "user-1", t), t)
                        .unwrap(),
                );
            }
            per_batch.push(start.elapsed().as_nanos() as f64 / jtis.len() as f64);
        }
        per_batch.sort_by(f64::total_cmp);
        percentile(&per_batch, 0.5)
    };
    let hit = probe("jti-");
    let miss = probe("other-");
    println!("| view check, 1,000,000 denied, jti denied | {hit:.0} ns |");
    println!("| view check, 1,000,000 denied, jti not denied | {miss:.0} ns |");
    println!(
        "| view memory per 1,000,000 denied jtis | {:.1} MB |",
        (after.saturating_sub(before)) as f64 / 1e6
    );
}

async fn redis_store(prefix: &str) -> RedisStore {
    RedisStore::open(RedisConfig::new("redis://127.0.0.1:6379").prefix(prefix))
        .await
        .expect("Redis on 127.0.0.1:6379")
}

/// Child: a view over Redis; prints when each announced jti becomes visible.
async fn propagation_child(prefix: String, count: usize) {
    let store = redis_store(&prefix).await;
    let view = RevocationView::new(Duration::from_secs(30));
    let _sync = ViewSync::spawn(store, view.clone(), Duration::from_secs(60), unix_now);
    while view.age().is_none() {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    println!("ready");
    let t = unix_now();
    let mut out = std::io::stdout().lock();
    for i in 0..count {
        let jti = format!("p{i}");
        loop {
            if view.check(TokenFacts::new("i", &jti, "u", t), t).ok().flatten().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_micros(20));
        }
        writeln!(out, "seen {i} {}", wall_nanos()).ok();
        out.flush().ok();
    }
}

async fn propagation() {
    const COUNT: usize = 300;
    let prefix = format!(
        "jwtkeep-bench:{}:",
        jwtkeep_core::random_id().unwrap()
    );
    let store = redis_store(&prefix).await;
    let mut child = Command::new(std::env::current_exe().unwrap())
        .env("JWTKEEP_BENCH_CHILD", &prefix)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");
    let t = unix_now();
    let mut latencies = Vec::with_capacity(COUNT);
    for i in 0..COUNT {
        let sent = wall_nanos();
        store
            .revoke(
                Revocation::Token {
                    issuer: "i".into(),
                    jti: format!("p{i}"),
                    exp: t + 600,
                },
                t,
            )
            .await
            .unwrap();
        let line = lines.next().unwrap().unwrap();
        let seen: u128 = line.rsplit(' ').next().unwrap().parse().unwrap();
        latencies.push(seen.saturating_sub(sent) as f64 / 1e6);
    }
    child.wait().unwrap();
    latencies.sort_by(f64::total_cmp);
    println!(
        "| revocation propagation over Redis, process to process ({COUNT} revocations) | p50 {:.2} ms, p99 {:.2} ms |",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99)
    );
}

/// Operations per second of `op` run `per_client` times by each of `clients` tasks.
async fn throughput<S, F, Fut>(store: &S, clients: usize, per_client: usize, op: F) -> f64
where
    S: Store,
    F: Fn(S, usize, usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let start = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let (store, op) = (store.clone(), op.clone());
            tokio::spawn(async move {
                for i in 0..per_client {
                    op(store.clone(), c, i).await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    (clients * per_client) as f64 / start.elapsed().as_secs_f64()
}

async fn backend_rows<S: Store>(name: &str, store: S) {
    let t = unix_now();
    let run = jwtkeep_core::random_id().unwrap();
    for clients in [1usize, 8] {
        for c in 0..clients {
            store
                .create_family(NewFamily {
                    id: format!("{run}-{clients}-{c}"),
                    subject: "bench".into(),
                    jti: "r0".into(),
                    now: t,
                    limits: FamilyLimits::default(),
                })
                .await
                .unwrap();
        }
        let run2 = run.clone();
        let rotations = throughput(&store, clients, 2000 / clients, move |s: S, c, i| {
            let id = format!("{run2}-{clients}-{c}");
            async move {
                let out = s
                    .rotate_family(&id, &format!("r{i}"), &format!("r{}", i + 1), t)
                    .await
                    .unwrap();
                assert_eq!(out.code(), "rotated");
            }
        })
        .await;
        let run3 = run.clone();
        let hits = throughput(&store, clients, 4000 / clients, move |s: S, c, _| {
            let key = format!("{run3}-{clients}-{c}");
            async move {
                black_box(s.hit(&key, 1_000_000, 60, t).await.unwrap());
            }
        })
        .await;
        println!("| refresh rotations per second, {name}, {clients} client(s) | {rotations:.0} |");
        println!("| rate-limit hits per second, {name}, {clients} client(s) | {hits:.0} |");
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if let Ok(prefix) = std::env::var("JWTKEEP_BENCH_CHILD") {
        propagation_child(prefix, 300).await;
        return;
    }
    println!("| measurement | result |");
    println!("|---|---|");
    view_check();
    propagation().await;
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(dir.path().join("bench.db"))
        .await
        .unwrap();
    backend_rows("sqlite", sqlite).await;
    let prefix = format!(
        "jwtkeep-bench:{}:",
        jwtkeep_core::random_id().unwrap()
    );
    backend_rows("redis", redis_store(&prefix).await).await;
    // PostgreSQL on 127.0.0.1:5432, database `test`, in a schema of its own.
    let schema = format!(
        "bench_{}",
        jwtkeep_core::random_id()
            .unwrap()
            .to_ascii_lowercase()
            .replace('-', "_")
    );
    let config =
        PostgresConfig::new("postgres://postgres@127.0.0.1:5432/test").schema(schema.as_str());
    let postgres = PostgresStore::open(config)
        .await
        .expect("PostgreSQL on 127.0.0.1:5432, database test");
    backend_rows("postgres", postgres).await;
    let _ = Command::new("psql")
        .args(["-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-q", "-c"])
        .arg(format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .output();
}
