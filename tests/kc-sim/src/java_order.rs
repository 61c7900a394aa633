//! Iteration order of Java's `HashSet<String>`, for messages where Keycloak lists a
//! set's members as the set happens to iterate them.

/// `String.hashCode()`: `s[0]*31^(n-1) + … + s[n-1]` over UTF-16 code units, wrapping.
fn string_hash(s: &str) -> u32 {
    s.encode_utf16()
        .fold(0u32, |h, c| h.wrapping_mul(31).wrapping_add(u32::from(c)))
}

/// The order a `HashSet` holding `items` (added in this order, without duplicates)
/// iterates them: by bucket (`HashMap.hash` spreads the high bits down), then by
/// insertion within a bucket. The table starts at 16 buckets and doubles past a
/// load of 0.75; splitting on resize keeps the relative order within a bucket.
pub fn hash_set_order<'a>(items: &[&'a str]) -> Vec<&'a str> {
    let mut buckets = 16usize;
    while items.len() * 4 > buckets * 3 {
        buckets *= 2;
    }
    let bucket = |s: &str| {
        let h = string_hash(s);
        ((h ^ (h >> 16)) as usize) & (buckets - 1)
    };
    let mut ordered = items.to_vec();
    ordered.sort_by_key(|s| bucket(s));
    ordered
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_hash_is_javas() {
        // Values of "…".hashCode() in Java.
        assert_eq!(string_hash("a"), 97);
        assert_eq!(string_hash("zz"), 3904);
        assert_eq!(string_hash("hello") as i32, 99162322);
        assert_eq!(string_hash("saml_name_id_format") as i32, -1_946_014_471);
    }

    #[test]
    fn orders_as_keycloak_lists_refused_search_attributes() {
        // Seen on Keycloak 26.7.3: "Attributes [zz, a, b, saml_name_id_format] not allowed".
        assert_eq!(
            hash_set_order(&["saml_name_id_format", "a", "zz", "b"]),
            ["zz", "a", "b", "saml_name_id_format"]
        );
    }
}
