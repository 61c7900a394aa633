//! Jackson-like reading and writing of representations.
//!
//! Keycloak binds request bodies with Jackson: unknown properties are rejected
//! with a located message (`KcUnrecognizedPropertyExceptionHandler`), scalars are
//! coerced leniently (`"true"` for a Boolean, `5` for a String), and responses
//! omit null fields (`NON_NULL`) in class declaration order. A [`Schema`] lists a
//! representation class's properties in that order with their types; bodies are
//! checked and coerced against it, then kept as JSON objects.

use crate::errors::{ApiError, ApiResult};
use serde_json::{Map, Value};

/// A JSON object as stored and exchanged.
pub type Obj = Map<String, Value>;

/// Java property types, as far as binding is concerned.
#[derive(Clone, Copy)]
pub enum Ty {
    Str,
    Bool,
    Int,
    StrList,
    /// `Map<String, String>`; null values are kept (they mean "remove" on PUT).
    StrMap,
    /// `Map<String, List<String>>`; a single string is accepted as a one-element list.
    StrListMap,
    IntMap,
    BoolMap,
    Obj(&'static Schema),
    List(&'static Schema),
    /// Anything (a nested structure this simulator does not interpret).
    Any,
}

/// A representation class: its simple name (used in error messages), its
/// properties in declaration order, and whether unknown properties are ignored
/// (`@JsonIgnoreProperties(ignoreUnknown=true)`).
pub struct Schema {
    pub name: &'static str,
    pub fields: &'static [(&'static str, Ty)],
    pub ignore_unknown: bool,
}

impl Schema {
    fn field(&self, name: &str) -> Option<Ty> {
        self.fields
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
    }
}

enum Seg {
    Key(String),
    Index(usize),
}

enum BindError {
    Shape,
    Unknown { class: &'static str, path: Vec<Seg> },
}

/// Parses a request body holding one object of `schema`.
pub fn parse_object(body: &[u8], schema: &'static Schema) -> ApiResult<Obj> {
    match parse_value(body)? {
        Value::Object(map) => bind_top(body, map, schema),
        Value::Null => Err(ApiError::Server("null request body".into())),
        _ => Err(ApiError::JsonShape),
    }
}

/// Parses a request body holding an array of `schema` objects.
pub fn parse_list(body: &[u8], schema: &'static Schema) -> ApiResult<Vec<Obj>> {
    let Value::Array(items) = parse_value(body)? else {
        return Err(ApiError::JsonShape);
    };
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.into_iter().enumerate() {
        let Value::Object(map) = item else {
            return Err(ApiError::JsonShape);
        };
        let mut path = vec![Seg::Index(i)];
        out.push(bind(map, schema, &mut path).map_err(|e| bind_error(body, e))?);
    }
    Ok(out)
}

/// Binds an already parsed object (realm import files, nested parts).
/// Unknown properties are ignored: imports are lenient.
pub fn coerce_lenient(value: &Value, schema: &'static Schema) -> Obj {
    let Value::Object(map) = value else {
        return Obj::new();
    };
    let mut out = Obj::new();
    for (k, v) in map {
        if let Some(ty) = schema.field(k)
            && let Ok(v) = coerce_lenient_value(v.clone(), ty)
        {
            out.insert(k.clone(), v);
        }
    }
    out
}

fn coerce_lenient_value(v: Value, ty: Ty) -> Result<Value, ()> {
    match ty {
        Ty::Obj(s) => Ok(Value::Object(coerce_lenient(&v, s))),
        Ty::List(s) => match v {
            Value::Array(items) => Ok(Value::Array(
                items
                    .iter()
                    .map(|i| Value::Object(coerce_lenient(i, s)))
                    .collect(),
            )),
            _ => Err(()),
        },
        other => coerce(v, other, &mut Vec::new()).map_err(|_| ()),
    }
}

fn parse_value(body: &[u8]) -> ApiResult<Value> {
    if body.iter().all(u8::is_ascii_whitespace) {
        // RESTEasy hands a null entity to the resource, which then fails.
        return Err(ApiError::Server("empty request body".into()));
    }
    serde_json::from_slice(body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => ApiError::JsonShape,
        _ => ApiError::JsonSyntax,
    })
}

