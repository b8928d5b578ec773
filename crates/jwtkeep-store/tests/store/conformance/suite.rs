//! The conformance tests, generic over the backend.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use jwtkeep_core::{Algorithm, Secret};
use jwtkeep_store::{
    Changes, ClientSecretHash, Event, EventQuery, FamilyLimits, KeyRecord, MasterKey, NewFamily,
    PasswordHash, Revocation, RevocationView, Revoked, RotateOutcome, SealError, Store, StoreError,
    ViewError, ViewSync,
};

pub fn now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

fn id() -> String {
    jwtkeep_core::random_id().unwrap()
}

pub fn hash(tag: char) -> PasswordHash {
    PasswordHash::new(&format!(
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA${}",
        tag.to_string().repeat(43)
    ))
    .unwrap()
}

fn token(issuer: &str, jti: &str, exp: i64) -> Revocation {
    Revocation::Token {
        issuer: issuer.into(),
        jti: jti.into(),
        exp,
    }
}

pub async fn a_single_use_token_is_consumed_by_exactly_one_call<S: Store>(s: S) {
    let t = now();
    let jti = id();
    let calls: Vec<_> = (0..20)
        .map(|_| {
            let (s, jti) = (s.clone(), jti.clone());
            tokio::spawn(async move { s.consume("iss", &jti, t + 300, t).await.unwrap() })
        })
        .collect();
    let mut firsts = 0;
    for call in calls {
        if call.await.unwrap() {
            firsts += 1;
        }
    }
    assert_eq!(firsts, 1);
    assert_eq!(
        s.is_revoked("iss", &jti, "u", t, t + 1).await.unwrap(),
        Some(Revoked::Token)
    );
    // Used once means denied: a revoked token cannot be consumed, an expired one neither.
    let revoked = id();
    s.revoke(
        Revocation::Token {
            issuer: "iss".into(),
            jti: revoked.clone(),
            exp: t + 300,
        },
        t,
    )
    .await
    .unwrap();
    assert!(!s.consume("iss", &revoked, t + 300, t).await.unwrap());
    assert!(!s.consume("iss", &id(), t - 1, t).await.unwrap());
    assert!(s.consume("other-issuer", &jti, t + 300, t).await.unwrap());
}

pub async fn token_denial_lasts_until_exp<S: Store>(s: S) {
    let t = now();
    s.revoke(token("https://a.example", "j1", t + 600), t)
        .await
        .unwrap();
    assert_eq!(
        s.is_revoked("https://a.example", "j1", "u1", t, t)
            .await
            .unwrap(),
        Some(Revoked::Token)
    );
    // Same jti, another issuer: not revoked. Another jti: not revoked.
    assert_eq!(
        s.is_revoked("https://b.example", "j1", "u1", t, t)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        s.is_revoked("https://a.example", "j2", "u1", t, t)
            .await
            .unwrap(),
        None
    );
    // Past its exp the denial no longer matters.
    assert_eq!(
        s.is_revoked("https://a.example", "j1", "u1", t, t + 601)
            .await
            .unwrap(),
        None
    );
    // A token already expired is accepted and dropped.
    s.revoke(token("https://a.example", "old", t - 1), t)
        .await
        .unwrap();
    assert_eq!(
        s.is_revoked("https://a.example", "old", "u1", t - 100, t - 50)
            .await
            .unwrap(),
        None
    );
    // Empty values are refused by both backends alike.
    assert!(matches!(
        s.revoke(token("", "j", t + 5), t).await,
        Err(StoreError::Invalid { .. })
    ));
}

