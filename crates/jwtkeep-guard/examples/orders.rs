//! An API guarded by jwtkeep-guard: the guide's `enhancedAuthMiddleware`,
//! done once. Every request needs an access token of the issuer; `/admin`
//! needs the `admin` scope; logouts at the issuer are refused here within a
//! second (revocation stream), and if the issuer cannot be followed the API
//! answers 503 rather than trust what it cannot check.
//!
//! ```sh
//! jwtkeep serve &                                   # the issuer, on 127.0.0.1:8080
//! jwtkeep client add orders-api --json              # this API's credentials
//! JWTKEEP_CLIENT_ID=orders-api JWTKEEP_CLIENT_SECRET=... \
//!   cargo run -p jwtkeep-guard --example orders
//! curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:3000/orders
//! ```

use axum::routing::get;
use axum::Router;
use jwtkeep_guard::{Authenticated, FeedConfig, Guard, GuardConfig, GuardLayer};
use zeroize::Zeroizing;

/// A variable the example needs, or a message saying so.
fn required(name: &str) -> Result<String, String> {
    #[allow(clippy::disallowed_methods)] // an example reads its own settings
    std::env::var(name).map_err(|_| format!("set {name} (see the top of examples/orders.rs)"))
}

async fn orders(who: Authenticated) -> String {
    format!("the orders of {}\n", who.claims().sub().unwrap_or("nobody"))
}

async fn report(_: Authenticated) -> &'static str {
    "the administrators' report\n"
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let issuer = "http://127.0.0.1:8080";
    let feed = FeedConfig::new(
        issuer,
        &required("JWTKEEP_CLIENT_ID")?,
        Zeroizing::new(required("JWTKEEP_CLIENT_SECRET")?),
    );
    let guard = Guard::start(GuardConfig::new(issuer, "jwtkeep", feed)).await?;
    let app = Router::new()
        .route("/orders", get(orders))
        .route("/admin/report", get(report))
        .layer(GuardLayer::new(guard).require("/admin", &["admin"]));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    axum::serve(listener, app).await?;
    Ok(())
}