fn bind_top(body: &[u8], map: Obj, schema: &'static Schema) -> ApiResult<Obj> {
    bind(map, schema, &mut Vec::new()).map_err(|e| bind_error(body, e))
}

fn bind_error(body: &[u8], e: BindError) -> ApiError {
    match e {
        BindError::Shape => ApiError::JsonShape,
        BindError::Unknown { class, path } => {
            let (line, column) = locate(body, &path);
            let Some(Seg::Key(name)) = path.last() else {
                return ApiError::JsonShape;
            };
            ApiError::bad_request(format!(
                "Invalid json representation for {class}. Unrecognized field \"{name}\" at line {line} column {column}."
            ))
        }
    }
}

fn bind(map: Obj, schema: &'static Schema, path: &mut Vec<Seg>) -> Result<Obj, BindError> {
    let mut out = Obj::new();
    for (k, v) in map {
        let Some(ty) = schema.field(&k) else {
            if schema.ignore_unknown {
                continue;
            }
            path.push(Seg::Key(k));
            return Err(BindError::Unknown {
                class: schema.name,
                path: std::mem::take(path),
            });
        };
        path.push(Seg::Key(k.clone()));
        let v = coerce(v, ty, path)?;
        path.pop();
        out.insert(k, v);
    }
    Ok(out)
}

fn coerce(v: Value, ty: Ty, path: &mut Vec<Seg>) -> Result<Value, BindError> {
    if v.is_null() {
        return Ok(v);
    }
    match ty {
        Ty::Any => Ok(v),
        Ty::Str => to_str(v).ok_or(BindError::Shape),
        Ty::Bool => to_bool(v).ok_or(BindError::Shape),
        Ty::Int => to_int(v).ok_or(BindError::Shape),
        Ty::StrList => match v {
            Value::Array(items) => items
                .into_iter()
                .map(|i| if i.is_null() { Some(i) } else { to_str(i) })
                .collect::<Option<Vec<_>>>()
                .map(Value::Array)
                .ok_or(BindError::Shape),
            _ => Err(BindError::Shape),
        },
        Ty::StrMap => map_values(v, |x| if x.is_null() { Some(x) } else { to_str(x) }),
        Ty::IntMap => map_values(v, |x| if x.is_null() { Some(x) } else { to_int(x) }),
        Ty::BoolMap => map_values(v, |x| if x.is_null() { Some(x) } else { to_bool(x) }),
        Ty::StrListMap => map_values(v, |x| match x {
            Value::Null => Some(x),
            Value::Array(items) => items
                .into_iter()
                .map(|i| if i.is_null() { Some(i) } else { to_str(i) })
                .collect::<Option<Vec<_>>>()
                .map(Value::Array),
            scalar => to_str(scalar).map(|s| Value::Array(vec![s])),
        }),
        Ty::Obj(s) => match v {
            Value::Object(m) => bind(m, s, path).map(Value::Object),
            _ => Err(BindError::Shape),
        },
        Ty::List(s) => match v {
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    path.push(Seg::Index(i));
                    let bound = match item {
                        Value::Object(m) => bind(m, s, path).map(Value::Object)?,
                        Value::Null => Value::Null,
                        _ => return Err(BindError::Shape),
                    };
                    path.pop();
                    out.push(bound);
                }
                Ok(Value::Array(out))
            }
            _ => Err(BindError::Shape),
        },
    }
}

fn map_values(v: Value, f: impl Fn(Value) -> Option<Value>) -> Result<Value, BindError> {
    let Value::Object(m) = v else {
        return Err(BindError::Shape);
    };
    let mut out = Obj::new();
    for (k, x) in m {
        out.insert(k, f(x).ok_or(BindError::Shape)?);
    }
    Ok(Value::Object(out))
}

fn to_str(v: Value) -> Option<Value> {
    match v {
        Value::String(_) => Some(v),
        Value::Number(n) => Some(Value::String(n.to_string())),
        Value::Bool(b) => Some(Value::String(b.to_string())),
        _ => None,
    }
}

