//! `attributes` and `excludedAttributes`: which parts of a resource an answer carries.

use serde_json::{Map, Value};

/// `attributes` / `excludedAttributes` (comma lists, possibly with the core URN): `id` and
/// `schemas` always stay.
pub fn project(mut user: Value, attributes: Option<&str>, excluded: Option<&str>) -> Value {
    let names = |list: &str| -> Vec<String> {
        list.split(',')
            .map(|a| crate::scim::filter::normalize(a.trim()))
            .filter(|a| !a.is_empty())
            .collect()
    };
    let Some(object) = user.as_object_mut() else {
        return user;
    };
    let keep_always = ["id", "schemas"];
    if let Some(attributes) = attributes.filter(|a| !a.trim().is_empty()) {
        let wanted = names(attributes);
        let mut kept = Map::new();
        for (key, value) in object.iter() {
            let lower = key.to_lowercase();
            if keep_always.contains(&lower.as_str()) {
                kept.insert(key.clone(), value.clone());
                continue;
            }
            let subs: Vec<&str> = wanted
                .iter()
                .filter_map(|w| w.strip_prefix(&format!("{lower}.")))
                .collect();
            if wanted.contains(&lower) {
                kept.insert(key.clone(), value.clone());
            } else if !subs.is_empty() {
                if let Some(inner) = value.as_object() {
                    let part: Map<String, Value> = inner
                        .iter()
                        .filter(|(k, _)| subs.contains(&k.to_lowercase().as_str()))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    kept.insert(key.clone(), Value::Object(part));
                }
            }
        }
        *object = kept;
    }
    if let Some(excluded) = excluded {
        for name in names(excluded) {
            if keep_always.contains(&name.as_str()) {
                continue;
            }
            let key = object.keys().find(|k| k.to_lowercase() == name).cloned();
            if let Some(key) = key {
                object.remove(&key);
            } else if let Some((top, sub)) = name.split_once('.') {
                let key = object.keys().find(|k| k.to_lowercase() == top).cloned();
                if let Some(inner) = key
                    .and_then(|k| object.get_mut(&k))
                    .and_then(Value::as_object_mut)
                {
                    let sub_key = inner.keys().find(|k| k.to_lowercase() == sub).cloned();
                    if let Some(sub_key) = sub_key {
                        inner.remove(&sub_key);
                    }
                }
            }
        }
    }
    user
}
