//! Tar entry names to image paths, and whiteout names to what they hide.

/// What a tar entry name means for the overlay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Name {
    /// An ordinary path: absolute, no `.`/`..`/empty components, no trailing slash.
    Path(String),
    /// `.wh.NAME`: hides `NAME` (and everything below it) from lower layers.
    Whiteout(String),
    /// `.wh..wh..opq`: hides everything lower layers put in this directory.
    Opaque(String),
    /// Other `.wh..wh.*` names are aufs bookkeeping (hard-link dirs): no meaning here.
    AufsMeta,
    /// The root itself (`./`, `/`).
    Root,
}

/// Why a name was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Escapes(pub String);

/// Cleans a tar entry name as Docker does when it applies a layer: `./` and leading `/` are
/// dropped, `.` components ignored, `..` resolved lexically. A name that climbs above the
/// root is refused: no real builder writes one, and a scanner that followed it would be
/// reading outside the image.
pub(crate) fn classify(raw: &[u8]) -> Result<Name, Escapes> {
    let raw = up_to_nul(raw);
    // valid UTF-8 is checked by the fast validator; only other names go through the lossy
    // conversion (the same result either way)
    let text = match std::str::from_utf8(raw) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(raw),
    };
    // One allocation per entry: the cleaned path is built in place (`/a/b`, empty = root),
    // `..` cuts back to the previous `/`. This runs for every tar entry of every layer, so
    // components are found by a byte scan for `/` (ASCII, never inside a multi-byte
    // character), not `str::split`'s searcher: 1.8k instructions an entry before (callgrind,
    // benches/RESULTS.md, issue 21).
    let mut out = String::with_capacity(text.len() + 1);
    let bytes = text.as_bytes();
    let mut start = 0;
    loop {
        let end = bytes[start..]
            .iter()
            .position(|&b| b == b'/')
            .map_or(bytes.len(), |i| start + i);
        let comp = &text[start..end];
        match comp {
            "" | "." => {}
            ".." => match out.rfind('/') {
                Some(i) => out.truncate(i),
                None => return Err(Escapes(text.into_owned())),
            },
            c => {
                out.push('/');
                out.push_str(c);
            }
        }
        if end == bytes.len() {
            break;
        }
        start = end + 1;
    }
    Ok(whiteout_name(out))
}

/// What a cleaned path (`/a/b`, or empty for the root) names, whiteouts read as Docker does.
fn whiteout_name(mut out: String) -> Name {
    let Some(cut) = out.rfind('/') else {
        return Name::Root;
    };
    let Some(rest) = out[cut + 1..].strip_prefix(".wh.") else {
        return Name::Path(out);
    };
    if rest == ".wh..opq" {
        out.truncate(cut);
        if out.is_empty() {
            out.push('/');
        }
        return Name::Opaque(out);
    }
    if rest.is_empty() || rest.starts_with(".wh.") {
        return Name::AufsMeta;
    }
    out.replace_range(cut + 1..cut + 5, "");
    Name::Whiteout(out)
}

/// Cleans a hard link target (an archive path, like an entry name).
pub(crate) fn clean(raw: &[u8]) -> Result<String, Escapes> {
    match classify(raw)? {
        Name::Path(p) | Name::Whiteout(p) | Name::Opaque(p) => Ok(p),
        Name::Root | Name::AufsMeta => Ok("/".into()),
    }
}

/// A name ends at its first NUL, as Go's `archive/tar` reads GNU long names and links (the
/// `tar` crate drops only a trailing one): `status\0junk` is `status` to Docker.
pub(crate) fn up_to_nul(raw: &[u8]) -> &[u8] {
    raw.split(|&b| b == 0).next().unwrap_or(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The component cleaning as written before the byte scan (`str::split`), as the model.
    fn classify_by_split(raw: &[u8]) -> Result<Name, Escapes> {
        let text = String::from_utf8_lossy(up_to_nul(raw));
        let mut out = String::with_capacity(text.len() + 1);
        for comp in text.split('/') {
            match comp {
                "" | "." => {}
                ".." => match out.rfind('/') {
                    Some(i) => out.truncate(i),
                    None => return Err(Escapes(text.into_owned())),
                },
                c => {
                    out.push('/');
                    out.push_str(c);
                }
            }
        }
        Ok(whiteout_name(out))
    }

    proptest::proptest! {
        #[test]
        fn the_byte_scan_cleans_as_split_did(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just(b"/".to_vec()),
                    proptest::strategy::Just(b"..".to_vec()),
                    proptest::strategy::Just(b".".to_vec()),
                    proptest::strategy::Just(b".wh.".to_vec()),
                    proptest::strategy::Just(b".wh..wh..opq".to_vec()),
                    proptest::strategy::Just("\u{e9}".as_bytes().to_vec()),
                    proptest::collection::vec(proptest::num::u8::ANY, 0..4),
                    proptest::collection::vec(b'a'..b'e', 1..4),
                ],
                0..10,
            )
        ) {
            let raw: Vec<u8> = parts.concat();
            proptest::prop_assert_eq!(classify(&raw), classify_by_split(&raw));
        }
    }

    #[test]
    fn names_end_at_the_first_nul() {
        assert_eq!(
            classify(b"var/lib/dpkg/status\0junk\0"),
            Ok(Name::Path("/var/lib/dpkg/status".into()))
        );
        assert_eq!(up_to_nul(b"a\0b"), b"a");
        assert_eq!(up_to_nul(b"ab"), b"ab");
    }

    #[test]
    fn names_are_cleaned() {
        assert_eq!(
            classify(b"./etc/os-release"),
            Ok(Name::Path("/etc/os-release".into()))
        );
        assert_eq!(
            classify(b"/etc//./apk/../os-release"),
            Ok(Name::Path("/etc/os-release".into()))
        );
        assert_eq!(classify(b"usr/lib/"), Ok(Name::Path("/usr/lib".into())));
        assert_eq!(classify(b"./"), Ok(Name::Root));
    }

    #[test]
    fn climbing_above_root_is_refused() {
        assert!(classify(b"../etc/passwd").is_err());
        assert!(classify(b"a/../../b").is_err());
        assert!(classify(b"/../x").is_err());
    }

    #[test]
    fn whiteouts() {
        assert_eq!(
            classify(b"usr/bin/.wh.curl"),
            Ok(Name::Whiteout("/usr/bin/curl".into()))
        );
        assert_eq!(
            classify(b"opt/pyapp/bin/.wh..wh..opq"),
            Ok(Name::Opaque("/opt/pyapp/bin".into()))
        );
        assert_eq!(classify(b".wh..wh..opq"), Ok(Name::Opaque("/".into())));
        assert_eq!(
            classify(b".wh..wh.plnk/123"),
            Ok(Name::Path("/.wh..wh.plnk/123".into()))
        );
        assert_eq!(classify(b"x/.wh..wh.aufs"), Ok(Name::AufsMeta));
    }
}
