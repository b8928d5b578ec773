//! Rate limits.

use super::*;

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

pub async fn a_forgiven_hit_is_taken_back_in_its_own_window_only<S: Store>(s: S) {
    let t = now();
    let start = t - t.rem_euclid(60);
    let key = format!("login:{}", id());
    for _ in 0..3 {
        s.hit(&key, 5, 60, start + 1).await.unwrap();
    }
    s.forgive(&key, 60, start + 2).await.unwrap();
    assert_eq!(s.hit(&key, 5, 60, start + 3).await.unwrap().count, 3);
    // Never below zero, and an earlier window's hits are not the current one's.
    let other = format!("login:{}", id());
    s.forgive(&other, 60, start + 4).await.unwrap();
    assert_eq!(s.hit(&other, 5, 60, start + 5).await.unwrap().count, 1);
    s.forgive(&key, 60, start + 61).await.unwrap();
    assert_eq!(s.hit(&key, 5, 60, start + 62).await.unwrap().count, 1);
}
