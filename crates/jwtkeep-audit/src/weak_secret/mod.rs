//! The search for an HMAC token's secret among the secrets attackers try
//! first: the empty secret, the bundled known-weak list, the user's wordlists
//! and mutations of words the user suspects.
//!
//! Finding the secret proves it weak: anyone with the same lists can forge
//! every token signed with it. Not finding it proves nothing about strength;
//! `jwtkeep check` judges a secret the user holds.

mod hints;
#[cfg(target_arch = "x86_64")]
mod shani;
mod target;

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;

use jwtkeep_core::strength::WeakSecrets;
use zeroize::Zeroizing;

pub use hints::{hint_candidates, MAX_HINTS};
pub use target::{HmacTarget, TargetError, LANES};

/// Candidates a thread tries between looks at the shared progress.
const BATCH: u64 = 4096;

/// Where a candidate came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// The empty secret.
    Empty,
    /// The known-weak list bundled with jwtkeep.
    Bundled,
    /// A wordlist the user named.
    Wordlist,
    /// A mutation of a word the user gave as a hint.
    Hint,
    /// A secret written in the scanned tree.
    Tree,
}

impl Source {
    /// A stable lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Source::Empty => "empty",
            Source::Bundled => "bundled",
            Source::Wordlist => "wordlist",
            Source::Hint => "hint",
            Source::Tree => "tree",
        }
    }
}

/// The secret, once found.
pub struct Found {
    /// Where it was found.
    pub source: Source,
    /// Its 0-based position: the entry in the bundled list, or the line
    /// (blank lines included) in the buffer searched.
    pub index: u64,
    /// The secret itself; wiped on drop.
    pub secret: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Found {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Found")
            .field("source", &self.source)
            .field("index", &self.index)
            .field("secret", &"[redacted]")
            .finish()
    }
}

/// How far a search has come, shared with whoever shows progress.
#[derive(Debug, Default)]
pub struct Progress {
    tried: AtomicU64,
    done: AtomicBool,
}

impl Progress {
    /// A fresh counter.
    pub fn new() -> Progress {
        Progress::default()
    }

    /// Candidates tried so far (counted in batches while a search runs).
    pub fn tried(&self) -> u64 {
        self.tried.load(Ordering::Relaxed)
    }

    /// Whether the secret has been found (the other threads stop).
    pub fn found(&self) -> bool {
        self.done.load(Ordering::Relaxed)
    }

    fn add(&self, n: u64) {
        self.tried.fetch_add(n, Ordering::Relaxed);
    }
}

/// A search over one target with a fixed number of threads.
#[derive(Debug)]
pub struct Search<'a> {
    target: &'a HmacTarget,
    threads: usize,
    progress: &'a Progress,
}

/// A part of the candidates that one thread tries.
trait Part: Sync {
    /// Tries each candidate in order; the first that matches, with its index
    /// within the part, unless another thread found the secret first.
    fn run(&self, target: &HmacTarget, progress: &Progress) -> Option<(u64, Vec<u8>)>;
}

/// Tries `candidates` in order, counting into `progress` and stopping when
/// another thread has found the secret.
fn try_each<'c>(
    candidates: impl Iterator<Item = (u64, &'c [u8])>,
    target: &HmacTarget,
    progress: &Progress,
) -> Option<(u64, Vec<u8>)> {
    let mut pending = 0;
    let mut batch: [(u64, &[u8]); LANES] = [(0, b""); LANES];
    let mut filled = 0;
    let mut candidates = candidates.fuse();
    loop {
        let next = candidates.next();
        if let Some(candidate) = next {
            if let Some(slot) = batch.get_mut(filled) {
                *slot = candidate;
                filled += 1;
            }
            if filled < LANES {
                continue;
            }
        }
        // A last, partial batch repeats its first candidate in the empty lanes.
        let first = batch.first().copied().unwrap_or((0, b""));
        for slot in batch.iter_mut().skip(filled) {
            *slot = first;
        }
        if filled > 0 {
            if let Some(hit) = target.first_match(&batch.map(|(_, c)| c)) {
                let (index, candidate) = batch.get(hit).copied().unwrap_or(first);
                progress.done.store(true, Ordering::Relaxed);
                progress.add(pending + hit as u64 + 1);
                return Some((index, candidate.to_vec()));
            }
        }
        pending += filled as u64;
        filled = 0;
        if pending >= BATCH {
            progress.add(pending);
            pending = 0;
            if progress.found() {
                return None;
            }
        }
        if next.is_none() {
            break;
        }
    }
    progress.add(pending);
    None
}

