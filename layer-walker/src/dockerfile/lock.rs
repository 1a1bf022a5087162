//! Tern's "Dockerfile lock": the Dockerfile rewritten so that a rebuild installs what this
//! image holds. Every package a `RUN` line names to its package manager (`apt-get install`,
//! `apk add`, `dnf`/`yum`/`microdnf` `install`, `pip install`, `npm install`) is pinned to the
//! version found in the layer that line made; what cannot be pinned is left as written, with
//! a `# sbom lock:` comment above the instruction saying why. Comments and layout are kept:
//! only the package words change.

use sbom_core::purl::pep503_normalize;
use sbom_core::{Ecosystem, Inventory, LayerInfo};

use super::parse::{Dockerfile, Instruction};

/// The locked Dockerfile and what could not be pinned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locked {
    /// The Dockerfile, with pins and `# sbom lock:` notes.
    pub text: String,
    /// What was pinned, as `(line, name, version)`: packages, and base images with their
    /// manifest digest as the version.
    pub pinned: Vec<(usize, String, String)>,
    /// Each note also written into `text`, with its line in the original file.
    pub notes: Vec<(usize, String)>,
}

/// Locks `text` (the Dockerfile `df` was parsed from) against `inv`, the scan of an image
/// built from it with the same Dockerfile given to the scanner (so that layers carry their
/// lines; see [`crate::Scanner::dockerfile`]).
///
/// ```
/// use layer_walker::dockerfile::{lock, parse};
/// use layer_walker::sbom_core::{DockerfileRef, Ecosystem, Inventory, LayerInfo, PackageRef};
///
/// let text = "FROM debian:12\nRUN apt-get update && apt-get install -y jq\n";
/// let df = parse(text)?;
/// let mut inv = Inventory::default();
/// inv.layers.push(LayerInfo {
///     dockerfile: Some(DockerfileRef {
///         keyword: "RUN".into(),
///         start_line: 2,
///         end_line: 2,
///         ..Default::default()
///     }),
///     added: vec![PackageRef {
///         ecosystem: Ecosystem::Deb,
///         name: "jq".into(),
///         version: "1.6-2.1".into(),
///         id: Default::default(),
///     }],
///     ..Default::default()
/// });
/// let locked = lock(text, &df, &inv);
/// assert!(locked.text.contains("apt-get install -y jq=1.6-2.1\n"));
/// // the base is not pinned: the image does not record its base's manifest digest
/// assert!(locked.text.starts_with("# sbom lock: "));
/// # Ok::<(), layer_walker::dockerfile::ParseError>(())
/// ```
pub fn lock(text: &str, df: &Dockerfile, inv: &Inventory) -> Locked {
    lock_with_bases(text, df, inv, &mut |_| {
        Err("the image does not record its base's manifest digest".into())
    })
}

