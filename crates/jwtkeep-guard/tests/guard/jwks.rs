//! The JWKS cache against a real server whose answers the test changes.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use jwtkeep_core::{Algorithm, HeaderFields, Jwk, JwkSet, Key, KeyPair, Policy};
use jwtkeep_guard::{JwksCache, JwksError, JwksPolicy, KeyLookup};

const NOW: i64 = 1_900_000_000;

/// What the server answers.
#[derive(Clone)]
enum Answer {
    Keys(Vec<Jwk>, &'static str),
    Fail,
}

#[derive(Clone)]
struct Issuer {
    answer: Arc<Mutex<Answer>>,
    requests: Arc<AtomicU64>,
    addr: SocketAddr,
}

impl Issuer {
    async fn start(answer: Answer) -> Issuer {
        let answer = Arc::new(Mutex::new(answer));
        let requests = Arc::new(AtomicU64::new(0));
        let (shared, counted) = (Arc::clone(&answer), Arc::clone(&requests));
        let app = axum::Router::new().route(
            "/jwks.json",
            axum::routing::get(move || {
                let answer = shared.lock().unwrap().clone();
                counted.fetch_add(1, Ordering::SeqCst);
                async move {
                    match answer {
                        Answer::Keys(keys, cache) => {
                            let body = serde_json::to_string(&JwkSet { keys }).unwrap();
                            ([(header::CACHE_CONTROL, cache)], body).into_response()
                        }
                        Answer::Fail => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Issuer {
            answer,
            requests,
            addr,
        }
    }

    fn answer(&self, answer: Answer) {
        *self.answer.lock().unwrap() = answer;
    }

    fn url(&self) -> String {
        format!("http://{}/jwks.json", self.addr)
    }

    fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }
}

fn pair(kid: &str) -> KeyPair {
    KeyPair::generate(Algorithm::Es256, 2048, Some(kid.to_owned())).unwrap()
}

fn token(pair: &KeyPair) -> String {
    let key = Key::from_jwk(pair.private_jwk(), Some(Algorithm::Es256)).unwrap();
    let claims = serde_json::json!({
        "iss": "https://auth.example.com", "aud": "api", "sub": "u1",
        "iat": NOW, "exp": NOW + 600, "jti": "j1",
    });
    let fields = HeaderFields {
        typ: Some("at+jwt".to_owned()),
        kid: Some(pair.kid().to_owned()),
    };
    jwtkeep_core::sign_claims(&key, &fields, &claims).unwrap()
}

/// The cache's keys verify a token of `pair`.
fn assert_verifies(cache: &JwksCache, pair: &KeyPair) {
    let verified = cache.verifier().unwrap().verify_at(&token(pair), NOW);
    assert!(verified.is_ok(), "{}: {verified:?}", pair.kid());
}

fn claims() -> Policy {
    Policy::new()
        .issuer("https://auth.example.com")
        .audience("api")
        .typ("at+jwt")
}

fn cache(issuer: &Issuer, policy: JwksPolicy) -> JwksCache {
    JwksCache::new(&issuer.url(), claims(), policy).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_are_fetched_and_verify_their_tokens() {
    let a = pair("key-a");
    let issuer = Issuer::start(Answer::Keys(vec![a.public_jwk()], "max-age=300")).await;
    let cache = cache(&issuer, JwksPolicy::default());
    assert!(matches!(cache.verifier(), Err(JwksError::NotLoaded { .. })));
    cache.refresh().await.unwrap();
    let verified = cache
        .verifier()
        .unwrap()
        .verify_at(&token(&a), NOW)
        .unwrap();
    assert_eq!(verified.payload().sub(), Some("u1"));
    assert_eq!(issuer.requests(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_made_up_kids_costs_one_fetch_per_cooldown() {
    let a = pair("key-a");
    let issuer = Issuer::start(Answer::Keys(vec![a.public_jwk()], "max-age=300")).await;
    let cooldown = Duration::from_millis(1000);
    let cache = cache(
        &issuer,
        JwksPolicy {
            cooldown,
            ..JwksPolicy::default()
        },
    );
    cache.refresh().await.unwrap();
    // The issuer's own fetches do not use up the cooldown: the first unknown
    // kid is looked for; within the cooldown of that, nothing is fetched.
    assert_eq!(cache.lookup("made-up").await, KeyLookup::Unknown);
    assert_eq!(issuer.requests(), 2);
    cache.refresh().await.unwrap();
    assert_eq!(cache.lookup("made-up-too").await, KeyLookup::Unknown);
    assert_eq!(issuer.requests(), 3);
    tokio::time::sleep(cooldown + Duration::from_millis(50)).await;
    // Ten thousand at once, past the cooldown: one fetch per cooldown that
    // the flood lasts, every one refused.
    let started = Instant::now();
    let lookups: Vec<_> = (0..10_000)
        .map(|i| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.lookup(&format!("made-up-{i}")).await })
        })
        .collect();
    for lookup in lookups {
        assert_eq!(lookup.await.unwrap(), KeyLookup::Unknown);
    }
    let windows = 1 + started.elapsed().as_millis() / cooldown.as_millis();
    let during = u128::from(issuer.requests() - 3);
    assert!(
        (1..=windows).contains(&during),
        "{during} fetches in {windows} cooldown windows"
    );
    // A kid found absent by a fetch is refused without asking again, even
    // past the cooldown, until a fetch brings a new set.
    tokio::time::sleep(cooldown + Duration::from_millis(50)).await;
    assert_eq!(cache.lookup("absent").await, KeyLookup::Unknown);
    let after = issuer.requests();
    tokio::time::sleep(cooldown + Duration::from_millis(50)).await;
    assert_eq!(cache.lookup("absent").await, KeyLookup::Unknown);
    assert_eq!(issuer.requests(), after);
    assert_eq!(cache.fetches().await, after);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_of_a_new_key_brings_the_new_set() {
    let (a, b) = (pair("key-a"), pair("key-b"));
    let issuer = Issuer::start(Answer::Keys(vec![a.public_jwk()], "max-age=300")).await;
    let cache = cache(
        &issuer,
        JwksPolicy {
            cooldown: Duration::from_millis(100),
            ..JwksPolicy::default()
        },
    );
    cache.refresh().await.unwrap();
    issuer.answer(Answer::Keys(
        vec![b.public_jwk(), a.public_jwk()],
        "max-age=300",
    ));
    let refused = cache.verifier().unwrap().verify_at(&token(&b), NOW);
    assert!(matches!(
        refused,
        Err(jwtkeep_core::VerifyError::UnknownKid)
    ));
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(cache.lookup("key-b").await, KeyLookup::Found);
    assert_verifies(&cache, &b);
    assert_verifies(&cache, &a);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_keeps_the_last_good_set_up_to_its_bound_then_fails_closed() {
    let a = pair("key-a");
    let issuer = Issuer::start(Answer::Keys(vec![a.public_jwk()], "max-age=300")).await;
    let cache = cache(
        &issuer,
        JwksPolicy {
            max_stale: Duration::from_millis(400),
            ..JwksPolicy::default()
        },
    );
    cache.refresh().await.unwrap();
    issuer.answer(Answer::Fail);
    let failed = cache.refresh().await.unwrap_err();
    assert!(failed.to_string().contains("500"), "{failed}");
    // The set in hand keeps verifying...
    assert_verifies(&cache, &a);
    // ...until its bound, then nothing does.
    tokio::time::sleep(Duration::from_millis(450)).await;
    let stale = cache.verifier().unwrap_err();
    assert_eq!(stale.code(), "keys_stale");
    assert!(stale.to_string().contains("500"), "{stale}");
    // The issuer is back: so is verification.
    issuer.answer(Answer::Keys(vec![a.public_jwk()], "max-age=300"));
    cache.refresh().await.unwrap();
    assert_verifies(&cache, &a);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_control_is_honoured_between_the_floor_and_the_ceiling() {
    let a = pair("key-a");
    let issuer = Issuer::start(Answer::Keys(vec![a.public_jwk()], "max-age=5")).await;
    let cache = cache(&issuer, JwksPolicy::default());
    for (cache_control, want) in [
        ("public, max-age=5", 30),
        ("public, max-age=3600", 300),
        ("max-age=120", 120),
        ("no-cache", 30),
    ] {
        issuer.answer(Answer::Keys(vec![a.public_jwk()], cache_control));
        let before = Instant::now();
        cache.refresh().await.unwrap();
        let due = cache.refresh_due().duration_since(before).as_secs_f64();
        assert!(
            (f64::from(want) - 1.0..=f64::from(want) + 1.0).contains(&due),
            "{cache_control}: due in {due} s"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_set_holding_secrets_is_refused_and_a_good_one_kept() {
    let a = pair("key-a");
    let issuer = Issuer::start(Answer::Keys(vec![a.public_jwk()], "max-age=300")).await;
    let cache = cache(&issuer, JwksPolicy::default());
    cache.refresh().await.unwrap();
    let hmac = Jwk::symmetric(&[7u8; 32], Algorithm::Hs256, Some("key-h".to_owned()));
    for bad in [vec![hmac], vec![a.private_jwk().clone()], vec![]] {
        issuer.answer(Answer::Keys(bad, "max-age=300"));
        assert!(cache.refresh().await.is_err());
        assert_verifies(&cache, &a);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_set_is_kept_fresh_in_the_background() {
    let (a, b) = (pair("key-a"), pair("key-b"));
    let issuer = Issuer::start(Answer::Keys(vec![a.public_jwk()], "max-age=0")).await;
    let cache = cache(
        &issuer,
        JwksPolicy {
            min_age: Duration::from_millis(100),
            ..JwksPolicy::default()
        },
    );
    let task = tokio::spawn(cache.clone().keep_fresh());
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_verifies(&cache, &a);
    issuer.answer(Answer::Keys(vec![b.public_jwk()], "max-age=0"));
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_verifies(&cache, &b);
    assert!(issuer.requests() >= 2);
    task.abort();
}
