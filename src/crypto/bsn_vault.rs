//! BSNs at rest: encrypted with AES-256-GCM, found through an HMAC-SHA256 lookup hash.
//! Both keys are derived from the configured BSN key, so one secret serves both and
//! neither key is the other.

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
        let cipher = Aes256Gcm::new_from_slice(&self.encryption_key)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let mut nonce = [0u8; 12];
        rand::thread_rng().fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(Nonce::from_slice(&nonce), bsn.as_str().as_bytes())
            .map_err(|_| AppError::Internal("BSN versleutelen mislukt".into()))?;
        let mut out = nonce.to_vec();
        out.extend(sealed);
        Ok(base64::engine::general_purpose::STANDARD.encode(out))
    }

    pub fn decrypt(&self, stored: &str) -> AppResult<Bsn> {
        let fail = || AppError::Internal("BSN ontsleutelen mislukt (verkeerde sleutel?)".into());
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(stored)
            .map_err(|_| fail())?;
        if bytes.len() < 13 {
            return Err(fail());
        }
        let (nonce, sealed) = bytes.split_at(12);
        let cipher = Aes256Gcm::new_from_slice(&self.encryption_key).map_err(|_| fail())?;
        let plain = cipher
            .decrypt(Nonce::from_slice(nonce), sealed)
            .map_err(|_| fail())?;
        Bsn::parse(std::str::from_utf8(&plain).map_err(|_| fail())?).map_err(|_| fail())
    }
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
}
