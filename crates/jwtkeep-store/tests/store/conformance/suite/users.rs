//! Users and clients.

use super::families::family;
use super::*;

pub async fn users_are_unique_by_normalised_name<S: Store>(s: S) {
    let t = now();
    let name = format!(
        "Alice.{}@Example.COM",
        id().to_ascii_lowercase().replace(['-', '_'], "")
    );
    let user = s
        .create_user(&name, hash('a'), false, jwtkeep_store::Scopes::none(), t)
        .await
        .unwrap();
    assert_eq!(user.username, name.to_ascii_lowercase());
    assert!(!user.admin);
    assert!(matches!(
        s.create_user(
            &format!("  {}  ", name.to_ascii_uppercase()),
            hash('b'),
            true,
            jwtkeep_store::Scopes::none(),
            t
        )
        .await,
        Err(StoreError::Conflict { what: "username" })
    ));
    let found = s
        .user_by_name(&name.to_ascii_uppercase())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, user);
    assert_eq!(s.user_by_id(&user.id).await.unwrap().unwrap(), user);
    assert!(s.user_by_name("nobody-here").await.unwrap().is_none());
    // Look-alike and control characters are refused, not normalised.
    for bad in ["pаypal", "a b", "", "tab\there"] {
        assert!(
            matches!(
                s.create_user(bad, hash('c'), false, jwtkeep_store::Scopes::none(), t)
                    .await,
                Err(StoreError::Invalid { .. })
            ),
            "{bad:?}"
        );
        assert!(s.user_by_name(bad).await.unwrap().is_none());
    }
    s.set_disabled(&user.id, true, t + 1).await.unwrap();
    let disabled = s.user_by_id(&user.id).await.unwrap().unwrap();
    assert!(disabled.disabled);
    assert_eq!(disabled.updated_at, t + 1);
    assert!(matches!(
        s.set_disabled("no-such-user", true, t).await,
        Err(StoreError::NotFound { .. })
    ));
}

pub async fn admins_are_marked_and_users_listed_by_name<S: Store>(s: S) {
    let t = now();
    let admin = s
        .create_user("root", hash('a'), true, jwtkeep_store::Scopes::none(), t)
        .await
        .unwrap();
    let bob = s
        .create_user("bob", hash('b'), false, jwtkeep_store::Scopes::none(), t)
        .await
        .unwrap();
    let carol = s
        .create_user("carol", hash('c'), false, jwtkeep_store::Scopes::none(), t)
        .await
        .unwrap();
    assert!(admin.admin && !bob.admin);
    assert!(s.user_by_name("ROOT").await.unwrap().unwrap().admin);
    assert!(!s.user_by_id(&bob.id).await.unwrap().unwrap().admin);
    let names =
        |users: Vec<jwtkeep_store::User>| users.into_iter().map(|u| u.username).collect::<Vec<_>>();
    assert_eq!(
        names(s.list_users(10).await.unwrap()),
        ["bob", "carol", "root"]
    );
    assert_eq!(names(s.list_users(2).await.unwrap()), ["bob", "carol"]);
    assert!(s.list_users(0).await.unwrap().is_empty());
    assert_eq!(s.list_users(10).await.unwrap()[1], carol);
}

