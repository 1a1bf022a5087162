//! The hostile and broken images a scanner meets, built deterministically, each with what a
//! correct scanner must do. Shared by the generator (`generate.rs`, which writes them to disk
//! for any tool) and by `layer-walker/tests/hostile_cases.rs` (which checks ours).
//!
//! Package facts are real dpkg `status` files, so the expectations mean the same to any tool.
//! Built with the layer and image builders of `layer-walker/tests/support/mod.rs`, which the
//! including crate must have as its top-level `support` module.

use std::path::{Path, PathBuf};

use crate::support::{docker_archive, docker_archive_of, gzip, layer, sha256, write_index, Oci, E};

/// What a correct scanner does with a case.
pub enum Expect {
    /// Fails, naming the image file, with every one of these words in the message.
    Fails(&'static [&'static str]),
    /// Succeeds and is complete: exactly these dpkg packages (sorted), nothing incomplete.
    Complete(&'static [&'static str]),
    /// Succeeds, says it is incomplete, and names this path among its warnings; these
    /// packages (sorted) are what could be read.
    Incomplete(&'static str, &'static [&'static str]),
}

pub enum Image {
    /// One archive file (`<name>.tar`).
    File(Vec<u8>),
    /// An OCI layout directory (`<name>/`), written by the function.
    OciDir(Box<dyn Fn(&Path)>),
}

pub struct Case {
    pub name: &'static str,
    /// What is wrong with it, in a line.
    pub what: &'static str,
    pub expect: Expect,
    pub image: Image,
}

impl Case {
    /// Where [`Case::write`] puts it under `dir`.
    pub fn path_in(&self, dir: &Path) -> PathBuf {
        match self.image {
            Image::File(_) => dir.join(format!("{}.tar", self.name)),
            Image::OciDir(_) => dir.join(self.name),
        }
    }

    /// Writes the image under `dir`; returns its path.
    pub fn write(&self, dir: &Path) -> PathBuf {
        let p = self.path_in(dir);
        match &self.image {
            Image::File(bytes) => std::fs::write(&p, bytes).expect("writing a case"),
            Image::OciDir(f) => {
                std::fs::create_dir_all(&p).expect("creating a case directory");
                f(&p);
            }
        }
        p
    }
}

/// A dpkg status file listing `name version` pairs as installed packages.
pub fn status(pkgs: &[(&str, &str)]) -> Vec<u8> {
    let mut s = String::new();
    for (n, v) in pkgs {
        s.push_str(&format!(
            "Package: {n}\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\nVersion: {v}\nDescription: {n}\n\n"
        ));
    }
    s.into_bytes()
}

const STATUS: &str = "var/lib/dpkg/status";

fn base() -> Vec<u8> {
    layer(&[
        E::Dir("var/"),
        E::Dir("var/lib/"),
        E::Dir("var/lib/dpkg/"),
        E::File(
            STATUS,
            &status(&[("base-files", "12.4"), ("tzdata", "2024a-0")]),
        ),
    ])
}

/// A layer whose dpkg status is stored under another name, and the real path a hard link to
/// it (through `via`, a link to the stored file, when given); `pad` makes the layer too big
/// to be kept in memory when its archive is streamed.
fn linked_status_layer(via: Option<&str>, pad: bool) -> Vec<u8> {
    let db = status(&[("linked-db", "1.0"), ("tzdata", "2024a-0+deb12u1")]);
    let padding = vec![0x55u8; if pad { 96 << 10 } else { 0 }];
    let mut entries = vec![
        E::Dir("var/"),
        E::Dir("var/lib/"),
        E::Dir("var/lib/dpkg/"),
        E::File("var/lib/dpkg/status.stored", &db),
        E::File("opt/padding", &padding),
    ];
    match via {
        Some(mid) => {
            entries.push(E::Hardlink(mid, "var/lib/dpkg/status.stored"));
            entries.push(E::Hardlink(STATUS, mid));
        }
        None => entries.push(E::Hardlink(STATUS, "var/lib/dpkg/status.stored")),
    }
    layer(&entries)
}

fn oci(layers: Vec<Vec<u8>>, then: impl Fn(&Path, &Oci) + 'static) -> Image {
    Image::OciDir(Box::new(move |dir| {
        let oci = Oci::gzip_layers(layers.clone());
        oci.write(dir);
        then(dir, &oci);
    }))
}

fn blob_path(dir: &Path, bytes: &[u8]) -> PathBuf {
    dir.join("blobs/sha256").join(&sha256(bytes)[7..])
}

/// A PAX extended header (type `x`) carrying `key=value`, then `next` (header only) and a raw
/// `body` padded to a block: the body length is what the PAX record says, not `next`'s size.
fn pax_then(out: &mut Vec<u8>, key: &str, value: &str, next: &tar::Header, body: &[u8]) {
    pax_records_then(out, &[(key, value)], next, body)
}

/// [`pax_then`] with several records.
fn pax_records_then(out: &mut Vec<u8>, records: &[(&str, &str)], next: &tar::Header, body: &[u8]) {
    let mut record = Vec::new();
    for (key, value) in records {
        let tail = format!(" {key}={value}\n");
        let mut len = tail.len() + 1;
        while len.to_string().len() + tail.len() != len {
            len += 1;
        }
        record.extend_from_slice(format!("{len}{tail}").as_bytes());
    }
    let mut x = tar::Header::new_ustar();
    x.set_entry_type(tar::EntryType::XHeader);
    x.set_path("PaxHeaders/entry").expect("short path");
    x.set_size(record.len() as u64);
    x.set_mode(0o644);
    x.set_cksum();
    out.extend_from_slice(x.as_bytes());
    out.extend_from_slice(&record);
    out.resize(out.len().div_ceil(512) * 512, 0);
    out.extend_from_slice(next.as_bytes());
    out.extend_from_slice(body);
    out.resize(out.len().div_ceil(512) * 512, 0);
}

fn ustar(path: &str, size: u64) -> tar::Header {
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_path(path).expect("short path");
    h.set_size(size);
    h.set_mode(0o644);
    h.set_cksum();
    h
}

/// A gzip layer whose tar holds one entry (`header`, its size set here) of `1 + extra_mib`
/// MiB of zeros, followed by `tail` (more entries and the end-of-archive blocks): returns the
/// gzip blob and the tar's diff_id.
fn zeros_bomb_layer(mut header: tar::Header, extra_mib: usize, tail: &[u8]) -> (Vec<u8>, String) {
    const MIB: usize = 1 << 20;
    header.set_size(((1 + extra_mib) * MIB) as u64);
    header.set_cksum();
    repeated_layer(header.as_bytes(), &vec![0u8; MIB], 1, extra_mib, tail)
}

/// The gzip stream of `head`, then `unit` `lead + copies` times, then `tail`, built without
/// ever holding the inflated bytes (gigabytes, in some cases); returns it and the sha256 of
/// what it inflates to.
///
/// After a sync flush the deflate stream is byte-aligned, and a block that inflates to `unit`
/// given a window (the last 32 KiB) of repeated units can be repeated as often as wanted:
/// `lead` copies, at least 32 KiB of them, come first to fill the window. The gzip trailer's
/// CRC-32 is combined arithmetically rather than computed over the whole.
fn repeated_layer(
    head: &[u8],
    unit: &[u8],
    lead: usize,
    copies: usize,
    tail: &[u8],
) -> (Vec<u8>, String) {
    use flate2::{Compress, Compression, Crc, FlushCompress};
    use sha2::Digest as _;
    assert!(
        unit.len() * lead >= 32 << 10,
        "the window must hold only units"
    );
    let mut deflate = Compress::new(Compression::best(), false);
    let mut run = |input: &[u8], flush: FlushCompress| {
        let mut out = Vec::with_capacity(input.len() + 4096);
        let before = deflate.total_in();
        while deflate.total_in() - before < input.len() as u64 || flush == FlushCompress::Finish {
            let done = (deflate.total_in() - before) as usize;
            out.reserve(4096);
            let status = deflate
                .compress_vec(&input[done..], &mut out, flush)
                .expect("deflate");
            if flush == FlushCompress::Finish && status == flate2::Status::StreamEnd {
                break;
            }
        }
        if flush == FlushCompress::Sync {
            // the flush may still be pending when all input is taken
            loop {
                out.reserve(4096);
                let len = out.len();
                deflate.compress_vec(&[], &mut out, flush).expect("deflate");
                if out.len() == len {
                    break;
                }
            }
        }
        out
    };
    let mut first = head.to_vec();
    for _ in 0..lead {
        first.extend_from_slice(unit);
    }
    let start = run(&first, FlushCompress::Sync);
    let block = run(unit, FlushCompress::Sync);
    let end = run(tail, FlushCompress::Finish);

    let mut crc = Crc::new();
    crc.update(&first);
    let mut one = Crc::new();
    one.update(unit);
    let mut sha = sha2::Sha256::new();
    sha.update(&first);
    for _ in 0..copies {
        crc.combine(&one);
        sha.update(unit);
    }
    crc.update(tail);
    sha.update(tail);

    let mut gz = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    gz.extend_from_slice(&start);
    for _ in 0..copies {
        gz.extend_from_slice(&block);
    }
    gz.extend_from_slice(&end);
    gz.extend_from_slice(&crc.sum().to_le_bytes());
    gz.extend_from_slice(&crc.amount().to_le_bytes());
    (gz, format!("sha256:{:x}", sha.finalize()))
}

/// One directory entry whose 16 KiB path comes from a PAX header, as a repeatable unit.
fn long_path_dir() -> Vec<u8> {
    let path = format!("{}/", "d".repeat(16 << 10));
    let mut out = Vec::new();
    let mut dir = tar::Header::new_ustar();
    dir.set_entry_type(tar::EntryType::Directory);
    dir.set_path("short/").expect("short path");
    dir.set_mode(0o755);
    dir.set_size(0);
    dir.set_cksum();
    pax_then(&mut out, "path", &path, &dir, &[]);
    out
}

/// The base layer, then a gzip layer of [`zeros_bomb_layer`] whose entry is followed by a
/// distroless status file for `after-bomb`.
fn base_then_bomb(header: tar::Header, extra_mib: usize) -> Image {
    base_then(move || {
        zeros_bomb_layer(
            header.clone(),
            extra_mib,
            &layer(&[E::File(
                "var/lib/dpkg/status.d/after",
                &status(&[("after-bomb", "1.0")]),
            )]),
        )
    })
}

/// The base layer, then the gzip layer `second` builds (too big to hold inflated: it returns
/// the blob and its diff_id).
fn base_then(second: impl Fn() -> (Vec<u8>, String) + 'static) -> Image {
    Image::OciDir(Box::new(move |dir| {
        let mut oci = Oci::gzip_layers(vec![base()]);
        let (blob, diff_id) = second();
        oci.layers.push((
            blob,
            Vec::new(), // never held; its diff_id is set below
            "application/vnd.oci.image.layer.v1.tar+gzip".into(),
        ));
        let mut config: serde_json::Value = serde_json::from_slice(&oci.config()).expect("config");
        config["rootfs"]["diff_ids"][1] = diff_id.into();
        let desc = oci.write_image(dir, &serde_json::to_vec(&config).expect("json"));
        write_index(dir, vec![desc]);
    }))
}

/// The header of a tar extension entry (GNU long name, PAX), as GNU tar and Go name them.
fn extension(kind: tar::EntryType) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_path("././@LongLink").expect("short path");
    h.set_mode(0o644);
    h
}

