//! The admin API, key rotation, metrics and the event log, in process over a
//! real SQLite store.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use jwtkeep_server::Config;
use serde_json::{json, Value};

use crate::common;
use common::{fixture, fixture_with, kid_of, user_id, PASSWORD, T0};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_routes_need_an_enabled_administrators_token() {
    let f = fixture().await;
    let alice = f.access("alice").await;
    let root_login = f.login("root").await;
    let root = root_login["access_token"].as_str().unwrap();
    let (_, me) = f.me(root).await;
    assert_eq!(me["claims"]["scope"], "admin");
    let routes = [
        ("GET", "/v1/admin/users"),
        ("POST", "/v1/admin/users/x/disable"),
        ("POST", "/v1/admin/users/x/enable"),
        ("POST", "/v1/admin/users/x/revoke"),
        ("DELETE", "/v1/admin/users/x"),
        ("POST", "/v1/admin/revoke-all"),
        ("POST", "/v1/admin/keys/rotate"),
        ("GET", "/v1/admin/events"),
    ];
    for (method, path) in routes {
        let (status, body) = f.call(method, path, None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(body["error"], "missing_token");
        let (status, body) = f.call(method, path, Some(&alice), None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        assert_eq!(body["error"], "insufficient_scope");
        let (status, body) = f.call(method, path, Some("a.b.c"), None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{path}: {body}");
    }
    let (status, _) = f
        .call(
            "POST",
            "/v1/admin/users",
            Some(&alice),
            Some(json!({"username": "mallory", "password": PASSWORD, "admin": true})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Once root is no longer an administrator, its token's scope is not enough.
    let (status, body) = f
        .call(
            "POST",
            "/v1/admin/users",
            Some(root),
            Some(json!({"username": "second", "password": PASSWORD, "admin": true})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let second = f.access("second").await;
    let root_id = user_id(&f, &second, "root").await;
    let (status, _) = f
        .call(
            "POST",
            &format!("/v1/admin/users/{root_id}/disable"),
            Some(&second),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    f.set_time(T0 + 1);
    let body = f.until_refused(root).await;
    assert_eq!(body["error"], "subject_revoked", "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_are_created_listed_disabled_and_enabled() {
    let f = fixture().await;
    let root = f.access("root").await;
    let create = |body: Value| f.call("POST", "/v1/admin/users", Some(&root), Some(body));
    let (status, bob) = create(json!({"username": "Bob", "password": PASSWORD})).await;
    assert_eq!(status, StatusCode::CREATED, "{bob}");
    assert_eq!(
        (bob["username"].as_str(), bob["admin"].as_bool()),
        (Some("bob"), Some(false))
    );
    assert!(bob.get("password_hash").is_none());
    for (body, status, code) in [
        (
            json!({"username": "BOB", "password": PASSWORD}),
            StatusCode::CONFLICT,
            "username_taken",
        ),
        (
            json!({"username": "carol", "password": "short"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "weak_password",
        ),
        (
            json!({"username": "a b", "password": PASSWORD}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_username",
        ),
        (
            json!({"username": "carol"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            json!({"username": "carol", "password": PASSWORD, "role": "god"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
    ] {
        let (got, answer) = create(body.clone()).await;
        assert_eq!(
            (got, answer["error"].as_str()),
            (status, Some(code)),
            "{body}"
        );
    }
    let (status, list) = f.call("GET", "/v1/admin/users", Some(&root), None).await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = list["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alice", "bob", "root"]);
    assert!(
        !list.to_string().contains("argon2"),
        "no password hash is ever shown"
    );

    let bob_id = bob["id"].as_str().unwrap();
    let bob_token = f.access("bob").await;
    let (status, _) = f
        .call(
            "POST",
            &format!("/v1/admin/users/{bob_id}/disable"),
            Some(&root),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = f
        .call(
            "POST",
            "/v1/auth/login",
            None,
            Some(json!({"username": "bob", "password": PASSWORD})),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_credentials"))
    );
    f.until_refused(&bob_token).await;
    let (status, body) = f
        .call(
            "POST",
            "/v1/admin/users/no-such-id/disable",
            Some(&root),
            None,
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("no_such_user"))
    );
    let (status, _) = f
        .call(
            "POST",
            &format!("/v1/admin/users/{bob_id}/enable"),
            Some(&root),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // Tokens cut off at the disable stay dead; a login a second later works.
    f.set_time(T0 + 1);
    let fresh = f.access("bob").await;
    assert_eq!(f.me(&fresh).await.0, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logging_a_user_out_everywhere_and_the_emergency_revoke() {
    let f = fixture().await;
    let root = f.access("root").await;
    let (a, b) = (f.login("alice").await, f.login("alice").await);
    let alice_id = f.me(a["access_token"].as_str().unwrap()).await.1["claims"]["sub"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = f
        .call(
            "POST",
            &format!("/v1/admin/users/{alice_id}/revoke"),
            Some(&root),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["families_revoked"], 2);
    for session in [&a, &b] {
        f.until_refused(session["access_token"].as_str().unwrap())
            .await;
        let (status, _) = f
            .call(
                "POST",
                "/v1/auth/refresh",
                None,
                Some(json!({"refresh_token": session["refresh_token"]})),
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        f.me(&root).await.0,
        StatusCode::OK,
        "only alice was logged out"
    );

    // Emergency: every token issued so far dies, the administrator's own included.
    f.set_time(T0 + 5);
    let alice = f.access("alice").await;
    let (status, body) = f
        .call("POST", "/v1/admin/revoke-all", Some(&root), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["revoked_before"], T0 + 6);
    f.until_refused(&alice).await;
    let body = f.until_refused(&root).await;
    assert_eq!(body["error"], "all_revoked");
    // A second later, logging in works again.
    f.set_time(T0 + 6);
    let fresh = f.access("alice").await;
    assert_eq!(f.me(&fresh).await.0, StatusCode::OK);

    let (status, events) = f
        .call(
            "GET",
            "/v1/admin/events?since=0&name=admin.",
            Some(&f.access("root").await),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let names: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["admin.user_revoked", "admin.revoke_all"]);
    let (status, body) = f
        .call("GET", "/v1/admin/events?limit=many", Some(&fresh), None)
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_key_verifies_its_tokens_until_they_expire_then_retires() {
    let f = fixture().await;
    let root = f.access("root").await;
    let old = f.access("alice").await;
    let (status, body) = f
        .call(
            "POST",
            "/v1/admin/keys/rotate",
            Some(&root),
            Some(json!({"purpose": "access", "mode": "immediate"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let new_kid = body["rotated"]["access"].as_str().unwrap().to_owned();
    let (_, jwks) = f.call("GET", "/.well-known/jwks.json", None, None).await;
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap())
        .collect();
    assert_eq!(
        kids,
        [new_kid.as_str(), kid_of(&old).as_str()],
        "newest first, the old one still listed"
    );

    let new = f.access("alice").await;
    assert_eq!(kid_of(&new), new_kid);
    f.set_time(T0 + 899);
    assert_eq!(
        f.me(&old).await.0,
        StatusCode::OK,
        "the old key verifies until its tokens expire"
    );
    // Past the old key's last token (900 s) and the leeway, it is retired.
    f.set_time(T0 + 900 + 31);
    let (status, body) = f.me(&old).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["message"].as_str().unwrap().contains("key_retired"),
        "{body}"
    );
    let (_, jwks) = f.call("GET", "/.well-known/jwks.json", None, None).await;
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);

    let (status, body) = f
        .call(
            "POST",
            "/v1/admin/keys/rotate",
            Some(&f.access("root").await),
            Some(json!({"purpose": "everything"})),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_request"))
    );
    for mode in [json!("sometimes"), json!(null), json!(1)] {
        let (status, body) = f
            .call(
                "POST",
                "/v1/admin/keys/rotate",
                Some(&f.access("root").await),
                Some(json!({"purpose": "access", "mode": mode})),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{mode}: {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_rotate_on_schedule_published_before_they_sign() {
    let f = fixture_with(Config {
        rotation_secs: 1000,
        publish_ahead_secs: 100,
        // The timer stays out of the way: the test runs the scheduled work itself.
        key_check_interval: Duration::from_secs(3600),
        ..Config::default()
    })
    .await;
    let first = kid_of(&f.access("alice").await);
    let jwks_len = || async {
        f.call("GET", "/.well-known/jwks.json", None, None).await.1["keys"]
            .as_array()
            .unwrap()
            .len()
    };
    f.set_time(T0 + 899);
    f.control.maintain_keys().await.unwrap();
    assert_eq!(jwks_len().await, 1, "not due yet");
    f.set_time(T0 + 900);
    f.control.maintain_keys().await.unwrap();
    assert_eq!(jwks_len().await, 2, "the next key is published ahead");
    assert_eq!(
        kid_of(&f.access("alice").await),
        first,
        "but does not sign yet"
    );
    f.set_time(T0 + 1000);
    let second = kid_of(&f.access("alice").await);
    assert_ne!(second, first, "from its activation it signs");
    let rotations = f
        .log
        .lock()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == "key.rotated")
        .count();
    assert_eq!(rotations, 3, "one per purpose");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_and_the_event_log_holds_no_secret() {
    let f = fixture().await;
    let login = f.login("alice").await;
    let (status, _) = f
        .call(
            "POST",
            "/v1/auth/login",
            None,
            Some(json!({"username": "alice", "password": "wrong password!"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let access = login["access_token"].as_str().unwrap();
    assert_eq!(f.me(access).await.0, StatusCode::OK);
    assert_eq!(f.me(access).await.0, StatusCode::OK);
    assert_eq!(f.me("a.b.c").await.0, StatusCode::UNAUTHORIZED);

    let response = {
        use tower::ServiceExt as _;
        f.app
            .clone()
            .oneshot(Request::get("/metrics").body(Body::empty()).unwrap())
            .await
            .unwrap()
    };
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4"
    );
    let text = String::from_utf8(
        axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    for line in [
        "jwtkeep_logins_total{result=\"succeeded\"} 1",
        "jwtkeep_logins_total{result=\"failed\"} 1",
        "jwtkeep_tokens_issued_total{purpose=\"access\"} 1",
        "jwtkeep_verifications_total{result=\"valid\"} 2",
        "jwtkeep_verifications_total{result=\"invalid\"} 1",
        "jwtkeep_active_key_age_seconds{purpose=\"access\"} 0",
        // One token used twice: its signature checked once, and held.
        "jwtkeep_verified_tokens_cached 1",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "{line} missing from\n{text}"
        );
    }

    let log = f.log.lock().unwrap().clone();
    let names: Vec<&str> = log.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(names, ["login.succeeded", "login.failed"]);
    let all = serde_json::to_string(&log).unwrap();
    for secret in [
        PASSWORD,
        "wrong password!",
        access,
        login["refresh_token"].as_str().unwrap(),
    ] {
        assert!(!all.contains(secret), "the event log holds a secret");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_enabled_administrator_cannot_disable_themself() {
    let f = fixture().await;
    let root = f.access("root").await;
    let root_id = user_id(&f, &root, "root").await;
    let (status, body) = f
        .call(
            "POST",
            &format!("/v1/admin/users/{root_id}/disable"),
            Some(&root),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"], "last_administrator");
    // Still an enabled administrator: the token still works for the admin API.
    let (status, _) = f.call("GET", "/v1/admin/users", Some(&root), None).await;
    assert_eq!(status, StatusCode::OK);
}

/// The id of the user named `name`, as the admin API lists it to `token`'s holder.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_sets_a_users_password_and_every_session_of_theirs_ends() {
    let f = fixture().await;
    let root = f.access("root").await;
    let alice_login = f.login("alice").await;
    let (access, refresh) = (
        alice_login["access_token"].as_str().unwrap(),
        alice_login["refresh_token"].as_str().unwrap(),
    );
    let other_session = f.access("alice").await;
    let alice_id = user_id(&f, &root, "alice").await;
    let path = format!("/v1/admin/users/{alice_id}/password");
    let new_password = "a different passphrase, long enough 42";
    let body = json!({"new_password": new_password});

    // Only an administrator; a weak password refused; an unknown user 404.
    let (status, _) = f
        .call("POST", &path, Some(access), Some(body.clone()))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, reply) = f
        .call(
            "POST",
            &path,
            Some(&root),
            Some(json!({"new_password": "password1234"})),
        )
        .await;
    assert_eq!(
        (status, reply["error"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("weak_password"))
    );
    let (status, _) = f
        .call(
            "POST",
            "/v1/admin/users/nobody/password",
            Some(&root),
            Some(body.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = f
        .call(
            "POST",
            &path,
            Some(&root),
            Some(json!({"new_password": new_password, "x": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Nothing changed so far: the old password still works.
    assert_eq!(f.me(access).await.0, StatusCode::OK);

    let (status, reply) = f.call("POST", &path, Some(&root), Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply, json!({"id": alice_id, "sessions_ended": 2}));
    // Both sessions ended: access tokens and the refresh token refused.
    for token in [access, other_session.as_str()] {
        assert_eq!(f.until_refused(token).await["error"], "session_revoked");
    }
    assert_eq!(f.refresh(refresh).await.0, StatusCode::UNAUTHORIZED);
    // The old password no longer logs in; the new one does.
    assert_eq!(
        f.try_login("alice", PASSWORD).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(f.try_login("alice", new_password).await.0, StatusCode::OK);
    // Recorded, without the password.
    let log = serde_json::to_string(&*f.log.lock().unwrap()).unwrap();
    assert!(log.contains("admin.password_reset"), "{log}");
    assert!(!log.contains(new_password));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_is_throttled_per_purpose_and_the_contract_is_strict() {
    let f = fixture().await;
    let root = f.access("root").await;
    let rotate = |body: Value| f.call("POST", "/v1/admin/keys/rotate", Some(&root), Some(body));
    let (status, body) = rotate(json!({"purpose": "access"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = rotate(json!({"purpose": "access"})).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"], "rotation_throttled");
    // Another purpose is its own.
    let (status, body) = rotate(json!({"purpose": "refresh"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // null is not "every purpose".
    let (status, body) = rotate(json!({"purpose": null})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // A minute later the purpose may rotate again.
    f.set_time(T0 + 61);
    let root = f.access("root").await;
    let (status, body) = f
        .call(
            "POST",
            "/v1/admin/keys/rotate",
            Some(&root),
            Some(json!({"purpose": "access"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    for query in [
        "limit=0",
        "limit=1001",
        "since=-1",
        "until=253402300800",
        "since=-7575316542976",
    ] {
        let (status, body) = f
            .call(
                "GET",
                &format!("/v1/admin/events?{query}"),
                Some(&root),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
    }
    // What the document's schemas refuse, the service refuses too.
    for (body, code) in [
        // Blanks around a username: the pattern has none.
        (
            json!({"username": " carol", "password": "a sturdy passphrase 9"}),
            "invalid_username",
        ),
        // Eleven characters (22 bytes): under the 12 of minLength.
        (
            json!({"username": "carol", "password": "ééééééééééé"}),
            "weak_password",
        ),
        // An array where the schema says object.
        (json!(["carol", "a sturdy passphrase 9"]), "invalid_request"),
    ] {
        let (status, answer) = f
            .call("POST", "/v1/admin/users", Some(&root), Some(body.clone()))
            .await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(code)),
            "{body}: {answer}"
        );
    }
    let (status, body) = f
        .call(
            "POST",
            "/v1/auth/logout",
            Some(&root),
            Some(json!({"refresh_token": null})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = f
        .call("POST", "/v1/auth/logout", Some(&root), Some(json!([])))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}