/// [`lock`], with each base image (`FROM name`, neither a stage nor `scratch` nor already
/// pinned) pinned to the manifest digest `resolve` gives for its name (`sha256:...`), or
/// left with a note saying why `resolve` could not.
pub fn lock_with_bases(
    text: &str,
    df: &Dockerfile,
    inv: &Inventory,
    resolve: &mut dyn FnMut(&str) -> Result<String, String>,
) -> Locked {
    let lines: Vec<&str> = text.split('\n').collect();
    // byte offset of each line's start
    let mut starts = Vec::with_capacity(lines.len());
    let mut at = 0;
    for l in &lines {
        starts.push(at);
        at += l.len() + 1;
    }
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    let mut notes: Vec<(usize, String)> = Vec::new();
    let mut pinned = Vec::new();
    let stage_names: Vec<String> = df
        .stages
        .iter()
        .filter_map(|s| s.name.as_ref().map(|n| n.to_ascii_lowercase()))
        .collect();
    for stage in &df.stages {
        let base = stage.base.as_str();
        if stage.parent.is_none()
            && !base.eq_ignore_ascii_case("scratch")
            && !base.contains('@')
            && !stage_names.contains(&base.to_ascii_lowercase())
        {
            let line = stage.from.start_line;
            let span = span_of(&stage.from, &lines, &starts);
            // the base as written on the line: a build arg (`FROM ${BASE}`) cannot be pinned here
            let word = span.and_then(|(a, b)| {
                words(&text[a..b])
                    .into_iter()
                    .find(|&(s, e)| &text[a + s..a + e] == base)
                    .map(|(s, e)| (a + s, a + e))
            });
            match (word, resolve(base)) {
                (Some((s, e)), Ok(digest)) => {
                    edits.push((s, e, format!("{base}@{digest}")));
                    pinned.push((line, base.to_string(), digest));
                }
                (None, Ok(digest)) => notes.push((
                    line,
                    format!(
                        "base image {base} not pinned: it is given by a build arg; pass \
                         {base}@{digest}"
                    ),
                )),
                (_, Err(why)) => notes.push((
                    line,
                    format!(
                        "base image {base} not pinned: {why} (pin it with FROM {base}@sha256:...)"
                    ),
                )),
            }
        }
        for ins in &stage.instructions {
            if ins.keyword != "RUN" {
                continue;
            }
            let layer = inv.layers.iter().find(|l| {
                l.dockerfile
                    .as_ref()
                    .is_some_and(|d| !d.from_base_image && d.start_line == ins.start_line)
            });
            let Some(span) = span_of(ins, &lines, &starts) else {
                continue;
            };
            let raw = &text[span.0..span.1];
            let installs = install_words(raw);
            if installs.is_empty() {
                continue;
            }
            let Some(layer) = layer else {
                notes.push((
                    ins.start_line,
                    "not pinned: no layer of the image was made by this instruction".into(),
                ));
                continue;
            };
            for w in installs {
                match w {
                    Word::Package { tool, start, end } => {
                        let word = &raw[start..end];
                        match pin(tool, word, layer) {
                            Pin::Pinned(new, name, version) => {
                                edits.push((span.0 + start, span.0 + end, new));
                                pinned.push((ins.start_line, name, version));
                            }
                            Pin::AlreadyPinned => {}
                            Pin::NotFound => notes.push((
                                ins.start_line,
                                format!(
                                    "{word} not pinned: this layer did not install it \
                                     (already present, or a virtual package)"
                                ),
                            )),
                        }
                    }
                    Word::Unpinnable(reason) => notes.push((ins.start_line, reason)),
                }
            }
        }
    }
    // apply the edits back to front, then the notes above their instructions
    edits.sort_by_key(|e| e.0);
    let mut out = text.to_string();
    for (s, e, new) in edits.into_iter().rev() {
        out.replace_range(s..e, &new);
    }
    notes.sort_by_key(|n| n.0);
    notes.dedup();
    let mut with_notes = String::with_capacity(out.len() + notes.len() * 80);
    for (i, line) in out.split('\n').enumerate() {
        for (_, n) in notes.iter().filter(|n| n.0 == i + 1) {
            let indent: String = line.chars().take_while(|c| c.is_whitespace()).collect();
            with_notes.push_str(&format!("{indent}# sbom lock: {n}\n"));
        }
        with_notes.push_str(line);
        with_notes.push('\n');
    }
    with_notes.pop();
    Locked {
        text: with_notes,
        pinned,
        notes,
    }
}

/// The byte range of an instruction's lines in the file (heredoc bodies excluded).
fn span_of(ins: &Instruction, lines: &[&str], starts: &[usize]) -> Option<(usize, usize)> {
    let first = ins.start_line.checked_sub(1)?;
    let mut last = ins
        .end_line
        .checked_sub(1)?
        .min(lines.len().checked_sub(1)?);
    if !ins.heredocs.is_empty() {
        // the command is on the first line; the bodies are data, not package names
        last = first;
    }
    Some((starts[first], starts[last] + lines[last].len()))
}

/// Package managers whose install commands are pinned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tool {
    Apt,
    Apk,
    Dnf,
    Pip,
    Npm,
}

