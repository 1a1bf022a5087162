//! A Dockerfile parser that keeps what the history matcher needs: every instruction with its
//! 1-based line range, its flags, its exec (JSON) or shell form, its heredoc bodies and its
//! text after `ARG`/`ENV` substitution, grouped into build stages.
//!
//! It follows the Dockerfile reference (parser directives, escape character, line
//! continuations, comments, heredocs, variable substitution) but only as far as it affects the
//! text of an instruction: it does not validate arguments the way a builder would.

use std::collections::BTreeMap;

/// Why a Dockerfile could not be read. Every variant carries the 1-based line it is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// A heredoc (`<<EOF`) whose terminator line never came.
    #[error("Dockerfile line {line}: heredoc <<{name} is not terminated")]
    UnterminatedHeredoc {
        /// Where the heredoc starts.
        line: usize,
        /// Its terminator word.
        name: String,
    },
    /// An instruction in exec form (`[...]`) that is not a JSON array of strings.
    #[error("Dockerfile line {line}: {keyword} is not a valid JSON array of strings: {reason}")]
    BadJson {
        /// Where the instruction starts.
        line: usize,
        /// The instruction.
        keyword: String,
        /// What the JSON parser said.
        reason: String,
    },
    /// `# escape=` with something other than `\` or `` ` ``.
    #[error("Dockerfile line {line}: invalid escape directive {value:?} (must be \\ or `)")]
    BadEscape {
        /// The directive's line.
        line: usize,
        /// What it gives.
        value: String,
    },
    /// An instruction other than `ARG` before the first `FROM`.
    #[error("Dockerfile line {line}: {keyword} before the first FROM")]
    BeforeFrom {
        /// Where the instruction starts.
        line: usize,
        /// The instruction.
        keyword: String,
    },
    /// `FROM` without an image.
    #[error("Dockerfile line {line}: FROM without an image")]
    EmptyFrom {
        /// The `FROM` line.
        line: usize,
    },
    /// No `FROM` at all.
    #[error("Dockerfile has no FROM instruction")]
    NoFrom,
    /// The build target asked for is not a stage of the file.
    #[error("Dockerfile has no stage {name:?} (its stages: {stages})")]
    NoSuchStage {
        /// The target asked for.
        name: String,
        /// The file's stages, by name or index.
        stages: String,
    },
}

/// `--name=value` (or `--name`) given before an instruction's arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flag {
    /// Without the dashes: `mount`, `from`, `chown`, `link`, `chmod`, `platform`.
    pub name: String,
    /// After the `=`, when there is one.
    pub value: Option<String>,
}

/// A here-document attached to an instruction (`RUN <<EOF`, `COPY <<EOF /dst`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    /// The terminator word, without quotes.
    pub name: String,
    /// `<<-`: leading tabs are removed from the body and the terminator.
    pub strip_tabs: bool,
    /// The word was quoted: the builder does not expand variables in the body.
    pub quoted: bool,
    /// The body lines (tabs stripped for `<<-`), each followed by `\n`.
    pub body: String,
}

/// One instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// Upper case: `RUN`, `COPY`, ...
    pub keyword: String,
    /// The `--flags` before the arguments, in order.
    pub flags: Vec<Flag>,
    /// The arguments after the flags, as written (continuations joined, trimmed).
    pub args: String,
    /// The arguments of the exec (JSON) form, when that form was used.
    pub exec: Option<Vec<String>>,
    /// Here-documents the instruction takes, in order.
    pub heredocs: Vec<Heredoc>,
    /// For `ONBUILD`: the instruction it registers.
    pub onbuild: Option<Box<Instruction>>,
    /// The whole instruction as written, continuations joined, heredoc bodies left out.
    pub text: String,
    /// `args` after `ARG`/`ENV` substitution, for the instructions a builder substitutes in
    /// (`ADD COPY ENV EXPOSE FROM LABEL STOPSIGNAL USER VOLUME WORKDIR`); else `None`.
    pub expanded: Option<String>,
    /// `args` with every variable reference replaced by [`WILDCARD`]: its value may come from a
    /// `--build-arg` the Dockerfile cannot tell. `None` when `args` references no variable.
    pub pattern: Option<String>,
    /// 1-based, inclusive; covers continuation lines and heredoc bodies.
    pub start_line: usize,
    /// The last line, inclusive.
    pub end_line: usize,
}

