//! Nix store paths: `/nix/store/<hash>-<name>-<version>[-<output>]`, each one a package (or
//! one output of one: `-bin`, `-dev`), plus what Nix's database, `/nix/var/nix/db/db.sqlite`,
//! records of them where the image has it (sizes, references, which output a path is).
//!
//! A store path is seen through its files: every file under it is claimed by path alone
//! ([`Claim::path_only`]), never read, and listed as the package's. Images built by
//! `dockerTools` carry store paths without a database; NixOS-based images (`nixos/nix`)
//! carry both. Derivations (`.drv`) are build recipes, not installed software, and are
//! left out, as are paths whose name has no version (sources, scripts, configuration).

use std::collections::BTreeMap;
use std::sync::Arc;

use sbom_core::{purl::PURL_QUALIFIER, Ecosystem, Package};

use super::common::sqlite::{check_plain_table, open, SqliteError};
use super::{Claim, CollectContext, Detector, EntryMeta, Findings, FsView, ParseError, Parsed};

#[cfg(test)]
mod tests;

const NAME: &str = "nix";
const STORE: &str = "/nix/store/";
const DB: &str = "/nix/var/nix/db/db.sqlite";
/// NixOS systems with thousands of paths keep databases of tens of MB.
const MAX_DB: u64 = 512 << 20;
/// Length of the hash part of a store path's name (160 bits in Nix's base32).
const HASH_LEN: usize = 32;

/// A file under a store path: its presence is all that is kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoreFile;

/// One valid path as the database records it.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ValidPath {
    /// `/nix/store/<hash>-<name>`.
    pub path: String,
    /// Size of the path's NAR serialisation: its contents, in bytes.
    pub nar_size: Option<u64>,
    /// The derivation that built it.
    pub deriver: Option<String>,
    /// Which output of its derivation it is (`out`, `bin`, `dev`), when the database says.
    pub output: Option<String>,
    /// The store paths it refers to (its runtime dependencies), itself left out.
    pub references: Vec<String>,
}

/// What the database records: every valid path.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Database(pub Vec<ValidPath>);

/// The store path a file in the store belongs to (`/nix/store/<hash>-<name>`), or `None`
/// outside the store and for what is not a store path (`.links/`, lock files).
fn store_path(path: &str) -> Option<&str> {
    let rest = path.strip_prefix(STORE)?;
    let top = rest.split('/').next()?;
    let (hash, name) = top.split_at_checked(HASH_LEN)?;
    let name = name.strip_prefix('-')?;
    let nix32 = |c: u8| c.is_ascii_digit() || (c.is_ascii_lowercase() && !b"eotu".contains(&c));
    (!name.is_empty() && hash.bytes().all(nix32) && !top.ends_with(".lock"))
        .then(|| &path[..STORE.len() + top.len()])
}

/// Nix's own split of a derivation name into name and version (`builtins.parseDrvName`):
/// the version starts after the first `-` that is followed by something other than a
/// letter. `(name, "")` when there is none.
pub fn parse_drv_name(s: &str) -> (&str, &str) {
    let b = s.as_bytes();
    (0..b.len())
        .find(|&i| b[i] == b'-' && b.get(i + 1).is_some_and(|c| !c.is_ascii_alphabetic()))
        .map(|i| (&s[..i], &s[i + 1..]))
        .unwrap_or((s, ""))
}

/// Reads the valid paths, their references and outputs from a Nix database.
pub fn read_database(file: &[u8]) -> Result<Database, SqliteError> {
    if !file.starts_with(b"SQLite format 3\0") || file.len() < 100 {
        return Err(SqliteError::NotSqlite);
    }
    let conn = open(file)?;
    for t in ["ValidPaths", "Refs", "DerivationOutputs"] {
        check_plain_table(&conn, t)?;
    }
    let mut paths: BTreeMap<i64, ValidPath> = BTreeMap::new();
    let mut total = 0usize;
    let mut stmt = conn.prepare("SELECT id, path, narSize, deriver FROM ValidPaths")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<i64>>(2)?,
            r.get::<_, Option<String>>(3)?,
        ))
    })?;
    for row in rows {
        let (id, path, nar_size, deriver) = row?;
        total += path.len() + deriver.as_ref().map_or(0, String::len);
        if total > file.len() {
            return Err(SqliteError::MoreThanStored("ValidPaths".into(), file.len()));
        }
        paths.insert(
            id,
            ValidPath {
                path,
                nar_size: nar_size.and_then(|n| u64::try_from(n).ok()),
                deriver: deriver.filter(|d| !d.is_empty()),
                output: None,
                references: Vec::new(),
            },
        );
    }
    let mut refs: Vec<(i64, i64)> = Vec::new();
    let mut stmt = conn.prepare("SELECT referrer, reference FROM Refs")?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))? {
        refs.push(row?);
        if refs.len() * 16 > file.len() {
            return Err(SqliteError::MoreThanStored("Refs".into(), file.len()));
        }
    }
    for (from, to) in refs {
        if from == to {
            continue;
        }
        if let Some(target) = paths.get(&to).map(|p| p.path.clone()) {
            if let Some(p) = paths.get_mut(&from) {
                p.references.push(target);
            }
        }
    }
    let by_path: BTreeMap<String, i64> =
        paths.iter().map(|(id, p)| (p.path.clone(), *id)).collect();
    let mut stmt = conn.prepare("SELECT id, path FROM DerivationOutputs")?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))? {
        let (output, path) = row?;
        if let Some(p) = by_path.get(&path).and_then(|id| paths.get_mut(id)) {
            p.output = Some(output);
        }
    }
    let mut out: Vec<ValidPath> = paths.into_values().collect();
    for p in &mut out {
        p.references.sort();
    }
    Ok(Database(out))
}

