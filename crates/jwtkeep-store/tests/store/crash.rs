//! The crash test every durable backend runs: a child process (this test
//! binary, running one ignored test) revokes and rotates until it is killed
//! with SIGKILL after 150 acknowledged revocations; the store must then hold
//! every revocation the child printed as acknowledged, and its family must be
//! at the last acknowledged rotation or one past it (written, not yet printed).

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

use crate::conformance::suite::{facts, now};
use jwtkeep_store::{FamilyLimits, NewFamily, Revocation, Revoked, RotateOutcome, Store};

/// The child process's body: opens its store with `open` on a runtime of
/// its own and writes until it is killed.
pub(crate) fn child_writes<S, F, Fut>(open: F)
where
    S: Store,
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = S>,
{
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move { write_until_killed(open().await).await });
}

/// The child's half: writes forever, printing each acknowledged write.
pub(crate) async fn write_until_killed<S: Store>(store: S) {
    let t = now();
    store
        .create_family(NewFamily {
            id: "fam".into(),
            subject: "u".into(),
            jti: "r0".into(),
            now: t,
            limits: FamilyLimits::default(),
        })
        .await
        .unwrap();
    for i in 0u64.. {
        let token = Revocation::Token {
            issuer: "i".into(),
            jti: format!("j{i}"),
            exp: t + 3600,
        };
        store.revoke(token, t).await.unwrap();
        println!("ack revoke j{i}");
        let out = store
            .rotate_family("fam", &format!("r{i}"), &format!("r{}", i + 1), t)
            .await
            .unwrap();
        assert!(matches!(out, RotateOutcome::Rotated { .. }));
        println!("ack rotate r{}", i + 1);
    }
}

/// What the child acknowledged before it was killed.
pub(crate) struct Acknowledged {
    revokes: Vec<String>,
    last_rotation: u64,
}

/// Runs the ignored test `child` of this binary with `env` set, and kills it
/// (SIGKILL) once it has acknowledged 150 revocations.
pub(crate) fn kill_child_mid_writes(child: &str, env: (&str, &str)) -> Acknowledged {
    let mut process = Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            child,
            "--nocapture",
            "--test-threads=1",
        ])
        .env(env.0, env.1)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = process.stdout.take().unwrap();
    let (mut revokes, mut last_rotation) = (Vec::new(), None);
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(jti) = line.strip_prefix("ack revoke ") {
            revokes.push(jti.to_owned());
        } else if let Some(jti) = line.strip_prefix("ack rotate r") {
            last_rotation = Some(jti.parse().unwrap());
        }
        if revokes.len() == 150 {
            // SIGKILL, in the middle of the stream of writes.
            process.kill().unwrap();
            break;
        }
    }
    process.wait().unwrap();
    assert_eq!(revokes.len(), 150, "the child stopped early");
    Acknowledged {
        revokes,
        last_rotation: last_rotation.expect("no rotation was acknowledged"),
    }
}

/// Every acknowledged revocation is in `store`, and the family is at the
/// last acknowledged rotation or one past it.
pub(crate) async fn assert_nothing_acknowledged_was_lost<S: Store>(
    store: &S,
    acked: &Acknowledged,
) {
    let t = now();
    for jti in &acked.revokes {
        assert_eq!(
            store.is_revoked(facts("i", jti, "u", t), t).await.unwrap(),
            Some(Revoked::Token),
            "acknowledged revocation {jti} was lost"
        );
    }
    let family = store.family("fam").await.unwrap().unwrap();
    let current: u64 = family.current_jti[1..].parse().unwrap();
    let last = acked.last_rotation;
    assert!(
        current == last || current == last + 1,
        "current r{current}, last acked r{last}"
    );
}