/// Stands for "any value" in [`Instruction::pattern`]. NUL cannot occur in a Dockerfile line
/// that means anything, and history text is stripped of it before comparison.
pub const WILDCARD: char = '\0';

/// A build stage: a `FROM` and the instructions up to the next `FROM`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// 0-based position in the file.
    pub index: usize,
    /// `FROM ... AS name`, as written.
    pub name: Option<String>,
    /// The `FROM` instruction.
    pub from: Instruction,
    /// The base as named after substitution of the global `ARG`s (`scratch`, an image
    /// reference, or an earlier stage's name or index).
    pub base: String,
    /// The earlier stage this one builds on, when `base` names one.
    pub parent: Option<usize>,
    /// The instructions after `FROM`, in order.
    pub instructions: Vec<Instruction>,
}

/// A parsed Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dockerfile {
    /// The escape character (`\` unless a `# escape=` directive says otherwise).
    pub escape: char,
    /// `ARG`s before the first `FROM`.
    pub global_args: Vec<Instruction>,
    /// The build stages, in order; the image is built from the last unless a target is
    /// chosen.
    pub stages: Vec<Stage>,
}

impl Dockerfile {
    /// The stage `name` refers to: a stage name (case-insensitive, as builders treat it) or
    /// an index, among the stages before `before`.
    pub fn stage_named(&self, name: &str, before: usize) -> Option<usize> {
        let earlier = &self.stages[..before.min(self.stages.len())];
        if let Some(s) = earlier.iter().find(|s| {
            s.name
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        }) {
            return Some(s.index);
        }
        name.parse::<usize>().ok().filter(|i| *i < earlier.len())
    }

