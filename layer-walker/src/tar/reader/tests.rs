use std::io::{self, Read};

use super::*;
use crate::tar::guard::tests::{build, header, item, push, push_pax};
use crate::tar::guard::{TarGuard, MAX_EXTENSION};

/// What a reader made of one entry: header offset, kind, name, link, size, content.
type Listed = (u64, u8, Vec<u8>, Option<Vec<u8>>, u64, Vec<u8>);

/// The archive as the `tar` crate (over the tar guard) lists it, read as the walk read it
/// before: PAX records first (a global header's own), then the name, then the body.
fn with_tar(bytes: &[u8], reads: usize) -> (Vec<Listed>, Option<(io::ErrorKind, String)>) {
    let guard = TarGuard::new(Small(bytes, reads));
    let mut a = tar::Archive::new(ForwardSeek(
        io::BufReader::with_capacity(64 << 10, guard),
        0,
    ));
    let mut out = Vec::new();
    let entries = match a.entries_with_seek() {
        Ok(e) => e,
        Err(e) => return (out, Some((e.kind(), e.to_string()))),
    };
    for e in entries {
        let mut e = match e {
            Ok(e) => e,
            Err(e) => return (out, Some((e.kind(), e.to_string()))),
        };
        if let Err(err) = e.pax_extensions() {
            return (out, Some((err.kind(), err.to_string())));
        }
        let path = e.path_bytes().into_owned();
        let link = e.link_name_bytes().map(|l| l.into_owned());
        let kind = e.header().entry_type().as_byte();
        let (offset, size) = (e.raw_header_position(), e.size());
        let mut body = Vec::new();
        if let Err(err) = e.read_to_end(&mut body) {
            return (out, Some((err.kind(), err.to_string())));
        }
        out.push((offset, kind, path, link, size, body));
    }
    (out, None)
}

fn with_reader(bytes: &[u8], reads: usize) -> (Vec<Listed>, Option<(io::ErrorKind, String)>) {
    let mut r = TarReader::new(Small(bytes, reads));
    let mut out = Vec::new();
    loop {
        let e = match r.next_entry() {
            Ok(Some(e)) => e,
            Ok(None) => return (out, None),
            Err(e) => return (out, Some((e.kind(), e.to_string()))),
        };
        let path = r.path().into_owned();
        let link = r.link_bytes().map(<[u8]>::to_vec);
        let mut body = Vec::new();
        if let Err(err) = r.body().read_to_end(&mut body) {
            return (out, Some((err.kind(), err.to_string())));
        }
        out.push((e.offset, e.kind.as_byte(), path, link, e.size, body));
    }
}

/// How the walk gave `tar` its stream: buffered, seeking forward by consuming.
struct ForwardSeek<R>(io::BufReader<R>, u64);

impl<R: Read> Read for ForwardSeek<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.0.read(buf)?;
        self.1 += n as u64;
        Ok(n)
    }
}

impl<R: Read> io::Seek for ForwardSeek<R> {
    fn seek(&mut self, to: io::SeekFrom) -> io::Result<u64> {
        use io::BufRead;
        let io::SeekFrom::Current(mut n) = to else {
            unreachable!("tar seeks relative to where it is")
        };
        while n > 0 {
            let avail = self.0.fill_buf()?.len();
            if avail == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "unexpected end of the layer inside an entry",
                ));
            }
            let k = (n as u64).min(avail as u64) as usize;
            self.0.consume(k);
            self.1 += k as u64;
            n -= k as i64;
        }
        Ok(self.1)
    }
}

/// A reader handing out at most `.1` bytes a call, so blocks arrive in pieces.
struct Small<'a>(&'a [u8], usize);

impl Read for Small<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.0.len().min(buf.len()).min(self.1);
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

fn same(bytes: &[u8]) {
    for reads in [7, 512, 1 << 20] {
        assert_eq!(
            with_reader(bytes, reads),
            with_tar(bytes, reads),
            "reads of {reads}"
        );
    }
}

proptest::proptest! {
    /// On any archive of the guard's generator (long names and links, PAX paths and sizes,
    /// global headers, old-GNU sparse files, bodies made of decoy headers), whole or cut
    /// short anywhere, the reader lists what `tar` lists and fails where and as it fails.
    #[test]
    fn the_reader_lists_archives_as_tar_does(
        items in proptest::collection::vec(item(), 0..12),
        cut in proptest::option::of(0usize..20_000),
    ) {
        let mut t = build(&items);
        if let Some(c) = cut {
            t.truncate(c.min(t.len()));
        }
        for reads in [7, 4096] {
            proptest::prop_assert_eq!(with_reader(&t, reads), with_tar(&t, reads));
        }
    }
}