pub async fn subject_and_global_cutoffs_only_move_forward<S: Store>(s: S) {
    let t = now();
    s.revoke(
        Revocation::Subject {
            subject: "alice".into(),
            before: t,
        },
        t,
    )
    .await
    .unwrap();
    assert_eq!(
        s.is_revoked("i", "j", "alice", t - 1, t).await.unwrap(),
        Some(Revoked::Subject)
    );
    assert_eq!(s.is_revoked("i", "j", "alice", t, t).await.unwrap(), None);
    assert_eq!(s.is_revoked("i", "j", "bob", t - 1, t).await.unwrap(), None);
    // An earlier cut-off does not undo a later one.
    s.revoke(
        Revocation::Subject {
            subject: "alice".into(),
            before: t - 100,
        },
        t,
    )
    .await
    .unwrap();
    assert_eq!(
        s.is_revoked("i", "j", "alice", t - 1, t).await.unwrap(),
        Some(Revoked::Subject)
    );
    // A token without iat (i64::MIN) is revoked by any cut-off.
    assert_eq!(
        s.is_revoked("i", "j", "alice", i64::MIN, t).await.unwrap(),
        Some(Revoked::Subject)
    );

    s.revoke(Revocation::All { before: t - 10 }, t)
        .await
        .unwrap();
    assert_eq!(
        s.is_revoked("i", "j", "bob", t - 11, t).await.unwrap(),
        Some(Revoked::All)
    );
    assert_eq!(
        s.is_revoked("i", "j", "bob", t - 10, t).await.unwrap(),
        None
    );
    s.revoke(Revocation::All { before: t - 1000 }, t)
        .await
        .unwrap();
    assert_eq!(
        s.is_revoked("i", "j", "bob", t - 11, t).await.unwrap(),
        Some(Revoked::All)
    );
}

pub async fn feed_gives_each_revocation_once_in_order<S: Store>(s: S) {
    let t = now();
    s.revoke(token("i", "before-snapshot", t + 60), t)
        .await
        .unwrap();
    let snapshot = s.snapshot(t).await.unwrap();
    assert!(snapshot
        .entries
        .contains(&token("i", "before-snapshot", t + 60)));
    let Changes::Since { entries, cursor } = s.changes_since(&snapshot.cursor).await.unwrap()
    else {
        panic!("a fresh cursor must not need a reload");
    };
    assert!(entries.is_empty());
    assert_eq!(cursor, snapshot.cursor);

    let later = [
        token("i", "a", t + 60),
        Revocation::Subject {
            subject: "s".into(),
            before: t,
        },
        token("i", "b", t + 60),
        Revocation::All { before: t - 5 },
    ];
    for r in &later {
        s.revoke(r.clone(), t).await.unwrap();
    }
    let Changes::Since {
        entries,
        cursor: next,
    } = s.changes_since(&cursor).await.unwrap()
    else {
        panic!("reload");
    };
    assert_eq!(entries, later);
    let Changes::Since { entries, .. } = s.changes_since(&next).await.unwrap() else {
        panic!("reload");
    };
    assert!(entries.is_empty());
    assert!(matches!(
        s.changes_since("not a cursor").await,
        Err(StoreError::Invalid { .. })
    ));
}

pub async fn view_follows_the_store_and_fails_closed_when_stale<S: Store>(s: S) {
    let t = now();
    let view = RevocationView::new(Duration::from_millis(300));
    assert_eq!(view.check("i", "j", "u", t, t), Err(ViewError::NotLoaded));
    s.revoke(token("i", "j", t + 60), t).await.unwrap();
    view.sync(&s, t).await.unwrap();
    assert_eq!(
        view.check("i", "j", "u", t, t).unwrap(),
        Some(Revoked::Token)
    );
    assert_eq!(view.check("i", "k", "u", t, t).unwrap(), None);
    s.revoke(
        Revocation::Subject {
            subject: "u".into(),
            before: t,
        },
        t,
    )
    .await
    .unwrap();
    view.sync(&s, t).await.unwrap();
    assert_eq!(
        view.check("i", "k", "u", t - 1, t).unwrap(),
        Some(Revoked::Subject)
    );
    // Nobody syncs: past the bound the view refuses to answer.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let err = view.check("i", "k", "v", t, t).unwrap_err();
    assert_eq!(err.code(), "revocations_stale");
}

