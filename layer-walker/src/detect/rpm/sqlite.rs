//! rpm's SQLite backend (`rpmdb.sqlite`, rpm >= 4.16), read from memory.

pub use crate::detect::common::sqlite::SqliteError;
use crate::detect::common::sqlite::{check_plain_table, open};
#[cfg(test)]
use rusqlite::{Connection, MAIN_DB};

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
    check_plain_table(&conn, "Packages")?;
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
            return Err(SqliteError::MoreThanStored("Packages".into(), file.len()));
        }
        out.push((hnum, blob));
    }
    out.sort_by_key(|(hnum, _)| *hnum);
    Ok(out.into_iter().map(|(_, blob)| blob).collect())
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
            assert!(matches!(err, SqliteError::NotPlainTable(..)), "{err}");
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
        assert!(matches!(err, SqliteError::MoreThanStored(..)), "{err}");
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
