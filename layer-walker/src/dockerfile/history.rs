//! Image history: cleaning `created_by` into the instruction a person wrote, and matching the
//! history entries to the Dockerfile lines that made them.
//!
//! The `created_by` forms handled, by builder:
//!
//! - classic docker builder and buildah: `/bin/sh -c #(nop) KEYWORD args` for instructions that
//!   run nothing; `/bin/sh -c cmd` (or the exec-form arguments joined by spaces) for `RUN`,
//!   prefixed with `|N k=v ...` when build args were in effect; `ADD`/`COPY` as
//!   `file:<hash> in <dest>` (also `dir:`/`multi:`). buildah keeps `RUN --mount=...` flags
//!   after the shell (`/bin/sh -c --mount=type=bind,... cmd`), records `ARG NAME` without its
//!   default, and writes the text before variable substitution.
//! - BuildKit: `KEYWORD args # buildkit`; `RUN /bin/sh -c cmd # buildkit` (or `RUN a b` for the
//!   exec form), with the same `|N k=v` prefix after `RUN`. A heredoc `RUN` is recorded with
//!   its body: `RUN /bin/sh -c <<EOF\n<body>EOF # buildkit`; a history that kept only the
//!   first line is matched as well. `ARG` makes no entry.

use sbom_core::{DockerfileRef, HistoryEntry};

use super::parse::{env_pairs, split_words, Dockerfile, Instruction, WILDCARD};

/// Keywords a cleaned `created_by` may start with.
const KEYWORDS: &[&str] = &[
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// `created_by` as the instruction a person would have written: `ENV A=b`, `RUN make`,
/// `COPY file:<hash> in /x`. Never fails: text it does not recognise is taken to be a
/// classic-builder `RUN` command, which is what such text is.
pub fn clean_created_by(created_by: &str) -> String {
    let mut s = created_by.trim();
    if let Some(x) = s.strip_suffix("# buildkit") {
        s = x.trim_end();
    }
    // classic / buildah: instructions that ran nothing
    let nop = strip_shell(s).unwrap_or(s);
    if let Some(x) = nop.trim_start().strip_prefix("#(nop)") {
        return x.trim().to_string();
    }
    // BuildKit writes the keyword itself
    let (first, rest) = first_word(s);
    if KEYWORDS.contains(&first) {
        if first == "RUN" {
            return format!("RUN {}", run_command(rest));
        }
        return s.to_string();
    }
    // classic / buildah RUN
    let cmd = run_command(s);
    if cmd.is_empty() {
        return String::new();
    }
    format!("RUN {cmd}")
}

fn first_word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.find(char::is_whitespace) {
        Some(p) => (&s[..p], s[p..].trim_start()),
        None => (s, ""),
    }
}

/// The command of a recorded `RUN`: the `|N k=v ...` build-arg prefix and the shell
/// (`/bin/sh -c`) removed.
fn run_command(s: &str) -> &str {
    let s = strip_build_args(s.trim());
    strip_shell(s).unwrap_or(s).trim()
}

/// `|2 A=1 B=2 rest` -> `rest`.
fn strip_build_args(s: &str) -> &str {
    let Some(after) = s.strip_prefix('|') else {
        return s;
    };
    let (count, mut rest) = first_word(after);
    let Ok(n) = count.parse::<usize>() else {
        return s;
    };
    for _ in 0..n {
        let (w, r) = first_word(rest);
        if !w.contains('=') {
            break;
        }
        rest = r;
    }
    // a value with a space in it throws the count off; the shell is a safer anchor then
    if strip_shell(rest).is_none() {
        if let Some(p) = rest.find(" /bin/sh -c ") {
            return &rest[p + 1..];
        }
    }
    rest
}

