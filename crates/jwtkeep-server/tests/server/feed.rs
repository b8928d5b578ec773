//! The revocation feed for registered clients: a snapshot, then the changes
//! since a cursor, ids only; a cursor this store did not give gets a snapshot.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use jwtkeep_store::{ClientSecretHash, Clients as _};
use serde_json::Value;

use crate::common::{fixture, send, Fixture, T0};

const SECRET: &str = "feed-client-secret-feed-client-secret";

async fn feed(
    f: &Fixture,
    authorization: Option<&str>,
    after: Option<&str>,
) -> (StatusCode, Value) {
    let uri = match after {
        Some(cursor) => format!("/v1/revocations?after={cursor}"),
        None => "/v1/revocations".to_owned(),
    };
    let mut request = Request::get(uri);
    if let Some(a) = authorization {
        request = request.header("authorization", a);
    }
    let (status, headers, body) = send(&f.app, request.body(Body::empty()).unwrap()).await;
    if status == StatusCode::OK {
        assert_eq!(headers["cache-control"], "no-store");
    }
    (status, body)
}

fn kinds(body: &Value) -> Vec<String> {
    let mut kinds: Vec<String> = body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    kinds.sort();
    kinds
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_follow_the_feed_from_a_snapshot_through_changes() {
    let f = fixture().await;
    f.store
        .create_client("gate", ClientSecretHash::of(SECRET), T0)
        .await
        .unwrap();
    let basic = format!(
        "Basic {}",
        jwtkeep_core::encoding::TextEncoding::Base64
            .encode(format!("gate:{SECRET}").as_bytes())
            .as_str()
    );
    // Only registered clients read it.
    for authorization in [None, Some("Basic Z2F0ZTp3cm9uZw==")] {
        let (status, body) = feed(&f, authorization, None).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::UNAUTHORIZED, Some("invalid_client"))
        );
    }

    let (status, first) = feed(&f, Some(&basic), None).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["kind"], "snapshot");
    assert!(first["entries"].as_array().unwrap().is_empty());
    let cursor = first["cursor"].as_str().unwrap().to_owned();

    // A logout: the token's denial and its session's end, ids only.
    let alice = f.access("alice").await;
    let claims: Value = serde_json::from_slice(
        &jwtkeep_core::encoding::TextEncoding::Base64Url
            .decode(alice.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    let (status, _) = f.call("POST", "/v1/auth/logout", Some(&alice), None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, changes) = feed(&f, Some(&basic), Some(&cursor)).await;
    assert_eq!(status, StatusCode::OK, "{changes}");
    assert_eq!(changes["kind"], "changes");
    assert_eq!(kinds(&changes), ["session", "token"]);
    let entries = changes["entries"].as_array().unwrap();
    let token = entries.iter().find(|e| e["kind"] == "token").unwrap();
    assert_eq!(
        (&token["issuer"], &token["jti"], &token["exp"]),
        (&claims["iss"], &claims["jti"], &claims["exp"])
    );
    let session = entries.iter().find(|e| e["kind"] == "session").unwrap();
    assert_eq!(session["session"], claims["sid"]);
    assert!(
        !changes.to_string().contains("alice"),
        "nothing personal: {changes}"
    );
    // Nothing new since.
    let next = changes["cursor"].as_str().unwrap();
    let (_, quiet) = feed(&f, Some(&basic), Some(next)).await;
    assert_eq!(
        (
            quiet["kind"].as_str(),
            quiet["entries"].as_array().unwrap().len()
        ),
        (Some("changes"), 0)
    );

    // An emergency, and a user logged out everywhere.
    let root = f.access("root").await;
    let (status, _) = f
        .call("POST", "/v1/admin/revoke-all", Some(&root), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, later) = feed(&f, Some(&basic), Some(next)).await;
    assert_eq!(kinds(&later), ["all"]);

    // A cursor this store did not give (another store's, garbage): a snapshot.
    for foreign in ["elsewhere.0", "nonsense", &format!("x{next}")] {
        let (status, body) = feed(&f, Some(&basic), Some(foreign)).await;
        assert_eq!(status, StatusCode::OK, "{foreign}: {body}");
        assert_eq!(body["kind"], "snapshot", "{foreign}");
        assert_eq!(kinds(&body), ["all", "session", "token"]);
    }
    // Only `after`.
    let (status, _) = feed(&f, Some(&basic), Some("c&limit=5")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
