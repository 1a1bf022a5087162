//! Package databases kept in SQLite (rpm's `rpmdb.sqlite`, Nix's `db.sqlite`), opened from
//! memory with bounds on what any query on them may do: the bytes come from an image.

use std::io::Read;

use rusqlite::{Connection, OpenFlags, MAIN_DB};
use thiserror::Error;

/// Why a package database in SQLite (rpm's `rpmdb.sqlite`, Nix's `db.sqlite`) could not be read.
#[derive(Debug, Error)]
pub enum SqliteError {
    #[error("not a SQLite database")]
    NotSqlite,
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A table read is a view, a virtual table, or has generated columns: package managers
    /// write plain tables, and anything else can compute without end or return more than
    /// the file holds.
    #[error("its {0} is not a plain table ({1})")]
    NotPlainTable(String, String),
    #[error("its {0} rows add up to more bytes than the {1}-byte database holds")]
    MoreThanStored(String, usize),
}

/// Largest value a query may return: rpm's own header size limit (`HEADER_DATA_MAX`, 256 MiB)
/// is never approached by a real header (1 MiB would be a huge one).
const MAX_VALUE: i32 = 64 << 20;

/// Longest the queries on one database may run.
const MAX_QUERY_TIME: std::time::Duration = std::time::Duration::from_secs(60);

/// `file` as an in-memory database, with bounds on what any query on it may do.
pub(crate) fn open(file: &[u8]) -> Result<Connection, SqliteError> {
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
    // backstops on work, far above what reading any real package database takes (a few operations per
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

/// Refuses `table` when it is anything but a plain table (see [`SqliteError::NotPlainTable`]);
/// a missing table passes, for the query to report in SQLite's own words.
pub(crate) fn check_plain_table(conn: &Connection, table: &str) -> Result<(), SqliteError> {
    let found: Option<(String, String)> = conn
        .query_row(
            "SELECT type, coalesce(sql, '') FROM sqlite_schema WHERE name = ?1 COLLATE NOCASE",
            [table],
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
        return Err(SqliteError::NotPlainTable(
            table.into(),
            format!("a {kind}"),
        ));
    }
    if sql
        .trim_start()
        .get(..14)
        .is_some_and(|h| h.eq_ignore_ascii_case("create virtual"))
    {
        return Err(SqliteError::NotPlainTable(
            table.into(),
            "a virtual table".into(),
        ));
    }
    // table_xinfo's `hidden` is 2 for virtual and 3 for stored generated columns
    let generated: i64 = conn.query_row(
        "SELECT count(*) FROM pragma_table_xinfo(?1) WHERE hidden IN (2, 3)",
        [table],
        |r| r.get(0),
    )?;
    if generated > 0 {
        return Err(SqliteError::NotPlainTable(
            table.into(),
            "it has generated columns".into(),
        ));
    }
    Ok(())
}
