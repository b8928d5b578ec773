//! The service's admin operations from the command line, on the same state
//! as `jwtkeep serve` (`--data-dir` or `--store`): users, revocation, key
//! rotation and OAuth clients. Running services see the changes through the
//! store: revocations within a second, keys within their check interval.

use std::future::Future;
use std::io::{IsTerminal as _, Read as _};

use anyhow::{anyhow, bail, Context as _, Result};
use jwtkeep_core::encoding::TextEncoding;
use jwtkeep_core::Secret;
use jwtkeep_server::passwords::PasswordPool;
use jwtkeep_server::{
    create_user, cut_off_subject, delete_user, reset_password, revoke_user, set_user_disabled,
    set_user_scopes, Config, KeyService, Purpose, Rotated, RotationMode, PURPOSES,
};
use jwtkeep_store::{
    AnyStore, ClientSecretHash, Clients as _, Identity as _, Initialised, Revocation,
    Revocations as _, Scopes, SigningKeys as _, StoreError, User, Users as _,
};
use serde_json::json;
use zeroize::Zeroizing;

use crate::cli::{
    ClientAddArgs, ClientRefArgs, KeysRotateArgs, RevokeAllArgs, StateArgs, StoreInitArgs,
    UserAddArgs, UserRefArgs, UserRemoveArgs, UserScopesArgs,
};
use crate::clock;
use crate::output::{self, Outcome};
use crate::settings::Settings;

/// Runs `work` on the store of `state` in a small runtime.
fn on_store<T, F, Fut>(state: &StateArgs, work: F) -> Result<T>
where
    F: FnOnce(AnyStore) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let opened = state.store.settings()?.open().await?;
        work(opened.store).await
    })
}

/// Reads a new password: twice from a prompt that does not echo, or once from stdin.
fn read_password() -> Result<Zeroizing<String>> {
    if std::io::stdin().is_terminal() {
        let first = Zeroizing::new(
            rpassword::prompt_password("password: ").context("cannot read the password")?,
        );
        let again = Zeroizing::new(
            rpassword::prompt_password("again: ").context("cannot read the password")?,
        );
        if first != again {
            bail!("the two passwords differ: run the command again");
        }
        return Ok(first);
    }
    let mut text = Zeroizing::new(String::new());
    std::io::stdin()
        .lock()
        .take(4096)
        .read_to_string(&mut text)
        .context("cannot read the password from standard input (it must be UTF-8)")?;
    let line = text
        .strip_suffix('\n')
        .map_or(text.as_str(), |l| l.strip_suffix('\r').unwrap_or(l));
    if line.contains(['\n', '\r']) {
        bail!("standard input holds more than one line: give the password once, on one line (only a terminal prompt asks twice)");
    }
    if line.is_empty() {
        bail!("no password on standard input: pipe it in, or run in a terminal to be prompted");
    }
    Ok(Zeroizing::new(line.to_owned()))
}

fn user_json(u: &User) -> serde_json::Value {
    json!({
        "id": u.id, "username": u.username, "admin": u.admin,
        "scopes": u.scopes.iter().collect::<Vec<_>>(),
        "disabled": u.disabled, "created_at": u.created_at,
    })
}

/// A user by name, else by id.
async fn find_user(store: &AnyStore, user: &str) -> Result<User> {
    if let Some(found) = store.user_by_name(user).await? {
        return Ok(found);
    }
    store
        .user_by_id(user)
        .await?
        .ok_or_else(|| anyhow!("no user is named {user:?} or has that id: see `jwtkeep user list`"))
}

/// `jwtkeep user add`.
pub(crate) fn user_add(args: &UserAddArgs) -> Result<Outcome> {
    let password = read_password()?;
    let user = on_store(&args.state, |store| async move {
        // One hash: one worker, nothing waiting.
        let pool = PasswordPool::new(1, 1).context("cannot start the password hasher")?;
        create_user(
            &store,
            &pool,
            &args.name,
            password,
            args.admin,
            args.scope.clone().unwrap_or_default(),
            clock::now_unix(),
        )
        .await
        .map_err(|e| anyhow!("{e}"))
    })?;
    if args.state.json {
        output::json(&user_json(&user))?;
    } else {
        output::stdout(&format!(
            "created {}{} (id {})\n",
            user.username,
            if user.admin { ", administrator" } else { "" },
            user.id
        ))?;
    }
    Ok(Outcome::Clean)
}

