//! Refresh-token families: rotation, reuse, grace, races.

use super::*;

pub(super) fn family(subject: &str, jti: &str, t: i64, grace_secs: i64) -> NewFamily {
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