/// `/bin/sh -c cmd`, `/bin/bash -o pipefail -c cmd`, `sh -c cmd` -> `cmd`; `None` when `s`
/// does not start with a shell invocation.
fn strip_shell(s: &str) -> Option<&str> {
    let (shell, mut rest) = first_word(s);
    let base = shell.rsplit('/').next().unwrap_or(shell);
    if !["sh", "bash", "ash", "dash", "zsh", "ksh"].contains(&base) {
        return None;
    }
    loop {
        let (opt, r) = first_word(rest);
        if !opt.starts_with('-') || opt.starts_with("--") {
            return None;
        }
        if opt == "-o" {
            rest = first_word(r).1;
            continue;
        }
        // the command follows the option cluster that holds `c` (`-c`, `-ec`, `-euxc`)
        if opt.contains('c') {
            return Some(r);
        }
        rest = r;
    }
}

/// Which Dockerfile instruction made each history entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mapping {
    /// One per history entry, in history order.
    pub per_entry: Vec<Option<DockerfileRef>>,
    /// History indices that match no instruction.
    pub unmatched: Vec<usize>,
}

/// One instruction of the chosen stage's line of descent, with the stage it belongs to.
struct Step<'a> {
    ins: &'a Instruction,
    stage: usize,
}

/// Maps history entries to the instructions of the Dockerfile's last stage (see
/// [`match_stage`]).
pub fn match_history(df: &Dockerfile, history: &[HistoryEntry]) -> (Mapping, Vec<String>) {
    match df.stages.last() {
        Some(last) => match_stage(df, last.index, history),
        None => (
            Mapping {
                per_entry: vec![None; history.len()],
                unmatched: (0..history.len()).collect(),
            },
            vec!["Dockerfile: it has no FROM, so no stage to match".into()],
        ),
    }
}

/// What one history entry or instruction became in the alignment.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Move {
    /// Entry and instruction agree.
    Pair,
    /// Entry and instruction at the same place, but they do not agree.
    Differ,
    /// An entry no instruction made.
    ExtraEntry,
    /// An instruction with no entry.
    NoEntry,
}

// Scores of the alignment. A pair must outweigh the gaps around it, and one entry that
// differs from its instruction must cost less than an extra entry plus a missing one, so
// that an unrecognised entry stays in its place rather than being taken for the base image.
const PAIR: i32 = 4;
const DIFFER: i32 = -2;
const GAP: i32 = -3;

/// Entries considered for alignment before the instructions' own: those further back are
/// the base image's. Bounds the alignment's cost on hostile histories.
const SLACK: usize = 64;

