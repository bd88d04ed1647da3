//! Password rules and hashing. Hashing runs on a bounded set of blocking threads so that a
//! login storm cannot starve the requests of teachers already signed in, and verification
//! reuses one argon2 memory area per permit, so that a storm does not grow the heap by
//! 19 MiB per blocking thread.

use argon2::password_hash::PasswordHasher;
use argon2::password_hash::phc::{Output, PasswordHash};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use thread_priority::{ThreadPriority, ThreadPriorityValue, set_current_thread_priority};
use tokio::sync::oneshot;
use unicode_normalization::UnicodeNormalization;
use zxcvbn::matching::patterns::MatchPattern;

pub const MIN_CHARS: usize = 15;
pub const MAX_CHARS: usize = 128;

/// Words of the product and of German schools that never make a password strong.
const PRODUCT_WORDS: &[&str] = &[
    "klassenbuch",
    "schule",
    "schulleitung",
    "lehrer",
    "lehrerin",
    "lehrkraft",
    "passwort",
    "kennwort",
    "sekretariat",
    "unterricht",
    "schueler",
    "schüler",
    "zeugnis",
    "webuntis",
    "klasse",
    "datenschutz",
];

/// Normalises (NFKC) and checks a new password. The error is a German reason for the user.
/// `context` holds words of the school and the user (school name, login, display name).
pub fn check_new_password(password: &str, context: &[&str]) -> Result<String, String> {
    let normalized: String = password.nfkc().collect();
    let chars = normalized.chars().count();
    if chars < MIN_CHARS {
        return Err(format!(
            "Das Passwort ist zu kurz: mindestens {MIN_CHARS} Zeichen, es hat {chars}."
        ));
    }
    if chars > MAX_CHARS {
        return Err(format!(
            "Das Passwort ist zu lang: höchstens {MAX_CHARS} Zeichen, es hat {chars}."
        ));
    }
    let mut inputs: Vec<String> = PRODUCT_WORDS.iter().map(|s| (*s).to_owned()).collect();
    for c in context {
        inputs.extend(
            c.split(|ch: char| !ch.is_alphanumeric())
                .filter(|w| w.chars().count() >= 3)
                .map(str::to_lowercase),
        );
    }
    // What is left after removing school and product words, digits and separators must still
    // be a password on its own.
    let mut rest = normalized.to_lowercase();
    let mut by_length: Vec<&String> = inputs.iter().collect();
    by_length.sort_by_key(|w| std::cmp::Reverse(w.len()));
    for w in by_length {
        rest = rest.replace(w.as_str(), "");
    }
    let rest: String = rest.chars().filter(|c| c.is_alphabetic()).collect();
    if rest.chars().count() < 8 {
        return Err(
            "Dieses Passwort ist nicht sicher genug. Es besteht im Wesentlichen aus dem \
             Namen der Schule, Ihrem Namen oder Wörtern wie »Klassenbuch« oder »Schule«."
                .to_owned(),
        );
    }
    let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
    let entropy = zxcvbn::zxcvbn(&normalized, &refs);
    if (entropy.score() as u8) >= 3 {
        return Ok(normalized);
    }
    // zxcvbn does not export its dictionary enum; its Debug name is stable API in practice.
    let covered_by = |kind: &str| {
        entropy
            .sequence()
            .iter()
            .filter(|m| {
                matches!(&m.pattern, MatchPattern::Dictionary(d) if format!("{:?}", d.dictionary_name) == kind)
            })
            .map(|m| m.token.chars().count())
            .sum::<usize>()
    };
    let reason = if covered_by("UserInputs") * 2 >= chars {
        "Es besteht im Wesentlichen aus dem Namen der Schule, Ihrem Namen oder Wörtern wie \
         »Klassenbuch« oder »Schule«."
    } else if covered_by("Passwords") * 2 >= chars {
        "Es steht (fast) so auf Listen häufig verwendeter Passwörter."
    } else {
        "Es ist zu leicht zu erraten (Wiederholungen, Tastaturfolgen, Zahlenreihen oder \
         bekannte Wörter). Ein Satz aus mehreren Wörtern ist sicherer."
    };
    Err(format!("Dieses Passwort ist nicht sicher genug. {reason}"))
}

/// Hashes and verifies passwords with argon2id (m = 19456 KiB, t = 2, p = 1) on a fixed set
/// of dedicated threads. Each thread keeps its own argon2 memory area (verification reuses
/// it, so a login storm does not grow the heap), and runs at a lower scheduling priority
/// (nice 9): while logins queue up, requests of teachers already signed in get the CPU first.
///
/// It also admits sign-ins ([`Hasher::admit`]): a few more at a time than there are hashing
/// threads, so that a login storm waits here, holding neither a thread nor a database
/// connection, instead of filling the connection pool's queue in front of the requests of
/// teachers already signed in.
#[derive(Clone)]
pub struct Hasher {
    jobs: mpsc::Sender<Job>,
    admission: Arc<tokio::sync::Semaphore>,
}

/// Sign-ins admitted at once per hashing thread: enough to keep every hashing thread busy
/// while others do their database work before and after the hash.
const ADMITTED_PER_THREAD: usize = 2;

type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// The scheduling priority of the hashing threads on thread-priority's 0–99 scale; on Linux
/// 25 is nice 9 (the app's other threads run at nice 0).
const HASHING_PRIORITY: u8 = 25;

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("Passwort-Hashing fehlgeschlagen: {0}")]
    Failed(String),
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        Argon2::default()
            .hash_password(b"klassenbuch-unbekannter-benutzer")
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