/// `(hash, name, version, output)` of a store path. The output comes from the database
/// when it knows; without one a last `-<word>` of lower-case letters after the version is
/// taken for an output name, as Syft does (`glibc-2.39-52-bin`).
fn identify<'a>(
    path: &'a str,
    output: Option<&'a str>,
) -> Option<(&'a str, &'a str, &'a str, Option<&'a str>)> {
    let base = path.strip_prefix(STORE)?;
    let (hash, full) = base.split_once('-')?;
    let (drv_name, output) = match output {
        Some("out") => (full, None),
        Some(o) => (
            full.strip_suffix(o)
                .and_then(|n| n.strip_suffix('-'))
                .unwrap_or(full),
            Some(o),
        ),
        None => {
            let (_, version) = parse_drv_name(full);
            match version.rsplit_once('-') {
                Some((v, o))
                    if !v.is_empty()
                        && !o.is_empty()
                        && o.bytes().all(|c| c.is_ascii_lowercase()) =>
                {
                    (&full[..full.len() - o.len() - 1], Some(o))
                }
                _ => (full, None),
            }
        }
    };
    let (name, version) = parse_drv_name(drv_name);
    Some((hash, name, version, output))
}

/// Finds Nix store paths.
#[derive(Debug, Default, Clone, Copy)]
pub struct NixDetector;

impl Detector for NixDetector {
    super::common::codec::cache_codec!(0 => StoreFile, 1 => Database);

    fn name(&self) -> &'static str {
        NAME
    }

    fn claim_patterns(&self) -> Option<&'static [super::ClaimPattern]> {
        // the database, and every path under the store
        use super::ClaimPattern::*;
        Some(&[Path(DB), PathContains(STORE)])
    }

    fn claim(&self, path: &str, _meta: &EntryMeta) -> Option<Claim> {
        if path == DB {
            return Some(Claim::up_to(MAX_DB));
        }
        let sp = store_path(path)?;
        // a derivation is a build recipe; the store's own hard-link farm is not a path
        (!sp.ends_with(".drv")).then(Claim::path_only)
    }

    fn parse(&self, path: &str, body: &[u8]) -> Result<Parsed, ParseError> {
        if path == DB {
            let db = read_database(body)
                .map_err(|e| ParseError(format!("not a readable Nix database: {e}")))?;
            return Ok(Arc::new(db));
        }
        Ok(Arc::new(StoreFile))
    }

    fn collect(&self, view: &FsView, ctx: CollectContext, out: &mut Findings) {
        let db = view.lookup(NAME, DB).and_then(|f| f.get::<Database>());
        let recorded: BTreeMap<&str, &ValidPath> = db
            .map(|d| d.0.iter().map(|p| (p.path.as_str(), p)).collect())
            .unwrap_or_default();
        let mut seen: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        for f in view.parsed_under(NAME, STORE) {
            if f.get::<StoreFile>().is_none() {
                continue;
            }
            if let Some(sp) = store_path(f.path) {
                seen.entry(sp).or_default().push(f.path.to_string());
            }
        }
        // the database's valid paths whose files are not in the image are not installed
        // here (a layer deleted them, or only the database was copied): what is on disk counts
        for (sp, files) in seen {
            let info = recorded.get(sp).copied();
            let Some((hash, name, version, output)) =
                identify(sp, info.and_then(|i| i.output.as_deref()))
            else {
                continue;
            };
            if version.is_empty() {
                continue;
            }
            let mut p = Package::new(Ecosystem::Nix, name, version);
            p.database_path = sp.to_string();
            if let Some(o) = output {
                p.properties
                    .insert(format!("{PURL_QUALIFIER}output"), o.into());
            }
            p.properties
                .insert(format!("{PURL_QUALIFIER}outputhash"), hash.into());
            if let Some(i) = info {
                p.installed_size = i.nar_size;
                if let Some(d) = &i.deriver {
                    p.properties.insert("nix:deriver".into(), d.clone());
                }
                p.depends = i
                    .references
                    .iter()
                    .filter_map(|r| {
                        let output = recorded.get(r.as_str()).and_then(|i| i.output.as_deref());
                        identify(r, output).map(|(_, n, _, _)| n.to_string())
                    })
                    .collect();
                p.depends.dedup();
            }
            if ctx.full_detail {
                p.files = files;
                p.files.sort();
            }
            out.packages.push(p);
        }
    }
}