/// Maps history entries to the instructions of `stage` (after those of the stages it builds
/// on) by aligning the two sequences, as `diff` aligns lines: entries and instructions pair
/// only where they agree (keyword and normalised text, or for `ADD`/`COPY` keyword and
/// destination), in order. The entries before the first instruction's are the base image's
/// and map to the first stage's `FROM`. An entry that agrees with nothing stays unmapped
/// without discarding the others — a wrong line is worse than none. Warnings, in entry
/// order, say which entries and instructions did not align and why.
///
/// ```
/// use layer_walker::dockerfile::{match_stage, parse};
/// use layer_walker::sbom_core::HistoryEntry;
///
/// let df = parse("FROM debian:12 AS build\nRUN make\nFROM build\nEXPOSE 80\nCMD [\"app\"]\n")?;
/// let entry = |c: &str| HistoryEntry { created_by: Some(c.into()), ..Default::default() };
/// let history = [
///     entry("/bin/sh -c #(nop) ADD file:0ab in / "),
///     entry("RUN /bin/sh -c make # buildkit"),
///     entry("EXPOSE 8080"), // the Dockerfile was edited after the build
///     entry("CMD [\"app\"]"),
/// ];
/// let (mapping, warnings) = match_stage(&df, 1, &history);
/// let lines: Vec<_> = mapping.per_entry.iter().map(|r| r.as_ref().map(|r| r.start_line)).collect();
/// assert_eq!(lines, [Some(1), Some(2), None, Some(5)]);
/// assert_eq!(mapping.unmatched, [2]);
/// assert!(warnings[0].contains("entry 2"), "{warnings:?}");
/// # Ok::<(), layer_walker::dockerfile::ParseError>(())
/// ```
pub fn match_stage(
    df: &Dockerfile,
    stage: usize,
    history: &[HistoryEntry],
) -> (Mapping, Vec<String>) {
    let mut mapping = Mapping {
        per_entry: vec![None; history.len()],
        unmatched: Vec::new(),
    };
    let mut warnings = Vec::new();
    if stage >= df.stages.len() {
        mapping.unmatched = (0..history.len()).collect();
        warnings.push(format!("Dockerfile: it has no stage {stage}"));
        return (mapping, warnings);
    }
    // the line of descent: the stage, its parent, ... (parents come earlier in the file, so
    // this ends; the guard is for safety)
    let mut chain = vec![stage];
    while let Some(p) = df.stages[*chain.last().unwrap_or(&0)].parent {
        if chain.contains(&p) || chain.len() > df.stages.len() {
            break;
        }
        chain.push(p);
    }
    chain.reverse();
    let root = chain[0];
    let steps: Vec<Step> = chain
        .iter()
        .flat_map(|&s| {
            df.stages[s]
                .instructions
                .iter()
                .map(move |ins| Step { ins, stage: s })
        })
        .collect();

    let several = df.stages.len() > 1;
    let make_ref = |ins: &Instruction, stage: usize, base: bool| DockerfileRef {
        keyword: ins.keyword.clone(),
        text: ins.text.clone(),
        start_line: ins.start_line,
        end_line: ins.end_line,
        stage: several.then(|| {
            df.stages[stage]
                .name
                .clone()
                .unwrap_or_else(|| stage.to_string())
        }),
        from_base_image: base,
    };
    let cleaned: Vec<String> = history
        .iter()
        .map(|h| {
            h.created_by
                .as_deref()
                .map(clean_created_by)
                .unwrap_or_default()
        })
        .collect();

    // entries before `first` are the base image's whatever the alignment says
    let first = history.len().saturating_sub(steps.len() + SLACK);
    let hist = &cleaned[first..];
    let from_scratch = df.stages[root].base.eq_ignore_ascii_case("scratch");
    let (n, m) = (hist.len(), steps.len());
    // score[i][j]: best alignment of the first i entries (of `hist`) with the first j
    // instructions; leading entries are free as the base image's unless it is scratch
    let w = m + 1;
    let mut score = vec![i32::MIN / 2; (n + 1) * w];
    let mut back = vec![Move::Pair; (n + 1) * w];
    let agree: Vec<bool> = (0..n * m)
        .map(|x| agrees(df, steps[x % m].ins, &hist[x / m]))
        .collect();
    for i in 0..=n {
        for j in 0..=m {
            let at = i * w + j;
            if j == 0 {
                score[at] = if from_scratch { GAP * i as i32 } else { 0 };
                back[at] = Move::ExtraEntry;
                continue;
            }
            let skip = if makes_no_entry(steps[j - 1].ins) {
                0
            } else {
                GAP
            };
            let mut best = (score[at - 1] + skip, Move::NoEntry);
            if i > 0 {
                let diag = score[at - w - 1];
                let pair = if agree[(i - 1) * m + j - 1] {
                    (diag + PAIR, Move::Pair)
                } else {
                    (diag + DIFFER, Move::Differ)
                };
                let extra = (score[at - w] + GAP, Move::ExtraEntry);
                // ties: a pair before a gap, and a gap before a difference
                for c in [pair, extra] {
                    if c.0 > best.0 || (c.0 == best.0 && c.1 == Move::Pair) {
                        best = c;
                    }
                }
            }
            score[at] = best.0;
            back[at] = best.1;
        }
    }
    // walk back from the end: every instruction and every entry is accounted for
    let (mut i, mut j) = (n, m);
    let mut moves = Vec::new();
    while j > 0 {
        let mv = back[i * w + j];
        moves.push((mv, i, j));
        match mv {
            Move::Pair | Move::Differ => {
                i -= 1;
                j -= 1;
            }
            Move::ExtraEntry => i -= 1,
            Move::NoEntry => j -= 1,
        }
    }
    let base_entries = first + i;
    let pairs = moves.iter().filter(|m| m.0 == Move::Pair).count();
    let needed = steps.iter().filter(|s| !makes_no_entry(s.ins)).count();
    let missing = moves
        .iter()
        .filter(|(mv, _, j)| *mv == Move::NoEntry && !makes_no_entry(steps[j - 1].ins))
        .count();
    let entries = |n: usize| format!("{n} entr{}", if n == 1 { "y" } else { "ies" });
    // most instructions without an entry: one warning that says why, not one per line
    let squashed = missing > 3 && missing * 2 > needed;
    if squashed {
        warnings.push(format!(
            "Dockerfile: the history has {} for {needed} instructions, and {missing} \
             instructions have none: the image was squashed or imported, so their layers \
             cannot be placed",
            entries(history.len()),
        ));
    }
    // pairs among mostly disagreeing entries are coincidences (two `ADD ... /`), not a
    // mapping
    let own = history.len() - base_entries;
    if pairs == 0 || pairs * 2 < own {
        mapping.unmatched = (0..history.len()).collect();
        if !squashed {
            warnings.push(format!(
                "Dockerfile: only {pairs} of the image's {} agree with an instruction of \
                 the Dockerfile, so none is mapped; is it the file the image was built from?",
                entries(history.len()),
            ));
        }
        return (mapping, warnings);
    }
    // what did not align, by entry number
    let mut notes: Vec<(usize, String)> = Vec::new();
    for &(mv, i, j) in moves.iter().rev() {
        // the entry a pair, a difference or an extra entry consumed (then i > 0)
        let e = (first + i).saturating_sub(1);
        let step = &steps[j - 1];
        match mv {
            Move::Pair => mapping.per_entry[e] = Some(make_ref(step.ins, step.stage, false)),
            Move::Differ => notes.push((
                e,
                format!(
                    "Dockerfile: history entry {e} ({:?}) did not match line {} ({:?})",
                    shorten(&cleaned[e]),
                    step.ins.start_line,
                    shorten(&step.ins.text)
                ),
            )),
            Move::ExtraEntry => notes.push((
                e,
                format!(
                    "Dockerfile: history entry {e} ({:?}) matches no instruction",
                    shorten(&cleaned[e])
                ),
            )),
            Move::NoEntry if makes_no_entry(step.ins) || squashed => {}
            Move::NoEntry => notes.push((
                first + i,
                format!(
                    "Dockerfile: the history has no entry for line {} ({:?})",
                    step.ins.start_line,
                    shorten(&step.ins.text)
                ),
            )),
        }
        if matches!(mv, Move::Differ | Move::ExtraEntry) {
            mapping.unmatched.push(e);
        }
    }
    if base_entries > 0 {
        if from_scratch {
            let (n, verb) = match base_entries {
                1 => ("entry", "comes"),
                _ => ("entries", "come"),
            };
            notes.push((
                0,
                format!(
                    "Dockerfile: {base_entries} history {n} {verb} before those of the \
                     instructions, but the first stage is FROM scratch (line {})",
                    df.stages[root].from.start_line
                ),
            ));
            mapping.unmatched.extend(0..base_entries);
        } else {
            for slot in &mut mapping.per_entry[..base_entries] {
                *slot = Some(make_ref(&df.stages[root].from, root, true));
            }
        }
    }
    mapping.unmatched.sort_unstable();
    notes.sort_by_key(|(e, _)| *e);
    warnings.extend(notes.into_iter().map(|(_, w)| w));
    (mapping, warnings)
}

