//! Writes every hostile case of `cases.rs` under a directory, with `EXPECTED.md` saying what
//! a correct scanner does with each, so any tool can be run on them:
//!
//! ```sh
//! cargo run -p layer-walker --example hostile_archives -- /tmp/hostile
//! for f in /tmp/hostile/*; do sbom scan "$f" -o json > /dev/null; echo "$? $f"; done
//! ```
//!
//! Deterministic: the same bytes on every run and machine.

#[path = "../../layer-walker/tests/support/mod.rs"]
mod support;

#[path = "cases.rs"]
mod cases;

use std::fmt::Write as _;

fn main() {
    let Some(dir) = std::env::args_os().nth(1).map(std::path::PathBuf::from) else {
        eprintln!("usage: hostile_archives OUTDIR");
        std::process::exit(2);
    };
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("{}: {e}", dir.display());
        std::process::exit(1);
    }
    let mut md = String::from(
        "# Hostile images and what a scanner must do\n\n| image | what is wrong | expected |\n|---|---|---|\n",
    );
    for case in cases::all() {
        let path = case.write(&dir);
        let expect = match case.expect {
            cases::Expect::Fails(words) => format!("fails, naming the file; message has {words:?}"),
            cases::Expect::Complete(pkgs) => format!("complete; dpkg packages {pkgs:?}"),
            cases::Expect::Incomplete(path, pkgs) => {
                format!("marked incomplete, naming {path}; dpkg packages {pkgs:?}")
            }
        };
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let _ = writeln!(md, "| `{name}` | {} | {expect} |", case.what);
    }
    if let Err(e) = std::fs::write(dir.join("EXPECTED.md"), md) {
        eprintln!("{}: {e}", dir.display());
        std::process::exit(1);
    }
    println!("wrote {}", dir.display());
}
