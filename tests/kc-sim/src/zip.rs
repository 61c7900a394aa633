//! A minimal ZIP writer (stored entries, no compression) for the one download the
//! simulator serves as a zip (`mod-auth-mellon`); any unzip tool reads it.

/// CRC-32 (IEEE 802.3, reflected, as ZIP uses it).
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// A zip archive of `(name, content)` entries, stored uncompressed.
pub fn stored(files: &[(String, String)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, content) in files {
        let (name, data) = (name.as_bytes(), content.as_bytes());
        let offset = out.len() as u32;
        let crc = crc32(data);
        // Version 2.0, no flags, stored, no time stamp: shared by both headers.
        let mut common = Vec::new();
        for v in [20u16, 0, 0, 0, 0] {
            common.extend_from_slice(&v.to_le_bytes());
        }
        for v in [crc, data.len() as u32, data.len() as u32] {
            common.extend_from_slice(&v.to_le_bytes());
        }
        common.extend_from_slice(&(name.len() as u16).to_le_bytes());
        common.extend_from_slice(&0u16.to_le_bytes()); // no extra field

        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        out.extend_from_slice(&common);
        out.extend_from_slice(name);
        out.extend_from_slice(data);

        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes()); // made by version 2.0
        central.extend_from_slice(&common);
        for v in [0u16, 0, 0] {
            // comment length, disk number, internal attributes
            central.extend_from_slice(&v.to_le_bytes());
        }
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name);
    }
    let central_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    for v in [0u16, 0, files.len() as u16, files.len() as u16] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&central_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // no comment
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn entries_are_stored_with_local_and_central_headers() {
        let zip = stored(&[("d/a.txt".into(), "hello".into())]);
        assert_eq!(&zip[..4], b"PK\x03\x04");
        // Local header (30) + name (7) + data (5), then the central entry (46 + 7).
        assert_eq!(&zip[42..46], b"PK\x01\x02");
        assert_eq!(&zip[30..37], b"d/a.txt");
        assert_eq!(&zip[37..42], b"hello");
        let end = &zip[zip.len() - 22..];
        assert_eq!(&end[..4], b"PK\x05\x06");
        assert_eq!(u16::from_le_bytes([end[10], end[11]]), 1, "one entry");
        assert_eq!(u32::from_le_bytes([end[16], end[17], end[18], end[19]]), 42);
    }
}