impl Tool {
    fn ecosystem(self) -> Ecosystem {
        match self {
            Tool::Apt => Ecosystem::Deb,
            Tool::Apk => Ecosystem::Apk,
            Tool::Dnf => Ecosystem::Rpm,
            Tool::Pip => Ecosystem::Python,
            Tool::Npm => Ecosystem::Npm,
        }
    }

    /// Options that take the next word as their value.
    fn takes_value(self, opt: &str) -> bool {
        let list: &[&str] = match self {
            Tool::Apt => &["-o", "-t", "--target-release", "-c", "--config-file"],
            Tool::Apk => &[
                "-X",
                "--repository",
                "-t",
                "--virtual",
                "--root",
                "-p",
                "--arch",
            ],
            Tool::Dnf => &[
                "--releasever",
                "--installroot",
                "-c",
                "--config",
                "--repo",
                "--repoid",
                "--enablerepo",
                "--disablerepo",
                "--setopt",
                "-x",
                "--exclude",
            ],
            Tool::Pip => &[
                "-r",
                "--requirement",
                "-c",
                "--constraint",
                "-e",
                "--editable",
                "-i",
                "--index-url",
                "--extra-index-url",
                "-f",
                "--find-links",
                "-t",
                "--target",
                "--prefix",
                "--root",
                "--trusted-host",
                "--platform",
                "--python-version",
                "--implementation",
                "--abi",
                "--src",
                "--upgrade-strategy",
                "--progress-bar",
                "--log",
                "--cache-dir",
                "--no-binary",
                "--only-binary",
                "--report",
            ],
            Tool::Npm => &["--prefix", "--registry", "--cache", "-w", "--workspace"],
        };
        list.contains(&opt)
    }
}

enum Word {
    /// A literal package word at `start..end` of the instruction's text.
    Package {
        tool: Tool,
        start: usize,
        end: usize,
    },
    /// Something an install takes that cannot be pinned here, and why.
    Unpinnable(String),
}

/// Shell words with their byte ranges; operators (`&&`, `||`, `;`, `|`) as their own words.
/// Hand-written rather than a shell-words crate: those drop the positions, which the rewrite
/// needs to change one word and keep the rest of the line as written.
fn words(s: &str) -> Vec<(usize, usize)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace()
            || (c == b'\\' && b.get(i + 1).is_some_and(|n| *n == b'\n' || *n == b'\r'))
        {
            i += 1;
            continue;
        }
        if c == b'#' && (i == 0 || b[i - 1].is_ascii_whitespace()) {
            // a comment to the end of the line
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if matches!(c, b'&' | b'|' | b';') {
            let len = if b.get(i + 1) == Some(&c) && c != b';' {
                2
            } else {
                1
            };
            out.push((i, i + len));
            i += len;
            continue;
        }
        let start = i;
        let mut quote = None;
        while i < b.len() {
            let c = b[i];
            match quote {
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if c == b'\'' || c == b'"' => quote = Some(c),
                None if c.is_ascii_whitespace() || matches!(c, b'&' | b'|' | b';') => break,
                None if c == b'\\' && b.get(i + 1).is_some_and(|n| *n == b'\n') => break,
                None => {}
            }
            i += 1;
        }
        out.push((start, i));
    }
    out
}