pub async fn clients_are_unique_and_their_secrets_checked<S: Store>(s: S) {
    let t = now();
    assert!(s.list_clients().await.unwrap().is_empty());
    let api = s
        .create_client(
            "Orders-API",
            ClientSecretHash::of("s3cret-one"),
            jwtkeep_store::Scopes::none(),
            t,
        )
        .await
        .unwrap();
    assert_eq!(api.name, "orders-api");
    assert!(matches!(
        s.create_client(
            "orders-api",
            ClientSecretHash::of("other"),
            jwtkeep_store::Scopes::none(),
            t
        )
        .await,
        Err(StoreError::Conflict {
            what: "client name"
        })
    ));
    s.create_client(
        "billing",
        ClientSecretHash::of("s3cret-two"),
        jwtkeep_store::Scopes::none(),
        t + 1,
    )
    .await
    .unwrap();
    let found = s.client("ORDERS-API").await.unwrap().unwrap();
    assert_eq!(found, api);
    assert!(found.secret_hash.matches("s3cret-one"));
    assert!(!found.secret_hash.matches("s3cret-two"));
    assert!(!found.secret_hash.matches(""));
    assert_eq!(
        format!("{:?}", found.secret_hash),
        "ClientSecretHash(redacted)"
    );
    let listed: Vec<_> = s
        .list_clients()
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.name, c.created_at))
        .collect();
    assert_eq!(
        listed,
        [("billing".to_owned(), t + 1), ("orders-api".to_owned(), t)]
    );
    assert!(s.delete_client("orders-api").await.unwrap());
    assert!(!s.delete_client("orders-api").await.unwrap());
    assert!(s.client("orders-api").await.unwrap().is_none());
    assert!(s.client("not a name").await.unwrap().is_none());
}

pub async fn weak_password_hashes_are_refused<S: Store>(_s: S) {
    for weak in [
        "$argon2i$v=19$m=65536,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "$argon2id$v=19$m=4096,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "$argon2id$v=19$m=19456,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "$argon2id$v=16$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "$2b$12$abcdefghijklmnopqrstuuvwxyzabcdefghijklmnopqrstuvwxyz0",
        "plaintext-password",
    ] {
        assert!(PasswordHash::new(weak).is_err(), "{weak}");
    }
    for strong in [
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "$argon2id$v=19$m=47104,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    ] {
        assert!(PasswordHash::new(strong).is_ok(), "{strong}");
    }
    assert_eq!(format!("{:?}", hash('z')), "PasswordHash(<redacted>)");
}

pub async fn password_change_revokes_the_users_families<S: Store>(s: S) {
    let t = now();
    let user = some_user(&s, t).await;
    let (a, b) = (family(&user.id, "a1", t, 0), family(&user.id, "b1", t, 0));
    s.create_family(a.clone()).await.unwrap();
    s.create_family(b.clone()).await.unwrap();
    s.revoke_family(&b.id, "logout", t).await.unwrap();
    assert_eq!(
        s.set_password(&user.id, hash('n'), None, t + 1)
            .await
            .unwrap(),
        1
    );
    let stored = s.user_by_id(&user.id).await.unwrap().unwrap();
    assert_eq!(stored.password_hash, hash('n'));
    let a = s.family(&a.id).await.unwrap().unwrap();
    assert_eq!(a.revoked_reason.as_deref(), Some("password_changed"));
    assert_eq!(
        s.rotate_family(&a.id, "a1", "a2", t + 2).await.unwrap(),
        RotateOutcome::Revoked
    );
    assert!(matches!(
        s.set_password("no-such-user", hash('x'), None, t).await,
        Err(StoreError::NotFound { .. })
    ));
}

/// Disabling a user ends their sessions in the same operation: no refresh
/// token of theirs rotates again, whatever the caller does next.
pub async fn disabling_a_user_revokes_their_families<S: Store>(s: S) {
    let t = now();
    let user = some_user(&s, t).await;
    let a = family(&user.id, "a1", t, 0);
    s.create_family(a.clone()).await.unwrap();
    s.set_disabled(&user.id, true, t + 1).await.unwrap();
    assert!(s.user_by_id(&user.id).await.unwrap().unwrap().disabled);
    let stored = s.family(&a.id).await.unwrap().unwrap();
    assert_eq!(stored.revoked_reason.as_deref(), Some("disabled"));
    assert_eq!(
        s.rotate_family(&a.id, "a1", "a2", t + 2).await.unwrap(),
        RotateOutcome::Revoked
    );
    // Enabled again: the ended sessions stay ended.
    s.set_disabled(&user.id, false, t + 3).await.unwrap();
    assert!(!s.user_by_id(&user.id).await.unwrap().unwrap().disabled);
    assert_eq!(
        s.rotate_family(&a.id, "a1", "a2", t + 4).await.unwrap(),
        RotateOutcome::Revoked
    );
    assert!(matches!(
        s.set_disabled("no-such-user", true, t).await,
        Err(StoreError::NotFound { .. })
    ));
}