pub async fn view_sync_task_learns_of_revocations_without_being_asked<S: Store>(s: S) {
    let view = RevocationView::new(Duration::from_secs(30));
    // Polling every minute: only the store's notification can bring the change in time.
    let _sync = ViewSync::spawn(s.clone(), view.clone(), Duration::from_secs(60), now);
    let t = now();
    wait_until(&view, || view.check("i", "x", "u", t, t).is_ok()).await;
    s.revoke(token("i", "x", t + 60), t).await.unwrap();
    wait_until(&view, || {
        view.check("i", "x", "u", t, t) == Ok(Some(Revoked::Token))
    })
    .await;
}

/// Waits up to 10 s for `cond` to hold, checking after each of the view's
/// syncs (no timer: the sync task's own signal).
pub async fn wait_until(view: &RevocationView, mut cond: impl FnMut() -> bool) {
    let mut syncs = view.syncs();
    tokio::time::timeout(Duration::from_secs(10), async {
        while !cond() {
            syncs.changed().await.unwrap();
        }
    })
    .await
    .expect("condition not reached within 10 s");
}

fn family(subject: &str, jti: &str, t: i64, grace_secs: i64) -> NewFamily {
    NewFamily {
        id: id(),
        subject: subject.into(),
        jti: jti.into(),
        now: t,
        limits: FamilyLimits {
            idle_secs: 3600,
            absolute_secs: 86_400,
            grace_secs,
        },
    }
}

pub async fn rotation_replaces_the_current_token<S: Store>(s: S) {
    let t = now();
    let f = family("u", "r1", t, 0);
    s.create_family(f.clone()).await.unwrap();
    assert!(matches!(
        s.create_family(f.clone()).await,
        Err(StoreError::Conflict { .. })
    ));
    let out = s.rotate_family(&f.id, "r1", "r2", t + 5).await.unwrap();
    assert_eq!(
        out,
        RotateOutcome::Rotated {
            successor: "r2".into(),
            idle_expires_at: t + 5 + 3600,
            absolute_expires_at: t + 86_400,
        }
    );
    let stored = s.family(&f.id).await.unwrap().unwrap();
    assert_eq!(stored.current_jti, "r2");
    assert_eq!(stored.previous_jti.as_deref(), Some("r1"));
    assert_eq!(stored.rotated_at, t + 5);
    // A successor that this family already used is refused, and nothing changes.
    assert!(matches!(
        s.rotate_family(&f.id, "r2", "r1", t + 6).await,
        Err(StoreError::Invalid { .. })
    ));
    assert_eq!(s.family(&f.id).await.unwrap().unwrap().current_jti, "r2");
}

pub async fn reuse_of_a_rotated_token_revokes_the_family<S: Store>(s: S) {
    let t = now();
    let f = family("mallory-target", "r1", t, 0);
    s.create_family(f.clone()).await.unwrap();
    s.rotate_family(&f.id, "r1", "r2", t).await.unwrap();
    assert_eq!(
        s.rotate_family(&f.id, "r1", "r3", t + 1).await.unwrap(),
        RotateOutcome::ReuseDetected {
            subject: "mallory-target".into()
        }
    );
    let stored = s.family(&f.id).await.unwrap().unwrap();
    assert_eq!(stored.revoked_at, Some(t + 1));
    assert_eq!(stored.revoked_reason.as_deref(), Some("reuse"));
    // The legitimate holder's current token is dead too.
    assert_eq!(
        s.rotate_family(&f.id, "r2", "r4", t + 2).await.unwrap(),
        RotateOutcome::Revoked
    );
}

pub async fn grace_window_answers_with_the_same_successor<S: Store>(s: S) {
    let t = now();
    let f = family("u", "r1", t, 10);
    s.create_family(f.clone()).await.unwrap();
    s.rotate_family(&f.id, "r1", "r2", t).await.unwrap();
    // A second tab presenting r1 within the window gets r2 again, not a new branch.
    let again = s
        .rotate_family(&f.id, "r1", "r2-other", t + 3)
        .await
        .unwrap();
    assert!(matches!(again, RotateOutcome::Grace { ref successor, .. } if successor == "r2"));
    assert_eq!(s.family(&f.id).await.unwrap().unwrap().current_jti, "r2");
    // After the window the same presentation is reuse.
    assert!(matches!(
        s.rotate_family(&f.id, "r1", "r2-late", t + 10)
            .await
            .unwrap(),
        RotateOutcome::ReuseDetected { .. }
    ));
}

