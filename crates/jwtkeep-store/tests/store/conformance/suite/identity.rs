//! The store's identity, and the view that checks it on every sync.

use super::*;

/// The identity of `s`, initialising it first when it has none (as
/// `jwtkeep store init` does for a new shared store).
pub async fn identity_of<S: Store>(s: &S, t: i64) -> String {
    match s.initialise(false, t).await.unwrap() {
        Initialised::Created(id) | Initialised::Already(id) => id,
        Initialised::HoldsData => panic!("a fresh store holds no data"),
    }
}

pub async fn an_identity_is_given_once_and_then_kept<S: Store>(s: S) {
    let t = now();
    // Several initialisations at once agree on one identity.
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let s = s.clone();
            tokio::spawn(async move { identity_of(&s, t).await })
        })
        .collect();
    let mut all = Vec::new();
    for task in tasks {
        all.push(task.await.unwrap());
    }
    let first = all[0].clone();
    assert!(all.iter().all(|id| *id == first), "{all:?}");
    assert!(first.len() >= 22, "{first}");
    assert_eq!(s.identity().await.unwrap().as_deref(), Some(first.as_str()));
    // Again, with or without force: kept.
    for force in [false, true] {
        assert_eq!(
            s.initialise(force, t + 1).await.unwrap(),
            Initialised::Already(first.clone())
        );
    }
}

pub async fn a_view_refuses_a_store_that_is_not_the_one_it_started_with<S: Store>(s: S) {
    let t = now();
    let identity = identity_of(&s, t).await;
    s.revoke(token("i", "gone", t + 60), t).await.unwrap();
    let view = RevocationView::new(Duration::from_secs(60)).expecting(identity);
    let mut status = view.status();
    view.sync(&s, t).await.unwrap();
    assert_eq!(
        view.check(facts("i", "gone", "u", t), t).unwrap(),
        Some(Revoked::Token)
    );
    assert_eq!(view.usable(), Ok(()));

    // Another store (here: an empty SQLite file) in its place: refused, and
    // nothing of it applied; the denial held so far is not forgotten either.
    let dir = tempfile::tempdir().unwrap();
    let other = jwtkeep_store::SqliteStore::open(dir.path().join("other.db"))
        .await
        .unwrap();
    let err = view.sync(&other, t).await.unwrap_err();
    assert!(matches!(err, StoreError::Reset { .. }), "{err:?}");
    assert_eq!(err.code(), "store_reset");
    let refused = view.check(facts("i", "other", "u", t), t).unwrap_err();
    assert!(
        matches!(refused, ViewError::StoreReset { .. }),
        "{refused:?}"
    );
    assert_eq!(refused.code(), "store_reset");
    assert!(matches!(view.usable(), Err(ViewError::StoreReset { .. })));
    assert!(status.has_changed().unwrap());
    assert!(matches!(*status.borrow_and_update(), StoreStatus::Reset(_)));

    // The right store again: the view answers again, by itself.
    view.sync(&s, t).await.unwrap();
    assert_eq!(
        view.check(facts("i", "gone", "u", t), t).unwrap(),
        Some(Revoked::Token)
    );
    assert_eq!(*status.borrow_and_update(), StoreStatus::Up);
}