/// The package words of every install command in `raw`, a `RUN` instruction's text.
fn install_words(raw: &str) -> Vec<Word> {
    let spans = words(raw);
    let text = |k: usize| &raw[spans[k].0..spans[k].1];
    let mut out = Vec::new();
    // after the keyword and its flags (`RUN --mount=...`)
    let mut k = 0;
    if !spans.is_empty() && text(0).eq_ignore_ascii_case("RUN") {
        k = 1;
        while k < spans.len() && text(k).starts_with("--") {
            k += 1;
        }
    }
    while k < spans.len() {
        // one simple command: up to the next operator
        let mut end = k;
        while end < spans.len() && !matches!(text(end), "&&" | "||" | ";" | "|" | "&") {
            end += 1;
        }
        if let Some((tool, first_arg)) = install_command(&(k..end).map(text).collect::<Vec<_>>()) {
            let mut j = k + first_arg;
            while j < end {
                let w = text(j);
                if w.starts_with('-') {
                    if tool.takes_value(w) {
                        if matches!(w, "-r" | "--requirement" | "-e" | "--editable") {
                            let value = if j + 1 < end { text(j + 1) } else { "" };
                            out.push(Word::Unpinnable(format!(
                                "{w} {value} not pinned: pin the versions in that file"
                            )));
                        }
                        j += 1;
                    }
                } else if w.contains(['$', '`', '"', '\'', '*', '?']) {
                    out.push(Word::Unpinnable(format!(
                        "{w} not pinned: not a literal package name"
                    )));
                } else if !looks_like_path(tool, w) {
                    out.push(Word::Package {
                        tool,
                        start: spans[j].0,
                        end: spans[j].1,
                    });
                }
                j += 1;
            }
        }
        k = end + 1;
    }
    out
}

/// Whether `words` (one simple command) installs packages: the tool, and where its arguments
/// start. Leading `VAR=value` assignments and `sudo` are skipped.
fn install_command(words: &[&str]) -> Option<(Tool, usize)> {
    let mut i = 0;
    while i < words.len()
        && (words[i].contains('=') && !words[i].starts_with('-') || words[i] == "sudo")
    {
        i += 1;
    }
    let cmd = words.get(i)?.rsplit('/').next()?;
    // the subcommand, after any options (`apt-get -y install`, `apt-get -o K=V install`)
    let sub = |from: usize, tool: Tool, names: &[&str]| -> Option<(Tool, usize)> {
        let mut j = from;
        while j < words.len() && words[j].starts_with('-') {
            j += if tool.takes_value(words[j]) { 2 } else { 1 };
        }
        names.contains(words.get(j)?).then_some((tool, j + 1))
    };
    let is_python = cmd == "python"
        || cmd
            .strip_prefix("python")
            .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'));
    let is_pip = cmd == "pip"
        || cmd
            .strip_prefix("pip")
            .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'));
    match cmd {
        "apt-get" | "apt" | "aptitude" => sub(i + 1, Tool::Apt, &["install"]),
        "apk" => sub(i + 1, Tool::Apk, &["add"]),
        "dnf" | "yum" | "microdnf" | "tdnf" => sub(i + 1, Tool::Dnf, &["install"]),
        "npm" => sub(i + 1, Tool::Npm, &["install", "i", "add"]),
        _ if is_pip => sub(i + 1, Tool::Pip, &["install"]),
        _ if is_python => {
            let m = words.iter().position(|w| *w == "-m")?;
            if words.get(m + 1) != Some(&"pip") {
                return None;
            }
            sub(m + 2, Tool::Pip, &["install"])
        }
        _ => None,
    }
}

/// Local files and directories given to an installer are not names to pin.
fn looks_like_path(tool: Tool, w: &str) -> bool {
    w.starts_with('.')
        || w.starts_with('/')
        || w.ends_with(".deb")
        || w.ends_with(".rpm")
        || w.ends_with(".apk")
        || w.ends_with(".whl")
        || w.ends_with(".tar.gz")
        || w.ends_with(".tgz")
        || w.contains("://")
        || (tool == Tool::Pip && w.contains('/'))
        || (tool == Tool::Npm && w.contains('/') && !w.starts_with('@'))
}

enum Pin {
    Pinned(String, String, String),
    AlreadyPinned,
    NotFound,
}