#[test]
fn names_links_and_sizes_from_every_source() {
    let mut t = Vec::new();
    // ustar: prefix and name joined
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(tar::EntryType::Regular);
    h.as_ustar_mut().unwrap().prefix[..9].copy_from_slice(b"some/deep");
    h.as_ustar_mut().unwrap().name[..4].copy_from_slice(b"file");
    h.set_size(3);
    h.set_mode(0o755);
    h.set_cksum();
    push(&mut t, &h, b"abc");
    // a long link and a PAX linkpath
    let target = "t/".repeat(80) + "end";
    push(
        &mut t,
        &header(
            tar::EntryType::GNULongLink,
            "././@LongLink",
            target.len() as u64 + 1,
        ),
        format!("{target}\0").as_bytes(),
    );
    push(&mut t, &header(tar::EntryType::Symlink, "link", 0), b"");
    push_pax(&mut t, tar::EntryType::XHeader, "linkpath", "via-pax");
    push(&mut t, &header(tar::EntryType::Link, "hard", 0), b"");
    // a base-256 size
    let mut big = header(tar::EntryType::Regular, "b256", 0);
    big.as_old_mut().size = [0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5];
    big.set_cksum();
    push(&mut t, &big, b"12345");
    // a mode with spaces around it
    let mut spaced = header(tar::EntryType::Regular, "spaced", 1);
    spaced.as_old_mut().mode = *b" 00644 \0";
    spaced.set_cksum();
    push(&mut t, &spaced, b"z");
    push_pax(&mut t, tar::EntryType::XGlobalHeader, "path", "global-name");
    t.extend_from_slice(&[0; 1024]);
    same(&t);
    let mut r = TarReader::new(&t[..]);
    let mut seen = Vec::new();
    while let Some(e) = r.next_entry().unwrap() {
        seen.push((
            String::from_utf8(r.path().into_owned()).unwrap(),
            r.link_bytes()
                .map(|l| String::from_utf8(l.to_vec()).unwrap()),
            e.size,
            r.mode(),
        ));
    }
    assert_eq!(seen[0], ("some/deep/file".into(), None, 3, Some(0o755)));
    assert_eq!(seen[1].1.as_deref(), Some(target.as_str()));
    assert_eq!(seen[2].1.as_deref(), Some("via-pax"));
    assert_eq!(seen[3].2, 5);
    assert_eq!(seen[4].3, Some(0o644));
    assert_eq!(seen[5].0, "global-name");
}

#[test]
fn broken_headers_fail_as_in_tar() {
    let mut good = Vec::new();
    push(&mut good, &header(tar::EntryType::Regular, "a", 1), b"a");
    let second = good.len();
    push(&mut good, &header(tar::EntryType::Regular, "b", 1), b"b");
    good.extend_from_slice(&[0; 1024]);
    let mut bad_sum = good.clone();
    bad_sum[second + 10] ^= 1;
    let mut bad_size = good.clone();
    bad_size[second + 124..second + 136].copy_from_slice(b"12x45678901\0");
    let mut bad_cksum_field = good.clone();
    bad_cksum_field[second + 148..second + 156].copy_from_slice(b"zzzzzz\0 ");
    for (what, t) in [
        ("checksum", bad_sum),
        ("size", bad_size),
        ("cksum field", bad_cksum_field),
        ("cut in a header", good[..second + 100].to_vec()),
        ("cut in a body", good[..second + 520].to_vec()),
        ("cut after a long name", {
            let mut t = Vec::new();
            push(
                &mut t,
                &header(tar::EntryType::GNULongName, "././@LongLink", 4),
                b"abc\0",
            );
            t
        }),
    ] {
        let (_, err) = with_reader(&t, 1 << 20);
        assert!(err.is_some() || what == "cut in a body", "{what}");
        same(&t);
    }
}

#[test]
fn oversized_extensions_and_sparse_maps_are_refused() {
    for kind in [
        tar::EntryType::GNULongName,
        tar::EntryType::GNULongLink,
        tar::EntryType::XHeader,
        tar::EntryType::XGlobalHeader,
    ] {
        let mut t = Vec::new();
        push(
            &mut t,
            &header(tar::EntryType::Regular, "first", 5),
            b"hello",
        );
        t.extend_from_slice(header(kind, "././@LongLink", MAX_EXTENSION + 1).as_bytes());
        t.extend(std::iter::repeat_n(b'a', 2 << 20));
        let mut r = TarReader::new(&t[..]);
        assert!(r.next_entry().unwrap().is_some());
        let err = r.next_entry().unwrap_err();
        let m = crate::tar::guard::metadata_too_large(&err).expect("a limit");
        assert_eq!(
            (m.offset, m.declared),
            (1024, MAX_EXTENSION + 1),
            "{kind:?}"
        );
    }
    let mut h = header(tar::EntryType::GNUSparse, "sparse", 0);
    {
        let gnu = h.as_gnu_mut().unwrap();
        gnu.realsize = *b"00000000000\0";
        gnu.isextended[0] = 1;
    }
    h.set_cksum();
    let mut t = h.as_bytes().to_vec();
    for _ in 0..MAX_SPARSE_BLOCKS + 1 {
        let mut ext = [0u8; 512];
        ext[504] = 1;
        t.extend_from_slice(&ext);
    }
    let err = TarReader::new(&t[..]).next_entry().unwrap_err();
    assert!(
        crate::tar::guard::metadata_too_large(&err).is_some(),
        "{err}"
    );
}
