//! The guard in front of an API, against a real `jwtkeep serve`.

use jwtkeep_guard::{FeedConfig, Guard, GuardConfig, Refusal};
use jwtkeep_store::Revoked;
use zeroize::Zeroizing;

use std::time::{Duration, Instant};

use crate::service::{call, login, refused_within_a_second, serve, Serve, SECRET};

async fn guard_of(service: &Serve, audience: &str) -> Guard {
    let issuer = format!("http://{}", service.addr);
    let feed = FeedConfig::new(&issuer, "guard", Zeroizing::new(SECRET.to_owned()));
    Guard::start(GuardConfig::new(&issuer, audience, feed))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guard_accepts_the_issuers_tokens_and_refuses_revoked_and_foreign_ones() {
    let service = serve().await;
    let guard = guard_of(&service, "jwtkeep").await;
    let access = login(&service).await;
    let mut syncs = guard.revocation_syncs();
    while guard.ready().is_err() {
        syncs.changed().await.unwrap();
    }
    let verified = guard.verify_now(&access).await.unwrap();
    assert_eq!(
        verified.payload().iss(),
        Some(format!("http://{}", service.addr).as_str())
    );
    // Paid once: the same answer, from the cache.
    let again = guard.verify_now(&access).await.unwrap();
    assert!(std::sync::Arc::ptr_eq(&verified, &again));

    // Another audience, a forged signature: refused.
    let elsewhere = guard_of(&service, "another-api").await;
    assert!(matches!(
        elsewhere.verify_now(&access).await,
        Err(Refusal::Invalid(_))
    ));
    let mut forged = access.clone();
    forged.pop();
    forged.push(if access.ends_with('A') { 'B' } else { 'A' });
    assert!(matches!(
        guard.verify_now(&forged).await,
        Err(Refusal::Invalid(_))
    ));

    // Logged out: refused, revoked, within a second.
    let (status, _) = call(service.addr, "/v1/auth/logout", Some(&access), None).await;
    assert_eq!(status, 200);
    refused_within_a_second(&mut syncs, || async {
        guard.verify_now(&access).await.is_ok()
    })
    .await;
    assert!(matches!(
        guard.verify_now(&access).await,
        Err(Refusal::Revoked(Revoked::Token))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guard_whose_feed_does_not_answer_does_not_start() {
    let service = serve().await;
    let issuer = format!("http://{}", service.addr);
    let feed = FeedConfig::new(&issuer, "guard", Zeroizing::new("wrong secret".to_owned()));
    let err = Guard::start(GuardConfig::new(&issuer, "jwtkeep", feed))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("invalid_client"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_service_down_the_guard_fails_closed_and_recovers_by_itself() {
    let mut service = serve().await;
    let issuer = format!("http://{}", service.addr);
    let feed = FeedConfig::new(&issuer, "guard", Zeroizing::new(SECRET.to_owned()));
    let mut config = GuardConfig::new(&issuer, "jwtkeep", feed);
    config.revocation_staleness = Duration::from_secs(1);
    config.poll = Duration::from_millis(100);
    let guard = Guard::start(config).await.unwrap();
    let access = login(&service).await;
    let mut syncs = guard.revocation_syncs();
    while guard.verify_now(&access).await.is_err() {
        syncs.changed().await.unwrap();
    }

    // Down: tokens pass while the revocations are younger than their bound...
    service.stop().await;
    let stopped = Instant::now();
    let accepted = guard.verify_now(&access).await;
    assert!(accepted.is_ok() || stopped.elapsed() >= Duration::from_secs(1));
    // ...then nothing does, and the refusal says why.
    let refused = loop {
        match guard.verify_now(&access).await {
            Err(refusal) => break refusal,
            Ok(_) => {
                assert!(stopped.elapsed() < Duration::from_secs(3), "still accepted");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    assert!(matches!(refused, Refusal::Unavailable(_)), "{refused}");
    assert!(guard.ready().is_err());

    // Back: accepted again, with no restart of the guard.
    service.restart().await;
    let restarted = Instant::now();
    while guard.verify_now(&access).await.is_err() {
        assert!(
            restarted.elapsed() < Duration::from_secs(5),
            "never recovered"
        );
        let _ = tokio::time::timeout(Duration::from_millis(200), syncs.changed()).await;
    }
    assert!(guard.ready().is_ok());
}

/// Asks the guard until `token` gets the answer `want` wants, at most a second.
async fn until(guard: &Guard, token: &str, want: impl Fn(&Result<(), Refusal>) -> bool) {
    let started = Instant::now();
    loop {
        let answer = guard.verify_now(token).await.map(|_| ());
        if want(&answer) {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(1), "{answer:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_services_rotations_reach_the_guard_at_once() {
    let service = serve().await;
    let guard = guard_of(&service, "jwtkeep").await;
    let root = crate::service::login_as(&service, "root").await;
    let before = login(&service).await;
    until(&guard, &before, Result::is_ok).await;
    let rotate = |mode: &'static str| {
        let root = root.clone();
        let addr = service.addr;
        async move {
            let body = serde_json::json!({"purpose": "access", "mode": mode});
            let (status, answer) =
                call(addr, "/v1/admin/keys/rotate", Some(&root), Some(body)).await;
            assert_eq!(status, 200, "{answer}");
        }
    };

    // Signing at once with a new key: the stream's keys event makes the
    // guard fetch the JWKS now, though a made-up kid has just used up the
    // cooldown of fetches for unknown kids.
    let made_up = foreign_token("made-up");
    assert!(matches!(
        guard.verify_now(&made_up).await,
        Err(Refusal::Invalid(_))
    ));
    let fetches = guard.jwks_fetches().await;
    rotate("immediate").await;
    let after = login(&service).await;
    until(&guard, &after, Result::is_ok).await;
    assert!(guard.jwks_fetches().await > fetches);
    until(&guard, &before, Result::is_ok).await;

    // A compromised key: the old keys' tokens refused, new ones accepted.
    rotate("revoke_old").await;
    let refused = |answer: &Result<(), Refusal>| matches!(answer, Err(Refusal::Invalid(_)));
    until(&guard, &before, refused).await;
    until(&guard, &after, refused).await;
    let fresh = login(&service).await;
    until(&guard, &fresh, Result::is_ok).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_made_up_kids_does_not_reach_the_issuer() {
    let service = serve().await;
    let guard = guard_of(&service, "jwtkeep").await;
    let fetches = guard.jwks_fetches().await;
    // Tokens signed by a key the issuer never had, each naming another kid.
    let started = Instant::now();
    for i in 0..2_000 {
        let token = foreign_token(&format!("made-up-{i}"));
        assert!(matches!(
            guard.verify_now(&token).await,
            Err(Refusal::Invalid(_))
        ));
    }
    // At most one fetch per cooldown (10 s) the flood lasted.
    let windows = 1 + started.elapsed().as_secs() / 10;
    let made = guard.jwks_fetches().await - fetches;
    assert!(made <= windows, "{made} fetches in {windows} windows");
}

/// A token signed by a key the issuer never had, naming `kid`.
fn foreign_token(kid: &str) -> String {
    let pair = jwtkeep_core::KeyPair::generate(jwtkeep_core::Algorithm::Es256, 2048, None).unwrap();
    let key = jwtkeep_core::Key::from_jwk(pair.private_jwk(), Some(jwtkeep_core::Algorithm::Es256))
        .unwrap();
    let fields = jwtkeep_core::HeaderFields {
        typ: Some("at+jwt".to_owned()),
        kid: Some(kid.to_owned()),
    };
    let claims = serde_json::json!({"sub": "x", "exp": crate::service::now() + 60});
    jwtkeep_core::sign_claims(&key, &fields, &claims).unwrap()
}
