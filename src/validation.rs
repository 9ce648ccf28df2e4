//! Field-level validation as plain data: messages that the pages show beside their fields (and
//! the API will return as problem details), with no web types in it.

#[derive(Debug, Default, Clone)]
pub struct FieldErrors(Vec<(std::borrow::Cow<'static, str>, String)>);

impl FieldErrors {
    /// One message for one field.
    pub fn one(field: &'static str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::default();
        errors.add(field, message);
        errors
    }

    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        if self.get(field).is_none() {
            self.0.push((field.into(), message.into()));
        }
    }

    /// A message for a field whose name is made at run time (an organization's user field).
    pub fn add_named(&mut self, field: String, message: impl Into<String>) {
        if self.get(&field).is_none() {
            self.0.push((field.into(), message.into()));
        }
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(name, _)| name == field)
            .map(|(_, message)| message.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Each field's name and message, in the order they were added.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .map(|(name, message)| (name.as_ref(), message.as_str()))
    }

    /// Requires a non-blank single line of text, returning it trimmed.
    pub fn required(&mut self, field: &'static str, value: &str, label: &str) -> String {
        let value = value.trim();
        if value.is_empty() {
            self.add(field, format!("Enter {label}."));
        } else if let Some(problem) = crate::users::single_line_problem(value) {
            self.add(field, problem);
        }
        value.to_owned()
    }
}

/// An email address: trimmed, lower case, of a plausible shape (delivery proves the rest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let email = crate::users::normalize_email(raw);
        if crate::users::is_valid_email(&email) {
            Ok(Self(email))
        } else {
            Err("Enter an email address like name@example.com.")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A first or last name: one line of plain text, trimmed, 1 to 100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    /// `what` names the field in the message: "a first name".
    pub fn parse(raw: &str, what: &str) -> Result<Self, String> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(format!("Enter {what}."));
        }
        if let Some(problem) = crate::users::single_line_problem(name) {
            return Err(problem.to_owned());
        }
        if name.chars().count() > 100 {
            return Err("Names are limited to 100 characters.".to_owned());
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_names_are_parsed_once_into_values() {
        assert_eq!(
            EmailAddress::parse(" Ada@X.io ").unwrap().as_str(),
            "ada@x.io"
        );
        assert!(EmailAddress::parse("ada@").is_err());
        assert_eq!(
            PersonName::parse("  Ada ", "a first name")
                .unwrap()
                .as_str(),
            "Ada"
        );
        assert_eq!(
            PersonName::parse(" ", "a first name").unwrap_err(),
            "Enter a first name."
        );
        assert!(PersonName::parse("A\nda", "a first name").is_err());
        assert!(PersonName::parse(&"x".repeat(101), "a last name").is_err());
    }
}