fn shorten(s: &str) -> String {
    const MAX: usize = 80;
    match s.char_indices().nth(MAX) {
        Some((p, _)) => format!("{}...", &s[..p]),
        None => s.to_string(),
    }
}

/// `ARG` makes no history entry with BuildKit (buildah and the classic builder record it).
fn makes_no_entry(ins: &Instruction) -> bool {
    ins.keyword == "ARG"
}

/// Whitespace runs collapsed to one space, ends trimmed.
fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// [`collapse`] with quotes removed too: builders differ in whether they keep the quotes of
/// `ENV`/`LABEL` values.
fn loose(s: &str) -> String {
    collapse(&s.replace(['"', '\''], ""))
}

/// Leading `--flag` words removed (buildah keeps `--mount=` in RUN's history; others drop
/// the flags).
fn strip_flags(mut s: &str) -> &str {
    loop {
        let t = s.trim_start();
        match t.strip_prefix("--") {
            Some(_) => {
                let (_, rest) = first_word(t);
                s = rest;
            }
            None => return t,
        }
    }
}

/// True when `text` (normalised history) equals `candidate` (normalised Dockerfile text, in
/// which [`WILDCARD`] stands for any run of non-space characters).
fn wild_eq(candidate: &str, text: &str) -> bool {
    if !candidate.contains(WILDCARD) {
        return candidate == text;
    }
    let a: Vec<&str> = candidate.split(' ').collect();
    let b: Vec<&str> = text.split(' ').collect();
    a.len() == b.len() && a.iter().zip(&b).all(|(p, t)| glob(p, t))
}