/// Newline-separated candidates; a CR before the newline is not part of the
/// candidate, and empty lines are skipped (the empty secret is tried on its own).
struct Lines<'b>(&'b [u8]);

impl Lines<'_> {
    /// Each candidate with its line index.
    fn candidates(&self) -> impl Iterator<Item = (u64, &[u8])> {
        (0u64..)
            .zip(self.0.split(|&b| b == b'\n'))
            .map(|(n, line)| (n, line.strip_suffix(b"\r").unwrap_or(line)))
            .filter(|(_, line)| !line.is_empty())
    }

    /// How many lines the part holds (a last line without newline counts).
    fn line_count(&self) -> u64 {
        let newlines = self.0.iter().filter(|&&b| b == b'\n').count() as u64;
        newlines + u64::from(self.0.last().is_some_and(|&b| b != b'\n'))
    }
}

impl Part for Lines<'_> {
    fn run(&self, target: &HmacTarget, progress: &Progress) -> Option<(u64, Vec<u8>)> {
        try_each(self.candidates(), target, progress)
    }
}

impl Part for &[&[u8]] {
    fn run(&self, target: &HmacTarget, progress: &Progress) -> Option<(u64, Vec<u8>)> {
        try_each((0u64..).zip(self.iter().copied()), target, progress)
    }
}

/// Splits `buf` into at most `n` parts of about equal size, at line ends.
fn split_lines(buf: &[u8], n: usize) -> Vec<Lines<'_>> {
    let mut parts = Vec::with_capacity(n);
    let mut rest = buf;
    for left in (1..=n).rev() {
        if rest.is_empty() {
            break;
        }
        let want = rest.len().div_ceil(left);
        let cut = rest
            .iter()
            .skip(want)
            .position(|&b| b == b'\n')
            .map_or(rest.len(), |p| want + p + 1);
        let (part, tail) = rest.split_at(cut.min(rest.len()));
        parts.push(Lines(part));
        rest = tail;
    }
    parts
}

impl<'a> Search<'a> {
    /// A search for `target`'s secret on `threads` threads (at least one),
    /// counting into `progress`.
    pub fn new(target: &'a HmacTarget, threads: NonZeroUsize, progress: &'a Progress) -> Self {
        Search {
            target,
            threads: threads.get(),
            progress,
        }
    }

    /// All the cores this process may use.
    pub fn all_cores() -> NonZeroUsize {
        thread::available_parallelism().unwrap_or(NonZeroUsize::MIN)
    }

    /// Runs `parts` on one thread each; the first found wins. Returns the
    /// part's index and what it found.
    fn parallel<P: Part>(&self, parts: &[P]) -> Option<(usize, u64, Vec<u8>)> {
        let (target, progress) = (self.target, self.progress);
        if let [only] = parts {
            return only.run(target, progress).map(|(i, s)| (0, i, s));
        }
        thread::scope(|scope| {
            let handles: Vec<_> = parts
                .iter()
                .map(|part| scope.spawn(move || part.run(target, progress)))
                .collect();
            let mut found = None;
            for (n, handle) in handles.into_iter().enumerate() {
                // A worker that panicked found nothing; the others' answers stand.
                if let Ok(Some((index, secret))) = handle.join() {
                    found.get_or_insert((n, index, secret));
                }
            }
            found
        })
    }

    /// Tries the empty secret.
    pub fn empty(&self) -> Option<Found> {
        let found = self.target.matches(b"");
        self.progress.add(1);
        found.then(|| Found {
            source: Source::Empty,
            index: 0,
            secret: Zeroizing::new(Vec::new()),
        })
    }

    /// Tries the bundled known-weak list.
    pub fn bundled(&self) -> Option<Found> {
        let entries = WeakSecrets::get().entries();
        let size = entries.len().div_ceil(self.threads).max(1);
        let parts: Vec<&[&[u8]]> = entries.chunks(size).collect();
        let (part, index, secret) = self.parallel(&parts)?;
        Some(Found {
            source: Source::Bundled,
            index: (part * size) as u64 + index,
            secret: Zeroizing::new(secret),
        })
    }

