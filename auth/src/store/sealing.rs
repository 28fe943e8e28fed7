//! What a store holds is encrypted and authenticated with a key every process shares, and
//! bound to the store key it was written under; and the store keys themselves are named by a
//! fingerprint keyed with that same shared key.

use std::fmt;

use base64::Engine as _;
use chacha20poly1305::aead::rand_core::RngCore as _;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretBox, SecretString};
use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::Sha256;
use zeroize::{Zeroize as _, Zeroizing};

use super::StoreError;
use crate::error::ConfigError;

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
        let fail = |reason: &str| ConfigError::new("token_store_key", reason);
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

    /// A new random key, from the operating system's generator.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        OsRng.fill_bytes(&mut bytes);
        let key = Self::from_bytes(bytes);
        bytes.zeroize();
        key
    }

    /// The key in standard base64, as [`from_base64`](Self::from_base64) reads it: how a
    /// program keeps a key it generated (in a private file, a keyring).
    pub fn to_base64(&self) -> SecretString {
        SecretString::from(base64::engine::general_purpose::STANDARD.encode(self.bytes()))
    }

    /// `value` as JSON, encrypted and authenticated with this key and bound to `context`:
    /// only [`open`](Self::open) with the same key and context reads it back. How every store
    /// value is sealed (its context being its store key), and what a
    /// [`TokenStore`](super::TokenStore) that seals more than the values it is given uses (a
    /// file store sealing its whole file).
    pub fn seal<T: Serialize>(&self, context: &str, value: &T) -> Result<Vec<u8>, StoreError> {
        let json = Zeroizing::new(
            serde_json::to_vec(value).map_err(|_| StoreError::new("could not encode a token"))?,
        );
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        // The context binds the value to its store key: an entry copied under another
        // account's key does not decrypt.
        let payload = Payload {
            msg: &json,
            aad: context.as_bytes(),
        };
        let ciphertext = self
            .cipher()
            .encrypt(&nonce, payload)
            .map_err(|_| StoreError::new("could not encrypt a token"))?;
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        sealed.push(FORMAT);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    /// What [`seal`](Self::seal) wrote for `context`; `None` if it cannot be read with this
    /// key (another key, another context, damaged, another format).
    pub fn open<T: DeserializeOwned>(&self, context: &str, sealed: &[u8]) -> Option<T> {
        let (&format, rest) = sealed.split_first()?;
        if format != FORMAT || rest.len() < NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let payload = Payload {
            msg: ciphertext,
            aad: context.as_bytes(),
        };
        let json = Zeroizing::new(
            self.cipher()
                .decrypt(XNonce::from_slice(nonce), payload)
                .ok()?,
        );
        serde_json::from_slice(&json).ok()
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new(self.bytes().into())
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

type HmacSha256 = Hmac<Sha256>;

/// What the fingerprint key is derived for: no other use of the encryption key can produce
/// the same bytes.
const FINGERPRINT_LABEL: &[u8] = b"infobip-auth v2 store key fingerprint";

/// Names a credential in the store without revealing it: HMAC-SHA256 of its parts, keyed by a
/// key derived from the [`EncryptionKey`].
///
/// Keyed, so that the store's contents alone do not let anyone test guesses of a user name or
/// password against a key (an unkeyed hash of a password would); derived, so that the
/// encryption key is never used for two algorithms. Every process with the same encryption
/// key gives the same credential the same fingerprint, which is what lets them share its
/// entry.
pub(crate) struct Fingerprints {
    /// Keyed with the derived key; cloned for each fingerprint.
    mac: HmacSha256,
}

impl Fingerprints {
    pub(crate) fn new(key: &EncryptionKey) -> Self {
        // HKDF-Expand's one-block form (T(1) = HMAC(PRK, info || 0x01)); the encryption key is
        // already uniformly random, so it serves as the pseudorandom key without an extract.
        let mut derive = keyed(key.bytes());
        derive.update(FINGERPRINT_LABEL);
        derive.update(&[1]);
        let derived: Zeroizing<[u8; 32]> = Zeroizing::new(derive.finalize().into_bytes().into());
        Self {
            mac: keyed(&derived),
        }
    }

    /// The fingerprint of `parts`, in lowercase hex (64 digits). Each part is length-prefixed,
    /// so that no two lists of parts give the same input.
    pub(crate) fn of(&self, parts: &[&[u8]]) -> String {
        let mut mac = self.mac.clone();
        for part in parts {
            mac.update(&u64::try_from(part.len()).unwrap_or(u64::MAX).to_be_bytes());
            mac.update(part);
        }
        format!("{:x}", mac.finalize().into_bytes())
    }
}

/// HMAC-SHA256 keyed with 32 bytes.
fn keyed(key: &[u8; 32]) -> HmacSha256 {
    // HMAC pads a key shorter than its 64-byte block with zeros, so this is the MAC keyed with
    // the 32 bytes; given the whole block, its constructor cannot fail.
    let mut block = Zeroizing::new([0u8; 64]);
    block[..32].copy_from_slice(key);
    <HmacSha256 as KeyInit>::new((&*block).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Any value a store keeps: the sealing does not know what it seals.
    #[derive(Serialize, serde::Deserialize)]
    struct Kept {
        token: String,
    }

    fn entry(token: &str) -> Kept {
        Kept {
            token: token.to_owned(),
        }
    }

    #[test]
    fn entries_open_only_with_their_key_under_their_name_and_untouched() {
        let alice = EncryptionKey::from_bytes([1; 32]);
        let sealed = alice.seal("alice", &entry("tok-SECRET")).unwrap();
        assert_eq!(
            alice.open::<Kept>("alice", &sealed).unwrap().token,
            "tok-SECRET"
        );
        // Random nonces: the same token never seals to the same bytes.
        assert_ne!(alice.seal("alice", &entry("tok-SECRET")).unwrap(), sealed);
        assert!(!String::from_utf8_lossy(&sealed).contains("tok-SECRET"));

        // Another key; the same key under another store key (a copied entry); a flipped bit;
        // a cut value; an unknown format version.
        let other = EncryptionKey::from_bytes([2; 32]);
        assert!(other.open::<Kept>("alice", &sealed).is_none());
        assert!(alice.open::<Kept>("bob", &sealed).is_none());
        for i in [0, 1, 30, sealed.len() - 1] {
            let mut tampered = sealed.clone();
            tampered[i] ^= 1;
            assert!(
                alice.open::<Kept>("alice", &tampered).is_none(),
                "bit flipped at {i}"
            );
        }
        assert!(alice
            .open::<Kept>("alice", &sealed[..sealed.len() - 1])
            .is_none());
        assert!(alice.open::<Kept>("alice", &[]).is_none());
    }

    #[test]
    fn fingerprints_are_hmac_sha256_under_a_derived_key_and_tell_their_parts_apart() {
        // The 64-byte block the MAC is keyed with is the standard HMAC of the 32-byte key.
        let key = [5u8; 32];
        let mut standard = <HmacSha256 as Mac>::new_from_slice(&key).unwrap();
        standard.update(b"message");
        let mut ours = keyed(&key);
        ours.update(b"message");
        assert_eq!(
            ours.finalize().into_bytes(),
            standard.finalize().into_bytes()
        );

        let fingerprints = Fingerprints::new(&EncryptionKey::from_bytes(key));
        let fingerprint = fingerprints.of(&[b"ab", b"c"]);
        assert_eq!(fingerprint.len(), 64);
        assert_eq!(fingerprints.of(&[b"ab", b"c"]), fingerprint);
        // Length-prefixed parts: moving a byte from one part to the next changes it.
        assert_ne!(fingerprints.of(&[b"a", b"bc"]), fingerprint);
        // Derived, not the encryption key itself.
        let mut direct = keyed(&key);
        for part in [&b"ab"[..], b"c"] {
            direct.update(&(part.len() as u64).to_be_bytes());
            direct.update(part);
        }
        assert_ne!(format!("{:x}", direct.finalize().into_bytes()), fingerprint);
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
