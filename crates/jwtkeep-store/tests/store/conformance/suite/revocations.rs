//! Revocations, their feed, the view, consumption and purging.

use super::*;

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
        s.is_revoked(facts("iss", &jti, "u", t), t + 1)
            .await
            .unwrap(),
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
        s.is_revoked(facts("https://a.example", "j1", "u1", t), t)
            .await
            .unwrap(),
        Some(Revoked::Token)
    );
    // Same jti, another issuer: not revoked. Another jti: not revoked.
    assert_eq!(
        s.is_revoked(facts("https://b.example", "j1", "u1", t), t)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        s.is_revoked(facts("https://a.example", "j2", "u1", t), t)
            .await
            .unwrap(),
        None
    );
    // Past its exp the denial no longer matters.
    assert_eq!(
        s.is_revoked(facts("https://a.example", "j1", "u1", t), t + 601)
            .await
            .unwrap(),
        None
    );
    // A token already expired is accepted and dropped.
    s.revoke(token("https://a.example", "old", t - 1), t)
        .await
        .unwrap();
    assert_eq!(
        s.is_revoked(facts("https://a.example", "old", "u1", t - 100), t - 50)
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
        s.is_revoked(facts("i", "j", "alice", t - 1), t)
            .await
            .unwrap(),
        Some(Revoked::Subject)
    );
    assert_eq!(
        s.is_revoked(facts("i", "j", "alice", t), t).await.unwrap(),
        None
    );
    assert_eq!(
        s.is_revoked(facts("i", "j", "bob", t - 1), t)
            .await
            .unwrap(),
        None
    );
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
        s.is_revoked(facts("i", "j", "alice", t - 1), t)
            .await
            .unwrap(),
        Some(Revoked::Subject)
    );
    // A token without iat (i64::MIN) is revoked by any cut-off.
    assert_eq!(
        s.is_revoked(facts("i", "j", "alice", i64::MIN), t)
            .await
            .unwrap(),
        Some(Revoked::Subject)
    );

    s.revoke(Revocation::All { before: t - 10 }, t)
        .await
        .unwrap();
    assert_eq!(
        s.is_revoked(facts("i", "j", "bob", t - 11), t)
            .await
            .unwrap(),
        Some(Revoked::All)
    );
    assert_eq!(
        s.is_revoked(facts("i", "j", "bob", t - 10), t)
            .await
            .unwrap(),
        None
    );
    s.revoke(Revocation::All { before: t - 1000 }, t)
        .await
        .unwrap();
    assert_eq!(
        s.is_revoked(facts("i", "j", "bob", t - 11), t)
            .await
            .unwrap(),
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
    assert_eq!(
        view.check(facts("i", "j", "u", t), t),
        Err(ViewError::NotLoaded)
    );
    s.revoke(token("i", "j", t + 60), t).await.unwrap();
    view.sync(&s, t).await.unwrap();
    assert_eq!(
        view.check(facts("i", "j", "u", t), t).unwrap(),
        Some(Revoked::Token)
    );
    assert_eq!(view.check(facts("i", "k", "u", t), t).unwrap(), None);
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
        view.check(facts("i", "k", "u", t - 1), t).unwrap(),
        Some(Revoked::Subject)
    );
    // Nobody syncs: past the bound the view refuses to answer.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let err = view.check(facts("i", "k", "v", t), t).unwrap_err();
    assert_eq!(err.code(), "revocations_stale");
}

pub async fn view_sync_task_learns_of_revocations_without_being_asked<S: Store>(s: S) {
    let view = RevocationView::new(Duration::from_secs(30));
    // Polling every minute: only the store's notification can bring the change in time.
    let _sync = ViewSync::spawn(s.clone(), view.clone(), Duration::from_secs(60), now);
    let t = now();
    wait_until(&view, || view.check(facts("i", "x", "u", t), t).is_ok()).await;
    s.revoke(token("i", "x", t + 60), t).await.unwrap();
    wait_until(&view, || {
        view.check(facts("i", "x", "u", t), t) == Ok(Some(Revoked::Token))
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

pub async fn purge_forgets_expired_denials<S: Store>(s: S) {
    let t = now();
    s.revoke(token("i", "short", t + 2), t).await.unwrap();
    s.revoke(token("i", "long", t + 600), t).await.unwrap();
    s.purge_expired(t + 3).await.unwrap();
    let snapshot = s.snapshot(t + 3).await.unwrap();
    assert!(!snapshot.entries.contains(&token("i", "short", t + 2)));
    assert!(snapshot.entries.contains(&token("i", "long", t + 600)));
    assert_eq!(
        s.is_revoked(facts("i", "long", "u", t), t + 3)
            .await
            .unwrap(),
        Some(Revoked::Token)
    );
}
