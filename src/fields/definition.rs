//! What a user field is: its type, options, rules and who edits it.

use std::collections::BTreeSet;

use regex::Regex;

/// The types a field can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Text,
    Number,
    Checkbox,
    Choice,
    MultiChoice,
    Date,
    Email,
    Phone,
    Url,
    Secret,
}

impl Kind {
    pub const ALL: [Kind; 10] = [
        Kind::Text,
        Kind::Number,
        Kind::Checkbox,
        Kind::Choice,
        Kind::MultiChoice,
        Kind::Date,
        Kind::Email,
        Kind::Phone,
        Kind::Url,
        Kind::Secret,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Number => "number",
            Kind::Checkbox => "checkbox",
            Kind::Choice => "choice",
            Kind::MultiChoice => "multi_choice",
            Kind::Date => "date",
            Kind::Email => "email",
            Kind::Phone => "phone",
            Kind::Url => "url",
            Kind::Secret => "secret",
        }
    }

    pub fn parse(code: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Text => "Text",
            Kind::Number => "Number",
            Kind::Checkbox => "Checkbox",
            Kind::Choice => "Single choice",
            Kind::MultiChoice => "Multiple choice",
            Kind::Date => "Date",
            Kind::Email => "Email",
            Kind::Phone => "Phone",
            Kind::Url => "URL",
            Kind::Secret => "Secret",
        }
    }

    /// Single choice and multiple choice pick from options.
    pub fn has_options(self) -> bool {
        matches!(self, Kind::Choice | Kind::MultiChoice)
    }

    /// Types whose length and pattern an organization may limit.
    pub fn has_length(self) -> bool {
        matches!(
            self,
            Kind::Text | Kind::Secret | Kind::Phone | Kind::Email | Kind::Url
        )
    }

    /// Types a value of which can be unique in the organization.
    pub fn can_be_unique(self) -> bool {
        !matches!(self, Kind::Checkbox | Kind::MultiChoice | Kind::Secret)
    }

    /// Types the list's search looks into when marked searchable.
    pub fn can_be_searched(self) -> bool {
        matches!(self, Kind::Text | Kind::Email | Kind::Phone | Kind::Number)
    }
}

/// One option of a choice: the code stored and the label shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    pub code: String,
    pub label: String,
}

impl Choice {
    /// Options as Settings holds them: one per line, "code | Label" or a label that is its own
    /// code. Blank lines are skipped.
    pub fn parse_lines(text: &str) -> Vec<Choice> {
        text.lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(|line| match line.split_once('|') {
                Some((code, label)) => Choice {
                    code: code.trim().to_owned(),
                    label: label.trim().to_owned(),
                },
                None => Choice {
                    code: line.to_owned(),
                    label: line.to_owned(),
                },
            })
            .collect()
    }

    /// The lines again.
    pub fn lines(choices: &[Choice]) -> String {
        choices
            .iter()
            .map(|choice| {
                if choice.code == choice.label {
                    choice.code.clone()
                } else {
                    format!("{} | {}", choice.code, choice.label)
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// When a value must be given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Required {
    #[default]
    Never,
    Always,
    /// For users holding any of these roles.
    Roles(BTreeSet<i64>),
}

impl Required {
    pub fn code(&self) -> &'static str {
        match self {
            Required::Never => "never",
            Required::Always => "always",
            Required::Roles(_) => "roles",
        }
    }

    pub fn applies(&self, roles: &BTreeSet<i64>) -> bool {
        match self {
            Required::Never => false,
            Required::Always => true,
            Required::Roles(required) => !required.is_disjoint(roles),
        }
    }

    pub fn role_ids(&self) -> String {
        match self {
            Required::Roles(ids) => ids.iter().map(i64::to_string).collect::<Vec<_>>().join(","),
            _ => String::new(),
        }
    }
}

/// Who sees and edits a field besides nobody.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Access {
    /// Administrators (those who may edit the user's profile).
    #[default]
    Admins,
    /// Administrators, and the user on My account.
    SelfEdit,
}

impl Access {
    pub fn code(self) -> &'static str {
        match self {
            Access::Admins => "admins",
            Access::SelfEdit => "self",
        }
    }

    pub fn parse(code: &str) -> Option<Access> {
        match code {
            "admins" => Some(Access::Admins),
            "self" => Some(Access::SelfEdit),
            _ => None,
        }
    }
}

/// One field, ready to check values.
#[derive(Debug, Clone)]
pub struct Field {
    pub id: i64,
    pub key: String,
    pub label: String,
    pub kind: Kind,
    pub section: String,
    pub position: i32,
    pub help: String,
    pub required: Required,
    pub unique: bool,
    pub min_length: Option<i32>,
    pub max_length: Option<i32>,
    /// Anchored: the whole value must match.
    pub pattern: Option<Regex>,
    /// The pattern as the organization wrote it.
    pub pattern_source: String,
    pub pattern_message: String,
    pub options: Vec<Choice>,
    /// (field key, value): shown only while that field holds that value.
    pub show_when: Option<(String, String)>,
    pub access: Access,
    pub searchable: bool,
}

impl Field {
    /// The option a posted value names, by code or label, whatever the case.
    pub fn choice(&self, value: &str) -> Option<&Choice> {
        let value = value.trim();
        self.options.iter().find(|c| c.code == value).or_else(|| {
            self.options
                .iter()
                .find(|c| c.code.eq_ignore_ascii_case(value) || c.label.eq_ignore_ascii_case(value))
        })
    }

    /// The label of a stored value (a choice's label; other values as they are).
    pub fn display(&self, value: &str) -> String {
        match self.options.iter().find(|c| c.code == value) {
            Some(choice) if self.kind.has_options() => choice.label.clone(),
            _ => value.to_owned(),
        }
    }

    pub fn pattern_message(&self) -> String {
        if self.pattern_message.is_empty() {
            format!("Enter {} in the expected format.", self.label)
        } else {
            self.pattern_message.clone()
        }
    }

    /// Compiles the pattern (anchored, size-limited: the regex crate runs in linear time).
    pub fn set_pattern(&mut self, source: &str, message: &str) -> Result<(), String> {
        self.pattern_source = source.to_owned();
        self.pattern_message = message.to_owned();
        self.pattern = compile(source)?;
        Ok(())
    }

    pub fn is_secret(&self) -> bool {
        self.kind == Kind::Secret
    }

    /// A field with defaults, for tests.
    pub fn for_test(key: &str, label: &str, kind: Kind) -> Field {
        Field {
            id: 0,
            key: key.into(),
            label: label.into(),
            kind,
            section: String::new(),
            position: 0,
            help: String::new(),
            required: Required::Never,
            unique: false,
            min_length: None,
            max_length: None,
            pattern: None,
            pattern_source: String::new(),
            pattern_message: String::new(),
            options: Vec::new(),
            show_when: None,
            access: Access::Admins,
            searchable: false,
        }
    }
}

/// An organization's pattern, anchored so the whole value must match; `None` when blank.
pub fn compile(source: &str) -> Result<Option<Regex>, String> {
    let source = source.trim();
    if source.is_empty() {
        return Ok(None);
    }
    regex::RegexBuilder::new(&format!("^(?:{source})$"))
        .size_limit(1 << 20)
        .build()
        .map(Some)
        .map_err(|_| "This pattern is not a valid regular expression.".to_owned())
}