    /// Tries newline-separated candidates from `buf` (a wordlist or hint
    /// mutations), reporting a find as coming from `source`.
    pub fn lines(&self, buf: &[u8], source: Source) -> Option<Found> {
        let parts = split_lines(buf, self.threads);
        let (part, index, secret) = self.parallel(&parts)?;
        let before: u64 = parts.iter().take(part).map(Lines::line_count).sum();
        Some(Found {
            source,
            index: before + index,
            secret: Zeroizing::new(secret),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;

    fn hs256(key: &[u8]) -> HmacTarget {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(r#"{"sub":"1","exp":1}"#)
        );
        let tag = aws_lc_rs::hmac::sign(
            &aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key),
            input.as_bytes(),
        );
        HmacTarget::from_token(&format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag))).unwrap()
    }

    fn threads(n: usize) -> NonZeroUsize {
        NonZeroUsize::new(n).unwrap()
    }

    #[test]
    fn finds_the_empty_secret_before_any_list() {
        let target = hs256(b"");
        let progress = Progress::new();
        let found = Search::new(&target, threads(2), &progress).empty().unwrap();
        assert_eq!(found.source, Source::Empty);
        assert!(hs256(b"x").matches(b"x"));
        assert!(Search::new(&hs256(b"x"), threads(1), &progress)
            .empty()
            .is_none());
    }

    #[test]
    fn finds_a_bundled_secret_at_its_place_in_the_list_on_any_thread_count() {
        let entries = WeakSecrets::get().entries();
        let index = entries
            .iter()
            .position(|e| *e == b"supersecretkey")
            .unwrap();
        let target = hs256(b"supersecretkey");
        for n in [1, 2, 3, 7] {
            let progress = Progress::new();
            let found = Search::new(&target, threads(n), &progress)
                .bundled()
                .unwrap();
            assert_eq!(found.source, Source::Bundled);
            assert_eq!(&found.secret[..], b"supersecretkey");
            assert_eq!(found.index, index as u64, "{n} threads");
        }
    }

    #[test]
    fn searching_the_whole_bundled_list_counts_every_entry() {
        let target = hs256(b"a secret that is on no list at all, 4d1f");
        let progress = Progress::new();
        assert!(Search::new(&target, threads(2), &progress)
            .bundled()
            .is_none());
        assert_eq!(progress.tried(), WeakSecrets::get().entries().len() as u64);
        assert!(!progress.found());
    }

    #[test]
    fn wordlist_lines_strip_cr_skip_blanks_and_report_the_candidate_index() {
        let list = b"alpha\r\n\nbeta\ngamma\r\ndelta\nmyapp-secret-2024\r\nomega";
        let target = hs256(b"myapp-secret-2024");
        for n in [1, 2, 4, 16] {
            let progress = Progress::new();
            let found = Search::new(&target, threads(n), &progress)
                .lines(list, Source::Wordlist)
                .unwrap();
            assert_eq!(&found.secret[..], b"myapp-secret-2024", "{n}");
            assert_eq!(found.index, 5, "{n} threads: the line, blank ones included");
            assert_eq!(found.source, Source::Wordlist);
        }
        // The last line needs no newline; a CR-only ending is stripped.
        let progress = Progress::new();
        let omega = hs256(b"omega");
        assert!(Search::new(&omega, threads(3), &progress)
            .lines(list, Source::Wordlist)
            .is_some());
        assert!(Search::new(&hs256(b"gamma\r"), threads(1), &progress)
            .lines(list, Source::Wordlist)
            .is_none());
    }

    #[test]
    fn split_lines_covers_the_buffer_exactly_at_line_ends() {
        let buf = b"a\nbb\nccc\ndddd\neeeee\nf";
        for n in 1..10 {
            let parts = split_lines(buf, n);
            assert!(parts.len() <= n);
            let joined: Vec<u8> = parts.iter().flat_map(|p| p.0.iter().copied()).collect();
            assert_eq!(&joined[..], &buf[..]);
            for p in &parts[..parts.len() - 1] {
                assert_eq!(p.0.last(), Some(&b'\n'));
            }
        }
        assert!(split_lines(b"", 4).is_empty());
    }
}