/// A user of a name of its own, created at `t`.
async fn some_user<S: Store>(s: &S, t: i64) -> jwtkeep_store::User {
    let name = format!("u{}", id().to_ascii_lowercase().replace(['-', '_'], ""));
    s.create_user(&name, hash('a'), false, jwtkeep_store::Scopes::none(), t)
        .await
        .unwrap()
}

/// A user changing their own password keeps the session they changed it
/// from; every other session of theirs ends in the same operation.
pub async fn a_password_change_may_keep_the_session_that_made_it<S: Store>(s: S) {
    let t = now();
    let user = some_user(&s, t).await;
    let (mine, other) = (family(&user.id, "m1", t, 0), family(&user.id, "o1", t, 0));
    s.create_family(mine.clone()).await.unwrap();
    s.create_family(other.clone()).await.unwrap();
    let ended = s
        .set_password(&user.id, hash('n'), Some(&mine.id), t + 1)
        .await
        .unwrap();
    assert_eq!(ended, 1);
    assert_eq!(
        s.rotate_family(&other.id, "o1", "o2", t + 2).await.unwrap(),
        RotateOutcome::Revoked
    );
    assert!(matches!(
        s.rotate_family(&mine.id, "m1", "m2", t + 2).await.unwrap(),
        RotateOutcome::Rotated { .. }
    ));
    assert_eq!(
        s.user_by_id(&user.id).await.unwrap().unwrap().password_hash,
        hash('n')
    );
}

/// Scopes are stored as a set, shown sorted; replacing them ends every
/// session of the user in the same operation.
pub async fn scopes_are_kept_and_replacing_them_ends_sessions<S: Store>(s: S) {
    let t = now();
    let name = format!("s{}", id().to_ascii_lowercase().replace(['-', '_'], ""));
    let granted = Scopes::parse("orders:write,orders:read").unwrap();
    let user = s
        .create_user(&name, hash('a'), false, granted.clone(), t)
        .await
        .unwrap();
    assert_eq!(user.scopes.to_string(), "orders:read orders:write");
    assert_eq!(
        s.user_by_id(&user.id).await.unwrap().unwrap().scopes,
        granted
    );
    assert_eq!(
        s.user_by_name(&name).await.unwrap().unwrap().scopes,
        granted
    );
    let session = family(&user.id, "s1", t, 0);
    s.create_family(session.clone()).await.unwrap();
    let fewer = Scopes::parse("orders:read").unwrap();
    assert_eq!(
        s.set_scopes(&user.id, fewer.clone(), t + 1).await.unwrap(),
        1
    );
    let stored = s.user_by_id(&user.id).await.unwrap().unwrap();
    assert_eq!((stored.scopes, stored.updated_at), (fewer, t + 1));
    assert_eq!(
        s.family(&session.id)
            .await
            .unwrap()
            .unwrap()
            .revoked_reason
            .as_deref(),
        Some("scopes_changed")
    );
    assert_eq!(
        s.rotate_family(&session.id, "s1", "s2", t + 2)
            .await
            .unwrap(),
        RotateOutcome::Revoked
    );
    assert_eq!(
        s.is_revoked(
            facts("i", "a-token", &user.id, t).in_session(&session.id),
            t + 2
        )
        .await
        .unwrap(),
        Some(Revoked::Session)
    );
    assert!(matches!(
        s.set_scopes("no-such-user", Scopes::none(), t).await,
        Err(StoreError::NotFound { .. })
    ));
    // Clients keep theirs too.
    let client = format!("client.{}", id().to_ascii_lowercase());
    s.create_client(&client, ClientSecretHash::of("x"), granted.clone(), t)
        .await
        .unwrap();
    assert_eq!(s.client(&client).await.unwrap().unwrap().scopes, granted);
    assert!(s
        .list_clients()
        .await
        .unwrap()
        .iter()
        .any(|c| c.name == client && c.scopes == granted));
}

