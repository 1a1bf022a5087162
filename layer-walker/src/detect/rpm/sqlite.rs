//! rpm's SQLite backend (`rpmdb.sqlite`, rpm >= 4.16), read from memory.

use std::io::Read;

use rusqlite::{Connection, OpenFlags, MAIN_DB};
use thiserror::Error;

/// Why an `rpmdb.sqlite` could not be read.
#[derive(Debug, Error)]
pub enum SqliteError {
    #[error("not a SQLite database")]
    NotSqlite,
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

/// The header blobs of the `Packages` table, in `hnum` order.
///
/// The body is deserialised into an in-memory database (never written to disk). rpm keeps
/// the database in WAL mode; an in-memory database cannot use a WAL, so the bytes are marked
/// as a rollback-journal database first (header bytes 18 and 19). A `-wal` file with committed
/// transactions next to the database cannot be applied here: the detector reports the
/// database incomplete instead (`wal.rs`; rpm checkpoints on exit, so images rarely have one).
pub fn read_packages(file: &[u8]) -> Result<Vec<Vec<u8>>, SqliteError> {
    if !file.starts_with(b"SQLite format 3\0") || file.len() < 100 {
        return Err(SqliteError::NotSqlite);
    }
    let mut conn = Connection::open_with_flags(
        ":memory:",
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // SQLite copies the bytes into its own buffer; patch the two journal-mode bytes on the way.
    let patched = (&file[..18]).chain(&[1u8, 1][..]).chain(&file[20..]);
    conn.deserialize_read_exact(MAIN_DB, patched, file.len(), true)?;
    let mut stmt = conn.prepare("SELECT blob FROM Packages ORDER BY hnum")?;
    let rows = stmt.query_map([], |row| row.get::<_, Vec<u8>>(0))?;
    let mut out = Vec::new();
    for row in rows {
        out.push(row?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrupt_bytes_are_an_error() {
        assert!(matches!(
            read_packages(b"not a database"),
            Err(SqliteError::NotSqlite)
        ));
        let mut junk = b"SQLite format 3\0".to_vec();
        junk.extend((0..4096u32).map(|i| (i * 7919 % 251) as u8));
        assert!(read_packages(&junk).is_err());
    }
}
