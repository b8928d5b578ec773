//! Passwords: argon2id at OWASP's parameters, hashed and checked off the
//! async threads, with the same work whether or not the user exists.
//!
//! In the service every argon2id computation runs on a [`PasswordPool`]: a
//! fixed number of worker threads, each owning one working buffer (19 MiB at
//! the default parameters) that it reuses for every hash, and a bounded
//! queue. A burst of logins therefore costs at most `workers` buffers of
//! memory, however many arrive; past the queue the answer is "busy" at once,
//! never a growing backlog.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, OnceLock};

use argon2::password_hash::{Output, PasswordHash as Phc, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use jwtkeep_core::Secret;
use jwtkeep_store::PasswordHash;
use zeroize::Zeroizing;

/// OWASP's argon2id configuration: 19 MiB, 2 iterations, 1 lane.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The largest argon2 memory a stored hash may ask for, KiB (1 GiB): a
/// damaged or hostile record must not make a worker allocate without bound.
const MAX_MEMORY_KIB: u32 = 1 << 20;

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordError {
    /// Too short or too long.
    #[error("a password must be 12 to 1024 characters long")]
    Length,
    /// Known to attackers, or too easy to guess; the reason says which.
    #[error("this password is too weak: {0}")]
    Weak(String),
    /// The hasher or the random generator failed.
    #[error("the password could not be hashed")]
    Hash,
    /// Every worker is busy and the queue is full: retry shortly.
    #[error("too many passwords are being checked right now; retry shortly")]
    Busy,
}

/// Counted in characters (Unicode code points), as JSON Schema counts the
/// `minLength` and `maxLength` the OpenAPI document gives.
fn check_length(password: &str) -> Result<(), PasswordError> {
    if !(12..=1024).contains(&password.chars().count()) {
        return Err(PasswordError::Length);
    }
    Ok(())
}

/// The fewest guesses, as bits, a new password must be estimated to take:
/// 2^30 is about a billion, months of one core even against a stolen hash
/// (argon2id at OWASP's parameters runs some 50 guesses a second per core),
/// and hopeless online against the login limits.
const MIN_PASSWORD_BITS: f64 = 30.0;

/// Judges a new password with the same estimator and lists as secrets
/// (`jwtkeep check`): on the list of secrets seen in the wild, or estimated
/// under [`MIN_PASSWORD_BITS`] (repeats, keyboard rows, common words and
/// their usual decorations), it is refused, with why.
pub fn check_strength(password: &str) -> Result<(), PasswordError> {
    check_length(password)?;
    if jwtkeep_core::strength::WeakSecrets::get().contains(password.as_bytes()) {
        return Err(PasswordError::Weak(
            "it is on the public list of secrets attackers try first".to_owned(),
        ));
    }
    let estimate = jwtkeep_core::strength::estimate(password);
    if estimate.bits < MIN_PASSWORD_BITS {
        let made_of: Vec<&str> = estimate.patterns.iter().map(|p| p.describe()).collect();
        let why = if made_of.is_empty() {
            String::new()
        } else {
            format!(" (it is made of {})", made_of.join(", "))
        };
        return Err(PasswordError::Weak(format!(
            "it would take about 2^{:.0} guesses{why}; use a longer passphrase of unrelated words",
            estimate.bits.max(0.0)
        )));
    }
    Ok(())
}

/// Hashes `password` with a fresh 16-byte salt from the OS CSPRNG (in a new
/// working buffer: for tests and one-off use; the service uses a pool).
pub fn hash(password: &str) -> Result<PasswordHash, PasswordError> {
    check_strength(password)?;
    hash_with(&mut Vec::new(), password)
}

/// Makes `blocks` hold at least `count` blocks (it only ever grows).
fn room(blocks: &mut Vec<Block>, count: usize) {
    if blocks.len() < count {
        blocks.resize(count, Block::default());
    }
}

/// [`hash`] in the caller's working buffer, of a password the caller has
/// already judged ([`check_strength`]).
fn hash_with(blocks: &mut Vec<Block>, password: &str) -> Result<PasswordHash, PasswordError> {
    let argon = hasher();
    let salt_bytes = Secret::random(16).map_err(|_| PasswordError::Hash)?;
    let salt = SaltString::encode_b64(salt_bytes.expose()).map_err(|_| PasswordError::Hash)?;
    room(blocks, argon.params().block_count());
    let mut out = Zeroizing::new([0u8; 32]);
    argon
        .hash_password_into_with_memory(
            password.as_bytes(),
            salt_bytes.expose(),
            &mut out[..],
            &mut blocks[..],
        )
        .map_err(|_| PasswordError::Hash)?;
    let output = Output::new(&out[..]).map_err(|_| PasswordError::Hash)?;
    let p = argon.params();
    let phc = format!(
        "$argon2id$v=19$m={},t={},p={}${}${output}",
        p.m_cost(),
        p.t_cost(),
        p.p_cost(),
        salt.as_str()
    );
    PasswordHash::new(&phc).map_err(|_| PasswordError::Hash)
}

/// Whether `password` hashes to `stored`, computed in the caller's working
/// buffer; the comparison is constant-time. Anything unreadable is `false`.
fn verify_with(blocks: &mut Vec<Block>, password: &str, stored: &PasswordHash) -> bool {
    let Ok(phc) = Phc::new(stored.as_str()) else {
        return false;
    };
    let (Ok(params), Some(salt), Some(expected)) = (Params::try_from(&phc), phc.salt, phc.hash)
    else {
        return false;
    };
    if phc.algorithm.as_str() != "argon2id" || params.m_cost() > MAX_MEMORY_KIB {
        return false;
    }
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    room(blocks, params.block_count());
    let mut out = Zeroizing::new(vec![0u8; expected.len()]);
    let computed = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into_with_memory(password.as_bytes(), salt, &mut out[..], &mut blocks[..]);
    // Output's equality is constant-time.
    computed.is_ok() && Output::new(&out[..]).is_ok_and(|computed| computed == expected)
}

/// A hash of a password nobody knows, checked when the user does not exist so
/// that the answer takes as long as for a real user.
fn decoy(blocks: &mut Vec<Block>) -> Option<&'static PasswordHash> {
    static DECOY: OnceLock<Option<PasswordHash>> = OnceLock::new();
    DECOY
        .get_or_init(|| hash_with(blocks, "decoy password that never matches").ok())
        .as_ref()
}