pub async fn expired_and_unknown_families_are_refused<S: Store>(s: S) {
    let t = now();
    assert_eq!(
        s.rotate_family("no-such-family", "r1", "r2", t)
            .await
            .unwrap(),
        RotateOutcome::Unknown
    );
    let f = family("u", "r1", t, 0);
    s.create_family(f.clone()).await.unwrap();
    // A jti the family never issued: refused, family untouched.
    assert_eq!(
        s.rotate_family(&f.id, "forged", "r2", t).await.unwrap(),
        RotateOutcome::Unknown
    );
    assert!(s.family(&f.id).await.unwrap().unwrap().revoked_at.is_none());
    // Idle cap.
    assert_eq!(
        s.rotate_family(&f.id, "r1", "r2", t + 3600).await.unwrap(),
        RotateOutcome::Expired
    );
    // Absolute cap, even when rotated in time.
    let g = family("u", "g1", t, 0);
    s.create_family(g.clone()).await.unwrap();
    let mut current = "g1".to_owned();
    for step in 1..=24 {
        let next = format!("g{}", step + 1);
        let at = t + step * 3500;
        let out = s.rotate_family(&g.id, &current, &next, at).await.unwrap();
        if at >= t + 86_400 {
            assert_eq!(out, RotateOutcome::Expired);
            return;
        }
        assert!(
            matches!(out, RotateOutcome::Rotated { .. }),
            "{out:?} at step {step}"
        );
        current = next;
    }
    let out = s
        .rotate_family(&g.id, &current, "last", t + 86_400)
        .await
        .unwrap();
    assert_eq!(out, RotateOutcome::Expired);
}