/// A deleted user is gone with their sessions: their name can be taken
/// again (by a new id), their sessions' tokens are denied, their refresh
/// families are forgotten.
pub async fn a_deleted_user_is_gone_and_their_name_free<S: Store>(s: S) {
    let t = now();
    let user = some_user(&s, t).await;
    let (a, b) = (family(&user.id, "d1", t, 0), family(&user.id, "e1", t, 0));
    s.create_family(a.clone()).await.unwrap();
    s.create_family(b.clone()).await.unwrap();
    let event = |subject: &str, name: &str| Event {
        at: t,
        name: name.to_owned(),
        subject: Some(subject.to_owned()),
        client: Some("203.0.113.9".to_owned()),
        details: Default::default(),
    };
    let name = || id().to_ascii_lowercase().replace('-', "");
    let (theirs, others) = (format!("gone.{}", name()), format!("kept.{}", name()));
    s.record(event(&user.id, &theirs)).await.unwrap();
    s.record(event("someone-else", &others)).await.unwrap();
    assert_eq!(s.delete_user(&user.id, t + 1).await.unwrap(), 2);
    // Their security events keep the subject id, not where they came from.
    let of = |name: String| {
        let s = &s;
        async move {
            let query = EventQuery {
                from: t,
                to: t + 1,
                name: Some(name),
                limit: 10,
            };
            s.events(query).await.unwrap()
        }
    };
    let kept = of(theirs).await;
    assert_eq!(kept.len(), 1);
    assert_eq!(
        (kept[0].subject.as_deref(), kept[0].client.as_deref()),
        (Some(user.id.as_str()), None)
    );
    assert_eq!(of(others).await[0].client.as_deref(), Some("203.0.113.9"));
    assert!(s.user_by_id(&user.id).await.unwrap().is_none());
    assert!(s.user_by_name(&user.username).await.unwrap().is_none());
    assert!(!s
        .list_users(100_000)
        .await
        .unwrap()
        .iter()
        .any(|u| u.id == user.id));
    assert!(s.family(&a.id).await.unwrap().is_none());
    assert!(s.families_of(&user.id, t + 1).await.unwrap().is_empty());
    assert_eq!(
        s.rotate_family(&b.id, "e1", "e2", t + 2).await.unwrap(),
        RotateOutcome::Unknown
    );
    for session in [&a.id, &b.id] {
        assert_eq!(
            s.is_revoked(
                facts("i", "a-token", &user.id, t).in_session(session),
                t + 2
            )
            .await
            .unwrap(),
            Some(Revoked::Session)
        );
    }
    let again = s
        .create_user(&user.username, hash('b'), false, Scopes::none(), t + 3)
        .await
        .unwrap();
    assert_ne!(again.id, user.id);
    assert!(matches!(
        s.delete_user(&user.id, t + 4).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        s.delete_user("no-such-user", t + 4).await,
        Err(StoreError::NotFound { .. })
    ));
}

/// A client's name may not take the form of a user id, nor the service's
/// own `client_id`: a machine token's `sub` is its client's name.
pub async fn client_names_never_pass_for_user_ids<S: Store>(s: S) {
    let t = now();
    for reserved in [
        "jwtkeep",
        "abcdefghijklmnopqrstuv",
        "0123456789-_abcdefghij",
    ] {
        assert!(
            matches!(
                s.create_client(reserved, ClientSecretHash::of("x"), Scopes::none(), t)
                    .await,
                Err(StoreError::Invalid { .. })
            ),
            "{reserved}"
        );
    }
}
