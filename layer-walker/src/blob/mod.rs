//! Blob bytes: compression sniffing, decoding, and digests computed while streaming.

mod hashing;

pub(crate) use hashing::HashingReader;

use std::io::{self, BufRead, Read};

use crate::limits::{Limit, LimitHit};

/// How a layer blob is compressed, decided from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// A plain tar.
    None,
    /// gzip (RFC 1952), possibly several members.
    Gzip,
    /// Zstandard.
    Zstd,
}

impl Compression {
    /// The name in reports: `none`, `gzip`, `zstd`.
    pub fn as_str(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }

    /// From magic bytes; anything else is taken for a plain tar (the tar reader then says
    /// whether it is one).
    pub fn sniff(head: &[u8]) -> Compression {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }

    /// What a media type declares, when it declares anything.
    pub fn from_media_type(mt: &str) -> Option<Compression> {
        if mt.ends_with("+gzip") || mt.ends_with(".gzip") {
            Some(Compression::Gzip)
        } else if mt.ends_with("+zstd") || mt.ends_with(".zstd") {
            Some(Compression::Zstd)
        } else if mt.ends_with(".tar") || mt.ends_with("diff.tar") {
            Some(Compression::None)
        } else {
            None
        }
    }
}

/// Wraps `inner` in the decoder `compression` needs.
pub(crate) fn decoder<'a, R: BufRead + 'a>(
    inner: R,
    compression: Compression,
) -> io::Result<Box<dyn Read + 'a>> {
    Ok(match compression {
        Compression::None => Box::new(inner),
        // layers may be several concatenated gzip members (pigz, some registries)
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(inner)),
        Compression::Zstd => {
            let mut d = zstd::stream::read::Decoder::with_buffer(inner)?;
            d.window_log_max(ZSTD_WINDOW_LOG_MAX)?;
            Box::new(d)
        }
    })
}

/// The largest zstd window a layer may use: 2^27 bytes (128 MiB), libzstd's own default
/// limit, stated so it cannot move with the library. The window is memory the decoder
/// holds for as long as the layer is read, one per layer in flight; frames made with
/// `zstd --long` (windows up to 2^31) fail with libzstd's "Frame requires too much memory
/// for decoding". Decoding a stream is single-threaded in libzstd (its threads compress
/// only), so there is no multi-threaded decoding setting to turn on.
const ZSTD_WINDOW_LOG_MAX: u32 = 27;

/// A reader that fails once more than `max` bytes have come through: the decompression
/// bomb guard. The error carries which [`Limit`] it was, for whoever reads it from below
/// the tar reader and decoders.
pub(crate) struct Limited<R> {
    inner: R,
    left: u64,
    hit: LimitHit,
}

impl<R> Limited<R> {
    pub(crate) fn new(inner: R, limit: Limit, max: u64) -> Self {
        Limited {
            inner,
            left: max,
            hit: LimitHit { limit, max },
        }
    }
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            self.left = 0;
            return Err(self.hit.into_io());
        }
        self.left -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A zstd frame whose window is `1 << log`, over data long enough to need it.
    fn zstd_with_window(log: u32) -> (Vec<u8>, Vec<u8>) {
        let plain: Vec<u8> = (0..(1u32 << 20)).flat_map(|i| i.to_le_bytes()).collect();
        let mut enc = zstd::stream::write::Encoder::new(Vec::new(), 1).unwrap();
        enc.window_log(log).unwrap();
        enc.long_distance_matching(true).unwrap();
        io::Write::write_all(&mut enc, &plain).unwrap();
        (enc.finish().unwrap(), plain)
    }

    #[test]
    fn zstd_windows_up_to_the_limit_decode_and_larger_ones_fail() {
        let (frame, plain) = zstd_with_window(ZSTD_WINDOW_LOG_MAX);
        let mut out = Vec::new();
        decoder(&frame[..], Compression::Zstd)
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, plain);
        let (frame, _) = zstd_with_window(ZSTD_WINDOW_LOG_MAX + 1);
        let err = decoder(&frame[..], Compression::Zstd)
            .unwrap()
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert!(err.to_string().contains("memory"), "{err}");
    }
}
