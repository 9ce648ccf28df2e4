//! The keyboard: key presses and typing go to whatever has focus (nothing is clicked or
//! focused first), and the focused element is described by its accessible name.

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;

use super::Browser;

impl Browser {
    /// Presses keys on whatever has focus (no element is clicked or focused first).
    pub async fn press(&self, keys: &[Key]) {
        let mut actions = KeyActions::new("keyboard".into());
        for key in keys {
            let value: char = (*key).into();
            actions = actions
                .then(KeyAction::Down { value })
                .then(KeyAction::Up { value });
        }
        self.client
            .perform_actions(actions)
            .await
            .expect("key presses");
    }

    /// Presses `key` while holding Shift (Shift+Tab).
    pub async fn press_shifted(&self, key: Key) {
        let (shift, value): (char, char) = (Key::Shift.into(), key.into());
        let actions = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: shift })
            .then(KeyAction::Down { value })
            .then(KeyAction::Up { value })
            .then(KeyAction::Up { value: shift });
        self.client
            .perform_actions(actions)
            .await
            .expect("shifted key press");
    }

    /// Types text into whatever has focus.
    pub async fn type_text(&self, text: &str) {
        let mut actions = KeyActions::new("keyboard".into());
        for value in text.chars() {
            actions = actions
                .then(KeyAction::Down { value })
                .then(KeyAction::Up { value });
        }
        self.client.perform_actions(actions).await.expect("typing");
    }

    /// Describes the focused element by its accessible name: `tag "name"`.
    pub async fn focused(&self) -> String {
        let described = self
            .eval(
                "const e = document.activeElement; if (!e || e === document.body) return 'body';\n\
                 const label = e.getAttribute('aria-label') || (e.labels && e.labels[0] && e.labels[0].innerText)\n\
                   || e.innerText || e.value || e.name || '';\n\
                 return e.tagName.toLowerCase() + ' ' + JSON.stringify(label.trim().replace(/\\s+/g, ' '));",
            )
            .await;
        described.as_str().unwrap_or_default().to_owned()
    }

    /// Presses Tab until the focused element's description is `target` (at most `limit` times).
    pub async fn tab_to(&self, target: &str, limit: usize) {
        let mut seen = Vec::new();
        for _ in 0..limit {
            self.press(&[Key::Tab]).await;
            let now = self.focused().await;
            if now == target {
                return;
            }
            seen.push(now);
        }
        panic!(
            "{}: Tab never reached {target} in {limit} presses; focus went through:\n{}",
            self.test,
            seen.join("\n")
        );
    }
}
