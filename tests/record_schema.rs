//! The shipped JSON Schema (schema/federation-record.schema.json) must be exactly what the
//! Rust record types generate. After changing src/record/model.rs, regenerate it with
//!
//!     UPDATE_SCHEMA=1 cargo test --test record_schema
//!
//! and commit the result.

use std::path::Path;

use fedctl::record::schema::record_schema;

const SHIPPED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/schema/federation-record.schema.json"
);

fn generated() -> String {
    let mut text = serde_json::to_string_pretty(record_schema()).unwrap();
    text.push('\n');
    text
}

#[test]
fn the_shipped_schema_matches_the_record_types() {
    let generated = generated();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(SHIPPED, &generated).unwrap();
    }
    let shipped = std::fs::read_to_string(Path::new(SHIPPED)).unwrap_or_default();
    assert!(
        shipped == generated,
        "schema/federation-record.schema.json is out of date with src/record/model.rs; \
         run `UPDATE_SCHEMA=1 cargo test --test record_schema` and commit the result"
    );
}

#[test]
fn the_examples_point_editors_at_the_schema() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("federations");
    // Records only: an inbound example's certificate file sits beside them.
    let records = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"));
    for path in records {
        let text = std::fs::read_to_string(path).unwrap();
        assert_eq!(
            text.lines().next(),
            Some("# yaml-language-server: $schema=../schema/federation-record.schema.json")
        );
    }
}
