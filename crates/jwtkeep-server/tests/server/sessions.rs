//! Sessions: every access token carries `sid`, its refresh family, and
//! whatever ends the session ends every token of it, at once.

use axum::http::StatusCode;
use jwtkeep_store::{ClientSecretHash, Clients as _};
use serde_json::{json, Value};

use crate::common;
use common::{fixture, Fixture, PASSWORD, T0};

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    let bytes = jwtkeep_core::encoding::TextEncoding::Base64Url
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn text<'a>(body: &'a Value, field: &str) -> &'a str {
    body[field]
        .as_str()
        .unwrap_or_else(|| panic!("{field} in {body}"))
}

async fn refresh(f: &Fixture, token: &str) -> (StatusCode, Value) {
    f.call(
        "POST",
        "/v1/auth/refresh",
        None,
        Some(json!({ "refresh_token": token })),
    )
    .await
}

/// /me after the view has caught up: the error code, or "ok".
async fn me_code(f: &Fixture, token: &str) -> String {
    f.control.sync_revocations().await.unwrap();
    let (status, body) = f.me(token).await;
    if status == StatusCode::OK {
        "ok".into()
    } else {
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        text(&body, "error").to_owned()
    }
}

/// Registers a client; its Authorization header.
async fn client(f: &Fixture) -> String {
    const SECRET: &str = "s3cret-s3cret-s3cret-s3cret";
    f.store
        .create_client(
            "orders",
            ClientSecretHash::of(SECRET),
            jwtkeep_store::Scopes::none(),
            T0,
        )
        .await
        .unwrap();
    let credentials = format!("orders:{SECRET}");
    let encoded = jwtkeep_core::encoding::TextEncoding::Base64.encode(credentials.as_bytes());
    format!("Basic {}", encoded.as_str())
}

