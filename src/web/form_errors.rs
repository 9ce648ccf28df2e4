//! Messages shown beside form fields.

#[derive(Debug, Default, Clone)]
pub struct FieldErrors(Vec<(&'static str, String)>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        if self.get(field).is_none() {
            self.0.push((field, message.into()));
        }
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, message)| message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Requires a non-blank value, returning it trimmed.
    pub fn required(&mut self, field: &'static str, value: &str, label: &str) -> String {
        let value = value.trim();
        if value.is_empty() {
            self.add(field, format!("Enter {label}."));
        }
        value.to_owned()
    }
}
