//! One conformance suite, run unchanged against a real SQLite file, the
//! real Redis on 127.0.0.1:6379 and a real three-master Redis Cluster the
//! tests start (a unique key prefix per test, so tests run in parallel).
//! No mocks.

pub mod suite;

use jwtkeep_store::{RedisConfig, RedisStore, SqliteStore};

/// A store and whatever must live as long as it.
pub struct Fixture<S> {
    pub store: S,
    _dir: Option<tempfile::TempDir>,
    _schema: Option<crate::postgres::Schema>,
}

pub async fn sqlite() -> Fixture<SqliteStore> {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("jwtkeep.db"))
        .await
        .unwrap();
    Fixture {
        store,
        _dir: Some(dir),
        _schema: None,
    }
}

pub async fn redis() -> Fixture<RedisStore> {
    let prefix = format!("jwtkeep-test:{}:", jwtkeep_core::random_id().unwrap());
    let store = RedisStore::open(RedisConfig::new("redis://127.0.0.1:6379").prefix(prefix))
        .await
        .expect("Redis must answer on 127.0.0.1:6379 (.ci/run starts one)");
    Fixture {
        store,
        _dir: None,
        _schema: None,
    }
}

/// A store on the test's Redis Cluster (three masters on loopback ports),
/// under a prefix of its own.
pub async fn redis_cluster() -> Fixture<RedisStore> {
    let prefix = format!("jwtkeep-test:{}:", jwtkeep_core::random_id().unwrap());
    let url = crate::redis_cluster::cluster_url();
    let store = RedisStore::open(RedisConfig::new(url).prefix(prefix))
        .await
        .unwrap();
    Fixture {
        store,
        _dir: None,
        _schema: None,
    }
}

/// A store on the real PostgreSQL on 127.0.0.1:5432, in a schema of its
/// own (dropped with the fixture).
pub async fn postgres() -> Fixture<jwtkeep_store::PostgresStore> {
    let schema = crate::postgres::Schema::new();
    let config = jwtkeep_store::PostgresConfig::new(crate::postgres::URL).schema(schema.0.as_str());
    let store = jwtkeep_store::PostgresStore::open(config)
        .await
        .expect("PostgreSQL must answer on 127.0.0.1:5432 (.ci/run starts one)");
    Fixture {
        store,
        _dir: None,
        _schema: Some(schema),
    }
}

/// Runs each named test of `suite` against both backends, and against
/// [`jwtkeep_store::AnyStore`] holding the first.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let f = crate::conformance::sqlite().await;
                    crate::conformance::suite::$name(f.store.clone()).await;
                }
            )*
        }
        /// What the binary and the server run on: the dispatching type.
        mod on_any_store {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let f = crate::conformance::sqlite().await;
                    let store = jwtkeep_store::AnyStore::from(f.store.clone());
                    crate::conformance::suite::$name(store).await;
                }
            )*
        }
        mod on_redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let f = crate::conformance::redis().await;
                    crate::conformance::suite::$name(f.store.clone()).await;
                }
            )*
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let f = crate::conformance::postgres().await;
                    crate::conformance::suite::$name(f.store.clone()).await;
                }
            )*
        }
        mod on_redis_cluster {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let f = crate::conformance::redis_cluster().await;
                    crate::conformance::suite::$name(f.store.clone()).await;
                }
            )*
        }
    };
}

conformance!(
    a_single_use_token_is_consumed_by_exactly_one_call,
    admins_are_marked_and_users_listed_by_name,
    clients_are_unique_and_their_secrets_checked,
    scopes_are_kept_and_replacing_them_ends_sessions,
    a_deleted_user_is_gone_and_their_name_free,
    client_names_never_pass_for_user_ids,
    token_denial_lasts_until_exp,
    subject_and_global_cutoffs_only_move_forward,
    feed_gives_each_revocation_once_in_order,
    view_follows_the_store_and_fails_closed_when_stale,
    view_sync_task_learns_of_revocations_without_being_asked,
    rotation_replaces_the_current_token,
    reuse_of_a_rotated_token_revokes_the_family,
    every_end_of_a_family_ends_its_session,
    an_identity_is_given_once_and_then_kept,
    a_view_refuses_a_store_that_is_not_the_one_it_started_with,
    a_session_can_be_ended_directly,
    grace_window_answers_with_the_same_successor,
    expired_and_unknown_families_are_refused,
    concurrent_rotations_make_exactly_one_successor,
    concurrent_rotations_within_grace_share_one_successor,
    subject_families_are_listed_and_revoked,
    users_are_unique_by_normalised_name,
    weak_password_hashes_are_refused,
    password_change_revokes_the_users_families,
    disabling_a_user_revokes_their_families,
    a_password_change_may_keep_the_session_that_made_it,
    rate_limit_counts_in_fixed_windows,
    parallel_wrong_passwords_get_no_more_than_the_limit,
    a_forgiven_hit_is_taken_back_in_its_own_window_only,
    signing_keys_are_stored_sealed_and_scheduled,
    rotation_lock_has_one_holder_at_a_time,
    events_are_queried_by_time_and_name,
    purge_forgets_expired_denials,
);