/// One word: [`WILDCARD`] matches any (possibly empty) run of characters.
fn glob(p: &str, t: &str) -> bool {
    let p: Vec<char> = p.chars().collect();
    let t: Vec<char> = t.chars().collect();
    // row over t for the pattern prefix so far; words are short
    let mut row = vec![false; t.len() + 1];
    row[0] = true;
    for &pc in &p {
        let mut next = vec![false; t.len() + 1];
        if pc == WILDCARD {
            let mut any = false;
            for j in 0..=t.len() {
                any |= row[j];
                next[j] = any;
            }
        } else {
            for j in 1..=t.len() {
                next[j] = row[j - 1] && t[j - 1] == pc;
            }
        }
        row = next;
    }
    row[t.len()]
}

/// The forms of an instruction's arguments a builder may have recorded: as written, after
/// substitution, with variables as wildcards.
fn arg_forms(ins: &Instruction) -> Vec<String> {
    let mut v = vec![ins.args.clone()];
    v.extend(ins.expanded.clone());
    v.extend(ins.pattern.clone());
    v
}

/// Does the cleaned history text `hist` record `ins`?
fn agrees(df: &Dockerfile, ins: &Instruction, hist: &str) -> bool {
    let hist = hist.replace(WILDCARD, "");
    let (hkw, hargs) = first_word(&hist);
    if hkw != ins.keyword {
        return false;
    }
    match ins.keyword.as_str() {
        "ADD" | "COPY" => {
            // the history has hashes instead of sources: compare destinations
            let Some(hdest) = history_dest(hargs) else {
                return false;
            };
            let hdest = trim_slash(&hdest);
            dest_forms(ins, df.escape)
                .iter()
                .any(|d| wild_eq(&collapse(trim_slash(d)), &collapse(hdest)))
        }
        "ARG" => {
            // buildah records `ARG NAME` without the default: the names must agree
            let names = |s: &str| -> Vec<String> {
                split_words(s, df.escape)
                    .iter()
                    .map(|w| w.split('=').next().unwrap_or("").to_string())
                    .collect()
            };
            names(&ins.args) == names(hargs)
        }
        "RUN" => run_forms(ins)
            .iter()
            .any(|c| wild_eq(&collapse(c), &collapse(strip_flags(hargs)))),
        "CMD" | "ENTRYPOINT" => {
            let h = command_words(hargs);
            let shell = ["/bin/sh".to_string(), "-c".to_string()];
            arg_forms(ins).iter().any(|a| {
                let d = match &ins.exec {
                    Some(v) => v.clone(),
                    None => shell.iter().cloned().chain([a.clone()]).collect(),
                };
                h == d || collapse(&h.join(" ")) == collapse(&d.join(" "))
            })
        }
        "ENV" if !ins.args.contains('=') => {
            // legacy `ENV KEY value`: builders record `KEY=value`
            let pairs = env_pairs(&ins.args, df.escape);
            let forms: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
            forms.iter().any(|f| loose(f) == loose(hargs))
                || arg_forms(ins).iter().any(|a| loose(a) == loose(hargs))
        }
        "ONBUILD" => match &ins.onbuild {
            Some(inner) => agrees(df, inner, hargs),
            None => collapse(hargs).is_empty(),
        },
        _ => arg_forms(ins)
            .iter()
            .any(|a| wild_eq(&loose(a), &loose(hargs))),
    }
}

