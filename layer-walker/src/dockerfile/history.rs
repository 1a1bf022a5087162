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
//!   first line is matched as well. `ONBUILD` makes no entry; a child stage records its
//!   parent's triggers after its `FROM`.
//! - Both, for instructions that run nothing (Docker 20.10's BuildKit and legacy builder,
//!   seen in real builds: testdata/dockerfile/make-docker-fixtures.sh): `EXPOSE` as Go's print
//!   of a map (`map[8080/tcp:{} 9090/tcp:{}]`), `VOLUME` and `SHELL` as a Go slice
//!   (`[/data /logs]`), `HEALTHCHECK` as Go's `%q` of its config
//!   (`&{["CMD" "true"] "30s" "0s" "0s" '\x00'}`), an exec-form `RUN` of a shell like the
//!   shell form.

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

/// What made one history entry, in the chosen stage's line of descent: an instruction, or
/// a parent stage's `ONBUILD` trigger, which runs right after the child's `FROM`.
struct Step<'a> {
    /// What the entry records.
    ins: &'a Instruction,
    /// The line to point at: the instruction, or the `ONBUILD` that registered it.
    shown: &'a Instruction,
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
    let mut steps: Vec<Step> = Vec::new();
    for (k, &s) in chain.iter().enumerate() {
        // a stage built on an earlier one runs that one's ONBUILD triggers first
        if let Some(&parent) = k.checked_sub(1).and_then(|p| chain.get(p)) {
            for shown in &df.stages[parent].instructions {
                if let Some(ins) = &shown.onbuild {
                    steps.push(Step {
                        ins,
                        shown,
                        stage: parent,
                    });
                }
            }
        }
        steps.extend(df.stages[s].instructions.iter().map(|ins| Step {
            ins,
            shown: ins,
            stage: s,
        }));
    }

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
            Move::Pair => mapping.per_entry[e] = Some(make_ref(step.shown, step.stage, false)),
            Move::Differ => notes.push((
                e,
                format!(
                    "Dockerfile: history entry {e} ({:?}) did not match line {} ({:?})",
                    shorten(&cleaned[e]),
                    step.shown.start_line,
                    shorten(&step.shown.text)
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

/// `ARG` and `ONBUILD` make no history entry with BuildKit (buildah and the classic builder
/// record them).
fn makes_no_entry(ins: &Instruction) -> bool {
    ins.keyword == "ARG" || ins.keyword == "ONBUILD"
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
        "EXPOSE" => {
            let h = ports(hargs);
            arg_forms(ins).iter().any(|a| ports(a) == h)
        }
        "VOLUME" | "SHELL" => {
            let h = list_words(hargs);
            let d = match &ins.exec {
                Some(v) => vec![v.clone()],
                None => arg_forms(ins)
                    .iter()
                    .map(|a| {
                        split_words(a, df.escape)
                            .iter()
                            .map(|w| super::parse::unquote(w))
                            .collect()
                    })
                    .collect(),
            };
            d.contains(&h)
        }
        "HEALTHCHECK" => healthcheck_agrees(ins, hargs),
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
        // an exec-form shell invocation is recorded like the shell form
        let joined = v.join(" ");
        let mut out = vec![joined.clone()];
        out.extend(strip_shell(&joined).map(str::to_string));
        return out;
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

/// The ports of `EXPOSE 80 443/udp` or of the map BuildKit prints
/// (`map[443/udp:{} 80/tcp:{}]`), as a sorted set of `port/protocol`.
fn ports(s: &str) -> Vec<String> {
    let s = s.trim();
    let s = s
        .strip_prefix("map[")
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(s);
    let mut v: Vec<String> = s
        .split_whitespace()
        .map(|p| {
            let p = p.strip_suffix(":{}").unwrap_or(p).to_ascii_lowercase();
            if p.contains('/') {
                p
            } else {
                format!("{p}/tcp")
            }
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

/// A list as builders print one: JSON, Go's `%q` of a slice (`["a" "b"]`) or its `%v`
/// (`[a b]`), or plain words.
fn list_words(s: &str) -> Vec<String> {
    let t = s.trim();
    match t.strip_prefix('[').and_then(|x| x.strip_suffix(']')) {
        Some(inner) if !inner.contains('"') => {
            inner.split_whitespace().map(str::to_string).collect()
        }
        _ => command_words(t),
    }
}

/// `HEALTHCHECK [--interval=D ...] CMD ...` against Go's `%q` of the health config builders
/// record: `&{["CMD" "true"] "30s" "0s" "0s" '\x00'}` (test, interval, timeout, start period,
/// start interval on newer builders, and retries as a rune).
fn healthcheck_agrees(ins: &Instruction, hist: &str) -> bool {
    let Some(inner) = hist
        .trim()
        .strip_prefix("&{")
        .and_then(|x| x.strip_suffix('}'))
    else {
        return collapse(&ins.args) == collapse(hist);
    };
    let Some(end) = list_end(inner) else {
        return false;
    };
    let test = command_words(&inner[..end]);
    let mut rest: Vec<&str> = inner[end..].split_whitespace().collect();
    let Some(retries) = rest.pop().and_then(go_rune) else {
        return false;
    };
    let (kw, args) = first_word(&ins.args);
    let want_test: Vec<String> = match kw.to_ascii_uppercase().as_str() {
        "NONE" => vec!["NONE".into()],
        "CMD" => match &ins.exec {
            Some(v) => std::iter::once("CMD".to_string())
                .chain(v.iter().cloned())
                .collect(),
            None => match serde_json::from_str::<Vec<String>>(args) {
                Ok(v) => std::iter::once("CMD".to_string()).chain(v).collect(),
                Err(_) => vec!["CMD-SHELL".into(), args.trim().to_string()],
            },
        },
        _ => return false,
    };
    if test != want_test {
        return false;
    }
    let flag = |name: &str| {
        ins.flags
            .iter()
            .find(|f| f.name == name)
            .and_then(|f| f.value.clone())
    };
    let durations = ["interval", "timeout", "start-period", "start-interval"];
    let durations_agree = rest.iter().zip(durations).all(|(h, name)| {
        let want = flag(name).map_or(Some(0), |v| go_duration_ns(&v));
        go_duration_ns(h.trim_matches('"')).is_some() && go_duration_ns(h.trim_matches('"')) == want
    });
    let want_retries = flag("retries").map_or(Some(0), |v| v.parse::<u32>().ok());
    durations_agree && Some(retries) == want_retries
}

/// Where the leading `[...]` of `s` ends (after its `]`), skipping quoted text.
fn list_end(s: &str) -> Option<usize> {
    if !s.starts_with('[') {
        return None;
    }
    let (mut quoted, mut escaped) = (false, false);
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ']' if !quoted => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// A Go rune literal as `%q` prints an integer: `'\x00'`, `'\x03'`, `'A'`, `'\u0100'`.
fn go_rune(s: &str) -> Option<u32> {
    let body = s.strip_prefix('\'')?.strip_suffix('\'')?;
    if let Some(hex) = body
        .strip_prefix("\\x")
        .or_else(|| body.strip_prefix("\\u"))
        .or_else(|| body.strip_prefix("\\U"))
    {
        return u32::from_str_radix(hex, 16).ok();
    }
    let simple = match body {
        "\\a" => Some(7),
        "\\b" => Some(8),
        "\\f" => Some(12),
        "\\n" => Some(10),
        "\\r" => Some(13),
        "\\t" => Some(9),
        "\\v" => Some(11),
        "\\\\" => Some(92),
        "\\'" => Some(39),
        _ => None,
    };
    if simple.is_some() {
        return simple;
    }
    let mut chars = body.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Some(c as u32),
        _ => None,
    }
}

/// A Go duration (`1m30s`, `500ms`, `1.5h`, `0s`, `0`) in nanoseconds, as builders write
/// and print them. Hand-written: Go's syntax, a few lines, no crate reads exactly it.
fn go_duration_ns(s: &str) -> Option<u128> {
    if s == "0" {
        return Some(0);
    }
    let mut total: f64 = 0.0;
    let mut rest = s;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let n: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += n * scale;
    }
    Some(total.round() as u128)
}
