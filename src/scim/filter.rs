//! SCIM filters (RFC 7644 §3.4.2.2): parsed into a tree, then written as SQL over an
//! allowlist of attributes, each served by an index of `users` (email, username, external
//! id, id) or a column beside them; an attribute outside the list is refused with
//! `invalidFilter` rather than scanned.

use crate::db::sql::{like_escape, Bind, Sql};

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

struct Parser<'a> {
    text: &'a str,
    at: usize,
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
        let end = rest
            .find([' ', '(', ')', '[', ']'])
            .unwrap_or(rest.len());
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
            let inner = self.or()?;
            if !self.eat(')') {
                return Err("a parenthesis is not closed".into());
            }
            return Ok(Filter::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Filter, String> {
        if self.eat('(') {
            let inner = self.or()?;
            if !self.eat(')') {
                return Err("a parenthesis is not closed".into());
            }
            return Ok(inner);
        }
        let path = self.word();
        if path.is_empty() {
            return Err("an attribute is missing".into());
        }
        if self.rest().starts_with('[') {
            self.at += 1;
            let inner = self.or()?;
            if !self.eat(']') {
                return Err("a bracket is not closed".into());
            }
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
    let mut parser = Parser { text, at: 0 };
    let filter = parser.or()?;
    parser.skip_spaces();
    if !parser.rest().is_empty() {
        return Err(format!("unexpected “{}”", parser.rest()));
    }
    Ok(filter)
}

fn text_of(value: &Value) -> Result<String, String> {
    match value {
        Value::Text(t) => Ok(t.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => Err("null compares only with eq and ne".into()),
    }
}

/// A text comparison on a column.
fn compare_text(
    sql: &mut Sql,
    column: &str,
    op: Op,
    value: &str,
    lower: bool,
) -> Result<(), String> {
    let value = if lower {
        value.to_lowercase()
    } else {
        value.to_owned()
    };
    let (operator, bound) = match op {
        Op::Eq => ("=", value),
        Op::Ne => ("<>", value),
        Op::Co => ("LIKE", format!("%{}%", like_escape(&value))),
        Op::Sw => ("LIKE", format!("{}%", like_escape(&value))),
        Op::Ew => ("LIKE", format!("%{}", like_escape(&value))),
        Op::Gt => (">", value),
        Op::Ge => (">=", value),
        Op::Lt => ("<", value),
        Op::Le => ("<=", value),
    };
    sql.push(&format!("{column} {operator} "));
    sql.bind(Bind::Text(bound));
    if operator == "LIKE" {
        sql.push(" ESCAPE '\\'");
    }
    Ok(())
}

fn compare_time(sql: &mut Sql, column: &str, op: Op, value: &Value) -> Result<(), String> {
    let text = text_of(value)?;
    let time = chrono::DateTime::parse_from_rfc3339(&text)
        .map_err(|_| format!("“{text}” is not an RFC 3339 time"))?
        .naive_utc();
    let operator = match op {
        Op::Eq => "=",
        Op::Ne => "<>",
        Op::Gt => ">",
        Op::Ge => ">=",
        Op::Lt => "<",
        Op::Le => "<=",
        _ => return Err("dates compare with eq, ne, gt, ge, lt and le".into()),
    };
    sql.push(&format!("{column} {operator} "));
    sql.bind(Bind::Time(time));
    Ok(())
}

/// Writes the filter as a condition on `u` (users) of organization `org_id`.
pub fn to_sql(filter: &Filter, org_id: i64, sql: &mut Sql) -> Result<(), String> {
    match filter {
        Filter::And(a, b) | Filter::Or(a, b) => {
            let joiner = if matches!(filter, Filter::And(..)) {
                " AND "
            } else {
                " OR "
            };
            sql.push("(");
            to_sql(a, org_id, sql)?;
            sql.push(joiner);
            to_sql(b, org_id, sql)?;
            sql.push(")");
        }
        Filter::Not(inner) => {
            sql.push("NOT (");
            to_sql(inner, org_id, sql)?;
            sql.push(")");
        }
        // One email and one phone, both of type work: a value filter on their type holds when
        // it asks for work (or anything true of the one value).
        Filter::Values(path, inner) => match (path.as_str(), inner.as_ref()) {
            ("emails" | "phonenumbers", Filter::Compare(sub, Op::Eq, Value::Text(kind)))
                if sub == "type" =>
            {
                sql.push(if kind.eq_ignore_ascii_case("work") {
                    "1 = 1"
                } else {
                    "1 = 0"
                });
            }
            ("emails", Filter::Compare(sub, op, value)) if sub == "value" => {
                compare_text(sql, "u.email", *op, &text_of(value)?, true)?;
            }
            ("emails" | "phonenumbers", Filter::Present(_)) => {
                sql.push("1 = 1");
            }
            _ => return Err(format!("the value filter on {path} is not supported")),
        },
        Filter::Present(path) => match path.as_str() {
            "id" | "username" | "emails" | "emails.value" | "name" | "name.givenname"
            | "name.familyname" | "displayname" | "active" | "meta" | "meta.created"
            | "meta.lastmodified" => {
                sql.push("1 = 1");
            }
            "externalid" => {
                sql.push("EXISTS (SELECT 1 FROM scim_attributes x WHERE x.user_id = u.id AND x.external_id IS NOT NULL)");
            }
            "phonenumbers" | "phonenumbers.value" => {
                sql.push("u.phone <> ''");
            }
            other => return Err(format!("“{other}” cannot be filtered on")),
        },
        Filter::Compare(path, op, value) => compare(path, *op, value, org_id, sql)?,
    }
    Ok(())
}

fn compare(path: &str, op: Op, value: &Value, org_id: i64, sql: &mut Sql) -> Result<(), String> {
    if *value == Value::Null {
        return match op {
            Op::Eq => to_sql(
                &Filter::Not(Box::new(Filter::Present(path.into()))),
                org_id,
                sql,
            ),
            Op::Ne => to_sql(&Filter::Present(path.into()), org_id, sql),
            _ => Err("null compares only with eq and ne".into()),
        };
    }
    match path {
        "id" => {
            let id = text_of(value)?;
            match (op, id.parse::<i64>()) {
                (Op::Eq, Ok(id)) => {
                    sql.push("u.id = ");
                    sql.bind(Bind::Int(id));
                }
                (Op::Eq, Err(_)) => {
                    sql.push("1 = 0");
                }
                _ => return Err("id compares with eq only".into()),
            }
        }
        "username" => {
            // The username when the user has one, else the email address.
            let text = text_of(value)?.to_lowercase();
            if op == Op::Eq {
                sql.push("(u.email = ");
                sql.bind(Bind::Text(text.clone()));
                sql.push(" OR u.id IN (SELECT n.user_id FROM usernames n WHERE n.org_id = ");
                sql.bind(Bind::Int(org_id));
                sql.push(" AND n.username_key = ");
                sql.bind(Bind::Text(text));
                sql.push("))");
            } else {
                sql.push("(");
                compare_text(sql, "COALESCE((SELECT lower(n.username) FROM usernames n WHERE n.user_id = u.id), u.email)", op, &text, true)?;
                sql.push(")");
            }
        }
        "emails" | "emails.value" => compare_text(sql, "u.email", op, &text_of(value)?, true)?,
        "externalid" => {
            let text = text_of(value)?;
            sql.push("u.id IN (SELECT x.user_id FROM scim_attributes x WHERE x.org_id = ");
            sql.bind(Bind::Int(org_id));
            sql.push(" AND ");
            compare_text(sql, "x.external_id", op, &text, false)?;
            sql.push(")");
        }
        "name.givenname" => compare_text(sql, "lower(u.first_name)", op, &text_of(value)?, true)?,
        "name.familyname" => compare_text(sql, "lower(u.last_name)", op, &text_of(value)?, true)?,
        "phonenumbers" | "phonenumbers.value" => {
            compare_text(sql, "u.phone", op, &text_of(value)?, false)?
        }
        "active" => {
            let wanted = match value {
                Value::Bool(b) => *b,
                Value::Text(t) => t.eq_ignore_ascii_case("true"),
                _ => return Err("active is true or false".into()),
            };
            let active = match op {
                Op::Eq => wanted,
                Op::Ne => !wanted,
                _ => return Err("active compares with eq and ne".into()),
            };
            sql.push(if active {
                "u.status = 'active'"
            } else {
                "u.status <> 'active'"
            });
        }
        "meta.created" => compare_time(sql, "u.created_at", op, value)?,
        "meta.lastmodified" => compare_time(sql, "u.updated_at", op, value)?,
        other => return Err(format!("“{other}” cannot be filtered on")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn an_attribute_outside_the_list_is_refused() {
        let mut sql = Sql::new();
        assert!(to_sql(&parse(r#"title eq "x""#).unwrap(), 1, &mut sql).is_err());
    }
}
