//! The guard following a real `jwtkeep serve` (in process, on 127.0.0.1,
//! over a SQLite file): the service's own revocation view, fed over HTTP.

use std::time::{Duration, Instant};

use jwtkeep_guard::{FeedClient, FeedConfig};
use jwtkeep_store::{RevocationFeed as _, RevocationView, Revoked, TokenFacts, ViewSync};
use zeroize::Zeroizing;

use crate::service::{call, claims_of, facts, login, now, serve, SECRET};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guard_learns_of_a_logout_from_the_stream_and_fails_closed_without_the_service() {
    let mut service = serve().await;
    let feed = FeedClient::start(FeedConfig::new(
        &format!("http://{}", service.addr),
        "guard",
        Zeroizing::new(SECRET.to_owned()),
    ));
    let identity = feed.identity().await.unwrap().unwrap();
    let view = RevocationView::new(Duration::from_secs(2)).expecting(identity);
    // Polling every minute: anything sooner is the stream's doing.
    let _sync = ViewSync::spawn(feed.clone(), view.clone(), Duration::from_secs(60), now);

    let access = login(&service).await;
    let (iss, jti, sub, sid, iat) = facts(&claims_of(&access));
    let token = TokenFacts::new(&iss, &jti, &sub, iat).in_session(&sid);
    let mut syncs = view.syncs();
    while view.check(token, now()).is_err() {
        syncs.changed().await.unwrap();
    }
    assert_eq!(view.check(token, now()).unwrap(), None);

    let (status, _) = call(service.addr, "/v1/auth/logout", Some(&access), None).await;
    assert_eq!(status, 200);
    let logged_out = Instant::now();
    while view.check(token, now()).unwrap() != Some(Revoked::Token) {
        assert!(
            logged_out.elapsed() < Duration::from_secs(5),
            "the guard never learnt of the logout"
        );
        tokio::time::timeout(Duration::from_secs(5), syncs.changed())
            .await
            .unwrap()
            .unwrap();
    }
    let learnt_in = logged_out.elapsed();
    assert!(learnt_in < Duration::from_secs(1), "{learnt_in:?}");
    // Another token of the same session: its session ended with it.
    let sibling = TokenFacts::new(&iss, "another-jti", &sub, iat).in_session(&sid);
    assert_eq!(view.check(sibling, now()).unwrap(), Some(Revoked::Session));

    // The service goes away: past the bound, the guard refuses to answer.
    service.stop().await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let refused = view.check(sibling, now()).unwrap_err();
    assert_eq!(refused.code(), "revocations_stale");
}