/// Whether introspection calls the token active.
async fn active(f: &Fixture, authorization: &str, token: &str) -> bool {
    let request = axum::http::Request::post("/oauth2/introspect")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("authorization", authorization)
        .body(axum::body::Body::from(format!("token={token}")))
        .unwrap();
    let (status, _, body) = common::send(&f.app, request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["active"].as_bool().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_tokens_carry_their_session_and_responses_their_type() {
    let f = fixture().await;
    let first = f.login("alice").await;
    assert_eq!(first["token_type"], "Bearer");
    let access = claims_of(text(&first, "access_token"));
    let refresh_claims = claims_of(text(&first, "refresh_token"));
    assert_eq!(access["sid"], refresh_claims["fam"]);
    f.set_time(T0 + 60);
    let (status, second) = refresh(&f, text(&first, "refresh_token")).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(second["token_type"], "Bearer");
    assert_eq!(
        claims_of(text(&second, "access_token"))["sid"],
        access["sid"]
    );
    // Another login is another session.
    let other = f.login("alice").await;
    assert_ne!(
        claims_of(text(&other, "access_token"))["sid"],
        access["sid"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_with_the_access_token_alone_ends_the_whole_session() {
    let f = fixture().await;
    let basic = client(&f).await;
    let first = f.login("alice").await;
    f.set_time(T0 + 60);
    let (_, second) = refresh(&f, text(&first, "refresh_token")).await;
    let elsewhere = f.login("alice").await;
    let (a1, a2) = (text(&first, "access_token"), text(&second, "access_token"));
    assert!(active(&f, &basic, a1).await);

    let (status, body) = f.call("POST", "/v1/auth/logout", Some(a2), None).await;
    assert_eq!(
        (status, text(&body, "status")),
        (StatusCode::OK, "logged_out")
    );

    // The token presented is denied, the session's other one ends with it...
    assert_eq!(me_code(&f, a2).await, "token_revoked");
    assert_eq!(me_code(&f, a1).await, "session_revoked");
    assert!(!active(&f, &basic, a1).await);
    // ...and so does its refresh token.
    let (status, body) = refresh(&f, text(&second, "refresh_token")).await;
    assert_eq!(
        (status, text(&body, "error")),
        (StatusCode::UNAUTHORIZED, "session_revoked")
    );
    // The user's other session is untouched.
    assert_eq!(me_code(&f, text(&elsewhere, "access_token")).await, "ok");
    let (status, _) = refresh(&f, text(&elsewhere, "refresh_token")).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_logout_revokes_nothing() {
    let f = fixture().await;
    let mine = f.login("alice").await;
    let theirs = f.login("root").await;
    let access = text(&mine, "access_token");
    let (status, body) = f
        .call(
            "POST",
            "/v1/auth/logout",
            Some(access),
            Some(json!({"refresh_token": text(&theirs, "refresh_token")})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(me_code(&f, access).await, "ok");
    assert_eq!(me_code(&f, text(&theirs, "access_token")).await, "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_detected_reuse_ends_every_access_token_of_the_session() {
    let f = fixture().await;
    let first = f.login("alice").await;
    let r1 = text(&first, "refresh_token");
    f.set_time(T0 + 60);
    let (_, second) = refresh(&f, r1).await;
    // Past the grace window, r1 again: a stolen token racing its owner.
    f.set_time(T0 + 120);
    let (status, body) = refresh(&f, r1).await;
    assert_eq!(
        (status, text(&body, "error")),
        (StatusCode::UNAUTHORIZED, "refresh_reuse")
    );
    for access in [text(&first, "access_token"), text(&second, "access_token")] {
        assert_eq!(me_code(&f, access).await, "session_revoked");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_within_the_grace_window_cannot_extend_the_session() {
    let f = fixture().await;
    let first = f.login("alice").await;
    let r1 = text(&first, "refresh_token");
    f.set_time(T0 + 60);
    let (_, second) = refresh(&f, r1).await;
    let (a2, r2) = (
        claims_of(text(&second, "access_token")),
        claims_of(text(&second, "refresh_token")),
    );
    // Twenty replays of r1 later in the window: the same refresh token, and
    // access tokens that expire no later than the one first issued.
    f.set_time(T0 + 69);
    let mut replayed = Vec::new();
    for _ in 0..20 {
        let (status, again) = refresh(&f, r1).await;
        assert_eq!(status, StatusCode::OK, "{again}");
        assert_eq!(claims_of(text(&again, "refresh_token")), r2);
        let access = claims_of(text(&again, "access_token"));
        assert_eq!(
            (&access["exp"], &access["iat"], &access["sid"]),
            (&a2["exp"], &a2["iat"], &a2["sid"])
        );
        assert_eq!(again["expires_in"], a2["exp"].as_i64().unwrap() - (T0 + 69));
        replayed.push(text(&again, "access_token").to_owned());
    }
    // Ending the session ends every one of them.
    let (status, _) = f
        .call(
            "POST",
            "/v1/auth/logout",
            Some(text(&second, "access_token")),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for access in &replayed {
        assert_eq!(me_code(&f, access).await, "session_revoked");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_revoking_a_refresh_token_ends_its_access_tokens_too() {
    let f = fixture().await;
    let basic = client(&f).await;
    let pair = f.login("alice").await;
    let request = axum::http::Request::post("/oauth2/revoke")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("authorization", &basic)
        .body(axum::body::Body::from(format!(
            "token={}",
            text(&pair, "refresh_token")
        )))
        .unwrap();
    let (status, _, _) = common::send(&f.app, request).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        me_code(&f, text(&pair, "access_token")).await,
        "session_revoked"
    );
}

/// A refresh token signed before refresh tokens carried the session's scope
/// (no `scope` claim) still refreshes: the scope is read from the user, and
/// the new refresh token carries it from then on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_token_without_its_scope_is_answered_from_the_user() {
    use jwtkeep_store::SigningKeys as _;
    let f = fixture().await;
    let login = f.login("root").await;
    let refresh = login["refresh_token"].as_str().unwrap();
    let mut claims = claims_of(refresh);
    assert_eq!(claims["scope"], "admin");
    claims.as_object_mut().unwrap().remove("scope");
    // Signed again without it, with the service's own refresh key.
    let kid = crate::common::kid_of(refresh);
    let records = f.store.keys("refresh").await.unwrap();
    let record = records.iter().find(|r| r.kid == kid).unwrap();
    let der = f.master.open(record).unwrap();
    let pair = jwtkeep_core::KeyPair::from_pkcs8(record.alg, der, Some(kid.clone())).unwrap();
    let key = jwtkeep_core::Key::from_jwk(pair.private_jwk(), Some(record.alg)).unwrap();
    let header = jwtkeep_core::inspect::decode_unverified(refresh)
        .unwrap()
        .header;
    let fields = jwtkeep_core::HeaderFields {
        typ: header["typ"].as_str().map(str::to_owned),
        kid: Some(kid),
    };
    let old = jwtkeep_core::sign_claims(&key, &fields, &claims).unwrap();

    let (status, body) = f
        .call(
            "POST",
            "/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": old})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let access = claims_of(body["access_token"].as_str().unwrap());
    assert_eq!(access["scope"], "admin");
    let next = claims_of(body["refresh_token"].as_str().unwrap());
    assert_eq!(next["scope"], "admin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_ends_the_other_sessions_but_not_the_callers() {
    let f = fixture().await;
    let (mine, other) = (f.login("alice").await, f.login("alice").await);
    let token = |login: &Value, name: &str| login[name].as_str().unwrap().to_owned();
    let (my_access, my_refresh) = (token(&mine, "access_token"), token(&mine, "refresh_token"));
    let (other_access, other_refresh) = (
        token(&other, "access_token"),
        token(&other, "refresh_token"),
    );
    let new_password = "a brand new passphrase for alice 7";
    let change =
        |current: &str, new: &str| json!({"current_password": current, "new_password": new});

    // The current password is checked (and counted, as a login is).
    let (status, body) = f
        .call(
            "POST",
            "/v1/auth/password",
            Some(&my_access),
            Some(change("wrong password!", new_password)),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_credentials"))
    );
    let (status, body) = f
        .call(
            "POST",
            "/v1/auth/password",
            Some(&my_access),
            Some(change(PASSWORD, "password1234")),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("weak_password"))
    );
    let (status, _) = f
        .call(
            "POST",
            "/v1/auth/password",
            None,
            Some(change(PASSWORD, new_password)),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(f.me(&other_access).await.0, StatusCode::OK);

    let (status, body) = f
        .call(
            "POST",
            "/v1/auth/password",
            Some(&my_access),
            Some(change(PASSWORD, new_password)),
        )
        .await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"sessions_ended": 1}))
    );
    // The other session is over, access and refresh.
    assert_eq!(
        f.until_refused(&other_access).await["error"],
        "session_revoked"
    );
    assert_eq!(f.refresh(&other_refresh).await.0, StatusCode::UNAUTHORIZED);
    // The caller's goes on.
    assert_eq!(f.me(&my_access).await.0, StatusCode::OK);
    assert_eq!(f.refresh(&my_refresh).await.0, StatusCode::OK);
    assert_eq!(
        f.try_login("alice", PASSWORD).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(f.try_login("alice", new_password).await.0, StatusCode::OK);
    let log = serde_json::to_string(&*f.log.lock().unwrap()).unwrap();
    assert!(
        log.contains("password.changed") && log.contains("password.change_failed"),
        "{log}"
    );
    assert!(!log.contains(new_password) && !log.contains(PASSWORD));
}