/// `word` pinned to the version `layer` installed.
fn pin(tool: Tool, word: &str, layer: &LayerInfo) -> Pin {
    let (name, pinned) = match tool {
        Tool::Apt => {
            let name = word.split(['=', '/']).next().unwrap_or(word);
            (
                name.split(':').next().unwrap_or(name),
                word.contains(['=', '/']),
            )
        }
        Tool::Apk => {
            let p = word.find(['=', '<', '>', '~']);
            (&word[..p.unwrap_or(word.len())], p.is_some())
        }
        Tool::Dnf => (word, false),
        Tool::Pip => {
            let p = word.find(['=', '<', '>', '~', '!', '@', ';']);
            (&word[..p.unwrap_or(word.len())], p.is_some())
        }
        Tool::Npm => {
            let p = word.get(1..).and_then(|r| r.find('@')).map(|p| p + 1);
            (&word[..p.unwrap_or(word.len())], p.is_some())
        }
    };
    if pinned {
        return Pin::AlreadyPinned;
    }
    let bare = match tool {
        // extras are not part of the name: `requests[socks]`
        Tool::Pip => name.split('[').next().unwrap_or(name),
        _ => name,
    };
    let eco = tool.ecosystem();
    let same = |n: &str| match tool {
        Tool::Pip => pep503_normalize(n) == pep503_normalize(bare),
        _ => n == bare,
    };
    let found = layer
        .added
        .iter()
        .filter(|p| p.ecosystem == eco && same(&p.name))
        .map(|p| p.version.clone())
        .chain(
            layer
                .changed
                .iter()
                .filter(|p| p.ecosystem == eco && same(&p.name))
                .map(|p| p.to_version.clone()),
        )
        .next();
    let Some(version) = found else {
        // `dnf install name-1.2-3` names the version already
        if tool == Tool::Dnf
            && layer
                .added
                .iter()
                .any(|p| p.ecosystem == eco && word.starts_with(&format!("{}-", p.name)))
        {
            return Pin::AlreadyPinned;
        }
        return Pin::NotFound;
    };
    let new = match tool {
        Tool::Apt | Tool::Apk => format!("{name}={version}"),
        Tool::Dnf => format!("{name}-{version}"),
        Tool::Pip => format!("{name}=={version}"),
        Tool::Npm => format!("{name}@{version}"),
    };
    Pin::Pinned(new, bare.to_string(), version)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pkgs(raw: &str) -> Vec<String> {
        install_words(raw)
            .into_iter()
            .map(|w| match w {
                Word::Package { start, end, .. } => raw[start..end].to_string(),
                Word::Unpinnable(r) => format!("!{r}"),
            })
            .collect()
    }

    #[test]
    fn finds_the_package_words_of_install_commands() {
        assert_eq!(
            pkgs("RUN apt-get update && apt-get install -y --no-install-recommends \\\n  python3 curl:amd64 \\\n  ca-certificates && rm -rf /var/lib/apt/lists/*"),
            ["python3", "curl:amd64", "ca-certificates"]
        );
        assert_eq!(
            pkgs("RUN DEBIAN_FRONTEND=noninteractive apt-get -o Dpkg::Options::=--force-confold -y install jq # tools"),
            ["jq"]
        );
        assert_eq!(
            pkgs("RUN apk add --no-cache --virtual .build gcc musl-dev=1.2.4-r2"),
            ["gcc", "musl-dev=1.2.4-r2"]
        );
        assert_eq!(
            pkgs("RUN dnf -y install --setopt tsflags=nodocs httpd"),
            ["httpd"]
        );
        assert_eq!(
            pkgs("RUN pip install --no-cache-dir --trusted-host pypi.org -r req.txt requests[socks] ./local /tmp/x.whl Flask_Login"),
            ["!-r req.txt not pinned: pin the versions in that file", "requests[socks]", "Flask_Login"]
        );
        assert_eq!(pkgs("RUN python3 -m pip install six"), ["six"]);
        assert_eq!(
            pkgs("RUN npm install -g @scope/tool left-pad@1.3.0 && npm ci"),
            ["@scope/tool", "left-pad@1.3.0"]
        );
        assert_eq!(
            pkgs("RUN apt-get install -y $PKGS"),
            ["!$PKGS not pinned: not a literal package name"]
        );
        assert!(pkgs("RUN apt-get purge -y curl; echo apt-get install").is_empty());
    }
}
