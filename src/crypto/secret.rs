//! Random tokens and their stored form.

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A fresh random token (32 bytes, URL-safe base64).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The characters of a recovery code: lower-case letters and digits without the ones that
/// look alike (0/o, 1/l/i).
const RECOVERY_ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";

/// A fresh recovery code for the second factor: 16 characters (about 79 bits) in four groups,
/// `abcd-efgh-jkmn-pqrs`. Stored as its [`token_hash`] after
/// `domain::second_factor::normalize_recovery_code`.
pub fn random_recovery_code() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    let mut code = String::with_capacity(19);
    for i in 0..16 {
        if i > 0 && i % 4 == 0 {
            code.push('-');
        }
        code.push(RECOVERY_ALPHABET[rng.gen_range(0..RECOVERY_ALPHABET.len())] as char);
    }
    code
}

/// Fresh random bytes (a TOTP secret).
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes
}

/// What is stored of a token: its SHA-256, hex. Tokens have 256 bits of entropy, so a
/// plain hash (no salt, no stretching) is enough and allows lookup.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares two strings in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