/// What a `RUN` may have been recorded as: the command, or the exec-form words joined; for
/// heredocs the command line followed by the bodies and terminators, or the first line only.
fn run_forms(ins: &Instruction) -> Vec<String> {
    if let Some(v) = &ins.exec {
        return vec![v.join(" ")];
    }
    let mut out = Vec::new();
    for a in arg_forms(ins) {
        if !ins.heredocs.is_empty() {
            let mut full = a.clone();
            for h in &ins.heredocs {
                full.push('\n');
                full.push_str(&h.body);
                full.push_str(&h.name);
            }
            out.push(full);
        }
        out.push(a);
    }
    out
}

/// The destination of a recorded `ADD`/`COPY`: `file:<hash> in /dst` (classic, buildah) or
/// `[--flags] src... dst` (BuildKit).
fn history_dest(args: &str) -> Option<String> {
    let args = strip_flags(args);
    let (first, rest) = first_word(args);
    if ["file:", "dir:", "multi:"]
        .iter()
        .any(|p| first.starts_with(p))
    {
        if let Some(d) = rest.strip_prefix("in ") {
            return Some(d.trim().to_string());
        }
    }
    if args.starts_with('[') {
        if let Ok(v) = serde_json::from_str::<Vec<String>>(args) {
            return v.last().cloned();
        }
    }
    args.split_whitespace().last().map(str::to_string)
}

/// The destination of a Dockerfile `ADD`/`COPY` in each recorded form.
fn dest_forms(ins: &Instruction, escape: char) -> Vec<String> {
    if let Some(v) = &ins.exec {
        return v.last().cloned().into_iter().collect();
    }
    arg_forms(ins)
        .iter()
        .filter_map(|a| {
            split_words(a, escape)
                .last()
                .map(|w| super::parse::unquote(w))
        })
        .collect()
}

fn trim_slash(s: &str) -> &str {
    let t = s.trim().trim_end_matches('/');
    if t.is_empty() {
        s.trim()
    } else {
        t
    }
}

/// `["a", "b"]`, `["a" "b"]` (Go's `%q` list, which builders print) or plain words.
fn command_words(s: &str) -> Vec<String> {
    let t = s.trim();
    if t.starts_with('[') && t.ends_with(']') {
        if let Ok(v) = serde_json::from_str::<Vec<String>>(t) {
            return v;
        }
        let inner = &t[1..t.len() - 1];
        let mut out = Vec::new();
        let mut chars = inner.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '"' {
                let mut w = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => {
                            if let Some(n) = chars.next() {
                                w.push(n);
                            }
                        }
                        '"' => break,
                        _ => w.push(c),
                    }
                }
                out.push(w);
            }
        }
        return out;
    }
    vec![t.to_string()]
}
