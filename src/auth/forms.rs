//! The sign-in form.

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub next: String,
    /// "Continue with single sign-on": the email's domain chooses the provider.
    #[serde(default)]
    pub sso: String,
}

/// Where to go after signing in: only a path on this site, never another host. Browsers
/// drop tabs and line breaks from a URL and read `\\` as `/`, so `/\t/evil.test` would become
/// `//evil.test`: any whitespace, control character or backslash refuses the target, and
/// what is left must resolve to this very origin.
pub fn safe_next(next: &str) -> Option<&str> {
    const HERE: &str = "http://gatehouse.invalid/";
    let plain = next.starts_with('/')
        && !next.starts_with("//")
        && next.len() <= 2_000
        && !next
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '\\');
    let same_origin = || {
        url::Url::parse(HERE)
            .and_then(|base| base.join(next))
            .is_ok_and(|target| {
                target.scheme() == "http"
                    && target.host_str() == Some("gatehouse.invalid")
                    && target.port().is_none()
            })
    };
    (plain && same_origin()).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next("/users?q=ada"), Some("/users?q=ada"));
        assert_eq!(safe_next("//evil.example"), None);
        assert_eq!(safe_next("https://evil.example"), None);
        assert_eq!(safe_next("/\\evil.example"), None);
        assert_eq!(safe_next(""), None);
        for hostile in [
            "/\t/evil.test",
            "/\n/x",
            "/\r\n/x",
            "/ /evil.test",
            "/\u{0}x",
            "/%09/evil.test",
        ] {
            let decoded = hostile.replace("%09", "\t");
            assert_eq!(safe_next(&decoded), None, "{hostile:?}");
        }
        assert_eq!(safe_next("/users?q=a%2Fb"), Some("/users?q=a%2Fb"));
    }
}