    /// The stage a build `--target` names (a stage name or index), as an index into
    /// [`Dockerfile::stages`].
    ///
    /// ```
    /// let df = layer_walker::dockerfile::parse("FROM debian AS build\nFROM build AS test\nFROM build\n")?;
    /// assert_eq!(df.target("test")?, 1);
    /// assert_eq!(df.target("0")?, 0);
    /// assert!(df.target("prod").unwrap_err().to_string().contains("build, test, 2"));
    /// # Ok::<(), layer_walker::dockerfile::ParseError>(())
    /// ```
    pub fn target(&self, name: &str) -> Result<usize, ParseError> {
        self.stage_named(name, self.stages.len())
            .ok_or_else(|| ParseError::NoSuchStage {
                name: name.to_string(),
                stages: self
                    .stages
                    .iter()
                    .map(|s| s.name.clone().unwrap_or_else(|| s.index.to_string()))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

/// The keywords whose arguments a builder substitutes variables in (Dockerfile reference,
/// "Environment replacement").
const SUBSTITUTED: &[&str] = &[
    "ADD",
    "COPY",
    "ENV",
    "EXPOSE",
    "FROM",
    "LABEL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// Keywords whose arguments may start with `--flags`.
const FLAGGED: &[&str] = &["FROM", "RUN", "COPY", "ADD", "HEALTHCHECK"];

/// Keywords that have an exec (JSON array) form.
const EXEC_FORM: &[&str] = &["RUN", "CMD", "ENTRYPOINT", "SHELL", "VOLUME", "COPY", "ADD"];

/// Keywords that take heredocs (BuildKit syntax reference, "Here-Documents").
const HEREDOC: &[&str] = &["RUN", "COPY", "ADD"];

/// Parses a Dockerfile. Never panics; malformed input is a [`ParseError`].
pub fn parse(text: &str) -> Result<Dockerfile, ParseError> {
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let (escape, first) = directives(&lines)?;
    let raw = logical_instructions(&lines, first, escape)?;

    let mut df = Dockerfile {
        escape,
        global_args: Vec::new(),
        stages: Vec::new(),
    };
    // global ARG defaults: visible to FROM lines, and to `ARG NAME` (no default) in stages
    let mut globals: BTreeMap<String, String> = BTreeMap::new();
    // the variables of the current stage
    let mut vars: BTreeMap<String, String> = BTreeMap::new();
    for mut ins in raw {
        let in_stage = !df.stages.is_empty();
        match ins.keyword.as_str() {
            "FROM" => {
                let expanded = expand(&ins.args, &globals, escape);
                let mut words = expanded.split_whitespace();
                let base = words
                    .next()
                    .ok_or(ParseError::EmptyFrom {
                        line: ins.start_line,
                    })?
                    .to_string();
                let name = match (words.next(), words.next()) {
                    (Some(a), Some(n)) if a.eq_ignore_ascii_case("as") => Some(n.to_string()),
                    _ => None,
                };
                ins.pattern = pattern(&ins.args, escape);
                ins.expanded = Some(expanded);
                let index = df.stages.len();
                let parent = df.stage_named(&base, index);
                df.stages.push(Stage {
                    index,
                    name,
                    from: ins,
                    base,
                    parent,
                    instructions: Vec::new(),
                });
                vars.clear();
                continue;
            }
            "ARG" => {
                let scope = if in_stage { &vars } else { &globals };
                let mut assigned = Vec::new();
                for word in split_words(&ins.args, escape) {
                    match word.split_once('=') {
                        Some((k, v)) => {
                            assigned.push((k.to_string(), unquote(&expand(v, scope, escape))))
                        }
                        None if in_stage => {
                            // `ARG NAME` in a stage takes the global default, if any
                            if let Some(v) = globals.get(&word) {
                                assigned.push((word.clone(), v.clone()));
                            }
                        }
                        None => {}
                    }
                }
                let target = if in_stage { &mut vars } else { &mut globals };
                target.extend(assigned);
                if !in_stage {
                    df.global_args.push(ins);
                    continue;
                }
            }
            _ if !in_stage => {
                return Err(ParseError::BeforeFrom {
                    line: ins.start_line,
                    keyword: ins.keyword,
                })
            }
            _ => {}
        }
        if SUBSTITUTED.contains(&ins.keyword.as_str()) {
            ins.expanded = Some(expand(&ins.args, &vars, escape));
        }
        ins.pattern = pattern(&ins.args, escape);
        if ins.keyword == "ENV" {
            for (k, v) in env_pairs(&ins.args, escape) {
                let v = unquote(&expand(&v, &vars, escape));
                vars.insert(k, v);
            }
        }
        if let Some(stage) = df.stages.last_mut() {
            stage.instructions.push(ins);
        }
    }
    if df.stages.is_empty() {
        return Err(ParseError::NoFrom);
    }
    Ok(df)
}

/// Reads the parser directives at the top of the file. Returns the escape character and the
/// index of the first line that is not a directive.
fn directives(lines: &[&str]) -> Result<(char, usize), ParseError> {
    let mut escape = '\\';
    let mut i = 0;
    while let Some(line) = lines.get(i) {
        // a directive is `# key=value`; anything else (even a blank line or a plain comment)
        // ends the directive section, as the reference specifies
        let Some(body) = line.trim_start().strip_prefix('#') else {
            break;
        };
        let Some((key, value)) = body.split_once('=') else {
            break;
        };
        let key = key.trim();
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric()) {
            break;
        }
        if key.eq_ignore_ascii_case("escape") {
            let value = value.trim();
            escape = match value {
                "\\" => '\\',
                "`" => '`',
                _ => {
                    return Err(ParseError::BadEscape {
                        line: i + 1,
                        value: value.to_string(),
                    })
                }
            };
        }
        i += 1;
    }
    Ok((escape, i))
}

fn is_comment_or_blank(line: &str) -> bool {
    let t = line.trim_start();
    t.is_empty() || t.starts_with('#')
}

/// Splits the file into instructions: comments dropped, continuations joined, heredoc bodies
/// collected. Variables are not substituted yet.
fn logical_instructions(
    lines: &[&str],
    first: usize,
    escape: char,
) -> Result<Vec<Instruction>, ParseError> {
    let mut out = Vec::new();
    let mut i = first;
    while i < lines.len() {
        if is_comment_or_blank(lines[i]) {
            i += 1;
            continue;
        }
        let start = i;
        let mut joined = String::new();
        loop {
            let line = lines[i];
            let trimmed = line.trim_end();
            match trimmed.strip_suffix(escape) {
                Some(head) => {
                    // the escape character before the line break joins the next line; the
                    // text of both is kept as is (builders record it that way)
                    joined.push_str(head);
                    let mut next = i + 1;
                    // comment lines inside a continuation are removed; so are empty lines
                    while next < lines.len() && is_comment_or_blank(lines[next]) {
                        next += 1;
                    }
                    if next >= lines.len() {
                        break;
                    }
                    i = next;
                }
                None => {
                    joined.push_str(line);
                    break;
                }
            }
        }
        let mut end = i;
        let text = joined.trim().to_string();
        let mut ins = split_instruction(&text, start + 1)?;
        // heredoc bodies follow the instruction's last line, one after the other
        let markers = heredoc_markers(&ins);
        for (name, strip_tabs, quoted) in markers {
            let mut body = String::new();
            let mut found = false;
            let mut j = end + 1;
            while j < lines.len() {
                let l = if strip_tabs {
                    lines[j].trim_start_matches('\t')
                } else {
                    lines[j]
                };
                if l == name {
                    found = true;
                    break;
                }
                body.push_str(l);
                body.push('\n');
                j += 1;
            }
            if !found {
                return Err(ParseError::UnterminatedHeredoc {
                    line: start + 1,
                    name,
                });
            }
            end = j;
            ins.heredocs.push(Heredoc {
                name,
                strip_tabs,
                quoted,
                body,
            });
        }
        ins.end_line = end + 1;
        if let Some(inner) = ins.onbuild.as_mut() {
            inner.end_line = end + 1;
        }
        out.push(ins);
        i = end + 1;
    }
    Ok(out)
}

/// `KEYWORD [--flags] args` -> an [`Instruction`] (one line, continuations already joined).
fn split_instruction(text: &str, line: usize) -> Result<Instruction, ParseError> {
    let (kw, rest) = split_first_word(text);
    let keyword = kw.to_ascii_uppercase();
    let mut rest = rest;
    let mut flags = Vec::new();
    if FLAGGED.contains(&keyword.as_str()) {
        while rest.starts_with("--") {
            let (word, after) = split_first_word(rest);
            let word = &word[2..];
            if word.is_empty() {
                // a bare `--` is not a flag; leave it to the command
                break;
            }
            flags.push(match word.split_once('=') {
                Some((n, v)) => Flag {
                    name: n.to_string(),
                    value: Some(v.to_string()),
                },
                None => Flag {
                    name: word.to_string(),
                    value: None,
                },
            });
            rest = after;
        }
    }
    let args = rest.trim().to_string();
    let mut exec = None;
    if EXEC_FORM.contains(&keyword.as_str()) && args.starts_with('[') && args.ends_with(']') {
        // Docker would quietly run a malformed array as a shell command; that is almost
        // always a typo, so it is reported rather than guessed at
        match serde_json::from_str::<Vec<String>>(&args) {
            Ok(v) => exec = Some(v),
            Err(e) => {
                return Err(ParseError::BadJson {
                    line,
                    keyword,
                    reason: e.to_string(),
                })
            }
        }
    }
    let onbuild = if keyword == "ONBUILD" && !args.is_empty() {
        Some(Box::new(split_instruction(&args, line)?))
    } else {
        None
    };
    Ok(Instruction {
        keyword,
        flags,
        args,
        exec,
        heredocs: Vec::new(),
        onbuild,
        text: text.to_string(),
        expanded: None,
        pattern: None,
        start_line: line,
        end_line: line,
    })
}

fn split_first_word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.find(char::is_whitespace) {
        Some(p) => (&s[..p], s[p..].trim_start()),
        None => (s, ""),
    }
}

/// The heredocs an instruction opens, in order: `(word, strip_tabs, quoted)`. `<<WORD`,
/// `<<-WORD`, `<<"WORD"`, `<<'WORD'`; `<<<` (a here-string) is not one.
fn heredoc_markers(ins: &Instruction) -> Vec<(String, bool, bool)> {
    let target = match &ins.onbuild {
        Some(inner) => inner.as_ref(),
        None => ins,
    };
    if !HEREDOC.contains(&target.keyword.as_str()) || target.exec.is_some() {
        return Vec::new();
    }
    let b = target.args.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 1 < b.len() {
        if b[i] == b'<' && b[i + 1] == b'<' && (i == 0 || b[i - 1] != b'<') {
            let mut j = i + 2;
            if b.get(j) == Some(&b'<') {
                i = j + 1;
                continue;
            }
            let strip = b.get(j) == Some(&b'-');
            if strip {
                j += 1;
            }
            let quote = match b.get(j) {
                Some(&q) if q == b'"' || q == b'\'' => {
                    j += 1;
                    Some(q)
                }
                _ => None,
            };
            let w0 = j;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            let closed = match quote {
                Some(q) => b.get(j) == Some(&q),
                None => true,
            };
            if j > w0 && closed {
                out.push((target.args[w0..j].to_string(), strip, quote.is_some()));
                i = j + usize::from(quote.is_some());
                continue;
            }
        }
        i += 1;
    }
    out
}

/// Words as the builder splits `ARG`/`ENV`/`LABEL` arguments: on unquoted whitespace, quotes
/// and escapes kept.
pub(crate) fn split_words(s: &str, escape: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == escape && quote != Some('\'') {
            cur.push(c);
            if let Some(n) = chars.next() {
                cur.push(n);
            }
            continue;
        }
        match quote {
            Some(q) if c == q => quote = None,
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `ENV` arguments as `(key, value)`: `K=V K2="v 2"`, or the legacy `ENV KEY some value`.
pub(crate) fn env_pairs(args: &str, escape: char) -> Vec<(String, String)> {
    let words = split_words(args, escape);
    match words.first() {
        Some(w) if !w.contains('=') => {
            let (k, v) = split_first_word(args);
            vec![(k.to_string(), v.to_string())]
        }
        _ => words
            .iter()
            .filter_map(|w| w.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

/// Removes one level of `"..."`/`'...'` quoting, as the builder does for values.
pub(crate) fn unquote(s: &str) -> String {
    s.chars().filter(|c| *c != '"' && *c != '\'').collect()
}

/// A variable reference's operator and word: `(":-", "default")`.
type Operator<'a> = Option<(&'a str, &'a str)>;

/// A `$NAME`, `${NAME}` or `${NAME<op>word}` reference found at `s[start..]` (which begins
/// with `$`): `(name, operator and word, length in bytes)`.
fn var_ref(s: &str) -> Option<(&str, Operator<'_>, usize)> {
    let rest = s.strip_prefix('$')?;
    if let Some(inner) = rest.strip_prefix('{') {
        let close = inner.find('}')?;
        let body = &inner[..close];
        let name_len = body
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(body.len());
        let (name, op) = body.split_at(name_len);
        if name.is_empty() {
            return None;
        }
        let op = if op.is_empty() {
            None
        } else {
            ["-", ":-", "+", ":+"]
                .iter()
                .rev()
                .find(|o| op.starts_with(**o))
                .map(|o| (*o, &op[o.len()..]))
        };
        Some((name, op, 2 + close + 1))
    } else {
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if len == 0 {
            return None;
        }
        Some((&rest[..len], None, 1 + len))
    }
}

/// Substitutes variables the way the Dockerfile reference describes: `$V`, `${V}`,
/// `${V:-default}`, `${V:+word}` (and `-`/`+` without the colon). Nothing is substituted inside
/// single quotes; an escaped `$` stays literal. Unknown variables become empty.
pub fn expand(s: &str, vars: &BTreeMap<String, String>, escape: char) -> String {
    substitute(s, escape, &mut |name, op| {
        let val = vars.get(name);
        match op {
            None => val.cloned().unwrap_or_default(),
            Some((":-", w)) => match val {
                Some(v) if !v.is_empty() => v.clone(),
                _ => expand(w, vars, escape),
            },
            Some(("-", w)) => match val {
                Some(v) => v.clone(),
                None => expand(w, vars, escape),
            },
            Some((":+", w)) => match val {
                Some(v) if !v.is_empty() => expand(w, vars, escape),
                _ => String::new(),
            },
            Some((_, w)) => match val {
                Some(_) => expand(w, vars, escape),
                None => String::new(),
            },
        }
    })
}

/// `s` with every variable reference replaced by [`WILDCARD`]; `None` when there is none.
fn pattern(s: &str, escape: char) -> Option<String> {
    let mut any = false;
    let out = substitute(s, escape, &mut |_, _| {
        any = true;
        WILDCARD.to_string()
    });
    any.then_some(out)
}

fn substitute(
    s: &str,
    escape: char,
    value: &mut dyn FnMut(&str, Operator<'_>) -> String,
) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_single = false;
    let mut idx = 0;
    while let Some(c) = s[idx..].chars().next() {
        if c == escape && !in_single {
            let next = s[idx + c.len_utf8()..].chars().next();
            if next == Some('$') {
                out.push('$');
                idx += c.len_utf8() + 1;
                continue;
            }
        }
        if c == '\'' {
            in_single = !in_single;
        }
        if c == '$' && !in_single {
            if let Some((name, op, len)) = var_ref(&s[idx..]) {
                out.push_str(&value(name, op));
                idx += len;
                continue;
            }
        }
        out.push(c);
        idx += c.len_utf8();
    }
    out
}
