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
    /// `Packages` is a view, a virtual table, or has generated columns: rpm writes a plain
    /// table, and anything else can compute without end or return more than the file holds.
    #[error("its Packages is not a plain table ({0})")]
    NotPlainTable(String),
    #[error("its Packages rows add up to more bytes than the {0}-byte database holds")]
    MoreThanStored(usize),
}

/// Largest value a query may return: rpm's own header size limit (`HEADER_DATA_MAX`, 256 MiB)
/// is never approached by a real header (1 MiB would be a huge one).
const MAX_VALUE: i32 = 64 << 20;

/// Longest the queries on one database may run.
const MAX_QUERY_TIME: std::time::Duration = std::time::Duration::from_secs(60);

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
    let conn = open(file)?;
    check_plain_table(&conn)?;
    // sorted here rather than by SQLite: a sorter holds every row before it returns one,
    // while a scan returns them one at a time, and each is counted as it comes
    let mut stmt = conn.prepare("SELECT hnum, blob FROM Packages")?;
    let rows = stmt.query_map([], |row| {
        Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?))
    })?;
    let mut out = Vec::new();
    let mut total = 0usize;
    for row in rows {
        let (hnum, blob) = row?;
        total += blob.len();
        if total > file.len() {
            return Err(SqliteError::MoreThanStored(file.len()));
        }
        out.push((hnum, blob));
    }
    out.sort_by_key(|(hnum, _)| *hnum);
    Ok(out.into_iter().map(|(_, blob)| blob).collect())
}

/// `file` as an in-memory database, with bounds on what any query on it may do.
fn open(file: &[u8]) -> Result<Connection, SqliteError> {
    let mut conn = Connection::open_with_flags(
        ":memory:",
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    // SQLite copies the bytes into its own buffer; patch the two journal-mode bytes on the way.
    let patched = (&file[..18]).chain(&[1u8, 1][..]).chain(&file[20..]);
    conn.deserialize_read_exact(MAIN_DB, patched, file.len(), true)?;
    conn.set_limit(rusqlite::limits::Limit::SQLITE_LIMIT_LENGTH, MAX_VALUE)?;
    // a sort would spill to temporary files by default: nothing from an image goes to disk
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // backstops on work, far above what reading any real rpmdb takes (a few operations per
    // row, well under a second): a budget of operations, and of time, since one operation
    // can be a large sort step
    let budget = 10_000 + file.len() as u64 / 256;
    let started = std::time::Instant::now();
    let mut ticks = 0u64;
    conn.progress_handler(
        1000,
        Some(move || {
            ticks += 1;
            ticks > budget || started.elapsed() > MAX_QUERY_TIME
        }),
    )?;
    Ok(conn)
}

fn check_plain_table(conn: &Connection) -> Result<(), SqliteError> {
    let found: Option<(String, String)> = conn
        .query_row(
            "SELECT type, coalesce(sql, '') FROM sqlite_schema WHERE name = 'Packages' COLLATE NOCASE",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .map(Some)
        .or_else(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => Ok(None),
            e => Err(e),
        })?;
    let Some((kind, sql)) = found else {
        // the SELECT reports the missing table in SQLite's own words
        return Ok(());
    };
    if kind != "table" {
        return Err(SqliteError::NotPlainTable(format!("a {kind}")));
    }
    if sql
        .trim_start()
        .get(..14)
        .is_some_and(|h| h.eq_ignore_ascii_case("create virtual"))
    {
        return Err(SqliteError::NotPlainTable("a virtual table".into()));
    }
    // table_xinfo's `hidden` is 2 for virtual and 3 for stored generated columns
    let generated: i64 = conn.query_row(
        "SELECT count(*) FROM pragma_table_xinfo('Packages') WHERE hidden IN (2, 3)",
        [],
        |r| r.get(0),
    )?;
    if generated > 0 {
        return Err(SqliteError::NotPlainTable(
            "it has generated columns".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A database built by SQLite itself from `schema`, as its file's bytes.
    fn database(schema: &str) -> Vec<u8> {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(schema).unwrap();
        conn.serialize(MAIN_DB).unwrap().to_vec()
    }

    #[test]
    fn a_plain_table_is_read_in_hnum_order() {
        let db = database(
            "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);
             INSERT INTO Packages VALUES (2, x'0202'), (1, x'01');",
        );
        assert_eq!(read_packages(&db).unwrap(), vec![vec![1], vec![2, 2]]);
    }

    #[test]
    fn schemas_that_compute_are_refused_before_they_run() {
        // each would loop forever or return gigabytes from a few kilobytes
        for schema in [
            "CREATE VIEW Packages AS WITH RECURSIVE n(hnum) AS (SELECT 1 UNION ALL SELECT hnum + 1 FROM n)
             SELECT hnum, zeroblob(1000000) AS blob FROM n;",
            "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB AS (zeroblob(900000000)) VIRTUAL);
             INSERT INTO Packages (hnum) VALUES (1), (2), (3);",
        ] {
            let db = database(schema);
            let err = read_packages(&db).unwrap_err();
            assert!(matches!(err, SqliteError::NotPlainTable(_)), "{err}");
        }
    }

    #[test]
    fn rows_are_counted_as_they_come_whatever_the_schema() {
        // rows written with one column, under a schema edited afterwards to add one whose
        // default is a 1 MiB blob literal: held once in the schema, read with every row
        let mut schema = String::from("CREATE TABLE Packages (hnum INTEGER);");
        for i in 0..500 {
            schema.push_str(&format!("INSERT INTO Packages VALUES ({});", 500 - i));
        }
        schema.push_str(&format!(
            "PRAGMA writable_schema = ON;
             UPDATE sqlite_schema SET sql = 'CREATE TABLE Packages (hnum INTEGER, blob BLOB DEFAULT x''{}'')'
             WHERE name = 'Packages';",
            "00".repeat(1 << 20)
        ));
        let db = database(&schema);
        let err = read_packages(&db).unwrap_err();
        assert!(matches!(err, SqliteError::MoreThanStored(_)), "{err}");
    }

    #[test]
    fn work_and_value_size_are_bounded_whatever_the_query() {
        // should a schema trick pass the checks, the connection itself still refuses huge
        // values and interrupts endless work
        let db = database("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB);");
        let conn = open(&db).unwrap();
        let huge: rusqlite::Result<Vec<u8>> =
            conn.query_row("SELECT zeroblob(100000000)", [], |r| r.get(0));
        assert!(huge.is_err(), "a 100 MB value passed the length limit");
        let endless: rusqlite::Result<i64> = conn.query_row(
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT max(x) FROM n",
            [],
            |r| r.get(0),
        );
        assert!(
            matches!(&endless, Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::OperationInterrupted)),
            "{endless:?}"
        );
    }

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
