//! A user's scopes and a user's deletion through the admin API, in process
//! over a real SQLite store.

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::common;
use common::{fixture, user_id, Fixture, PASSWORD, T0};

/// Creates `name` (with the tests' password) holding `scopes`, as root.
async fn create(f: &Fixture, root: &str, name: &str, scopes: Value) -> Value {
    let (status, body) = f
        .call(
            "POST",
            "/v1/admin/users",
            Some(root),
            Some(json!({"username": name, "password": PASSWORD, "scopes": scopes})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

/// Logs `name` in asking for `scope`: the status and body.
async fn login_for(f: &Fixture, name: &str, scope: &str) -> (StatusCode, Value) {
    let body = json!({"username": name, "password": PASSWORD, "scope": scope});
    f.call("POST", "/v1/auth/login", None, Some(body)).await
}

async fn scope_of(f: &Fixture, token: &str) -> String {
    let (status, me) = f.me(token).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    me["claims"]["scope"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_carry_the_users_scopes_or_the_subset_a_login_asks_for() {
    let f = fixture().await;
    let root = f.access("root").await;
    let created = create(&f, &root, "carol", json!(["orders:write", "orders:read"])).await;
    assert_eq!(created["scopes"], json!(["orders:read", "orders:write"]));
    let full = f.login("carol").await;
    let access = full["access_token"].as_str().unwrap();
    assert_eq!(scope_of(&f, access).await, "orders:read orders:write");
    // A refresh keeps the session's scope.
    let (status, refreshed) = f.refresh(full["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    let next = refreshed["access_token"].as_str().unwrap();
    assert_eq!(scope_of(&f, next).await, "orders:read orders:write");

    let (status, narrow) = login_for(&f, "carol", "orders:read").await;
    assert_eq!(status, StatusCode::OK, "{narrow}");
    let narrow_access = narrow["access_token"].as_str().unwrap();
    assert_eq!(scope_of(&f, narrow_access).await, "orders:read");
    let (status, refreshed) = f.refresh(narrow["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let narrow_next = refreshed["access_token"].as_str().unwrap();
    assert_eq!(scope_of(&f, narrow_next).await, "orders:read");
    // Administrators hold `admin` besides their scopes; nobody else can ask for it.
    assert_eq!(scope_of(&f, &root).await, "admin");
    let (status, body) = login_for(&f, "root", "admin").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = login_for(&f, "root", "").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let scopeless = body["access_token"].as_str().unwrap();
    assert_eq!(scope_of(&f, scopeless).await, "");
    let (status, body) = f
        .call("GET", "/v1/admin/users", Some(scopeless), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    for (asked, why) in [
        ("orders:delete", "not granted"),
        ("admin", "not granted"),
        ("orders:read admin", "not granted"),
        ("orders,read", "malformed"),
        ("\"x\"", "malformed"),
    ] {
        let (status, body) = login_for(&f, "carol", asked).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{asked}: {body}");
        assert_eq!(body["error"], "invalid_scope", "{asked}");
        assert_eq!(body["error_description"], body["message"]);
        let shown = body["message"].as_str().unwrap();
        assert_eq!(
            shown.contains("not granted"),
            why == "not granted",
            "{shown}"
        );
    }
    // A malformed scope is refused before the password is looked at.
    let body = json!({"username": "carol", "password": "wrong", "scope": "a,b"});
    let (status, body) = f.call("POST", "/v1/auth/login", None, Some(body)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_scope"))
    );
    let body = json!({"username": "carol", "password": PASSWORD, "scope": null});
    let (status, _) = f.call("POST", "/v1/auth/login", None, Some(body)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    // The admin API refuses what the rule refuses, and `admin`.
    for scopes in [json!(["admin"]), json!(["a b"]), json!(["ok", ""])] {
        let (status, body) = f
            .call(
                "POST",
                "/v1/admin/users",
                Some(&root),
                Some(json!({"username": "dave", "password": PASSWORD, "scopes": scopes})),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{scopes}: {body}");
        assert_eq!(body["error"], "invalid_scope");
    }
    let (_, users) = f.call("GET", "/v1/admin/users", Some(&root), None).await;
    let carol = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "carol")
        .unwrap();
    assert_eq!(carol["scopes"], json!(["orders:read", "orders:write"]));
    assert!(!users.to_string().contains("dave"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scope_change_ends_the_users_sessions_so_no_token_keeps_a_lost_scope() {
    let f = fixture().await;
    let root = f.access("root").await;
    let carol = create(&f, &root, "carol", json!(["orders:read", "orders:write"])).await;
    let id = carol["id"].as_str().unwrap();
    let before = f.login("carol").await;
    let (access, refresh) = (
        before["access_token"].as_str().unwrap(),
        before["refresh_token"].as_str().unwrap(),
    );
    let path = format!("/v1/admin/users/{id}/scopes");
    let (status, body) = f
        .call(
            "PUT",
            &path,
            Some(&root),
            Some(json!({"scopes": ["orders:read"]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"id": id, "scopes": ["orders:read"], "sessions_ended": 1})
    );
    // The token minted before stops working, on this instance at once.
    let (status, refused) = f.me(access).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{refused}");
    let (status, body) = f.refresh(refresh).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    // A login at once gets the new scopes, and works.
    let after = f.access("carol").await;
    assert_eq!(scope_of(&f, &after).await, "orders:read");
    let (status, body) = login_for(&f, "carol", "orders:write").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_scope"))
    );

    // Refusals: not an administrator, bad lists, unknown users, stray fields.
    let (status, _) = f
        .call("PUT", &path, Some(&after), Some(json!({"scopes": []})))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    for (body, want) in [
        (json!({"scopes": ["admin"]}), StatusCode::BAD_REQUEST),
        (json!({"scopes": ["x y"]}), StatusCode::BAD_REQUEST),
        (
            json!({"scopes": "orders:read"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"scopes": [], "admin": true}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (json!({}), StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let (status, answer) = f.call("PUT", &path, Some(&root), Some(body.clone())).await;
        assert_eq!(status, want, "{body}: {answer}");
    }
    let (status, body) = f
        .call(
            "PUT",
            "/v1/admin/users/nobody/scopes",
            Some(&root),
            Some(json!({"scopes": []})),
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("no_such_user"))
    );
    let log = f.log.lock().unwrap().clone();
    let changed = log
        .iter()
        .find(|e| e["event"] == "admin.user_scopes_changed")
        .expect("the change is a security event");
    assert_eq!(changed["subject"], id);
    assert_eq!(changed["details"]["scopes"], "orders:read");
    assert_eq!(changed["details"]["sessions_ended"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_user_is_gone_with_their_tokens_and_their_name_is_free() {
    let f = fixture().await;
    let root = f.access("root").await;
    let alice = f.login("alice").await;
    let second = f.login("alice").await;
    let id = user_id(&f, &root, "alice").await;
    let (status, body) = f
        .call(
            "DELETE",
            &format!("/v1/admin/users/{id}"),
            Some(&root),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"id": id, "deleted": true, "sessions_ended": 2})
    );
    for login in [&alice, &second] {
        let (status, body) = f.me(login["access_token"].as_str().unwrap()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        let (status, body) = f.refresh(login["refresh_token"].as_str().unwrap()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }
    let (status, body) = f.try_login("alice", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    let (_, users) = f.call("GET", "/v1/admin/users", Some(&root), None).await;
    assert!(!users.to_string().contains("alice"), "{users}");

    // The name is free: a new account, a new id, untouched by the old cut-off.
    f.set_time(T0 + 1);
    let (status, again) = f
        .call(
            "POST",
            "/v1/admin/users",
            Some(&root),
            Some(json!({"username": "alice", "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_ne!(again["id"], id.as_str());
    let fresh = f.access("alice").await;
    assert_eq!(f.me(&fresh).await.0, StatusCode::OK);

    // Refusals: a second time, the last administrator, not an administrator.
    let (status, body) = f
        .call(
            "DELETE",
            &format!("/v1/admin/users/{id}"),
            Some(&root),
            None,
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("no_such_user"))
    );
    let root_id = user_id(&f, &root, "root").await;
    let (status, body) = f
        .call(
            "DELETE",
            &format!("/v1/admin/users/{root_id}"),
            Some(&root),
            None,
        )
        .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::CONFLICT, Some("last_administrator"))
    );
    let (status, _) = f
        .call(
            "DELETE",
            &format!("/v1/admin/users/{root_id}"),
            Some(&fresh),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(f.me(&root).await.0, StatusCode::OK);

    // The event keeps the id, and nothing of the account.
    let log = f.log.lock().unwrap().clone();
    let deleted = log
        .iter()
        .find(|e| e["event"] == "admin.user_deleted")
        .expect("the deletion is a security event");
    assert_eq!(deleted["subject"], id.as_str());
    assert!(!deleted.to_string().contains("alice"), "{deleted}");
}