/// Every case, in a stable order.
pub fn all() -> Vec<Case> {
    let archive = docker_archive(&[base()]);
    let gz = gzip(&archive);
    let mut padded = archive.clone();
    padded.extend(std::iter::repeat_n(0u8, 64 << 10));
    let padded_gz = gzip(&padded);
    let mut bad_crc = padded_gz.clone();
    let n = bad_crc.len();
    bad_crc[n - 6] ^= 0xff;
    let noise: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();

    vec![
        Case {
            name: "intact",
            what: "nothing: the control case every other case breaks",
            expect: Expect::Complete(&["base-files", "tzdata"]),
            image: Image::File(archive.clone()),
        },
        Case {
            name: "truncated-archive",
            what: "a docker-archive cut at a third",
            expect: Expect::Fails(&["truncated"]),
            image: Image::File(archive[..archive.len() / 3].to_vec()),
        },
        Case {
            name: "truncated-gzip-archive",
            what: "a gzip-wrapped docker-archive cut in half",
            expect: Expect::Fails(&["truncated"]),
            image: Image::File(gz[..gz.len() / 2].to_vec()),
        },
        Case {
            name: "gzip-archive-without-trailer",
            what: "a gzip-wrapped archive whose 8-byte CRC/length trailer is missing (tar stops reading before it)",
            expect: Expect::Fails(&["truncated"]),
            image: Image::File(padded_gz[..padded_gz.len() - 8].to_vec()),
        },
        Case {
            name: "gzip-archive-bad-crc",
            what: "a gzip-wrapped archive whose CRC does not match",
            expect: Expect::Fails(&["corrupt"]),
            image: Image::File(bad_crc),
        },
        Case {
            name: "truncated-gzip-layer",
            what: "a gzip layer cut in half, its digest recorded as cut (only the stream is broken)",
            expect: Expect::Fails(&["layer 0", "truncated"]),
            image: Image::OciDir(Box::new(|dir| {
                let mut oci = Oci::gzip_layers(vec![base()]);
                let cut = oci.layers[0].0.len() / 2;
                oci.layers[0].0.truncate(cut);
                oci.write(dir);
            })),
        },
        Case {
            name: "truncated-zstd-layer",
            what: "a zstd layer cut in half, its digest recorded as cut",
            expect: Expect::Fails(&["layer 0"]),
            image: Image::OciDir(Box::new(|dir| {
                let raw = base();
                let mut z = zstd::encode_all(&raw[..], 3).expect("zstd");
                z.truncate(z.len() / 2);
                Oci {
                    layers: vec![(z, raw, "application/vnd.oci.image.layer.v1.tar+zstd".into())],
                    platform: ("linux", "amd64"),
                }
                .write(dir);
            })),
        },
        Case {
            name: "layer-digest-mismatch",
            what: "a layer blob replaced by another valid layer: its bytes no longer match the manifest",
            expect: Expect::Fails(&["layer 0", "sha256:"]),
            image: oci(vec![base()], |dir, o| {
                let other = gzip(&layer(&[E::File(STATUS, &status(&[("evil", "6.6.6")]))]));
                std::fs::write(blob_path(dir, &o.layers[0].0), other).expect("blob");
            }),
        },
        Case {
            name: "diff-id-mismatch",
            what: "the config's diff_id does not match the uncompressed layer",
            expect: Expect::Fails(&["diff_id"]),
            image: Image::OciDir(Box::new(|dir| {
                let oci = Oci::gzip_layers(vec![base()]);
                let mut config: serde_json::Value =
                    serde_json::from_slice(&oci.config()).expect("config");
                config["rootfs"]["diff_ids"][0] = sha256(b"something else").into();
                let desc = oci.write_image(dir, &serde_json::to_vec(&config).expect("json"));
                write_index(dir, vec![desc]);
            })),
        },
        Case {
            name: "missing-blob",
            what: "the manifest names a layer blob that is not there",
            expect: Expect::Fails(&["blobs/sha256/"]),
            image: oci(vec![base()], |dir, o| {
                std::fs::remove_file(blob_path(dir, &o.layers[0].0)).expect("blob");
            }),
        },
        Case {
            name: "blob-link-outside-the-layout",
            what: "the layer blob is a symlink to a file beside the layout (with the right digest)",
            expect: Expect::Fails(&["outside the layout"]),
            image: oci(vec![base()], |dir, o| {
                let blob = blob_path(dir, &o.layers[0].0);
                let outside = dir.with_extension("outside-blob");
                std::fs::rename(&blob, &outside).expect("moving the blob out");
                let target = std::path::absolute(&outside).expect("absolute path");
                std::os::unix::fs::symlink(target, &blob).expect("symlink");
            }),
        },
        Case {
            name: "blob-is-a-fifo",
            what: "the layer blob is a named pipe (opening one waits for a writer)",
            expect: Expect::Fails(&["not a regular file"]),
            image: oci(vec![base()], |dir, o| {
                let blob = blob_path(dir, &o.layers[0].0);
                std::fs::remove_file(&blob).expect("blob");
                let made = std::process::Command::new("mkfifo")
                    .arg(&blob)
                    .status()
                    .expect("mkfifo");
                assert!(made.success(), "mkfifo {}", blob.display());
            }),
        },
        Case {
            name: "invalid-index-json",
            what: "index.json is not JSON",
            expect: Expect::Fails(&["index.json"]),
            image: Image::OciDir(Box::new(|dir| {
                std::fs::write(dir.join("index.json"), b"{not json").expect("index");
                std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#)
                    .expect("oci-layout");
            })),
        },
        Case {
            name: "config-without-rootfs",
            what: "the image config has no rootfs (a required field)",
            expect: Expect::Fails(&["config"]),
            image: Image::OciDir(Box::new(|dir| {
                let oci = Oci::gzip_layers(vec![base()]);
                let config = br#"{"architecture":"amd64","os":"linux"}"#;
                let desc = oci.write_image(dir, config);
                write_index(dir, vec![desc]);
            })),
        },
        Case {
            name: "diff-id-count-mismatch",
            what: "the manifest has one layer, the config no diff_ids",
            expect: Expect::Fails(&["diff_ids"]),
            image: Image::OciDir(Box::new(|dir| {
                let oci = Oci::gzip_layers(vec![base()]);
                let mut config: serde_json::Value =
                    serde_json::from_slice(&oci.config()).expect("config");
                config["rootfs"]["diff_ids"] = serde_json::json!([]);
                let desc = oci.write_image(dir, &serde_json::to_vec(&config).expect("json"));
                write_index(dir, vec![desc]);
            })),
        },
        Case {
            name: "digest-path-traversal",
            what: "the index points at sha256:../../../etc/passwd",
            expect: Expect::Fails(&["digest"]),
            image: Image::OciDir(Box::new(|dir| {
                write_index(dir, vec![serde_json::json!({
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": "sha256:../../../etc/passwd", "size": 1})]);
            })),
        },
        Case {
            name: "dotdot-entry",
            what: "a layer entry named ../../etc/passwd",
            expect: Expect::Fails(&["outside the image root"]),
            image: oci(
                vec![layer(&[E::RawName(b"../../etc/passwd", b"root:x:0:0")])],
                |_, _| {},
            ),
        },
        Case {
            name: "absolute-names-and-escaping-symlink",
            what: "an absolute entry name, and /etc/os-release -> ../../../../usr/lib/os-release",
            expect: Expect::Complete(&["base-files", "tzdata"]),
            image: oci(
                vec![layer(&[
                    E::RawName(b"/var/lib/dpkg/status", &status(&[("base-files", "12.4"), ("tzdata", "2024a-0")])),
                    E::File("usr/lib/os-release", b"ID=debian\nVERSION_ID=\"12\"\n"),
                    E::Symlink("etc/os-release", "../../../../usr/lib/os-release"),
                ])],
                |_, _| {},
            ),
        },
        Case {
            name: "symlink-loop",
            what: "/var/lib/dpkg -> /var/lib/x -> /var/lib/dpkg",
            expect: Expect::Complete(&[]),
            image: oci(
                vec![layer(&[
                    E::Dir("var/"),
                    E::Dir("var/lib/"),
                    E::Symlink("var/lib/dpkg", "/var/lib/x"),
                    E::Symlink("var/lib/x", "/var/lib/dpkg"),
                ])],
                |_, _| {},
            ),
        },
        Case {
            name: "hardlinks-to-later-and-missing",
            what: "the status file is a hard link to an entry that comes later, or to none",
            expect: Expect::Complete(&[]),
            image: oci(
                vec![layer(&[
                    E::Hardlink(STATUS, "var/lib/dpkg/later"),
                    E::Hardlink("var/lib/dpkg/status-old", "var/lib/dpkg/missing"),
                    E::File("var/lib/dpkg/later", &status(&[("later", "1")])),
                ])],
                |_, _| {},
            ),
        },
        Case {
            name: "hardlink-to-unclaimed-file",
            what: "the status file is a hard link to an earlier entry nobody reads (the database stored under another name)",
            expect: Expect::Complete(&["linked-db", "tzdata"]),
            image: oci(vec![linked_status_layer(None, false)], |_, _| {}),
        },
        Case {
            name: "hardlink-chain",
            what: "the status file is a hard link to a hard link to an earlier entry nobody reads",
            expect: Expect::Complete(&["linked-db", "tzdata"]),
            image: oci(
                vec![linked_status_layer(Some("var/lib/dpkg/status.mid"), false)],
                |_, _| {},
            ),
        },
        Case {
            name: "hardlink-to-unclaimed-file-in-gzip-archive",
            what: "the hard-linked status file, in a layer too big to keep, in a gzip-wrapped docker-archive (read as one stream)",
            expect: Expect::Complete(&["linked-db", "tzdata"]),
            image: Image::File(gzip(&docker_archive(&[linked_status_layer(None, true)]))),
        },
        Case {
            name: "huge-size-header",
            what: "a tar header claiming a 1 TiB status file, with no body",
            expect: Expect::Fails(&["layer 0"]),
            image: oci(vec![layer(&[E::Claims(STATUS, 1 << 40)])], |_, _| {}),
        },
        Case {
            name: "claimed-file-bomb",
            what: "96 MiB of zeros (a ~100 KB gzip layer) at /var/lib/dpkg/status, over the 64 MiB a status file may have",
            expect: Expect::Incomplete("/var/lib/dpkg/status", &[]),
            image: Image::OciDir(Box::new(|dir| {
                let zeros = vec![0u8; 96 << 20];
                Oci::gzip_layers(vec![layer(&[E::File(STATUS, &zeros)])]).write(dir);
            })),
        },
        Case {
            name: "gigabyte-bomb",
            what: "a ~4 MB gzip layer holding 4 GiB + 1 MiB of zeros at a distroless status.d file, then a real one",
            expect: Expect::Incomplete(
                "/var/lib/dpkg/status.d/bomb",
                &["after-bomb", "base-files", "tzdata"],
            ),
            image: base_then_bomb(ustar("var/lib/dpkg/status.d/bomb", 0), 4096),
        },
        Case {
            name: "gnu-long-name-bomb",
            what: "a GNU long-name entry ('L') of 1 GiB of zeros in a ~1 MB gzip layer",
            expect: Expect::Fails(&["layer 1", "long name"]),
            image: base_then_bomb(extension(tar::EntryType::GNULongName), 1023),
        },
        Case {
            name: "pax-header-bomb",
            what: "a PAX extended header ('x') of 1 GiB of zeros in a ~1 MB gzip layer",
            expect: Expect::Fails(&["layer 1", "PAX"]),
            image: base_then_bomb(extension(tar::EntryType::XHeader), 1023),
        },
        Case {
            name: "gzip-archive-pax-bomb",
            what: "a gzip-wrapped docker archive (~1 MB) opening with a PAX header of 1 GiB of zeros",
            expect: Expect::Fails(&["PAX"]),
            image: Image::File(
                zeros_bomb_layer(extension(tar::EntryType::XHeader), 1023, &archive).0,
            ),
        },
        Case {
            name: "path-flood",
            what: "a ~1 MB gzip layer of 40,000 directory entries, each with a 16 KiB PAX path (650 MB of names)",
            expect: Expect::Fails(&["layer 1", "tar metadata kept"]),
            image: base_then(|| repeated_layer(&[], &long_path_dir(), 2, 40_000, &[0; 1024])),
        },
        Case {
            name: "one-layer-listed-5000-times",
            what: "a manifest naming one small layer blob 5,000 times (each place is laid over the last)",
            expect: Expect::Fails(&["5000 layers", "4096"]),
            image: Image::OciDir(Box::new(|dir| {
                let mut oci = Oci::gzip_layers(vec![base()]);
                let one = oci.layers[0].clone();
                oci.layers = vec![one; 5000];
                oci.write(dir);
            })),
        },
        Case {
            name: "index-fan-out",
            what: "index.json names a nested index 1,000 times, which names the next 1,000 times, four levels deep (10^15 paths to one manifest)",
            expect: Expect::Fails(&["index.json", "limit of 10000 manifests"]),
            image: Image::OciDir(Box::new(|dir| {
                let oci = Oci::gzip_layers(vec![base()]);
                let mut desc = oci.write_image(dir, &oci.config());
                for _ in 0..4 {
                    let index = serde_json::to_vec(&serde_json::json!({
                        "schemaVersion": 2,
                        "mediaType": "application/vnd.oci.image.index.v1+json",
                        "manifests": vec![desc; 1000],
                    }))
                    .expect("json");
                    let digest = sha256(&index);
                    std::fs::write(blob_path(dir, &index), &index).expect("index blob");
                    desc = serde_json::json!({
                        "mediaType": "application/vnd.oci.image.index.v1+json",
                        "digest": digest, "size": index.len(),
                    });
                }
                write_index(dir, vec![desc; 1000]);
            })),
        },
        Case {
            name: "symlink-of-400k-components",
            what: "/usr is a symlink to a/a/a/... (400,000 components, from a PAX linkpath) that every dpkg and distro lookup passes through",
            expect: Expect::Complete(&["base-files", "tzdata"]),
            image: oci(
                vec![base(), {
                    let mut raw = Vec::new();
                    let mut link = tar::Header::new_ustar();
                    link.set_entry_type(tar::EntryType::Symlink);
                    link.set_path("usr").expect("short path");
                    link.set_link_name("a").expect("short name");
                    link.set_mode(0o777);
                    link.set_size(0);
                    link.set_cksum();
                    pax_then(&mut raw, "linkpath", &"a/".repeat(400_000), &link, &[]);
                    raw.extend_from_slice(&[0; 1024]);
                    raw
                }],
                |_, _| {},
            ),
        },
        Case {
            name: "pax-sparse-status",
            what: "the dpkg status of layer 1 stored as a GNU sparse file in PAX format (1.0): the header names GNUSparseFile.0/status, the records /var/lib/dpkg/status",
            expect: Expect::Complete(&["base-files", "sparse-hidden", "tzdata"]),
            image: oci(
                vec![base(), {
                    let text = status(&[
                        ("base-files", "12.4"),
                        ("tzdata", "2024a-0"),
                        ("sparse-hidden", "6.6.6"),
                    ]);
                    let mut stored = format!("1\n0\n{}\n", text.len()).into_bytes();
                    stored.resize(512, 0);
                    stored.extend_from_slice(&text);
                    let size = text.len().to_string();
                    let mut raw = Vec::new();
                    pax_records_then(
                        &mut raw,
                        &[
                            ("GNU.sparse.major", "1"),
                            ("GNU.sparse.minor", "0"),
                            ("GNU.sparse.name", STATUS),
                            ("GNU.sparse.realsize", &size),
                        ],
                        &ustar("var/lib/dpkg/GNUSparseFile.0/status", stored.len() as u64),
                        &stored,
                    );
                    raw.extend_from_slice(&[0; 1024]);
                    raw
                }],
                |_, _| {},
            ),
        },
        Case {
            name: "gnu-long-name-with-nul",
            what: "layer 1's dpkg status named by a GNU long name `var/lib/dpkg/status\\0junk`, which ends at the NUL for Docker",
            expect: Expect::Complete(&["base-files", "nul-named", "tzdata"]),
            image: oci(
                vec![base(), {
                    let name = format!("{STATUS}\0junk\0");
                    let text = status(&[
                        ("base-files", "12.4"),
                        ("tzdata", "2024a-0"),
                        ("nul-named", "1"),
                    ]);
                    let mut long = extension(tar::EntryType::GNULongName);
                    long.set_size(name.len() as u64);
                    long.set_cksum();
                    let mut raw = long.as_bytes().to_vec();
                    raw.extend_from_slice(name.as_bytes());
                    raw.resize(raw.len().div_ceil(512) * 512, 0);
                    raw.extend_from_slice(ustar("status", text.len() as u64).as_bytes());
                    raw.extend_from_slice(&text);
                    raw.resize(raw.len().div_ceil(512) * 512, 0);
                    raw.extend_from_slice(&[0; 1024]);
                    raw
                }],
                |_, _| {},
            ),
        },
        Case {
            name: "v7-pax-header",
            what: "a PAX header giving the next entry 1024 bytes, in a header without the ustar magic: Go applies it, the tar crate lists it as a file",
            expect: Expect::Fails(&["layer 1", "pre-POSIX"]),
            image: oci(
                vec![base(), {
                    let mut raw = Vec::new();
                    pax_then(&mut raw, "size", "1024", &ustar("x", 0), &[0; 1024]);
                    // the same bytes, with the PAX header's magic and version cleared
                    raw[257..265].fill(0);
                    let mut sum: u32 = raw[..512].iter().map(|b| u32::from(*b)).sum();
                    sum -= raw[148..156].iter().map(|b| u32::from(*b)).sum::<u32>();
                    sum += 8 * 32;
                    raw[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
                    raw.extend_from_slice(&[0; 1024]);
                    raw
                }],
                |_, _| {},
            ),
        },
        Case {
            name: "pax-size-desync",
            what: "a PAX size of 1024 over a ustar size of 0; the body is a tar entry with another status file",
            expect: Expect::Complete(&["base-files", "tzdata"]),
            image: oci(
                vec![{
                    let mut raw = base();
                    raw.truncate(raw.len() - 1024); // drop the end-of-archive blocks
                    let fake = status(&[("smuggled", "6.6.6")]);
                    let mut body = ustar(STATUS, fake.len() as u64).as_bytes().to_vec();
                    body.extend_from_slice(&fake);
                    body.resize(1024, 0);
                    pax_then(&mut raw, "size", "1024", &ustar("notes/decoy", 0), &body);
                    raw.extend(std::iter::repeat_n(0u8, 1024));
                    raw
                }],
                |_, _| {},
            ),
        },
        Case {
            name: "pax-path-override",
            what: "the ustar name is notes/x, the PAX path var/lib/dpkg/status (Docker extracts it there)",
            expect: Expect::Complete(&["via-pax"]),
            image: oci(
                vec![{
                    let mut raw = Vec::new();
                    let body = status(&[("via-pax", "1.0")]);
                    pax_then(&mut raw, "path", STATUS, &ustar("notes/x", body.len() as u64), &body);
                    raw.extend(std::iter::repeat_n(0u8, 1024));
                    raw
                }],
                |_, _| {},
            ),
        },
        Case {
            name: "duplicate-entries",
            what: "the status file twice in one layer: the later one wins, as in Docker",
            expect: Expect::Complete(&["second"]),
            image: oci(
                vec![layer(&[
                    E::File(STATUS, &status(&[("first", "1")])),
                    E::File(STATUS, &status(&[("second", "2")])),
                ])],
                |_, _| {},
            ),
        },
        Case {
            name: "whiteout-file",
            what: "layer 1 whites out layer 0's status file",
            expect: Expect::Complete(&[]),
            image: oci(
                vec![base(), layer(&[E::File("var/lib/dpkg/.wh.status", b"")])],
                |_, _| {},
            ),
        },
        Case {
            name: "whiteout-directory",
            what: "layer 1 whites out /var/lib/dpkg as a whole",
            expect: Expect::Complete(&[]),
            image: oci(vec![base(), layer(&[E::File("var/lib/.wh.dpkg", b"")])], |_, _| {}),
        },
        Case {
            name: "opaque-directory",
            what: "layer 1 makes /var/lib/dpkg opaque and writes a new status file",
            expect: Expect::Complete(&["fresh"]),
            image: oci(
                vec![
                    base(),
                    layer(&[
                        E::File("var/lib/dpkg/.wh..wh..opq", b""),
                        E::File(STATUS, &status(&[("fresh", "1")])),
                    ]),
                ],
                |_, _| {},
            ),
        },
        Case {
            name: "two-images-none-chosen",
            what: "`docker save app tools`: two images, and nothing says which one to read",
            expect: Expect::Fails(&["2 images", "@0 (app:1)", "@1 (tools:2)"]),
            image: Image::File(docker_archive_of(&[
                (&["app:1"], vec![base()]),
                (
                    &["tools:2"],
                    vec![layer(&[E::File(STATUS, &status(&[("tools", "2")]))])],
                ),
            ])),
        },
        Case {
            name: "plain-layer-as-image",
            what: "a single layer tar given where an image is expected",
            expect: Expect::Fails(&["single layer"]),
            image: Image::File(base()),
        },
        Case {
            name: "random-bytes",
            what: "4 KiB of noise",
            expect: Expect::Fails(&["not"]),
            image: Image::File(noise),
        },
        Case {
            name: "empty-file",
            what: "zero bytes",
            expect: Expect::Fails(&["empty"]),
            image: Image::File(Vec::new()),
        },
    ]
}