/// `jwtkeep user passwd`.
pub(crate) fn user_passwd(args: &UserRefArgs) -> Result<Outcome> {
    let password = read_password()?;
    let (user, ended) = on_store(&args.state, |store| async move {
        let found = find_user(&store, &args.user).await?;
        let pool = PasswordPool::new(1, 1).context("cannot start the password hasher")?;
        let ended = reset_password(&store, &pool, &found.id, password, clock::now_unix())
            .await
            .map_err(|e| anyhow!("{e}"))?;
        Ok((found, ended))
    })?;
    if args.state.json {
        output::json(&json!({"id": user.id, "username": user.username, "sessions_ended": ended}))?;
    } else {
        output::stdout(&format!(
            "new password set for {}; {ended} sessions ended\n",
            user.username
        ))?;
    }
    Ok(Outcome::Clean)
}

/// `jwtkeep user scopes`.
pub(crate) fn user_scopes(args: &UserScopesArgs) -> Result<Outcome> {
    let (user, ended) = on_store(&args.state, |store| async move {
        let mut found = find_user(&store, &args.user).await?;
        let ended = set_user_scopes(&store, &found.id, args.scope.clone(), clock::now_unix())
            .await
            .map_err(|e| anyhow!("{e}"))?;
        found.scopes = args.scope.clone();
        Ok((found, ended))
    })?;
    if args.state.json {
        let mut shown = user_json(&user);
        if let Some(fields) = shown.as_object_mut() {
            fields.insert("sessions_ended".into(), ended.into());
        }
        output::json(&shown)?;
    } else {
        let scopes = if user.scopes.is_empty() {
            "no scopes".to_owned()
        } else {
            user.scopes.to_string()
        };
        output::stdout(&format!(
            "{} now has {scopes}; {ended} sessions ended\n",
            user.username
        ))?;
    }
    Ok(Outcome::Clean)
}

/// `jwtkeep user remove`.
pub(crate) fn user_remove(args: &UserRemoveArgs) -> Result<Outcome> {
    if !args.yes {
        bail!("this deletes the account and its sessions for good: add --yes to confirm");
    }
    let (user, ended) = on_store(&args.state, |store| async move {
        let found = find_user(&store, &args.user).await?;
        let ended = delete_user(&store, &found.id, clock::now_unix())
            .await
            .map_err(|e| anyhow!("{e}"))?;
        Ok((found, ended))
    })?;
    if args.state.json {
        output::json(
            &json!({"id": user.id, "username": user.username, "deleted": true, "sessions_ended": ended}),
        )?;
    } else {
        output::stdout(&format!(
            "deleted {} (id {}); {ended} sessions ended, their tokens refused\n",
            user.username, user.id
        ))?;
    }
    Ok(Outcome::Clean)
}

/// `jwtkeep user list`.
pub(crate) fn user_list(args: &StateArgs) -> Result<Outcome> {
    let users = on_store(
        args,
        |store| async move { Ok(store.list_users(100_000).await?) },
    )?;
    if args.json {
        output::json(&json!({ "users": users.iter().map(user_json).collect::<Vec<_>>() }))?;
    } else if users.is_empty() {
        output::note("no users yet: add one with `jwtkeep user add NAME --admin`");
    } else {
        let mut text = String::new();
        for u in &users {
            let flags = match (u.admin, u.disabled) {
                (true, true) => " (administrator, disabled)",
                (true, false) => " (administrator)",
                (false, true) => " (disabled)",
                (false, false) => "",
            };
            let scopes = if u.scopes.is_empty() {
                String::new()
            } else {
                format!("  [{}]", u.scopes)
            };
            text.push_str(&format!("{}  {}{flags}{scopes}\n", u.id, u.username));
        }
        output::stdout(&text)?;
    }
    Ok(Outcome::Clean)
}

/// `jwtkeep user disable` and `enable`.
pub(crate) fn user_set_disabled(args: &UserRefArgs, disabled: bool) -> Result<Outcome> {
    let user = on_store(&args.state, |store| async move {
        let mut found = find_user(&store, &args.user).await?;
        set_user_disabled(&store, &found.id, disabled, clock::now_unix())
            .await
            .map_err(|e| anyhow!("{e}"))?;
        found.disabled = disabled;
        Ok(found)
    })?;
    if args.state.json {
        output::json(&user_json(&user))?;
    } else if disabled {
        output::stdout(&format!(
            "disabled {}; their sessions have ended\n",
            user.username
        ))?;
    } else {
        output::stdout(&format!("enabled {}\n", user.username))?;
    }
    Ok(Outcome::Clean)
}

