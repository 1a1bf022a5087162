//! Several images in one `sbom scan`: the list (arguments and `--images-from`), one set of
//! documents per image through `{name}` in the output file names, and the summary table.

use std::ffi::OsString;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// The images to scan: the arguments, then the lines of `--images-from` (blank lines and
/// `#` comments skipped; `-` is standard input).
pub fn images(args: &[OsString], from: Option<&Path>) -> Result<Vec<OsString>> {
    let mut out = args.to_vec();
    if let Some(path) = from {
        let read: Box<dyn BufRead> = if path == Path::new("-") {
            Box::new(std::io::stdin().lock())
        } else {
            Box::new(std::io::BufReader::new(
                std::fs::File::open(path)
                    .with_context(|| format!("--images-from {}", path.display()))?,
            ))
        };
        for line in read.lines() {
            let line = line.with_context(|| format!("--images-from {}", path.display()))?;
            let line = line.trim();
            if !line.is_empty() && !line.starts_with('#') {
                out.push(line.into());
            }
        }
    }
    if out.is_empty() {
        bail!("no image to scan: name one, or give --images-from FILE");
    }
    if out.len() > 1 && out.iter().any(|i| i == "-") {
        bail!("standard input (-) can only be scanned alone");
    }
    Ok(out)
}

/// The placeholders a file name may hold.
const PLACEHOLDERS: &str =
    "{name} (the image, made safe for a file name) or {index} (its place in the list, from 1)";

/// A short, file-name-safe name for an image argument: a path's file name, a reference
/// without its `kind:` prefix; anything but letters, digits, `.`, `-` and `_` becomes `_`.
pub fn file_name_for(image: &OsString) -> String {
    let s = image.to_string_lossy();
    let path = Path::new(s.as_ref());
    let base = if path.exists() {
        path.file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| s.to_string())
    } else {
        let stripped = s
            .split_once(':')
            .filter(|(kind, _)| {
                matches!(
                    *kind,
                    "registry"
                        | "docker"
                        | "podman"
                        | "docker-archive"
                        | "oci-dir"
                        | "oci-archive"
                        | "dir"
                )
            })
            .map(|(_, rest)| rest)
            .unwrap_or(&s);
        stripped.trim_end_matches('/').to_string()
    };
    let safe: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let safe = safe.trim_start_matches('.').to_string();
    if safe.is_empty() {
        "image".into()
    } else {
        safe
    }
}

/// `file` with the placeholders filled for image `index` (from 0) named `name`.
pub fn expand(file: &Path, name: &str, index: usize) -> PathBuf {
    let s = file.to_string_lossy();
    PathBuf::from(
        s.replace("{name}", name)
            .replace("{index}", &(index + 1).to_string()),
    )
}

/// With several images, every output file must name the image, or each would overwrite
/// the last; and two images must not map to one name.
pub fn check_templates(files: &[&Path], names: &[String]) -> Result<()> {
    if names.len() < 2 {
        return Ok(());
    }
    for f in files {
        let s = f.to_string_lossy();
        if !s.contains("{name}") && !s.contains("{index}") {
            bail!(
                "-o ...={}: with several images each file name needs {PLACEHOLDERS}",
                f.display()
            );
        }
        let mut seen = std::collections::HashMap::new();
        for (i, n) in names.iter().enumerate() {
            let out = expand(f, n, i);
            if let Some(j) = seen.insert(out.clone(), i) {
                bail!(
                    "images {} and {} would both be written to {}; use {{index}} in the file name",
                    j + 1,
                    i + 1,
                    out.display()
                );
            }
        }
    }
    Ok(())
}

/// One image's line in the summary.
pub struct Row {
    pub image: String,
    pub outcome: std::result::Result<Done, String>,
    pub seconds: f64,
}

/// What a scan that worked found.
pub struct Done {
    pub packages: usize,
    pub layers: usize,
    pub cached: usize,
    pub incomplete: bool,
}

/// The summary table, for stderr.
pub fn summary(rows: &[Row]) -> String {
    let width = rows
        .iter()
        .map(|r| r.image.chars().count())
        .max()
        .unwrap_or(5)
        .clamp(5, 60);
    let mut s = format!(
        "{:width$}  {:>8}  {:>6}  {:>6}  {:>7}  RESULT\n",
        "IMAGE", "PACKAGES", "LAYERS", "CACHED", "SECONDS"
    );
    for r in rows {
        let image: String = r.image.chars().take(width).collect();
        match &r.outcome {
            Ok(d) => {
                s += &format!(
                    "{image:width$}  {:>8}  {:>6}  {:>6}  {:>7.2}  {}\n",
                    d.packages,
                    d.layers,
                    d.cached,
                    r.seconds,
                    if d.incomplete { "INCOMPLETE" } else { "ok" }
                )
            }
            Err(e) => {
                s += &format!(
                    "{image:width$}  {:>8}  {:>6}  {:>6}  {:>7.2}  error: {e}\n",
                    "-", "-", "-", r.seconds
                )
            }
        }
    }
    let failed = rows.iter().filter(|r| r.outcome.is_err()).count();
    s += &format!("{} images, {} failed\n", rows.len(), failed);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_for_files() {
        assert_eq!(
            file_name_for(&"registry:reg.example:5000/team/app:1.2".into()),
            "reg.example_5000_team_app_1.2"
        );
        assert_eq!(
            file_name_for(&"docker:debian@sha256:ab".into()),
            "debian_sha256_ab"
        );
        let dir = std::env::temp_dir().join("sbom-batch-name-test.oci");
        std::fs::create_dir_all(&dir).unwrap();
        assert_eq!(
            file_name_for(&dir.into_os_string()),
            "sbom-batch-name-test.oci"
        );
        // a path that is not there is a reference; never a way out of the output directory
        assert_eq!(file_name_for(&"../../etc".into()), "_.._etc");
        assert_eq!(file_name_for(&"..".into()), "image");
    }

    #[test]
    fn templates_must_name_the_image() {
        let names = vec!["a".to_string(), "b".to_string()];
        assert!(check_templates(&[Path::new("out.json")], &names).is_err());
        assert!(check_templates(&[Path::new("{name}.json")], &names).is_ok());
        let same = vec!["a".to_string(), "a".to_string()];
        assert!(check_templates(&[Path::new("{name}.json")], &same).is_err());
        assert!(check_templates(&[Path::new("{index}-{name}.json")], &same).is_ok());
        assert_eq!(
            expand(Path::new("sboms/{name}.{index}.json"), "a", 0),
            PathBuf::from("sboms/a.1.json")
        );
    }
}
