//! SCIM filters (RFC 7644 §3.4.2.2): parsed into a tree, then written as SQL over an
//! allowlist of attributes, each served by an index of `users` (email, username, external
//! id, id) or a column beside them; an attribute outside the list is refused with
//! `invalidFilter` rather than scanned.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Number(f64),
    Bool(bool),
    Null,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Compare(String, Op, Value),
    Present(String),
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `emails[type eq "work"]` (the inner filter applies to the attribute's values).
    Values(String, Box<Filter>),
}

const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:user:";

/// The attribute path as compared: lower case, without the core schema's URN.
pub fn normalize(path: &str) -> String {
    let lower = path.to_lowercase();
    lower.strip_prefix(CORE).unwrap_or(&lower).to_owned()
}

/// The longest filter, the deepest nesting and the most comparisons one may hold: a provider
/// sends a handful; a flood of parentheses must not exhaust a worker's stack.
const MAX_LENGTH: usize = 4_096;
const MAX_DEPTH: usize = 16;
const MAX_TERMS: usize = 64;

struct Parser<'a> {
    text: &'a str,
    at: usize,
    depth: usize,
    terms: usize,
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.text[self.at..]
    }

    fn skip_spaces(&mut self) {
        while self.rest().starts_with(' ') {
            self.at += 1;
        }
    }

    /// A word (an attribute path, an operator, a literal), up to a space, bracket or paren.
    fn word(&mut self) -> &'a str {
        self.skip_spaces();
        let rest = self.rest();
        let end = rest.find([' ', '(', ')', '[', ']']).unwrap_or(rest.len());
        self.at += end;
        &rest[..end]
    }

    fn peek_word(&mut self) -> String {
        let at = self.at;
        let word = self.word().to_lowercase();
        self.at = at;
        word
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_spaces();
        if self.rest().starts_with(c) {
            self.at += c.len_utf8();
            true
        } else {
            false
        }
    }

    /// One level deeper (a parenthesis, `not`, a value filter), within the limit.
    fn deeper(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!("filters nest at most {MAX_DEPTH} deep"));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Filter, String> {
        let mut left = self.and()?;
        while self.peek_word() == "or" {
            self.word();
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, String> {
        let mut left = self.not()?;
        while self.peek_word() == "and" {
            self.word();
            left = Filter::And(Box::new(left), Box::new(self.not()?));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Filter, String> {
        if self.peek_word() == "not" {
            self.word();
            if !self.eat('(') {
                return Err("not takes a filter in parentheses".into());
            }
            self.deeper()?;
            let inner = self.or()?;
            if !self.eat(')') {
                return Err("a parenthesis is not closed".into());
            }
            self.depth -= 1;
            return Ok(Filter::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Filter, String> {
        if self.eat('(') {
            self.deeper()?;
            let inner = self.or()?;
            if !self.eat(')') {
                return Err("a parenthesis is not closed".into());
            }
            self.depth -= 1;
            return Ok(inner);
        }
        self.terms += 1;
        if self.terms > MAX_TERMS {
            return Err(format!("a filter holds at most {MAX_TERMS} comparisons"));
        }
        let path = self.word();
        if path.is_empty() {
            return Err("an attribute is missing".into());
        }
        if self.rest().starts_with('[') {
            self.at += 1;
            self.deeper()?;
            let inner = self.or()?;
            if !self.eat(']') {
                return Err("a bracket is not closed".into());
            }
            self.depth -= 1;
            // `emails[type eq "work"].value` compares a sub-attribute of the chosen values.
            let sub = if self.rest().starts_with('.') {
                self.at += 1;
                Some(self.word().to_owned())
            } else {
                None
            };
            let values = Filter::Values(normalize(path), Box::new(inner));
            return match sub {
                None => Ok(values),
                Some(sub) => {
                    let op = self.op()?;
                    let value = self.value()?;
                    let compare = Filter::Compare(
                        format!("{}.{}", normalize(path), sub.to_lowercase()),
                        op,
                        value,
                    );
                    Ok(Filter::And(Box::new(values), Box::new(compare)))
                }
            };
        }
        let word = self.peek_word();
        if word == "pr" {
            self.word();
            return Ok(Filter::Present(normalize(path)));
        }
        let op = self.op()?;
        let value = self.value()?;
        Ok(Filter::Compare(normalize(path), op, value))
    }

    fn op(&mut self) -> Result<Op, String> {
        let word = self.word().to_lowercase();
        Ok(match word.as_str() {
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "co" => Op::Co,
            "sw" => Op::Sw,
            "ew" => Op::Ew,
            "gt" => Op::Gt,
            "ge" => Op::Ge,
            "lt" => Op::Lt,
            "le" => Op::Le,
            other => return Err(format!("“{other}” is not an operator")),
        })
    }

    fn value(&mut self) -> Result<Value, String> {
        self.skip_spaces();
        if self.rest().starts_with('"') {
            // A JSON string, escapes included.
            let rest = self.rest();
            let mut end = None;
            let mut escaped = false;
            for (i, c) in rest.char_indices().skip(1) {
                match c {
                    '\\' if !escaped => escaped = true,
                    '"' if !escaped => {
                        end = Some(i);
                        break;
                    }
                    _ => escaped = false,
                }
            }
            let end = end.ok_or("a string is not closed")?;
            let text: String = serde_json::from_str(&rest[..=end]).map_err(|e| e.to_string())?;
            self.at += end + 1;
            return Ok(Value::Text(text));
        }
        let word = self.word();
        match word.to_lowercase().as_str() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            "null" => Ok(Value::Null),
            _ => word
                .parse()
                .map(Value::Number)
                .map_err(|_| format!("“{word}” is not a value")),
        }
    }
}

pub fn parse(text: &str) -> Result<Filter, String> {
    if text.len() > MAX_LENGTH {
        return Err(format!("a filter is at most {MAX_LENGTH} characters"));
    }
    let mut parser = Parser {
        text,
        at: 0,
        depth: 0,
        terms: 0,
    };
    let filter = parser.or()?;
    parser.skip_spaces();
    if !parser.rest().is_empty() {
        return Err(format!("unexpected “{}”", parser.rest()));
    }
    Ok(filter)
}

mod sql;
pub use sql::{compare_text, to_sql};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::sql::Sql;

    #[test]
    fn filters_parse_with_precedence_value_paths_and_urns() {
        let f =
            parse(r#"userName eq "Ada@Acme.io" and (active eq true or not (emails pr))"#).unwrap();
        assert!(matches!(f, Filter::And(..)));
        let f = parse(r#"emails[type eq "work"].value eq "a@b.c""#).unwrap();
        assert!(matches!(f, Filter::And(..)));
        let f = parse(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x""#).unwrap();
        assert_eq!(
            f,
            Filter::Compare("username".into(), Op::Eq, Value::Text("x".into()))
        );
        assert!(parse(r#"userName zz "x""#).is_err());
        assert!(parse(r#"(userName eq "x""#).is_err());
        assert!(parse(r#"userName eq "x" trailing"#).is_err());
        assert_eq!(
            parse(r#"displayName eq "a \"quoted\" name""#).unwrap(),
            Filter::Compare(
                "displayname".into(),
                Op::Eq,
                Value::Text("a \"quoted\" name".into())
            )
        );
    }

    #[test]
    fn deep_or_long_filters_are_refused_before_they_recurse() {
        let deep = format!(
            "{}userName eq \"x\"{}",
            "(".repeat(10_000),
            ")".repeat(10_000)
        );
        assert!(parse(&deep).is_err());
        let nots = format!("{}userName eq \"x\"{}", "not (".repeat(40), ")".repeat(40));
        assert!(parse(&nots).unwrap_err().contains("nest"));
        let many = [r#"userName eq "x""#; 65].join(" or ");
        assert!(parse(&many).unwrap_err().contains("comparisons"));
        let fine = [r#"userName eq "x""#; 10].join(" or ");
        assert!(parse(&fine).is_ok());
    }

    #[test]
    fn an_attribute_outside_the_list_is_refused() {
        let mut sql = Sql::new();
        assert!(to_sql(&parse(r#"title eq "x""#).unwrap(), 1, &mut sql).is_err());
    }
}
