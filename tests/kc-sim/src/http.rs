//! Response and query helpers shared by the admin resources.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::collections::HashMap;

/// Percent-encodes one path segment (role names, aliases in Location headers).
pub fn encode_segment(s: &str) -> String {
    const SAFE: &[u8] = b"-._~!$&'()*+,;=:@";
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || SAFE.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A `201 Created` with a Location header and no body.
pub fn created(location: String) -> Response {
    (StatusCode::CREATED, [(header::LOCATION, location)]).into_response()
}

pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

pub fn json_response(v: Value) -> Response {
    Json(v).into_response()
}

/// Renders a list of values.
pub fn json_list(items: Vec<Value>) -> Response {
    Json(Value::Array(items)).into_response()
}

/// Reads `first`/`max` from a query map (negative = no limit, §8.2).
pub fn paging(
    q: &HashMap<String, String>,
    first_default: Option<usize>,
    max_default: Option<usize>,
) -> Paging {
    let parse = |k: &str| q.get(k).and_then(|v| v.trim().parse::<i64>().ok());
    let first = match parse("first") {
        Some(f) if f >= 0 => Some(f as usize),
        Some(_) => None,
        None => first_default,
    };
    let max = match parse("max") {
        Some(m) if m >= 0 => Some(m as usize),
        Some(_) => None,
        None => max_default,
    };
    Paging { first, max }
}

#[derive(Clone, Copy)]
pub struct Paging {
    pub first: Option<usize>,
    pub max: Option<usize>,
}

impl Paging {
    pub fn apply<T>(&self, items: impl IntoIterator<Item = T>) -> Vec<T> {
        items
            .into_iter()
            .skip(self.first.unwrap_or(0))
            .take(self.max.unwrap_or(usize::MAX))
            .collect()
    }
}

/// Flag from a query map (`true`/`false`, default when absent).
pub fn flag(q: &HashMap<String, String>, k: &str, default: bool) -> bool {
    q.get(k).map_or(default, |v| v.eq_ignore_ascii_case("true"))
}

pub type Query = axum::extract::Query<HashMap<String, String>>;