/// Whether `password` matches `stored` (or, with no user, runs the same work
/// against a decoy and answers false). Constant-time in the comparison.
pub fn verify(password: &str, stored: Option<&PasswordHash>) -> bool {
    verify_in(&mut Vec::new(), password, stored)
}

fn verify_in(blocks: &mut Vec<Block>, password: &str, stored: Option<&PasswordHash>) -> bool {
    let target = match stored {
        Some(hash) => Some(hash),
        None => decoy(blocks),
    };
    let Some(target) = target else {
        return false;
    };
    verify_with(blocks, password, target) && stored.is_some()
}

/// One computation for a worker, given the worker's buffer.
type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// A bounded pool of argon2id workers (see the module's documentation).
/// Cheap to clone; the workers end when the last clone is dropped.
#[derive(Clone)]
pub struct PasswordPool {
    jobs: SyncSender<Job>,
    workers: usize,
}

impl std::fmt::Debug for PasswordPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordPool")
            .field("workers", &self.workers)
            .finish_non_exhaustive()
    }
}

impl PasswordPool {
    /// Starts `workers` threads (at least one) with room for `queue` (at
    /// least one) computations waiting for a worker.
    pub fn new(workers: usize, queue: usize) -> Result<PasswordPool, PasswordError> {
        let workers = workers.max(1);
        // A rendezvous channel would refuse a job whenever no worker happens
        // to be waiting at that instant; one place at least.
        let (jobs, inbox) = sync_channel::<Job>(queue.max(1));
        let inbox = Arc::new(Mutex::new(inbox));
        for n in 0..workers {
            let inbox = Arc::clone(&inbox);
            std::thread::Builder::new()
                .name(format!("jwtkeep-argon2-{n}"))
                .spawn(move || work(&inbox))
                .map_err(|_| PasswordError::Hash)?;
        }
        Ok(PasswordPool { jobs, workers })
    }

    /// How many computations run at once at most.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Runs `job` on a worker; `Busy` at once when the queue is full.
    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, PasswordError> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |blocks| {
            let _ = answer.send(job(blocks));
        });
        match self.jobs.try_send(job) {
            Ok(()) => answered.await.map_err(|_| PasswordError::Hash),
            Err(TrySendError::Full(_)) => Err(PasswordError::Busy),
            Err(TrySendError::Disconnected(_)) => Err(PasswordError::Hash),
        }
    }

    /// Hashes `password` with a fresh salt.
    pub async fn hash(&self, password: Zeroizing<String>) -> Result<PasswordHash, PasswordError> {
        check_strength(&password)?;
        self.run(move |blocks| hash_with(blocks, &password)).await?
    }

    /// Whether `password` matches `stored`; with no hash (no such user, or
    /// disabled), the same work against a decoy, answering false.
    pub async fn verify(
        &self,
        password: Zeroizing<String>,
        stored: Option<PasswordHash>,
    ) -> Result<bool, PasswordError> {
        self.run(move |blocks| verify_in(blocks, &password, stored.as_ref()))
            .await
    }
}

