//! Security events.

use super::*;

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
