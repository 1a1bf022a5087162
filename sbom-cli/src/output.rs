//! `-o FORMAT[=FILE]` parsing and writing. Files are written to a temporary file beside the
//! target and renamed into place, so a failed scan or a crash never leaves half a document.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use sbom_core::format::{find, Format, Table, WriteOptions, Writer};
use sbom_core::Inventory;

/// One requested document.
pub struct Output {
    pub writer: Box<dyn Writer>,
    pub file: Option<PathBuf>,
}

/// Parses the `-o` values; `default` is used when there are none. A `table` output gets
/// `table`, the report writer set up from the command line (`--full`, the terminal width).
pub fn parse(specs: &[String], default: &str, table: &Table) -> Result<Vec<Output>> {
    let specs: Vec<String> = if specs.is_empty() {
        vec![default.to_string()]
    } else {
        specs.to_vec()
    };
    let mut outs = Vec::new();
    for spec in &specs {
        let (name, file) = match spec.split_once('=') {
            Some((n, f)) if !f.is_empty() => (n, Some(PathBuf::from(f))),
            Some((_, _)) => bail!("-o {spec}: the file name after '=' is empty"),
            None => (spec.as_str(), None),
        };
        let format = find(name).map_err(|e| anyhow::anyhow!("-o {spec}: {e}"))?;
        outs.push(Output {
            writer: writer(format, table),
            file,
        });
    }
    if outs.iter().filter(|o| o.file.is_none()).count() > 1 {
        bail!("only one -o may write to stdout; give the others a file: -o FORMAT=FILE");
    }
    Ok(outs)
}

/// The table is the one format with options of its own; every other writer has none.
fn writer(format: &Format, table: &Table) -> Box<dyn Writer> {
    if *format == Table::FORMAT {
        Box::new(table.clone())
    } else {
        format.writer()
    }
}

/// Whether any of `outs` needs the file inventory's SHA-1s: half the hashing of a file scan,
/// and only SPDX 2 requires them.
pub fn need_file_sha1(outs: &[Output]) -> bool {
    outs.iter().any(|o| o.writer.needs_file_sha1())
}

/// Writes every document, each file named by `name` from the file name `-o` gave (scans
/// fill in `{name}` and `{index}` there).
pub fn write_all_as(
    outs: &[Output],
    inv: &Inventory,
    opts: &WriteOptions,
    name: &dyn Fn(&Path) -> PathBuf,
) -> Result<()> {
    for o in outs {
        match &o.file {
            None => {
                // stdout is line-buffered: without a buffer of our own, a pretty-printed
                // document is one write(2) per line (a file inventory: a million of them)
                let mut out = std::io::BufWriter::with_capacity(64 << 10, std::io::stdout().lock());
                o.writer
                    .write(inv, opts, &mut out)
                    .with_context(|| format!("writing {} to stdout", o.writer.name()))?;
                out.flush()
                    .with_context(|| format!("writing {} to stdout", o.writer.name()))?;
            }
            Some(path) => {
                let path = name(path);
                write_atomic(&path, |w| Ok(o.writer.write(inv, opts, w)?))
                    .with_context(|| format!("writing {} to {}", o.writer.name(), path.display()))?
            }
        }
    }
    Ok(())
}

/// Writes `bytes` to `path` as the documents are written (atomically, devices as they are).
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic(path, |w| Ok(w.write_all(bytes)?))
}

fn write_atomic(path: &Path, f: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    // A device or pipe (`/dev/null`, `/dev/stdout`, `<(jq .)`) is written as it is: renaming
    // a temporary file over it would replace the device node itself (as root, /dev/null
    // became a regular file that way). A link to a regular file is replaced at its target,
    // so the link stays.
    let resolved;
    let path = match std::fs::metadata(path) {
        Ok(m) if !m.is_file() && !m.is_dir() => {
            let mut out = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .with_context(|| format!("opening {}", path.display()))?;
            let mut buf = std::io::BufWriter::new(&mut out);
            f(&mut buf)?;
            buf.flush()?;
            return Ok(());
        }
        Ok(_) if path.is_symlink() => {
            resolved = path.canonicalize()?;
            resolved.as_path()
        }
        _ => path,
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("creating a file in {}", dir.display()))?;
    {
        let mut buf = std::io::BufWriter::new(tmp.as_file_mut());
        f(&mut buf)?;
        buf.flush()?;
    }
    // a temp file is created 0600; the document is not secret: keep the mode of the file it
    // replaces, else the usual 0644
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o7777)
        .unwrap_or(0o644);
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