/// A worker: takes jobs until the pool is gone, always in the same buffer.
fn work(inbox: &Mutex<Receiver<Job>>) {
    let mut blocks = Vec::new();
    loop {
        let job = {
            let Ok(inbox) = inbox.lock() else { return };
            inbox.recv()
        };
        let Ok(job) = job else { return };
        // A job that panics (never expected) loses its answer, which its
        // caller reads as a failure; the worker and its buffer carry on.
        let run = std::panic::AssertUnwindSafe(|| job(&mut blocks));
        if std::panic::catch_unwind(run).is_err() {
            blocks = Vec::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};

    #[test]
    fn hashes_are_owasp_argon2id_salted_and_verify_only_the_password() {
        let a = hash("correct horse battery staple").unwrap();
        let b = hash("correct horse battery staple").unwrap();
        assert!(a.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert_ne!(a, b, "a fresh salt each time");
        assert!(verify("correct horse battery staple", Some(&a)));
        assert!(!verify("correct horse battery stapl", Some(&a)));
        assert!(!verify("correct horse battery staple", None));
        assert!(matches!(hash("short"), Err(PasswordError::Length)));
    }

    #[test]
    fn guessable_and_listed_passwords_are_refused_with_why() {
        for weak in [
            "zzzzzzzzzzzzzzz",
            "passwordpassword",
            "letmein12345",
            "123456789012",
        ] {
            let e = check_strength(weak).unwrap_err();
            assert!(matches!(e, PasswordError::Weak(_)), "{weak}: {e}");
            assert!(e.to_string().contains("guesses"), "{weak}: {e}");
        }
        assert!(matches!(
            check_strength("aaaaaaaaaaaa"),
            Err(PasswordError::Weak(_))
        ));
        let listed = check_strength("qwertyuiop12").unwrap_err();
        assert!(listed.to_string().contains("public list"), "{listed}");
        assert!(matches!(
            hash("passwordpassword"),
            Err(PasswordError::Weak(_))
        ));
        for fine in [
            "correct horse battery staple",
            "Tr0ub4dour&3x",
            "kY3v9Qm2R8wX",
        ] {
            assert!(check_strength(fine).is_ok(), "{fine}");
        }
    }

    #[test]
    fn the_reused_buffer_computes_what_the_argon2_crate_computes() {
        let mut blocks = Vec::new();
        let ours = hash_with(&mut blocks, "correct horse battery staple").unwrap();
        assert!(ours.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        let phc = Phc::new(ours.as_str()).unwrap();
        assert!(hasher()
            .verify_password(b"correct horse battery staple", &phc)
            .is_ok());
        let theirs = hash("correct horse battery staple").unwrap();
        assert!(verify_with(
            &mut blocks,
            "correct horse battery staple",
            &theirs
        ));
        assert!(!verify_with(
            &mut blocks,
            "correct horse battery staplE",
            &theirs
        ));
        // A stronger stored hash (more memory) grows the buffer and still verifies.
        let salt = SaltString::encode_b64(b"0123456789abcdef").unwrap();
        let strong = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(47_104, 1, 1, None).unwrap(),
        )
        .hash_password(b"correct horse battery staple", &salt)
        .unwrap()
        .to_string();
        let strong = PasswordHash::new(&strong).unwrap();
        assert!(verify_with(
            &mut blocks,
            "correct horse battery staple",
            &strong
        ));
        assert_eq!(blocks.len(), 47_104);
    }

    #[tokio::test]
    async fn the_pool_checks_passwords_and_says_busy_past_its_queue() {
        let pool = PasswordPool::new(1, 1).unwrap();
        let stored = pool
            .hash(Zeroizing::new("correct horse battery staple".into()))
            .await
            .unwrap();
        let right = Zeroizing::new("correct horse battery staple".to_owned());
        assert!(pool
            .verify(right.clone(), Some(stored.clone()))
            .await
            .unwrap());
        let wrong = Zeroizing::new("correct horse battery stapl".to_owned());
        assert!(!pool.verify(wrong, Some(stored.clone())).await.unwrap());
        assert!(!pool.verify(right.clone(), None).await.unwrap());
        // One worker and one place in the queue: of five at once, at most two
        // are taken and the others are refused at once.
        let check = || pool.verify(right.clone(), Some(stored.clone()));
        // join! polls each once before waiting: all five ask before any is answered.
        let (a, b, c, d, e) = tokio::join!(check(), check(), check(), check(), check());
        let answers = [a, b, c, d, e];
        let busy = answers
            .iter()
            .filter(|a| matches!(a, Err(PasswordError::Busy)))
            .count();
        assert!(busy >= 3, "{answers:?}");
        assert!(answers.iter().any(|a| matches!(a, Ok(true))), "{answers:?}");
    }
}
