//! The browser suite: headless Chromium (Debian's `chromium` + `chromium-driver`) clicking
//! through the real app as a person would, with axe-core checking every page and dialog.
//!
//! Each test starts the app on a random port against a fresh database and a real SMTP server
//! on loopback (the API suite's helpers), its own chromedriver, and one Chromium per browser
//! (each with a fresh profile). Where Chromium, chromedriver or axe-core is missing the tests
//! say so and pass, unless `GATEHOUSE_REQUIRE_BROWSER=1` (set by `.ci/run`) makes that a failure.

// The API suite's helpers, shared; each binary uses a different part of them.
#[path = "../api/helpers.rs"]
#[allow(dead_code)]
mod helpers;
#[path = "../api/smtp.rs"]
#[allow(dead_code)]
mod smtp;

#[path = "../api/idp.rs"]
#[allow(dead_code)]
mod idp;

mod harness;

mod account;
mod activity;
mod authority;
mod axe_sweep;
mod bulk;
mod delete;
mod edit;
mod export;
mod fields;
mod groups;
mod invite;
mod keyboard;
mod layout;
mod mfa;
mod no_js;
mod roles;
mod row_menu;
mod sso;
mod tokens;
mod workspaces;