async fn race<S: Store>(s: &S, family_id: &str, t: i64, n: usize) -> Vec<RotateOutcome> {
    let barrier = Arc::new(tokio::sync::Barrier::new(n));
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (s, id, barrier) = (s.clone(), family_id.to_owned(), Arc::clone(&barrier));
            tokio::spawn(async move {
                barrier.wait().await;
                s.rotate_family(&id, "r1", &format!("next-{i}"), t)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    outcomes
}

pub async fn concurrent_rotations_make_exactly_one_successor<S: Store>(s: S) {
    let t = now();
    let f = family("u", "r1", t, 0);
    s.create_family(f.clone()).await.unwrap();
    let outcomes = race(&s, &f.id, t, 20).await;
    let rotated = outcomes
        .iter()
        .filter(|o| matches!(o, RotateOutcome::Rotated { .. }))
        .count();
    assert_eq!(rotated, 1, "{outcomes:?}");
    // Without a grace window every other presentation is reuse (or finds the family revoked).
    assert!(outcomes.iter().all(|o| matches!(
        o,
        RotateOutcome::Rotated { .. }
            | RotateOutcome::ReuseDetected { .. }
            | RotateOutcome::Revoked
    )));
    assert!(outcomes
        .iter()
        .any(|o| matches!(o, RotateOutcome::ReuseDetected { .. })));
}

pub async fn concurrent_rotations_within_grace_share_one_successor<S: Store>(s: S) {
    let t = now();
    let f = family("u", "r1", t, 10);
    s.create_family(f.clone()).await.unwrap();
    let outcomes = race(&s, &f.id, t, 20).await;
    let successors: HashSet<String> = outcomes
        .iter()
        .map(|o| match o {
            RotateOutcome::Rotated { successor, .. } | RotateOutcome::Grace { successor, .. } => {
                successor.clone()
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(successors.len(), 1, "{outcomes:?}");
    let stored = s.family(&f.id).await.unwrap().unwrap();
    assert!(successors.contains(&stored.current_jti));
}

pub async fn subject_families_are_listed_and_revoked<S: Store>(s: S) {
    let t = now();
    let subject = id();
    let (a, b, c) = (
        family(&subject, "a1", t, 0),
        family(&subject, "b1", t + 1, 0),
        family("someone-else", "c1", t, 0),
    );
    for f in [&a, &b, &c] {
        s.create_family(f.clone()).await.unwrap();
    }
    let listed: Vec<String> = s
        .families_of(&subject, t + 2)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.id)
        .collect();
    assert_eq!(listed, vec![a.id.clone(), b.id.clone()]);
    assert!(s.revoke_family(&a.id, "logout", t + 3).await.unwrap());
    assert!(!s.revoke_family(&a.id, "logout", t + 3).await.unwrap());
    assert!(!s.revoke_family("missing", "logout", t + 3).await.unwrap());
    assert_eq!(
        s.revoke_families_of(&subject, "admin", t + 4)
            .await
            .unwrap(),
        1
    );
    assert!(s.families_of(&subject, t + 5).await.unwrap().is_empty());
    let b_stored = s.family(&b.id).await.unwrap().unwrap();
    assert_eq!(b_stored.revoked_reason.as_deref(), Some("admin"));
    assert_eq!(s.families_of("someone-else", t + 5).await.unwrap().len(), 1);
}

pub async fn users_are_unique_by_normalised_name<S: Store>(s: S) {
    let t = now();
    let name = format!(
        "Alice.{}@Example.COM",
        id().to_ascii_lowercase().replace(['-', '_'], "")
    );
    let user = s.create_user(&name, hash('a'), false, t).await.unwrap();
    assert_eq!(user.username, name.to_ascii_lowercase());
    assert!(!user.admin);
    assert!(matches!(
        s.create_user(
            &format!("  {}  ", name.to_ascii_uppercase()),
            hash('b'),
            true,
            t
        )
        .await,
        Err(StoreError::Conflict { what: "username" })
    ));
    let found = s
        .user_by_name(&name.to_ascii_uppercase())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, user);
    assert_eq!(s.user_by_id(&user.id).await.unwrap().unwrap(), user);
    assert!(s.user_by_name("nobody-here").await.unwrap().is_none());
    // Look-alike and control characters are refused, not normalised.
    for bad in ["pаypal", "a b", "", "tab\there"] {
        assert!(
            matches!(
                s.create_user(bad, hash('c'), false, t).await,
                Err(StoreError::Invalid { .. })
            ),
            "{bad:?}"
        );
        assert!(s.user_by_name(bad).await.unwrap().is_none());
    }
    s.set_disabled(&user.id, true, t + 1).await.unwrap();
    let disabled = s.user_by_id(&user.id).await.unwrap().unwrap();
    assert!(disabled.disabled);
    assert_eq!(disabled.updated_at, t + 1);
    assert!(matches!(
        s.set_disabled("no-such-user", true, t).await,
        Err(StoreError::NotFound { .. })
    ));
}

pub async fn admins_are_marked_and_users_listed_by_name<S: Store>(s: S) {
    let t = now();
    let admin = s.create_user("root", hash('a'), true, t).await.unwrap();
    let bob = s.create_user("bob", hash('b'), false, t).await.unwrap();
    let carol = s.create_user("carol", hash('c'), false, t).await.unwrap();
    assert!(admin.admin && !bob.admin);
    assert!(s.user_by_name("ROOT").await.unwrap().unwrap().admin);
    assert!(!s.user_by_id(&bob.id).await.unwrap().unwrap().admin);
    let names =
        |users: Vec<jwtkeep_store::User>| users.into_iter().map(|u| u.username).collect::<Vec<_>>();
    assert_eq!(
        names(s.list_users(10).await.unwrap()),
        ["bob", "carol", "root"]
    );
    assert_eq!(names(s.list_users(2).await.unwrap()), ["bob", "carol"]);
    assert!(s.list_users(0).await.unwrap().is_empty());
    assert_eq!(s.list_users(10).await.unwrap()[1], carol);
}

pub async fn clients_are_unique_and_their_secrets_checked<S: Store>(s: S) {
    let t = now();
    assert!(s.list_clients().await.unwrap().is_empty());
    let api = s
        .create_client("Orders-API", ClientSecretHash::of("s3cret-one"), t)
        .await
        .unwrap();
    assert_eq!(api.name, "orders-api");
    assert!(matches!(
        s.create_client("orders-api", ClientSecretHash::of("other"), t)
            .await,
        Err(StoreError::Conflict {
            what: "client name"
        })
    ));
    s.create_client("billing", ClientSecretHash::of("s3cret-two"), t + 1)
        .await
        .unwrap();
    let found = s.client("ORDERS-API").await.unwrap().unwrap();
    assert_eq!(found, api);
    assert!(found.secret_hash.matches("s3cret-one"));
    assert!(!found.secret_hash.matches("s3cret-two"));
    assert!(!found.secret_hash.matches(""));
    assert_eq!(
        format!("{:?}", found.secret_hash),
        "ClientSecretHash(redacted)"
    );
    let listed: Vec<_> = s
        .list_clients()
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.name, c.created_at))
        .collect();
    assert_eq!(
        listed,
        [("billing".to_owned(), t + 1), ("orders-api".to_owned(), t)]
    );
    assert!(s.delete_client("orders-api").await.unwrap());
    assert!(!s.delete_client("orders-api").await.unwrap());
    assert!(s.client("orders-api").await.unwrap().is_none());
    assert!(s.client("not a name").await.unwrap().is_none());
}

pub async fn weak_password_hashes_are_refused<S: Store>(_s: S) {
    for weak in [
        "$argon2i$v=19$m=65536,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "$argon2id$v=19$m=4096,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "$argon2id$v=19$m=19456,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "$argon2id$v=16$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "$2b$12$abcdefghijklmnopqrstuuvwxyzabcdefghijklmnopqrstuvwxyz0",
        "plaintext-password",
    ] {
        assert!(PasswordHash::new(weak).is_err(), "{weak}");
    }
    for strong in [
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "$argon2id$v=19$m=47104,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ] {
        assert!(PasswordHash::new(strong).is_ok(), "{strong}");
    }
    assert_eq!(format!("{:?}", hash('z')), "PasswordHash(<redacted>)");
}

pub async fn password_change_revokes_the_users_families<S: Store>(s: S) {
    let t = now();
    let user = s
        .create_user(
            &format!("u{}", id().to_ascii_lowercase().replace(['-', '_'], "")),
            hash('a'),
            false,
            t,
        )
        .await
        .unwrap();
    let (a, b) = (family(&user.id, "a1", t, 0), family(&user.id, "b1", t, 0));
    s.create_family(a.clone()).await.unwrap();
    s.create_family(b.clone()).await.unwrap();
    s.revoke_family(&b.id, "logout", t).await.unwrap();
    assert_eq!(s.set_password(&user.id, hash('n'), t + 1).await.unwrap(), 1);
    let stored = s.user_by_id(&user.id).await.unwrap().unwrap();
    assert_eq!(stored.password_hash, hash('n'));
    let a = s.family(&a.id).await.unwrap().unwrap();
    assert_eq!(a.revoked_reason.as_deref(), Some("password_changed"));
    assert_eq!(
        s.rotate_family(&a.id, "a1", "a2", t + 2).await.unwrap(),
        RotateOutcome::Revoked
    );
    assert!(matches!(
        s.set_password("no-such-user", hash('x'), t).await,
        Err(StoreError::NotFound { .. })
    ));
}

pub async fn rate_limit_counts_in_fixed_windows<S: Store>(s: S) {
    let t = now();
    let start = t - t.rem_euclid(60);
    let key = format!("login:{}", id());
    for n in 1..=5 {
        let d = s.hit(&key, 5, 60, start + 1).await.unwrap();
        assert!(d.allowed);
        assert_eq!(d.count, n);
        assert_eq!(d.remaining, 5 - n);
    }
    let d = s.hit(&key, 5, 60, start + 20).await.unwrap();
    assert!(!d.allowed);
    assert_eq!(d.retry_after_secs, 40);
    // The next window starts afresh.
    let d = s.hit(&key, 5, 60, start + 60).await.unwrap();
    assert!(d.allowed);
    assert_eq!(d.count, 1);
    s.hit(&key, 5, 60, start + 61).await.unwrap();
    s.reset(&key).await.unwrap();
    assert_eq!(s.hit(&key, 5, 60, start + 62).await.unwrap().count, 1);
    assert!(matches!(
        s.hit(&key, 0, 60, t).await,
        Err(StoreError::Invalid { .. })
    ));
    assert!(matches!(
        s.hit("", 5, 60, t).await,
        Err(StoreError::Invalid { .. })
    ));
}

pub async fn parallel_wrong_passwords_get_no_more_than_the_limit<S: Store>(s: S) {
    let t = now();
    let key = format!("account:{}", id());
    let barrier = Arc::new(tokio::sync::Barrier::new(50));
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (s, key, barrier) = (s.clone(), key.clone(), Arc::clone(&barrier));
            tokio::spawn(async move {
                barrier.wait().await;
                s.hit(&key, 10, 300, t).await.unwrap()
            })
        })
        .collect();
    let mut counts = Vec::new();
    let mut allowed = 0;
    for task in tasks {
        let d = task.await.unwrap();
        allowed += usize::from(d.allowed);
        counts.push(d.count);
    }
    assert_eq!(allowed, 10);
    counts.sort_unstable();
    assert_eq!(
        counts,
        (1..=50).collect::<Vec<u64>>(),
        "every hit counted exactly once"
    );
}

