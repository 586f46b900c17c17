//! Secrets: argon2id password hashes, random tokens and ids, keyed hashes for high-entropy secrets,
//! and AES-256-GCM encryption at rest under the server master key.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};

/// `n` random bytes from the operating system.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    OsRng.fill_bytes(&mut buf);
    buf
}

/// An opaque id: 32 lowercase hex characters, as ClearML uses.
pub fn new_id() -> String {
    hex::encode(random_bytes(16))
}

/// A bearer secret for cookies and one-time links: 32 random bytes, URL-safe.
pub fn new_token() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes(32))
}

/// The stored form of a high-entropy token (sessions, set-up links): its SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// An argon2id hash (PHC string) of a password.
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)?
        .to_string())
}

/// Checks a password against its stored hash; a malformed hash never verifies.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash of a fixed password, verified against when the account does not exist so that a failed
/// login takes as long whether or not the name is known.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not a real password").unwrap_or_default())
}

/// A random password for accounts created from the command line: 20 URL-safe characters.
pub fn generate_password() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes(15))
}

/// The server master key: encrypts secrets at rest.
#[derive(Clone)]
pub struct MasterKey(Aes256Gcm);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(***)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the master key must be base64 of exactly 32 bytes")]
    BadKey,
    #[error("could not read or write the master key file {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("a stored secret could not be decrypted (wrong master key?)")]
    Decrypt,
}

impl MasterKey {
    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        let bytes = STANDARD.decode(text.trim()).map_err(|_| KeyError::BadKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| KeyError::BadKey)?;
        Ok(Self(Aes256Gcm::new(&key.into())))
    }

    /// Reads `<dir>/master.key`, creating it (mode 0600) with a new random key if it is missing.
    pub fn load_or_create(dir: &std::path::Path) -> Result<Self, KeyError> {
        let path = dir.join("master.key");
        let io = |source| KeyError::Io {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::from_base64(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(dir).map_err(io)?;
                let text = STANDARD.encode(random_bytes(32));
                write_private(&path, &text).map_err(io)?;
                Self::from_base64(&text)
            }
            Err(e) => Err(io(e)),
        }
    }

    /// `base64(nonce || ciphertext)`.
    pub fn encrypt(&self, plain: &[u8]) -> String {
        let nonce_bytes = random_bytes(12);
        let nonce = Nonce::from_slice(&nonce_bytes);
        let sealed = self.0.encrypt(nonce, plain).unwrap_or_default();
        STANDARD.encode([nonce_bytes, sealed].concat())
    }

    pub fn decrypt(&self, sealed: &str) -> Result<Vec<u8>, KeyError> {
        let bytes = STANDARD.decode(sealed).map_err(|_| KeyError::Decrypt)?;
        if bytes.len() < 12 {
            return Err(KeyError::Decrypt);
        }
        let (nonce, body) = bytes.split_at(12);
        self.0
            .decrypt(Nonce::from_slice(nonce), body)
            .map_err(|_| KeyError::Decrypt)
    }
}

fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path)?.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_and_hashes_differ() {
        let h1 = hash_password("correct horse").unwrap();
        let h2 = hash_password("correct horse").unwrap();
        assert_ne!(h1, h2);
        assert!(h1.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h1));
        assert!(!verify_password("wrong horse", &h1));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn encryption_round_trips_and_detects_tampering() {
        let key = MasterKey::from_base64(&STANDARD.encode([7u8; 32])).unwrap();
        let sealed = key.encrypt(b"secret");
        assert_eq!(key.decrypt(&sealed).unwrap(), b"secret");
        assert_ne!(key.encrypt(b"secret"), sealed);
        let mut bytes = STANDARD.decode(&sealed).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        assert!(key.decrypt(&STANDARD.encode(bytes)).is_err());
        let other = MasterKey::from_base64(&STANDARD.encode([8u8; 32])).unwrap();
        assert!(other.decrypt(&sealed).is_err());
        assert!(MasterKey::from_base64("c2hvcnQ=").is_err());
    }

    #[test]
    fn key_file_is_created_once() {
        let dir = std::env::temp_dir().join(format!("atrium-key-{}", new_id()));
        let a = MasterKey::load_or_create(&dir).unwrap();
        let b = MasterKey::load_or_create(&dir).unwrap();
        assert_eq!(b.decrypt(&a.encrypt(b"x")).unwrap(), b"x");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn ids_and_tokens_have_their_formats() {
        let id = new_id();
        assert_eq!(id.len(), 32);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(new_token().len(), 43);
        assert_eq!(token_hash("a").len(), 64);
    }
}
