//! Rules across records: unique record ids (file names), one record per partner, one realm per
//! run. Each finding is for the record at the given index.

use std::collections::{BTreeMap, HashMap};

use super::loaded::LoadedRecord;
use super::model::{Direction, Federation, Protocol};
use super::problem::{Finding, plural};
use super::validate::{TECH, field};

/// Findings that compare records: unique record ids (file names), one record per partner,
/// one realm per run. Each finding is for the record at the given index.
pub fn check_set(records: &[LoadedRecord]) -> Vec<(usize, Finding)> {
    let mut findings = duplicate_ids(records);
    findings.extend(duplicate_partners(records));
    findings.extend(mixed_realms(records));
    findings
}

fn duplicate_ids(records: &[LoadedRecord]) -> Vec<(usize, Finding)> {
    let mut first: HashMap<&str, usize> = HashMap::new();
    let mut findings = Vec::new();
    for (i, record) in records.iter().enumerate() {
        if let Some(&other) = first.get(record.id.as_str()) {
            let other = &records[other];
            findings.push((
                i,
                Finding::error("", format!("record id `{}` is also the id of {}", record.id, other.path.display()))
                    .with_help("rename one of the files: the file name is the record's id, which marks its objects in Keycloak"),
            ));
        } else {
            first.insert(&record.id, i);
        }
    }
    findings
}

/// What identifies the partner within a direction: the clientId Keycloak gets for outbound
/// records, the partner IdP's entity ID or issuer for inbound ones.
fn partner_identity(fed: &Federation) -> Option<(&'static str, &str)> {
    let t = &fed.technical;
    match (fed.protocol, fed.direction) {
        (Protocol::Saml, _) => Some(("partner_entity_id", t.partner_entity_id.as_deref()?)),
        (Protocol::Oidc, Direction::Outbound) => Some(("client_id", t.client_id.as_deref()?)),
        (Protocol::Oidc, Direction::Inbound) => {
            Some(("partner_issuer", t.partner_issuer.as_deref()?))
        }
    }
}

fn duplicate_partners(records: &[LoadedRecord]) -> Vec<(usize, Finding)> {
    let mut first: HashMap<(Direction, &str), (usize, &str)> = HashMap::new();
    let mut findings = Vec::new();
    for (i, record) in records.iter().enumerate() {
        let fed = &record.record.federation;
        let Some((name, identity)) = partner_identity(fed) else {
            continue;
        };
        let path = field(TECH, name);
        match first.get(&(fed.direction, identity)) {
            Some(&(other, other_name)) => {
                let there = records[other].reference(&field(TECH, other_name));
                let here = record.reference(&path);
                findings.push((
                    i,
                    Finding::error(&path, format!("`{identity}` is used by two records: {there} and {here}"))
                    .with_help("keep one record per partner application; merge the two or change one of them"),
                ));
            }
            None => {
                first.insert((fed.direction, identity), (i, name));
            }
        }
    }
    findings
}

/// All records of one run manage one realm. The realm most records name is taken as meant;
/// each record naming another is reported.
fn mixed_realms(records: &[LoadedRecord]) -> Vec<(usize, Finding)> {
    let mut by_realm: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, record) in records.iter().enumerate() {
        if let Some(realm) = record.realm() {
            by_realm.entry(realm).or_default().push(i);
        }
    }
    let Some((&majority, members)) = by_realm
        .iter()
        .max_by_key(|(_, members)| (members.len(), std::cmp::Reverse(members[0])))
    else {
        return Vec::new();
    };
    let path = field(TECH, "your_entity_id");
    let example = records[members[0]].reference(&path);
    let count = members.len();
    by_realm
        .iter()
        .filter(|(realm, _)| **realm != majority)
        .flat_map(|(realm, members)| members.iter().map(move |&i| (i, *realm)))
        .map(|(i, realm)| {
            (
                i,
                Finding::error(
                    &path,
                    format!(
                        "this record is for realm `{realm}`, but {count} {} for realm `{majority}` (e.g. {example})",
                        plural(count, "record is", "records are")
                    ),
                )
                .with_help("fedctl manages one realm per run: fix the realm, or validate/apply these records separately"),
            )
        })
        .collect()
}
