//! The bulk actions' confirmation dialog and the "select all matching" answer.

use askama::Template;

/// The selection, carried from the bar to the confirmation and on to the change.
#[derive(Debug, Clone, Default)]
pub struct SelectionFields {
    pub ids: Vec<i64>,
    pub all_matching: bool,
    pub q: String,
    pub role: String,
    pub group: String,
    /// The user field filter: the field, its value, or "1" for is empty.
    pub field: String,
    pub field_value: String,
    pub field_empty: String,
    pub active: String,
    pub last_active: String,
    /// Set field's value.
    pub set_value: String,
}

#[derive(Template)]
#[template(path = "users/_bulk_confirm.html")]
pub struct BulkConfirm {
    pub action: String,
    pub label: String,
    pub selection: SelectionFields,
    pub changing: usize,
    pub unchanged: usize,
    /// The first of those left out, with why.
    pub left_out: Vec<String>,
    pub left_out_more: usize,
    pub refusal: Option<String>,
    pub is_delete: bool,
    pub owned: String,
    pub reassign_email: String,
    pub leave_unassigned: bool,
    pub reassign_error: Option<String>,
}

/// "All 1,234 users matching this filter are selected."
#[derive(Template)]
#[template(path = "users/_bulk_all.html")]
pub struct AllMatching {
    pub count: usize,
}

/// 1234567 → "1,234,567".
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl AllMatching {
    pub fn count_text(&self) -> String {
        thousands(self.count)
    }
}

impl BulkConfirm {
    pub fn owned_legend(&self) -> String {
        format!("They own {}. Give them to", self.owned)
    }

    pub fn field_id(&self) -> &'static str {
        "b-owner"
    }

    pub fn changing_text(&self) -> String {
        format!(
            "{} user{}",
            thousands(self.changing),
            if self.changing == 1 { "" } else { "s" }
        )
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_are_written_with_thousands_separators() {
        assert_eq!(super::thousands(7), "7");
        assert_eq!(super::thousands(1_234), "1,234");
        assert_eq!(super::thousands(100_000), "100,000");
    }
}
