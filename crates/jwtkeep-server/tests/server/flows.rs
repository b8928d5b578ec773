//! Step-up confirmation tokens, and introspection and revocation for
//! registered clients, in process over a real SQLite store.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use jwtkeep_store::{ClientSecretHash, Clients as _};
use serde_json::{json, Value};

use crate::common;
use common::{basic, fixture, oauth, send, Fixture, PASSWORD, T0};

const CLIENT_SECRET: &str = "kY3v9Qm2R8wXcB7tN4pL6sD1fG5hJ0aZqWeRtYuIoPs";

async fn with_client() -> (Fixture, String) {
    let f = fixture().await;
    f.store
        .create_client(
            "orders",
            ClientSecretHash::of(CLIENT_SECRET),
            jwtkeep_store::Scopes::none(),
            T0,
        )
        .await
        .unwrap();
    (f, basic("orders", CLIENT_SECRET))
}

async fn confirm(f: &Fixture, access: &str, password: &str, action: &str) -> (StatusCode, Value) {
    f.call(
        "POST",
        "/v1/auth/confirm",
        Some(access),
        Some(json!({"password": password, "action": action})),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_confirmation_is_bound_to_its_user_and_action_and_used_once() {
    let f = fixture().await;
    let alice = f.access("alice").await;
    let (status, body) = confirm(&f, &alice, "wrong password!", "email.change").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_credentials"))
    );
    let (status, body) = confirm(&f, &alice, PASSWORD, "Email Change!").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_action"))
    );
    let (status, body) = confirm(&f, &alice, PASSWORD, "email.change").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["expires_in"], 300);
    let token = body["confirmation_token"].as_str().unwrap().to_owned();

    // Not an access token, not for another action, not for another user.
    assert_eq!(f.me(&token).await.0, StatusCode::UNAUTHORIZED);
    let check = |access: String, action: &'static str| {
        let token = token.clone();
        let f = &f;
        async move {
            f.call(
                "POST",
                "/v1/auth/confirm/verify",
                Some(&access),
                Some(json!({"token": token, "action": action})),
            )
            .await
        }
    };
    let (status, body) = check(alice.clone(), "account.delete").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("action_mismatch"))
    );
    let root = f.access("root").await;
    let (status, body) = check(root, "email.change").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("subject_mismatch"))
    );

    // Eight at once: exactly one is confirmed.
    let answers = futures_join(
        (0..8)
            .map(|_| check(alice.clone(), "email.change"))
            .collect(),
    )
    .await;
    let confirmed = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    assert_eq!(confirmed, 1, "{answers:?}");
    for (status, body) in answers.iter().filter(|(s, _)| *s != StatusCode::OK) {
        assert_eq!(
            (*status, body["error"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("confirmation_used"))
        );
    }
    let events: Vec<String> = f
        .log
        .lock()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        events.contains(&"confirm.issued".to_owned())
            && events.contains(&"confirm.used".to_owned())
    );

    // A confirmation lives five minutes.
    let (_, body) = confirm(&f, &alice, PASSWORD, "email.change").await;
    let late = body["confirmation_token"].as_str().unwrap().to_owned();
    f.set_time(T0 + 300 + 31);
    let alice = f.access("alice").await;
    let (status, body) = f
        .call(
            "POST",
            "/v1/auth/confirm/verify",
            Some(&alice),
            Some(json!({"token": late, "action": "email.change"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["message"].as_str().unwrap().contains("expired"),
        "{body}"
    );
}

/// Runs the futures concurrently on the runtime, answers in order.
async fn futures_join<F>(futures: Vec<F>) -> Vec<(StatusCode, Value)>
where
    F: std::future::Future<Output = (StatusCode, Value)>,
{
    let mut pinned: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut results: Vec<Option<(StatusCode, Value)>> = vec![None; pinned.len()];
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, future) in pinned.iter_mut().enumerate() {
            if results[i].is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(r) => results[i] = Some(r),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    results.into_iter().map(Option::unwrap).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn introspection_needs_a_client_and_reveals_nothing_of_inactive_tokens() {
    let (f, auth) = with_client().await;
    let login = f.login("alice").await;
    let (access, refresh) = (
        login["access_token"].as_str().unwrap(),
        login["refresh_token"].as_str().unwrap(),
    );
    let form = format!("token={access}");
    for bad in [
        None,
        Some(basic("orders", "wrong")),
        Some(basic("nobody", CLIENT_SECRET)),
        Some("Bearer x".to_owned()),
    ] {
        let (status, headers, body) = oauth(&f, "/oauth2/introspect", bad.as_deref(), &form).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("invalid_client")),
            "{bad:?}"
        );
        assert_eq!(headers["www-authenticate"], "Basic realm=\"jwtkeep\"");
    }
    let (status, headers, body) = oauth(&f, "/oauth2/introspect", Some(&auth), &form).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(body["active"], true);
    assert_eq!(body["token_type"], "access_token");
    assert_eq!(body["exp"], T0 + 900);
    assert_eq!(body["client_id"], "jwtkeep");
    let (_, _, body) = oauth(
        &f,
        "/oauth2/introspect",
        Some(&auth),
        &format!("token={refresh}&token_type_hint=refresh_token"),
    )
    .await;
    assert_eq!(
        (body["active"].as_bool(), body["token_type"].as_str()),
        (Some(true), Some("refresh_token"))
    );
    for inactive in ["token=not.a.token", "token=", &format!("token={access}x")] {
        let (status, _, body) = oauth(&f, "/oauth2/introspect", Some(&auth), inactive).await;
        assert_eq!(
            (status, body),
            (StatusCode::OK, json!({"active": false})),
            "{inactive}"
        );
    }
    let (status, _, body) = oauth(&f, "/oauth2/introspect", Some(&auth), "tok=1").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );

    // A rotated refresh token is no longer active.
    assert_eq!(f.refresh(refresh).await.0, StatusCode::OK);
    let (_, _, body) = oauth(
        &f,
        "/oauth2/introspect",
        Some(&auth),
        &format!("token={refresh}"),
    )
    .await;
    assert_eq!(body, json!({"active": false}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_client_stops_authenticating_within_five_seconds_and_a_new_secret_works_at_once()
{
    let (f, auth) = with_client().await;
    let form = format!("token={}", f.access("alice").await);
    let status = |auth: String| {
        let (f, form) = (&f, &form);
        async move { oauth(f, "/oauth2/introspect", Some(&auth), form).await.0 }
    };
    assert_eq!(status(auth.clone()).await, StatusCode::OK);
    // Removed, then added again with another secret (`jwtkeep client` on
    // another machine: nothing tells this service).
    assert!(f.store.delete_client("orders").await.unwrap());
    let other = "another-client-secret-another-client-secret";
    f.store
        .create_client(
            "orders",
            ClientSecretHash::of(other),
            jwtkeep_store::Scopes::none(),
            T0,
        )
        .await
        .unwrap();
    // The new secret is checked against the store at once.
    assert_eq!(status(basic("orders", other)).await, StatusCode::OK);
    // The old one: refused from the store's answer, not the cache's.
    assert_eq!(status(auth.clone()).await, StatusCode::UNAUTHORIZED);

    // Removed for good: what was read stays trusted at most five seconds.
    assert_eq!(status(basic("orders", other)).await, StatusCode::OK);
    assert!(f.store.delete_client("orders").await.unwrap());
    f.now.store(T0 + 4, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(status(basic("orders", other)).await, StatusCode::OK);
    f.now.store(T0 + 5, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        status(basic("orders", other)).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_revoke_access_and_refresh_tokens() {
    let (f, auth) = with_client().await;
    let login = f.login("alice").await;
    let (access, refresh) = (
        login["access_token"].as_str().unwrap(),
        login["refresh_token"].as_str().unwrap(),
    );
    let (status, _, body) = oauth(
        &f,
        "/oauth2/revoke",
        Some(&auth),
        &format!("token={access}"),
    )
    .await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));
    f.until_refused(access).await;
    let (_, _, body) = oauth(
        &f,
        "/oauth2/introspect",
        Some(&auth),
        &format!("token={access}"),
    )
    .await;
    assert_eq!(body, json!({"active": false}));

    let (status, _, _) = oauth(
        &f,
        "/oauth2/revoke",
        Some(&auth),
        &format!("token={refresh}&token_type_hint=refresh_token"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = f
        .call(
            "POST",
            "/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": refresh})),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("session_revoked"))
    );

    // Unknown tokens get the same answer (RFC 7009 §2.2); no client, no revocation.
    let (status, _, body) = oauth(&f, "/oauth2/revoke", Some(&auth), "token=garbage").await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));
    let other = f.access("alice").await;
    let (status, _, _) = oauth(&f, "/oauth2/revoke", None, &format!("token={other}")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(f.me(&other).await.0, StatusCode::OK);
    let revoked: Vec<Value> = f
        .log
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == "token.revoked")
        .cloned()
        .collect();
    assert_eq!(revoked.len(), 2);
    assert_eq!(revoked[0]["details"]["client"], "orders");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_carry_the_challenge_and_retry_headers_rfc6750_asks_for() {
    let f = fixture().await;
    let me = |token: Option<&str>| {
        let mut request = Request::get("/v1/auth/me");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        send(&f.app, request.body(Body::empty()).unwrap())
    };
    let (status, headers, body) = me(None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "missing_token");
    assert_eq!(headers["www-authenticate"], "Bearer");
    let (status, headers, body) = me(Some("not.a.token")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_token");
    assert_eq!(
        headers["www-authenticate"],
        "Bearer error=\"invalid_token\""
    );
    let alice = f.access("alice").await;
    let (status, headers, body) = send(
        &f.app,
        Request::get("/v1/admin/users")
            .header("authorization", format!("Bearer {alice}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"], "insufficient_scope");
    assert_eq!(
        headers["www-authenticate"],
        "Bearer error=\"insufficient_scope\", scope=\"admin\""
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_on_the_services_side_is_logged_once_and_not_told_to_the_client() {
    // A view that is stale at once: every revocation check must fail closed.
    let f = common::fixture_with(jwtkeep_server::Config {
        revocation_staleness: std::time::Duration::from_nanos(1),
        ..jwtkeep_server::Config::default()
    })
    .await;
    let alice = f.access("alice").await;
    let (status, headers, body) = send(
        &f.app,
        Request::get("/v1/auth/me?x=1")
            .header("authorization", format!("Bearer {alice}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"], "revocations_stale");
    assert_eq!(headers["retry-after"], "1");
    assert!(!body["message"].as_str().unwrap().contains("ms"), "{body}");
    let logged: Vec<Value> = f
        .log
        .lock()
        .unwrap()
        .iter()
        .filter(|line| line["error"] == "revocations_stale")
        .cloned()
        .collect();
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!(logged[0]["path"], "/v1/auth/me");
    assert!(logged[0]["detail"].as_str().unwrap().contains("stale"));
}
