//! The secrets of the second step: TOTP (RFC 6238, the authenticator apps' default of SHA-1,
//! 6 digits, 30 s), recovery codes and emailed sign-in codes.

use base64::Engine;
use rand::Rng;
use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Secret, TOTP};

/// Seconds per TOTP step.
pub const STEP_SECONDS: i64 = 30;
/// Recovery codes handed out at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// How long an emailed sign-in code stays valid, and how many tries it allows.
pub const EMAIL_CODE_MINUTES: i64 = 10;
pub const EMAIL_CODE_TRIES: i32 = 5;

/// A new TOTP secret: 160 random bits (RFC 4226's recommendation), base32 as apps expect.
pub fn new_totp_secret() -> String {
    let bytes: [u8; 20] = rand::thread_rng().gen();
    Secret::Raw(bytes.to_vec()).to_encoded().to_string()
}

fn totp(secret_b32: &str, account: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret_b32.to_owned()).to_bytes().ok()?;
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECONDS as u64,
        bytes,
        Some("Gatehouse".into()),
        account.to_owned(),
    )
    .ok()
}

/// The `otpauth://` URL an authenticator app reads from the QR code.
pub fn otpauth_url(secret_b32: &str, account: &str) -> Option<String> {
    totp(secret_b32, account).map(|t| t.get_url())
}

/// The code an authenticator shows at unix time `at` (tests compute codes with this too).
pub fn totp_code(secret_b32: &str, at: i64) -> Option<String> {
    totp(secret_b32, "").map(|t| t.generate(at.max(0) as u64))
}

/// The step a code belongs to, when it is right for `now` give or take one step of clock
/// drift. The caller refuses steps at or before the last one used (replays).
pub fn totp_step(secret_b32: &str, code: &str, now_unix: i64) -> Option<i64> {
    let code = code.trim().replace(' ', "");
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp(secret_b32, "")?;
    let current = now_unix.div_euclid(STEP_SECONDS);
    (current - 1..=current + 1).find(|step| {
        let expected = totp.generate((step * STEP_SECONDS) as u64);
        constant_time_eq(expected.as_bytes(), code.as_bytes())
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The QR code of `text` as an SVG document (no scripts, no styles: the CSP allows it inline).
pub fn qr_svg(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .dark_color(qrcode::render::svg::Color("#000000"))
            .light_color(qrcode::render::svg::Color("#ffffff"))
            .build(),
    )
}

/// Ten recovery codes like `k7qfm-x2c9d` (50 random bits each, no look-alike characters).
pub fn new_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::thread_rng();
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut code: String = (0..10)
                .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
                .collect();
            code.insert(5, '-');
            code
        })
        .collect()
}

/// What is stored of a recovery code: SHA-256 of its normalized form, so the dash and case
/// a person types do not matter.
pub fn recovery_hash(code: &str) -> String {
    let normalized: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    hex::encode(Sha256::digest(normalized.as_bytes()))
}

/// Looks like a recovery code rather than a 6-digit code.
pub fn is_recovery_format(code: &str) -> bool {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).count() == 10
}

/// A 6-digit emailed code, and the random salt its stored hash is made with (six digits alone
/// would collide between users in the unique hash column and be trivial to reverse).
pub fn new_email_code() -> (String, String) {
    let mut rng = rand::thread_rng();
    let code = format!("{:06}", rng.gen_range(0..1_000_000));
    let salt_bytes: [u8; 16] = rng.gen();
    let salt = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(salt_bytes);
    (code, salt)
}

pub fn email_code_hash(salt: &str, code: &str) -> String {
    hex::encode(Sha256::digest(format!("{salt}:{}", code.trim()).as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_totp_code_matches_its_step_and_one_step_of_drift_but_no_more() {
        let secret = new_totp_secret();
        let now = 1_800_000_000;
        let code = totp_code(&secret, now).unwrap();
        assert_eq!(totp_step(&secret, &code, now), Some(now / 30));
        assert_eq!(totp_step(&secret, &code, now + 30), Some(now / 30));
        assert_eq!(totp_step(&secret, &code, now - 30), Some(now / 30));
        assert_eq!(totp_step(&secret, &code, now + 90), None);
        assert_eq!(totp_step(&secret, "12345", now), None);
        assert_eq!(totp_step(&secret, "abcdef", now), None);
    }

    #[test]
    fn recovery_codes_are_distinct_and_hash_the_same_however_they_are_typed() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        assert!(codes.iter().all(|c| c.len() == 11 && is_recovery_format(c)));
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 10);
        assert_eq!(recovery_hash("ABCDE-fghjk"), recovery_hash("abcdefghjk"));
    }

    #[test]
    fn the_qr_code_is_an_svg_without_scripts_or_styles() {
        let svg = qr_svg("otpauth://totp/Gatehouse:ada?secret=ABC").unwrap();
        assert!(svg.contains("<svg"));
        assert!(!svg.contains("<script") && !svg.contains("style="));
    }
}
