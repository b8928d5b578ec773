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
            access_secs: 600,
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
            rotated_at: t + 5,
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
    assert_eq!(
        again,
        RotateOutcome::Grace {
            successor: "r2".into(),
            rotated_at: t,
            idle_expires_at: t + 3600,
            absolute_expires_at: t + 86_400,
        }
    );
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

/// The facts of a token of session `session`.
fn in_session(session: &str, t: i64) -> TokenFacts<'_> {
    facts("i", "some-access-token", "u", t).in_session(session)
}

/// The session denials in a snapshot, by session.
async fn ended_sessions<S: Store>(s: &S, t: i64) -> Vec<(String, i64)> {
    let mut ended: Vec<(String, i64)> = s
        .snapshot(t)
        .await
        .unwrap()
        .entries
        .into_iter()
        .filter_map(|e| match e {
            Revocation::Session { session, until } => Some((session, until)),
            _ => None,
        })
        .collect();
    ended.sort();
    ended
}

pub async fn every_end_of_a_family_ends_its_session<S: Store>(s: S) {
    let t = now();
    // Access tokens live 600 s: the denial lasts that long plus the margin.
    let until = t + 600 + jwtkeep_store::SESSION_DENIAL_MARGIN_SECS;
    let view = RevocationView::new(Duration::from_secs(60));
    view.sync(&s, t).await.unwrap();

    // Revoked by id (a logout).
    let logout = family("u", "a1", t, 0);
    s.create_family(logout.clone()).await.unwrap();
    assert_eq!(
        s.is_revoked(in_session(&logout.id, t), t).await.unwrap(),
        None
    );
    assert!(s.revoke_family(&logout.id, "logout", t).await.unwrap());
    assert_eq!(
        s.is_revoked(in_session(&logout.id, t), t).await.unwrap(),
        Some(Revoked::Session)
    );
    // Revoking it again adds nothing.
    assert!(!s.revoke_family(&logout.id, "logout", t + 1).await.unwrap());

    // A detected reuse.
    let reused = family("u", "b1", t, 0);
    s.create_family(reused.clone()).await.unwrap();
    s.rotate_family(&reused.id, "b1", "b2", t).await.unwrap();
    s.rotate_family(&reused.id, "b1", "b3", t).await.unwrap();

    // Every family of a subject (log out everywhere), and a password change.
    let (everywhere, other) = (family("v", "c1", t, 0), family("v", "d1", t, 0));
    s.create_family(everywhere.clone()).await.unwrap();
    s.create_family(other.clone()).await.unwrap();
    assert_eq!(s.revoke_families_of("v", "admin", t).await.unwrap(), 2);
    let user = s
        .create_user(
            "sessions-user",
            hash('a'),
            false,
            jwtkeep_store::Scopes::none(),
            t,
        )
        .await
        .unwrap();
    let changed = family(&user.id, "e1", t, 0);
    s.create_family(changed.clone()).await.unwrap();
    assert_eq!(
        s.set_password(&user.id, hash('b'), None, t).await.unwrap(),
        1
    );

    // A family that is still live is not touched.
    let live = family("u", "f1", t, 0);
    s.create_family(live.clone()).await.unwrap();

    let mut expected: Vec<(String, i64)> = [&logout, &reused, &everywhere, &other, &changed]
        .iter()
        .map(|f| (f.id.clone(), until))
        .collect();
    expected.sort();
    assert_eq!(ended_sessions(&s, t).await, expected);

    // The feed carried every one of them, and a view learns of them.
    view.sync(&s, t).await.unwrap();
    for (session, _) in &expected {
        assert_eq!(
            view.check(in_session(session, t), t).unwrap(),
            Some(Revoked::Session),
            "{session}"
        );
        assert_eq!(
            s.is_revoked(in_session(session, t), t).await.unwrap(),
            Some(Revoked::Session)
        );
    }
    assert_eq!(view.check(in_session(&live.id, t), t).unwrap(), None);
    // A token outside any session is judged on its own facts.
    assert_eq!(view.check(facts("i", "x", "u", t), t).unwrap(), None);

    // Once the last access token has expired, the denial is forgotten.
    assert_eq!(
        s.is_revoked(in_session(&logout.id, t), until)
            .await
            .unwrap(),
        None
    );
    assert!(ended_sessions(&s, until).await.is_empty());
    s.purge_expired(until).await.unwrap();
    view.sync(&s, until).await.unwrap();
    view.purge(until);
    assert_eq!(view.sessions_len(), 0);
}

pub async fn a_session_can_be_ended_directly<S: Store>(s: S) {
    let t = now();
    s.revoke(
        Revocation::Session {
            session: "sess-1".into(),
            until: t + 100,
        },
        t,
    )
    .await
    .unwrap();
    // An earlier end never shortens a later one; an expired one is dropped.
    for until in [t + 50, t - 1] {
        s.revoke(
            Revocation::Session {
                session: "sess-1".into(),
                until,
            },
            t,
        )
        .await
        .unwrap();
    }
    assert_eq!(
        ended_sessions(&s, t).await,
        vec![("sess-1".to_owned(), t + 100)]
    );
    assert_eq!(
        s.is_revoked(in_session("sess-1", t), t + 99).await.unwrap(),
        Some(Revoked::Session)
    );
    assert!(matches!(
        s.revoke(
            Revocation::Session {
                session: String::new(),
                until: t + 1
            },
            t
        )
        .await,
        Err(StoreError::Invalid { .. })
    ));
}