fn to_bool(v: Value) -> Option<Value> {
    match v {
        Value::Bool(_) => Some(v),
        Value::String(s) if s.is_empty() => Some(Value::Null),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(Value::Bool(true)),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(Value::Bool(false)),
        Value::Number(n) => Some(Value::Bool(n.as_f64() != Some(0.0))),
        _ => None,
    }
}

fn to_int(v: Value) -> Option<Value> {
    match v {
        Value::Number(n) if n.is_i64() || n.is_u64() => Some(Value::Number(n)),
        Value::Number(n) => n.as_f64().map(|f| Value::from(f.trunc() as i64)),
        Value::String(s) if s.trim().is_empty() => Some(Value::Null),
        Value::String(s) => s.trim().parse::<i64>().ok().map(Value::from),
        _ => None,
    }
}

/// Jackson's location of an unrecognized property: the parser has already
/// consumed the first token of the property's value (the opening quote or
/// bracket, or the whole number or literal). Lines and columns are 1-based and
/// columns count bytes, as for Keycloak's byte-stream parser.
fn locate(body: &[u8], path: &[Seg]) -> (usize, usize) {
    let mut sc = Scanner { s: body, pos: 0 };
    let pos = sc.find(path).unwrap_or(body.len());
    let line_start = body[..pos]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line = 1 + body[..pos].iter().filter(|&&b| b == b'\n').count();
    (line, pos - line_start + 1)
}

struct Scanner<'a> {
    s: &'a [u8],
    pos: usize,
}

impl Scanner<'_> {
    fn ws(&mut self) {
        while self.pos < self.s.len() && self.s[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    /// Position after the first token of the value at `path`, whose last
    /// element is the property name.
    fn find(&mut self, path: &[Seg]) -> Option<usize> {
        let (first, rest) = path.split_first()?;
        self.ws();
        match first {
            Seg::Index(i) => {
                self.expect(b'[')?;
                for _ in 0..*i {
                    self.ws();
                    self.skip_value()?;
                    self.ws();
                    self.expect(b',')?;
                }
                self.find(rest)
            }
            Seg::Key(k) => {
                self.expect(b'{')?;
                loop {
                    self.ws();
                    let key = self.string()?;
                    self.ws();
                    self.expect(b':')?;
                    self.ws();
                    if &key == k {
                        return if rest.is_empty() {
                            self.after_first_token()
                        } else {
                            self.find(rest)
                        };
                    }
                    self.skip_value()?;
                    self.ws();
                    self.expect(b',')?;
                }
            }
        }
    }

    fn after_first_token(&mut self) -> Option<usize> {
        match self.peek()? {
            b'"' | b'{' | b'[' => Some(self.pos + 1),
            _ => {
                self.skip_value()?;
                Some(self.pos)
            }
        }
    }

    fn expect(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.pos += 1)
    }

    fn string(&mut self) -> Option<String> {
        let start = self.pos;
        self.skip_string()?;
        serde_json::from_slice(&self.s[start..self.pos]).ok()
    }

    fn skip_string(&mut self) -> Option<()> {
        self.expect(b'"')?;
        loop {
            match self.peek()? {
                b'\\' => self.pos += 2,
                b'"' => {
                    self.pos += 1;
                    return Some(());
                }
                _ => self.pos += 1,
            }
        }
    }

    fn skip_value(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.skip_string(),
            open @ (b'{' | b'[') => {
                let close = if open == b'{' { b'}' } else { b']' };
                self.pos += 1;
                loop {
                    self.ws();
                    if self.peek()? == close {
                        self.pos += 1;
                        return Some(());
                    }
                    self.skip_value()?;
                    self.ws();
                    if open == b'{' && self.peek()? == b':' {
                        self.pos += 1;
                        self.ws();
                        self.skip_value()?;
                        self.ws();
                    }
                    if self.peek()? == b',' {
                        self.pos += 1;
                    }
                }
            }
            _ => {
                while self.pos < self.s.len()
                    && !matches!(
                        self.s[self.pos],
                        b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n'
                    )
                {
                    self.pos += 1;
                }
                Some(())
            }
        }
    }
}