/// One hashing thread: takes jobs until every `Hasher` handle is gone.
fn hashing_thread(jobs: Arc<Mutex<mpsc::Receiver<Job>>>) {
    if let Ok(priority) = ThreadPriorityValue::try_from(HASHING_PRIORITY)
        && let Err(e) = set_current_thread_priority(ThreadPriority::Crossplatform(priority))
    {
        tracing::warn!(error = ?e, "Priorität des Hash-Threads nicht gesenkt");
    }
    let mut memory = Vec::new();
    loop {
        let job = match jobs.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(&mut memory),
            Err(_) => return,
        }
    }
}

impl Hasher {
    /// Starts the hashing threads; `threads == 0` means one per core.
    pub fn new(threads: usize) -> std::io::Result<Self> {
        let n = match threads {
            0 => std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2),
            n => n,
        };
        // Compute the dummy hash now so that the first unknown-user login costs the same.
        let _ = dummy_hash();
        let (jobs, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for i in 0..n {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("argon2-{i}"))
                .spawn(move || hashing_thread(receiver))?;
        }
        Ok(Self {
            jobs,
            admission: Arc::new(tokio::sync::Semaphore::new(n * ADMITTED_PER_THREAD)),
        })
    }

    /// Waits until a sign-in (password form or password check) may start its work; the
    /// permit is held until it is dropped. Waiting takes no thread and no connection.
    pub async fn admit(&self) -> Result<tokio::sync::OwnedSemaphorePermit, HashError> {
        self.admission
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| HashError::Failed("die Anmeldung ist geschlossen".into()))
    }

    async fn on_pool<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Vec<Block>) -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let (done, result) = oneshot::channel();
        self.jobs
            .send(Box::new(move |memory: &mut Vec<Block>| {
                let _ = done.send(f(memory));
            }))
            .map_err(|_| HashError::Failed("die Hash-Threads laufen nicht mehr".into()))?;
        result
            .await
            .map_err(|_| HashError::Failed("Hash-Auftrag abgebrochen".into()))
    }

    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        self.on_pool(move |_| {
            Argon2::default()
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
                .map_err(|e| HashError::Failed(e.to_string()))
        })
        .await?
    }

    /// Verifies `password` against `hash`; with no hash (unknown user, no password yet) it
    /// verifies against a dummy so that the answer takes the same time, and returns false.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, HashError> {
        self.on_pool(move |memory| {
            let normalized: String = password.nfkc().collect();
            let (target, real) = match &hash {
                Some(h) => (h.as_str(), true),
                None => (dummy_hash(), false),
            };
            let ok = PasswordHash::new(target)
                .map(|parsed| verify_in(normalized.as_bytes(), &parsed, memory))
                .unwrap_or(false);
            ok && real
        })
        .await
    }
}

/// Verifies a password against a PHC string with `memory` as argon2's work area (grown to
/// the hash's parameters if needed). The comparison of the outputs is constant-time.
fn verify_in(password: &[u8], hash: &PasswordHash, memory: &mut Vec<Block>) -> bool {
    let (Some(salt), Some(expected)) = (&hash.salt, &hash.hash) else {
        return false;
    };
    let Ok(params) = Params::try_from(hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(hash.algorithm.as_str()) else {
        return false;
    };
    let version = match hash.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    let mut out = vec![0u8; expected.len()];
    let Some(area) = memory.get_mut(..blocks) else {
        return false;
    };
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password, salt, &mut out, area)
        .is_ok()
        && Output::new(&out).is_ok_and(|computed| computed == *expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn verification_with_reused_memory_accepts_the_right_password_only() {
        let hasher = Hasher::new(1).unwrap();
        let phrase = "Der Kranich fliegt über zwölf grüne Deiche".to_owned();
        let hash = hasher.hash(phrase.clone()).await.unwrap();
        // A hash with other parameters (less memory, more passes) in the same memory area.
        let small = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(4096, 3, 1, None).unwrap(),
        )
        .hash_password(b"Moewe am Leuchtturm im Nebel")
        .unwrap()
        .to_string();
        for _ in 0..2 {
            assert!(
                hasher
                    .verify(phrase.clone(), Some(hash.clone()))
                    .await
                    .unwrap()
            );
            assert!(
                !hasher
                    .verify("falsch".into(), Some(hash.clone()))
                    .await
                    .unwrap()
            );
            assert!(
                hasher
                    .verify("Moewe am Leuchtturm im Nebel".into(), Some(small.clone()))
                    .await
                    .unwrap()
            );
            assert!(!hasher.verify(phrase.clone(), None).await.unwrap());
        }
        let nice = std::fs::read_dir("/proc/self/task")
            .unwrap()
            .filter_map(|t| std::fs::read_to_string(t.unwrap().path().join("stat")).ok())
            .find(|stat| stat.contains("(argon2-0)"))
            .map(|stat| {
                stat.rsplit(')')
                    .next()
                    .unwrap()
                    .split_whitespace()
                    .nth(16)
                    .unwrap()
                    .to_owned()
            });
        assert_eq!(
            nice.as_deref(),
            Some("9"),
            "the hashing thread runs at nice 9"
        );
    }

    #[test]
    fn short_common_and_school_passwords_are_refused_with_a_reason() {
        let short = check_new_password("kurz", &[]).unwrap_err();
        assert!(short.contains("zu kurz"), "{short}");
        let school = check_new_password("Klassenbuch Schule 2026", &["Gymnasium am Meer"]);
        assert!(school.is_err());
        let repeated = check_new_password("aaaaaaaaaaaaaaaaaaaa", &[]).unwrap_err();
        assert!(repeated.contains("nicht sicher"), "{repeated}");
        assert!(check_new_password("Der Kranich fliegt über zwölf grüne Deiche", &[]).is_ok());
    }
}