/// `jwtkeep revoke user`.
pub(crate) fn revoke_one(args: &UserRefArgs) -> Result<Outcome> {
    let (user, families) = on_store(&args.state, |store| async move {
        let found = find_user(&store, &args.user).await?;
        let families = revoke_user(&store, &found.id, clock::now_unix()).await?;
        Ok((found, families))
    })?;
    if args.state.json {
        output::json(
            &json!({"id": user.id, "username": user.username, "families_revoked": families}),
        )?;
    } else {
        output::stdout(&format!(
            "logged {} out everywhere ({families} refresh sessions ended)\n",
            user.username
        ))?;
    }
    Ok(Outcome::Clean)
}

/// `jwtkeep revoke all`.
pub(crate) fn revoke_all(args: &RevokeAllArgs) -> Result<Outcome> {
    if !args.yes {
        bail!("this ends every session of every user: add --yes to confirm");
    }
    let before = on_store(&args.state, |store| async move {
        let now = clock::now_unix();
        let before = now.saturating_add(1);
        store.revoke(Revocation::All { before }, now).await?;
        Ok(before)
    })?;
    if args.state.json {
        output::json(&json!({ "revoked_before": before }))?;
    } else {
        output::stdout(&format!(
            "every token issued before {before} (seconds since the epoch) is revoked\n"
        ))?;
    }
    Ok(Outcome::Clean)
}

/// Rotates the keys of `args`' purposes now.
async fn rotate(
    store: AnyStore,
    args: &KeysRotateArgs,
    master: jwtkeep_store::MasterKey,
    settings: Settings,
) -> Result<(RotationMode, Vec<(String, Rotated)>)> {
    let now = clock::now_unix();
    let purposes: Vec<Purpose> = match &args.purpose {
        // clap allows only the three names.
        Some(p) => Purpose::from_name(p).into_iter().collect(),
        None => PURPOSES.to_vec(),
    };
    let holder = jwtkeep_core::random_id().context("the OS random generator failed")?;
    // The service signs every purpose with one algorithm: the access key's, unless changed here.
    let current = store.keys("access").await?;
    let Some(newest) = current.iter().max_by_key(|k| k.active_from) else {
        bail!("the service has no keys yet: start `jwtkeep serve` once first");
    };
    // The service's own settings (token lifetimes decide how long old keys verify).
    let configured = settings.service_config()?;
    let algorithm = match (args.alg, &settings.algorithm) {
        (Some(alg), _) => alg,
        (None, Some(_)) => configured.algorithm,
        (None, None) => newest.alg,
    };
    let config = Config {
        algorithm,
        ..configured
    };
    let keys = KeyService::load_or_create(&store, master, &config, now)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    let mode = if args.revoke_old {
        RotationMode::RevokeOld
    } else if args.immediate {
        RotationMode::Immediate
    } else {
        RotationMode::Staged
    };
    let mut rotated = Vec::new();
    for purpose in purposes {
        let done = keys
            .rotate(&store, purpose, mode, &holder, now)
            .await
            .map_err(|e| anyhow!("{e}"))?;
        rotated.push((purpose.as_str().to_owned(), done));
    }
    Ok((mode, rotated))
}

/// `jwtkeep keys rotate`.
pub(crate) fn keys_rotate(args: &KeysRotateArgs) -> Result<Outcome> {
    let settings = args.state.store.settings()?;
    let master = settings.master_key()?;
    let (mode, rotated) = on_store(&args.state, |store| rotate(store, args, master, settings))?;
    if args.state.json {
        let mut kids = serde_json::Map::new();
        let mut signs_from = serde_json::Map::new();
        for (purpose, done) in rotated {
            kids.insert(purpose.clone(), done.kid.into());
            signs_from.insert(purpose, done.signs_from.into());
        }
        output::json(&json!({ "rotated": kids, "signs_from": signs_from, "mode": mode.as_str() }))?;
    } else {
        let now = clock::now_unix();
        let mut text = String::new();
        for (purpose, done) in rotated {
            let when = match done.signs_from.saturating_sub(now) {
                wait if wait > 0 => format!("published now, signs in {wait} s"),
                _ => "signs from now".to_owned(),
            };
            text.push_str(&format!("{purpose}: new key {} {when}", done.kid));
            if mode == RotationMode::RevokeOld {
                text.push_str("; older keys retired, their tokens are refused");
            }
            text.push('\n');
        }
        output::stdout(&text)?;
    }
    Ok(Outcome::Clean)
}

