//! The write-ahead log beside `rpmdb.sqlite` (`rpmdb.sqlite-wal`).
//!
//! rpm keeps its SQLite database in WAL mode. A clean exit checkpoints the log into the
//! database and leaves it empty or removes it, but an image built by a killed or crashed rpm
//! can keep committed transactions only in the log. The database is read from memory, where
//! SQLite cannot apply a log, so such a log makes the package list possibly incomplete, and
//! the scan must say so. This reads just enough of the format (sqlite.org/fileformat2.html,
//! "The WAL File Format") to count the frames SQLite itself would replay: those whose salts
//! match the header and whose running checksum holds, up to the last commit frame.
//! Hand-written: a few dozen lines, where a crate would bring a second SQLite.

/// What a WAL holds that the database file does not.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WalSummary {
    /// Valid frames up to and including the last commit frame: pages SQLite would replay.
    pub committed_frames: usize,
    /// Committed transactions among them.
    pub transactions: usize,
}

const HEADER: usize = 32;
const FRAME_HEADER: usize = 24;

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// SQLite's WAL checksum over `data` (a multiple of 8 bytes), continuing from `s`. The words
/// are big-endian when the magic's low bit is set, little-endian otherwise.
fn checksum(mut s: (u32, u32), data: &[u8], big_endian: bool) -> (u32, u32) {
    for w in data.chunks_exact(8) {
        let word = |i: usize| {
            let b = [w[i], w[i + 1], w[i + 2], w[i + 3]];
            if big_endian {
                u32::from_be_bytes(b)
            } else {
                u32::from_le_bytes(b)
            }
        };
        s.0 = s.0.wrapping_add(word(0)).wrapping_add(s.1);
        s.1 = s.1.wrapping_add(word(4)).wrapping_add(s.0);
    }
    s
}

/// Reads a WAL. `None` when the bytes are not a WAL (bad magic, page size or header
/// checksum): SQLite ignores such a file, and so do we. An empty file is a WAL with nothing.
pub fn summarize(wal: &[u8]) -> Option<WalSummary> {
    let empty = WalSummary {
        committed_frames: 0,
        transactions: 0,
    };
    if wal.is_empty() {
        return Some(empty);
    }
    if wal.len() < HEADER {
        return None;
    }
    let magic = be32(wal, 0);
    if magic & !1 != 0x377f_0682 {
        return None;
    }
    let big_endian = magic & 1 == 1;
    let page_size = match be32(wal, 8) {
        1 => 65536,
        n if (512..=32768).contains(&n) && n.is_power_of_two() => n as usize,
        _ => return None,
    };
    let salts = (be32(wal, 16), be32(wal, 20));
    let mut sum = checksum((0, 0), &wal[..24], big_endian);
    if sum != (be32(wal, 24), be32(wal, 28)) {
        return None;
    }
    let mut out = empty;
    let (mut frames, mut at) = (0, HEADER);
    while at + FRAME_HEADER + page_size <= wal.len() {
        let fh = &wal[at..at + FRAME_HEADER];
        if (be32(fh, 8), be32(fh, 12)) != salts {
            break;
        }
        sum = checksum(sum, &fh[..8], big_endian);
        sum = checksum(
            sum,
            &wal[at + FRAME_HEADER..at + FRAME_HEADER + page_size],
            big_endian,
        );
        if sum != (be32(fh, 16), be32(fh, 20)) {
            break;
        }
        frames += 1;
        if be32(fh, 4) != 0 {
            // a commit frame: everything up to here is part of the database
            out.committed_frames = frames;
            out.transactions += 1;
        }
        at += FRAME_HEADER + page_size;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real WAL, written by the real SQLite (the bundled one rusqlite links) with automatic
    /// checkpoints off, read while the connection that wrote it is still open.
    fn real_wal(transactions: usize) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("rpmdb.sqlite");
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.pragma_update(None, "wal_autocheckpoint", 0).unwrap();
        conn.execute_batch("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB)")
            .unwrap();
        for i in 0..transactions {
            conn.execute(
                "INSERT INTO Packages (blob) VALUES (?1)",
                [vec![i as u8; 3000]],
            )
            .unwrap();
        }
        let wal = std::fs::read(dir.path().join("rpmdb.sqlite-wal")).unwrap();
        drop(conn);
        wal
    }

    #[test]
    fn counts_what_sqlite_would_replay() {
        let wal = real_wal(3);
        let s = summarize(&wal).expect("a WAL");
        // CREATE TABLE and three INSERTs: four commits
        assert_eq!(s.transactions, 4, "{s:?}");
        assert!(s.committed_frames >= 4, "{s:?}");
        // a torn last frame is not replayed, the commits before it are
        let torn = &wal[..wal.len() - 100];
        let t = summarize(torn).unwrap();
        assert_eq!(t.transactions, 3, "{t:?}");
        // one flipped bit in the first frame's page ends the valid log there
        let mut bad = wal.clone();
        bad[HEADER + FRAME_HEADER + 10] ^= 1;
        assert_eq!(summarize(&bad).unwrap().committed_frames, 0);
    }

    #[test]
    fn empty_and_foreign_files() {
        assert_eq!(summarize(b"").unwrap().committed_frames, 0);
        assert!(summarize(b"not a wal at all, but long enough to have a header").is_none());
        let mut wal = real_wal(1);
        wal[24] ^= 0xff; // header checksum
        assert!(summarize(&wal).is_none());
        for n in [0, 1, 31, 33, 100] {
            let _ = summarize(&real_wal(1)[..n]);
        }
    }
}
