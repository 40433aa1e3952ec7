//! BSNs at rest: encrypted with AES-256-GCM, found through an HMAC-SHA256 lookup hash.
//! Both keys are derived from the configured BSN key, so one secret serves both and
//! neither key is the other. Other secrets at rest (a user's TOTP secret) are sealed the
//! same way with a third key derived from it ([`BsnVault::encrypt_secret`]).

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use crate::domain::bsn::Bsn;
use crate::error::{AppError, AppResult};

type HmacSha256 = Hmac<Sha256>;

pub struct BsnVault {
    encryption_key: [u8; 32],
    lookup_key: [u8; 32],
    secret_key: [u8; 32],
}

fn derive(master: &[u8; 32], label: &[u8]) -> [u8; 32] {
    let mut mac = <HmacSha256 as Mac>::new_from_slice(master)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(label);
    mac.finalize().into_bytes().into()
}

impl BsnVault {
    pub fn new(master: &[u8; 32]) -> BsnVault {
        BsnVault {
            encryption_key: derive(master, b"plusmarkt bsn encryption v1"),
            lookup_key: derive(master, b"plusmarkt bsn lookup v1"),
            secret_key: derive(master, b"plusmarkt secrets at rest v1"),
        }
    }

    /// The keyed hash a BSN is found by; equal BSNs give equal hashes.
    pub fn lookup_hash(&self, bsn: &Bsn) -> String {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.lookup_key)
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(bsn.as_str().as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    /// `base64(nonce || ciphertext)`.
    pub fn encrypt(&self, bsn: &Bsn) -> AppResult<String> {
        seal(&self.encryption_key, bsn.as_str().as_bytes())
            .ok_or_else(|| AppError::Internal("BSN versleutelen mislukt".into()))
    }

    pub fn decrypt(&self, stored: &str) -> AppResult<Bsn> {
        let fail = || AppError::Internal("BSN ontsleutelen mislukt (verkeerde sleutel?)".into());
        let plain = open(&self.encryption_key, stored).ok_or_else(fail)?;
        Bsn::parse(std::str::from_utf8(&plain).map_err(|_| fail())?).map_err(|_| fail())
    }

    /// Any other secret at rest (a TOTP secret), sealed with its own key:
    /// `base64(nonce || ciphertext)`.
    pub fn encrypt_secret(&self, secret: &[u8]) -> AppResult<String> {
        seal(&self.secret_key, secret)
            .ok_or_else(|| AppError::Internal("geheim versleutelen mislukt".into()))
    }

    /// The secret that [`BsnVault::encrypt_secret`] sealed.
    pub fn decrypt_secret(&self, stored: &str) -> AppResult<Vec<u8>> {
        open(&self.secret_key, stored).ok_or_else(|| {
            AppError::Internal("geheim ontsleutelen mislukt (verkeerde sleutel?)".into())
        })
    }
}

/// AES-256-GCM with a fresh random nonce: `base64(nonce || ciphertext)`.
fn seal(key: &[u8; 32], plain: &[u8]) -> Option<String> {
    let cipher = Aes256Gcm::new_from_slice(key).ok()?;
    let mut nonce = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut nonce);
    let sealed = cipher.encrypt(Nonce::from_slice(&nonce), plain).ok()?;
    let mut out = nonce.to_vec();
    out.extend(sealed);
    Some(base64::engine::general_purpose::STANDARD.encode(out))
}

/// What [`seal`] sealed; `None` for anything else or another key.
fn open(key: &[u8; 32], stored: &str) -> Option<Vec<u8>> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(stored)
        .ok()?;
    if bytes.len() < 13 {
        return None;
    }
    let (nonce, sealed) = bytes.split_at(12);
    let cipher = Aes256Gcm::new_from_slice(key).ok()?;
    cipher.decrypt(Nonce::from_slice(nonce), sealed).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypts_round_trips_and_hides_the_number() {
        let vault = BsnVault::new(&[9u8; 32]);
        let bsn = Bsn::parse("999990019").unwrap();
        let a = vault.encrypt(&bsn).unwrap();
        let b = vault.encrypt(&bsn).unwrap();
        assert_ne!(a, b, "a fresh nonce every time");
        assert!(!a.contains("999990019"));
        assert_eq!(vault.decrypt(&a).unwrap().as_str(), "999990019");
        assert_eq!(
            vault.lookup_hash(&bsn),
            vault.lookup_hash(&Bsn::parse("999990019").unwrap())
        );
        let other = BsnVault::new(&[8u8; 32]);
        assert!(other.decrypt(&a).is_err());
        assert_ne!(other.lookup_hash(&bsn), vault.lookup_hash(&bsn));
    }

    #[test]
    fn other_secrets_are_sealed_with_their_own_key() {
        let vault = BsnVault::new(&[9u8; 32]);
        let sealed = vault.encrypt_secret(b"twenty bytes secret!").unwrap();
        assert_ne!(
            sealed,
            vault.encrypt_secret(b"twenty bytes secret!").unwrap()
        );
        assert_eq!(
            vault.decrypt_secret(&sealed).unwrap(),
            b"twenty bytes secret!"
        );
        assert!(BsnVault::new(&[8u8; 32]).decrypt_secret(&sealed).is_err());
        // Not with the BSN key: a sealed BSN is not a secret and the other way round.
        let bsn = vault.encrypt(&Bsn::parse("999990019").unwrap()).unwrap();
        assert!(vault.decrypt_secret(&bsn).is_err());
        assert!(vault.decrypt(&sealed).is_err());
    }
}
