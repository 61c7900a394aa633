//! Narrowing checked against the full evaluation it stands in for.

use super::*;
use crate::review::collect::from_realm_export;
use crate::review::evaluate::{Reviewer, Subject, scope};
use time::macros::date;

/// What a live source has after fetching the lists `queries` names from this realm: each
/// user recorded once per list they appear in, as the member and holder endpoints answer.
fn as_fetched(full: &Directory, queries: &Queries) -> Directory {
    let mut fetched = Directory {
        users: Default::default(),
        ..full.clone()
    };
    for (name, user) in &full.users {
        let bare = UserFacts {
            groups: Default::default(),
            roles: Default::default(),
            ..user.clone()
        };
        let found = (user.groups.iter())
            .filter(|g| queries.group_members.contains(*g))
            .map(|g| Found::Member(g.clone()))
            .chain(
                (user.roles.iter())
                    .filter(|r| queries.role_holders.contains(*r))
                    .map(|r| Found::Holder(r.clone())),
            )
            .chain(
                (queries.usernames.iter())
                    .filter(|u| u.eq_ignore_ascii_case(name))
                    .map(|_| Found::Named),
            );
        for found in found {
            record(&mut fetched, &found, name.clone(), bare.clone());
        }
    }
    fetched
}

fn records(dir: &str) -> Vec<(String, crate::record::RecordFile)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut records: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            (
                path.display().to_string(),
                serde_saphyr::from_str(&text).unwrap(),
            )
        })
        .collect();
    records.sort_by(|a, b| a.0.cmp(&b.0));
    records
}

/// The narrowed directory reviews exactly like the whole realm.
fn same_review(realm: &str, records_dir: &str) {
    let realm = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(realm);
    let document = serde_json::from_str(&std::fs::read_to_string(realm).unwrap()).unwrap();
    let full = from_realm_export(&document).unwrap();
    let records = records(records_dir);
    let subjects: Vec<Subject<'_>> = records
        .iter()
        .map(|(file, record)| Subject {
            record: file,
            file: std::path::Path::new(file),
            federation: &record.federation,
        })
        .collect();
    let structure = Directory {
        users: Default::default(),
        ..full.clone()
    };
    let fetched = as_fetched(&full, &queries(&structure, &scope(&subjects)));
    assert_ne!(fetched.users, full.users, "the walk narrows");
    for subject in &subjects {
        let today = date!(2025 - 06 - 30);
        assert_eq!(
            Reviewer::new(&fetched).review(subject, today),
            Reviewer::new(&full).review(subject, today),
            "{}",
            subject.record
        );
    }
}

#[test]
fn the_walk_finds_everyone_in_the_demo_realm() {
    same_review("tests/review/realm.json", "tests/review/federations");
}

#[test]
fn the_walk_finds_everyone_in_keycloaks_test_realm() {
    same_review(
        "tests/fixtures/keycloak/testrealm.json",
        "tests/review/fixture-records/testrealm",
    );
}

#[test]
fn queries_cover_composites_granting_groups_and_sub_groups() {
    let document = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/review/realm.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let structure = Directory {
        users: Default::default(),
        ..from_realm_export(&document).unwrap()
    };
    let scope = Scope {
        roles: [RoleRef::client("https://app.acme.example.org", "access")].into(),
        groups: ["/partner-acme-users".to_owned()].into(),
        usernames: ["pia".to_owned()].into(),
    };
    let queries = queries(&structure, &scope);
    let full = from_realm_export(&document).unwrap();
    assert_eq!(
        Index::new(&full)
            .users(&queries)
            .into_iter()
            .collect::<Vec<_>>(),
        [
            "alice",
            "bruno",
            "carla",
            "dave",
            "erin",
            "frank",
            "ivan",
            "pia",
            "service-account-reporting-bot"
        ]
    );
    assert_eq!(
        queries.role_holders,
        [
            RoleRef::realm("partner-bundle"),
            RoleRef::client("https://app.acme.example.org", "access"),
            RoleRef::client("https://app.acme.example.org", "team"),
        ]
        .into()
    );
    assert_eq!(
        queries.group_members.iter().collect::<Vec<_>>(),
        [
            "/partner-acme-users",
            "/partner-acme-users/berlin",
            "/staff",
            "/staff/it"
        ]
    );
}
