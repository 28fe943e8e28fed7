//! What a store holds is encrypted and authenticated with a key every process shares, and
//! bound to the store key it was written under.

use std::fmt;

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use secrecy::{ExposeSecret, SecretBox};
use serde::de::DeserializeOwned;
use serde::Serialize;
use zeroize::Zeroizing;

use super::StoreError;
use crate::ConfigError;

/// The first byte of every stored value: the layout (nonce, then ciphertext) and what is
/// encrypted may change; a reader that does not know the version treats the entry as missing.
const FORMAT: u8 = 1;
const NONCE_LEN: usize = 24;

/// The 32-byte key that encrypts and authenticates tokens in a [`TokenStore`](super::TokenStore). Every process
/// sharing a store must use the same key; one with another key sees the entries as missing.
///
/// Generate one with `openssl rand -base64 32` and keep it with your other secrets.
pub struct EncryptionKey(pub(crate) SecretBox<[u8; 32]>);

impl EncryptionKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(SecretBox::new(Box::new(bytes)))
    }

    /// A key from standard base64 (44 characters, as `openssl rand -base64 32` prints).
    pub fn from_base64(encoded: &str) -> Result<Self, ConfigError> {
        let fail = |reason: &str| ConfigError {
            field: "token_store_key",
            reason: reason.to_owned(),
        };
        let decoded = zeroize::Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .map_err(|_| {
                    fail("is not standard base64; generate one with `openssl rand -base64 32`")
                })?,
        );
        let bytes: [u8; 32] = decoded.as_slice().try_into().map_err(|_| {
            fail("does not decode to 32 bytes; generate one with `openssl rand -base64 32`")
        })?;
        Ok(Self::from_bytes(bytes))
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        self.0.expose_secret()
    }
}

impl Clone for EncryptionKey {
    fn clone(&self) -> Self {
        Self::from_bytes(*self.bytes())
    }
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EncryptionKey([redacted])")
    }
}

/// Seals values for a store and opens them again.
pub(crate) struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl Sealer {
    pub(crate) fn new(key: &EncryptionKey) -> Self {
        Self {
            cipher: XChaCha20Poly1305::new(key.bytes().into()),
        }
    }

    /// Encrypts `plain` for the store key `key`.
    pub(crate) fn seal<T: Serialize>(&self, key: &str, plain: &T) -> Result<Vec<u8>, StoreError> {
        let json = Zeroizing::new(
            serde_json::to_vec(plain).map_err(|_| StoreError::new("could not encode a token"))?,
        );
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ciphertext = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: &json,
                    // Binds the value to its key: an entry copied under another account's
                    // key does not decrypt.
                    aad: key.as_bytes(),
                },
            )
            .map_err(|_| StoreError::new("could not encrypt a token"))?;
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        sealed.push(FORMAT);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    /// Decrypts what [`seal`](Self::seal) wrote for `key`; `None` if it cannot.
    pub(crate) fn open<T: DeserializeOwned>(&self, key: &str, sealed: &[u8]) -> Option<T> {
        let (&format, rest) = sealed.split_first()?;
        if format != FORMAT || rest.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let json = Zeroizing::new(
            self.cipher
                .decrypt(
                    XNonce::from_slice(nonce),
                    Payload {
                        msg: ciphertext,
                        aad: key.as_bytes(),
                    },
                )
                .ok()?,
        );
        serde_json::from_slice(&json).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scheme::Entry;

    fn entry(token: &str) -> Entry {
        Entry {
            token: token.to_owned(),
            refresh_at_ms: Some(1),
            expires_at_ms: Some(2),
        }
    }

    #[test]
    fn entries_open_only_with_their_key_under_their_name_and_untouched() {
        let alice = Sealer::new(&EncryptionKey::from_bytes([1; 32]));
        let sealed = alice.seal("alice", &entry("tok-SECRET")).unwrap();
        assert_eq!(
            alice.open::<Entry>("alice", &sealed).unwrap().token,
            "tok-SECRET"
        );
        // Random nonces: the same token never seals to the same bytes.
        assert_ne!(alice.seal("alice", &entry("tok-SECRET")).unwrap(), sealed);
        assert!(!String::from_utf8_lossy(&sealed).contains("tok-SECRET"));

        // Another key; the same key under another store key (a copied entry); a flipped bit;
        // a cut value; an unknown format version.
        let other = Sealer::new(&EncryptionKey::from_bytes([2; 32]));
        assert!(other.open::<Entry>("alice", &sealed).is_none());
        assert!(alice.open::<Entry>("bob", &sealed).is_none());
        for i in [0, 1, 30, sealed.len() - 1] {
            let mut tampered = sealed.clone();
            tampered[i] ^= 1;
            assert!(
                alice.open::<Entry>("alice", &tampered).is_none(),
                "bit flipped at {i}"
            );
        }
        assert!(alice
            .open::<Entry>("alice", &sealed[..sealed.len() - 1])
            .is_none());
        assert!(alice.open::<Entry>("alice", &[]).is_none());
    }

    #[test]
    fn keys_are_checked_and_never_shown() {
        let key =
            EncryptionKey::from_base64("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").unwrap();
        assert_eq!(key.bytes()[31], 31);
        assert_eq!(format!("{key:?}"), "EncryptionKey([redacted])");
        let short = EncryptionKey::from_base64("AAECAw==")
            .unwrap_err()
            .to_string();
        assert!(short.contains("32 bytes"), "{short}");
        let bad = EncryptionKey::from_base64("not base64!")
            .unwrap_err()
            .to_string();
        assert!(bad.contains("base64"), "{bad}");
        assert!(!bad.contains("not base64!"), "{bad}");
    }
}