enum ClientOp<'a> {
    Add(&'a str, ClientSecretHash, Scopes),
    List,
    Remove(&'a str),
}

impl ClientOp<'_> {
    async fn run(self, store: AnyStore) -> Result<Vec<jwtkeep_store::Client>> {
        match self {
            ClientOp::Add(name, hash, scopes) => {
                match store
                    .create_client(name, hash, scopes, clock::now_unix())
                    .await
                {
                    Ok(client) => Ok(vec![client]),
                    Err(StoreError::Conflict { .. }) => {
                        bail!("a client named {name:?} exists: remove it first, or choose another name")
                    }
                    Err(e) => Err(e.into()),
                }
            }
            ClientOp::List => Ok(store.list_clients().await?),
            ClientOp::Remove(name) => {
                let Some(client) = store.client(name).await? else {
                    bail!("no client is named {name:?}: see `jwtkeep client list`");
                };
                // Its machine tokens (`sub` = its name) are cut off first, so
                // that a failure leaves a client without tokens, not tokens
                // without a client.
                cut_off_subject(&store, &client.name, clock::now_unix()).await?;
                store.delete_client(&client.name).await?;
                Ok(Vec::new())
            }
        }
    }
}

/// `jwtkeep client add`: the secret is shown once.
pub(crate) fn client_add(args: &ClientAddArgs) -> Result<Outcome> {
    let secret = Secret::random(32).context("the OS random generator failed")?;
    let text = TextEncoding::Base64Url.encode(secret.expose());
    let scopes = args.scope.clone().unwrap_or_default();
    let clients = on_store(&args.state, |store| {
        ClientOp::Add(&args.name, ClientSecretHash::of(&text), scopes).run(store)
    })?;
    let name = clients
        .first()
        .map_or(args.name.as_str(), |c| c.name.as_str());
    if args.state.json {
        let scopes: Vec<&str> = clients
            .first()
            .map(|c| c.scopes.iter().collect())
            .unwrap_or_default();
        output::json(&json!({"name": name, "secret": text.as_str(), "scopes": scopes}))?;
    } else {
        output::stdout(&format!("{}\n", text.as_str()))?;
        output::note(&format!(
            "client {name} added: the secret above is shown once; it authenticates with HTTP Basic ({name}:SECRET) to /oauth2/token, /oauth2/introspect and /oauth2/revoke"
        ));
    }
    Ok(Outcome::Clean)
}

/// `jwtkeep client list`.
pub(crate) fn client_list(args: &StateArgs) -> Result<Outcome> {
    let clients = on_store(args, |store| ClientOp::List.run(store))?;
    if args.json {
        let list: Vec<_> = clients
            .iter()
            .map(|c| json!({"name": c.name, "scopes": c.scopes.iter().collect::<Vec<_>>(), "created_at": c.created_at}))
            .collect();
        output::json(&json!({ "clients": list }))?;
    } else if clients.is_empty() {
        output::note("no clients yet: add one with `jwtkeep client add NAME`");
    } else {
        let names: String = clients
            .iter()
            .map(|c| match c.scopes.is_empty() {
                true => format!("{}\n", c.name),
                false => format!("{}  [{}]\n", c.name, c.scopes),
            })
            .collect();
        output::stdout(&names)?;
    }
    Ok(Outcome::Clean)
}

/// `jwtkeep client remove`.
pub(crate) fn client_remove(args: &ClientRefArgs) -> Result<Outcome> {
    on_store(&args.state, |store| ClientOp::Remove(&args.name).run(store))?;
    if args.state.json {
        output::json(&json!({"removed": args.name}))?;
    } else {
        output::stdout(&format!("removed client {}\n", args.name))?;
    }
    Ok(Outcome::Clean)
}

/// `jwtkeep store init`.
pub(crate) fn store_init(args: &StoreInitArgs) -> Result<Outcome> {
    let settings = args.state.store.settings()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let (outcome, description) = runtime.block_on(async {
        let opened = settings.open_uninitialised().await?;
        let outcome = opened
            .store
            .initialise(args.force, clock::now_unix())
            .await?;
        Ok::<_, anyhow::Error>((outcome, opened.description))
    })?;
    let (identity, created) = match outcome {
        Initialised::Created(id) => (id, true),
        Initialised::Already(id) => (id, false),
        Initialised::HoldsData => bail!(
            "the store holds data but has no identity: it was partly wiped, or written by an older jwtkeep; find out which, then run `jwtkeep store init --force`"
        ),
    };
    if args.state.json {
        output::json(&json!({"identity": identity, "created": created}))?;
    } else if created {
        output::stdout(&format!(
            "initialised the {description} (identity {identity}); if instances were running on it, restart them\n"
        ))?;
    } else {
        output::stdout(&format!(
            "the {description} is initialised already (identity {identity}); nothing changed\n"
        ))?;
    }
    Ok(Outcome::Clean)
}