/// Serialises a stored object the way Jackson would: properties in schema
/// order, nulls omitted, nested representations recursively.
pub fn render(map: &Obj, schema: &'static Schema) -> Value {
    let mut out = Obj::new();
    for (name, ty) in schema.fields {
        let Some(v) = map.get(*name) else { continue };
        if v.is_null() {
            continue;
        }
        let v = match (ty, v) {
            (Ty::Obj(s), Value::Object(m)) => render(m, s),
            (Ty::List(s), Value::Array(items)) => Value::Array(
                items
                    .iter()
                    .map(|i| match i {
                        Value::Object(m) => render(m, s),
                        other => other.clone(),
                    })
                    .collect(),
            ),
            (Ty::StrMap | Ty::StrListMap, Value::Object(m)) => Value::Object(
                m.iter()
                    .filter(|(_, x)| !x.is_null())
                    .map(|(k, x)| (k.clone(), x.clone()))
                    .collect(),
            ),
            _ => v.clone(),
        };
        out.insert((*name).to_string(), v);
    }
    Value::Object(out)
}

/// Small typed accessors over stored objects.
pub trait ObjExt {
    fn str(&self, k: &str) -> Option<&str>;
    fn bool(&self, k: &str) -> Option<bool>;
    fn int(&self, k: &str) -> Option<i64>;
    fn obj(&self, k: &str) -> Option<&Obj>;
    fn strs(&self, k: &str) -> Vec<String>;
}

impl ObjExt for Obj {
    fn str(&self, k: &str) -> Option<&str> {
        self.get(k).and_then(Value::as_str)
    }
    fn bool(&self, k: &str) -> Option<bool> {
        self.get(k).and_then(Value::as_bool)
    }
    fn int(&self, k: &str) -> Option<i64> {
        self.get(k).and_then(Value::as_i64)
    }
    fn obj(&self, k: &str) -> Option<&Obj> {
        self.get(k).and_then(Value::as_object)
    }
    fn strs(&self, k: &str) -> Vec<String> {
        self.get(k)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static S: Schema = Schema {
        name: "RequiredActionProviderRepresentation",
        fields: &[
            ("alias", Ty::Str),
            ("enabled", Ty::Bool),
            ("config", Ty::StrMap),
        ],
        ignore_unknown: false,
    };

    fn column(body: &str) -> String {
        match parse_object(body.as_bytes(), &S) {
            Err(ApiError::Jaxrs(_, m)) => m,
            other => panic!("{other:?}"),
        }
    }

    /// Columns observed on a live Keycloak 26.7.1 for the same bodies.
    #[test]
    fn unknown_field_columns_match_jackson() {
        for (body, col) in [
            (r#"{"zz":1}"#, 8),
            (r#"{"zz":12}"#, 9),
            (r#"{"zz":"a"}"#, 8),
            (r#"{"zz":null}"#, 11),
            (r#"{"zz":true}"#, 11),
            (r#"{"zz":[1,2]}"#, 8),
            (r#"{"zz":{"a":1}}"#, 8),
            (r#"{ "zz" : 1 }"#, 11),
            (r#"{"alias":"VERIFY_EMAIL","zz":1}"#, 31),
        ] {
            let want = format!(
                "Invalid json representation for RequiredActionProviderRepresentation. Unrecognized field \"zz\" at line 1 column {col}."
            );
            assert_eq!(column(body), want, "{body}");
        }
    }

    #[test]
    fn scalars_are_coerced_like_jackson() {
        let m = parse_object(
            br#"{"alias":5,"enabled":"true","config":{"a":1,"b":null}}"#,
            &S,
        )
        .unwrap();
        assert_eq!(m.str("alias"), Some("5"));
        assert_eq!(m.bool("enabled"), Some(true));
        assert_eq!(m.obj("config").unwrap().get("b"), Some(&Value::Null));
        assert_eq!(
            parse_object(br#"{"enabled":[1]}"#, &S),
            Err(ApiError::JsonShape)
        );
        assert_eq!(parse_object(br#"{"alias":"#, &S), Err(ApiError::JsonSyntax));
    }
}