fn key_record(
    master: &MasterKey,
    purpose: &str,
    kid: &str,
    active_from: i64,
    material: &[u8],
) -> KeyRecord {
    let mut record = KeyRecord {
        purpose: purpose.into(),
        kid: kid.into(),
        alg: Algorithm::Es256,
        created_at: active_from,
        published_at: active_from - 60,
        active_from,
        active_until: None,
        verify_until: None,
        public_jwk: Some(r#"{"kty":"EC"}"#.into()),
        sealed: Vec::new(),
    };
    record.sealed = master.seal(&record, material).unwrap();
    record
}

pub async fn signing_keys_are_stored_sealed_and_scheduled<S: Store>(s: S) {
    let t = now();
    let (master, _) = MasterKey::generate().unwrap();
    let purpose = format!("access-{}", id());
    let second = key_record(&master, &purpose, "k2", t + 100, b"second private key");
    let first = key_record(&master, &purpose, "k1", t, b"first private key");
    s.put_key(second.clone()).await.unwrap();
    s.put_key(first.clone()).await.unwrap();
    assert!(matches!(
        s.put_key(first.clone()).await,
        Err(StoreError::Conflict { .. })
    ));
    let keys = s.keys(&purpose).await.unwrap();
    assert_eq!(keys, vec![first.clone(), second.clone()], "oldest first");
    assert!(
        !keys[0].sealed.windows(5).any(|w| w == b"first"),
        "stored sealed, not plain"
    );
    assert_eq!(
        master.open(&keys[0]).unwrap().as_slice(),
        b"first private key"
    );
    // Another master key, or the sealed bytes moved to another record, do not open.
    let (other, _) = MasterKey::generate().unwrap();
    assert_eq!(other.open(&keys[0]), Err(SealError::WrongKeyOrAltered));
    let mut moved = keys[1].clone();
    moved.sealed = keys[0].sealed.clone();
    assert_eq!(master.open(&moved), Err(SealError::WrongKeyOrAltered));
    assert!(
        format!("{:?}", keys[0]).contains("<"),
        "Debug shows no key material"
    );

    s.set_key_schedule(&purpose, "k1", Some(t + 100), Some(t + 1000))
        .await
        .unwrap();
    let keys = s.keys(&purpose).await.unwrap();
    assert_eq!(
        (keys[0].active_until, keys[0].verify_until),
        (Some(t + 100), Some(t + 1000))
    );
    assert!(matches!(
        s.set_key_schedule(&purpose, "nope", None, None).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(s.delete_key(&purpose, "k1").await.unwrap());
    assert!(!s.delete_key(&purpose, "k1").await.unwrap());
    assert_eq!(s.keys(&purpose).await.unwrap(), vec![second]);
    assert!(s.keys("no-such-purpose").await.unwrap().is_empty());
    assert_eq!(
        MasterKey::new(&Secret::random(16).unwrap()).unwrap_err(),
        SealError::MasterKeyLength
    );
}

pub async fn rotation_lock_has_one_holder_at_a_time<S: Store>(s: S) {
    let t = now();
    let name = format!("rotate-{}", id());
    assert!(s.try_lock(&name, "instance-a", 30, t).await.unwrap());
    assert!(!s.try_lock(&name, "instance-b", 30, t + 1).await.unwrap());
    assert!(
        s.try_lock(&name, "instance-a", 30, t + 10).await.unwrap(),
        "renewal"
    );
    // B may not release A's lock.
    s.unlock(&name, "instance-b").await.unwrap();
    assert!(!s.try_lock(&name, "instance-b", 30, t + 11).await.unwrap());
    // After A's lock lapses, B takes it.
    assert!(s.try_lock(&name, "instance-b", 30, t + 40).await.unwrap());
    s.unlock(&name, "instance-b").await.unwrap();
    assert!(s.try_lock(&name, "instance-a", 30, t + 41).await.unwrap());
}

pub async fn events_are_queried_by_time_and_name<S: Store>(s: S) {
    let t = now();
    let event = |at: i64, name: &str| Event {
        at,
        name: name.into(),
        subject: Some("u1".into()),
        client: Some("192.0.2.1".into()),
        details: serde_json::json!({"reason": "bad_password"})
            .as_object()
            .unwrap()
            .clone(),
    };
    let all = [
        event(t, "login.failed"),
        event(t + 1, "login.succeeded"),
        event(t + 1, "refresh.reuse"),
        event(t + 2, "login.failed"),
        event(t + 5, "key.rotated"),
    ];
    for e in &all {
        s.record(e.clone()).await.unwrap();
    }
    let q = |from, to, name: Option<&str>, limit| EventQuery {
        from,
        to,
        name: name.map(str::to_owned),
        limit,
    };
    assert_eq!(
        s.events(q(t, t + 10, None, 100)).await.unwrap(),
        all.to_vec()
    );
    assert_eq!(
        s.events(q(t + 1, t + 5, None, 100)).await.unwrap(),
        all[1..4].to_vec()
    );
    assert_eq!(
        s.events(q(t, t + 10, Some("login.failed"), 100))
            .await
            .unwrap(),
        vec![all[0].clone(), all[3].clone()]
    );
    assert_eq!(
        s.events(q(t, t + 10, Some("login."), 100)).await.unwrap(),
        vec![all[0].clone(), all[1].clone(), all[3].clone()]
    );
    assert_eq!(
        s.events(q(t, t + 10, Some("login."), 2)).await.unwrap(),
        all[..2].to_vec()
    );
    assert_eq!(s.purge_events(t + 2).await.unwrap(), 3);
    assert_eq!(
        s.events(q(t, t + 10, None, 100)).await.unwrap(),
        all[3..].to_vec()
    );
    assert!(matches!(
        s.record(event(t, "Not A Name")).await,
        Err(StoreError::Invalid { .. })
    ));
}

pub async fn purge_forgets_expired_denials<S: Store>(s: S) {
    let t = now();
    s.revoke(token("i", "short", t + 2), t).await.unwrap();
    s.revoke(token("i", "long", t + 600), t).await.unwrap();
    s.purge_expired(t + 3).await.unwrap();
    let snapshot = s.snapshot(t + 3).await.unwrap();
    assert!(!snapshot.entries.contains(&token("i", "short", t + 2)));
    assert!(snapshot.entries.contains(&token("i", "long", t + 600)));
    assert_eq!(
        s.is_revoked("i", "long", "u", t, t + 3).await.unwrap(),
        Some(Revoked::Token)
    );
}
