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

/// Registers the client "gate"; its Authorization header.
async fn gate_client(f: &Fixture) -> String {
    f.store
        .create_client(
            "gate",
            ClientSecretHash::of(SECRET),
            jwtkeep_store::Scopes::none(),
            T0,
        )
        .await
        .unwrap();
    format!(
        "Basic {}",
        jwtkeep_core::encoding::TextEncoding::Base64
            .encode(format!("gate:{SECRET}").as_bytes())
            .as_str()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_follow_the_feed_from_a_snapshot_through_changes() {
    let f = fixture().await;
    let basic = gate_client(&f).await;
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

/// An open event stream, read event by event.
struct Events {
    body: Body,
    buffer: String,
}

impl Events {
    async fn open(
        f: &Fixture,
        authorization: &str,
        last_event_id: Option<&str>,
    ) -> (StatusCode, Events) {
        use tower::ServiceExt as _;
        let mut request = Request::get("/v1/revocations/stream")
            .header("authorization", authorization)
            .header("accept", "text/event-stream");
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = f
            .app
            .clone()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        if status == StatusCode::OK {
            assert_eq!(response.headers()["content-type"], "text/event-stream");
        }
        let events = Events {
            body: response.into_body(),
            buffer: String::new(),
        };
        (status, events)
    }

    /// The next event: its name, id and data (keep-alive comments skipped).
    async fn next(&mut self) -> (String, Option<String>, Value) {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if block.starts_with(':') {
                    continue;
                }
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|l| l.strip_prefix(name))
                        .map(str::to_owned)
                };
                let data = serde_json::from_str(&field("data: ").unwrap()).unwrap();
                return (field("event: ").unwrap(), field("id: "), data);
            }
            let frame = tokio::time::timeout(
                std::time::Duration::from_secs(5),
                std::future::poll_fn(|cx| {
                    http_body::Body::poll_frame(std::pin::Pin::new(&mut self.body), cx)
                }),
            )
            .await
            .expect("no event within 5 s")
            .expect("the stream ended")
            .unwrap();
            if let Ok(data) = frame.into_data() {
                self.buffer.push_str(std::str::from_utf8(&data).unwrap());
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_pushes_revocations_as_they_happen_and_resumes_from_its_ids() {
    let f = fixture().await;
    let basic = gate_client(&f).await;
    let (status, _) = Events::open(&f, "Basic Z2F0ZTp3cm9uZw==", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Who does not accept an endless answer gets the first event, then the end.
    let (status, headers, body) = crate::common::send_raw(
        &f.app,
        Request::get("/v1/revocations/stream")
            .header("authorization", &basic)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "text/event-stream");
    assert!(
        body.starts_with("id: ") && body.contains("\nevent: snapshot\ndata: {"),
        "{body}"
    );
    assert_eq!(body.matches("\n\n").count(), 1, "{body}");

    let (status, mut events) = Events::open(&f, &basic, None).await;
    assert_eq!(status, StatusCode::OK);
    let (name, id, data) = events.next().await;
    assert_eq!(name, "snapshot");
    assert!(data["entries"].as_array().unwrap().is_empty());
    let first_id = id.unwrap();
    assert_eq!(data["cursor"], first_id.as_str());

    // A logout reaches the open stream once the view has synced.
    let alice = f.access("alice").await;
    let (status, _) = f.call("POST", "/v1/auth/logout", Some(&alice), None).await;
    assert_eq!(status, StatusCode::OK);
    f.control.sync_revocations().await.unwrap();
    // The token's denial and the session's end, in one event or two (as the
    // view's syncs happened to read them).
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let (name, id, data) = events.next().await;
        assert_eq!(name, "changes");
        assert_ne!(id.as_deref(), Some(first_id.as_str()));
        seen.extend(kinds(&data));
    }
    seen.sort();
    assert_eq!(seen, ["session", "token"]);

    // Reconnecting with the first event's id: the changes since, at once.
    let (_, mut resumed) = Events::open(&f, &basic, Some(&first_id)).await;
    let (name, _, data) = resumed.next().await;
    assert_eq!(name, "changes");
    assert_eq!(kinds(&data), ["session", "token"]);
    // A foreign id: a snapshot.
    let (_, mut fresh) = Events::open(&f, &basic, Some("elsewhere.7")).await;
    let (name, _, data) = fresh.next().await;
    assert_eq!(name, "snapshot");
    assert_eq!(kinds(&data), ["session", "token"]);
}
