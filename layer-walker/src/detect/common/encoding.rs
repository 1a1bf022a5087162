//! The text forms of digests: package databases write checksums in base64 (apk `Q1...`, npm
//! `integrity`, .NET `sha512-...`) or raw bytes (rpm's signature MD5), and the SBOM reports
//! every digest in lower-case hex.

use std::fmt::Write;

/// Standard base64 (RFC 4648, `+/`, `=` padding). Small enough not to need a crate.
pub(crate) fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// `bytes` as lower-case hex, two digits a byte.
pub(crate) fn lower_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        // writing to a String cannot fail
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn decodes_with_and_without_padding() {
        assert_eq!(super::base64_decode("aGVsbG8="), Some(b"hello".to_vec()));
        assert_eq!(super::base64_decode("aGVsbG8"), Some(b"hello".to_vec()));
        assert_eq!(super::base64_decode("!"), None);
    }

    #[test]
    fn hex_is_lower_case_and_zero_padded() {
        assert_eq!(super::lower_hex(&[0x00, 0x0f, 0xa0, 0xff]), "000fa0ff");
        assert_eq!(super::lower_hex(&[]), "");
    }
}
