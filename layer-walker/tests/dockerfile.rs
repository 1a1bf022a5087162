//! Dockerfile parsing, `created_by` cleaning and history matching, on hand-made and real
//! inputs (see testdata/dockerfile/SOURCES.md).

use std::path::PathBuf;

use layer_walker::dockerfile::{
    clean_created_by, match_history, parse, Dockerfile, Instruction, ParseError,
};
use proptest::prelude::*;
use sbom_core::HistoryEntry;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../testdata/dockerfile")
        .join(name)
}

fn read(name: &str) -> String {
    std::fs::read_to_string(data(name)).unwrap()
}

fn history_of(config: &str) -> Vec<HistoryEntry> {
    let v: serde_json::Value = serde_json::from_str(&read(config)).unwrap();
    serde_json::from_value(v["history"].clone()).unwrap()
}

fn entries(created_by: &[&str]) -> Vec<HistoryEntry> {
    created_by
        .iter()
        .map(|c| HistoryEntry {
            created_by: Some(c.to_string()),
            ..Default::default()
        })
        .collect()
}

fn all(df: &Dockerfile) -> Vec<&Instruction> {
    df.stages.iter().flat_map(|s| &s.instructions).collect()
}

/// Line of each entry's mapping, `None` when unmatched.
fn lines(df: &Dockerfile, h: &[HistoryEntry]) -> (Vec<Option<usize>>, Vec<usize>, Vec<String>) {
    let (m, w) = match_history(df, h);
    let l = m
        .per_entry
        .iter()
        .map(|r| r.as_ref().map(|r| r.start_line))
        .collect();
    (l, m.unmatched, w)
}

// ---------------------------------------------------------------- parser

#[test]
fn comments_and_line_numbers() {
    let df = parse("# a comment\n\nFROM scratch\n# another\nADD a.tar /\n  # indented\nENV A=b\n")
        .unwrap();
    let ins = all(&df);
    assert_eq!(df.stages[0].from.start_line, 3);
    assert_eq!(
        ins.iter()
            .map(|i| (i.keyword.as_str(), i.start_line))
            .collect::<Vec<_>>(),
        [("ADD", 5), ("ENV", 7)]
    );
}

#[test]
fn continuation_ranges_and_comments_inside() {
    let text = "FROM scratch\nRUN apt-get update \\\n# comment in the middle\n\n    && apt-get install -y x \\\n    && true\nENV A=1\n";
    let df = parse(text).unwrap();
    let run = &df.stages[0].instructions[0];
    assert_eq!((run.start_line, run.end_line), (2, 6));
    assert_eq!(
        run.args,
        "apt-get update     && apt-get install -y x     && true"
    );
    assert_eq!(df.stages[0].instructions[1].start_line, 7);
}

#[test]
fn escape_directive_backtick() {
    let text = "# escape=`\nFROM scratch\nRUN dir c:\\ `\n  && echo hi\nCOPY a.txt c:\\dest\\\n";
    let df = parse(text).unwrap();
    assert_eq!(df.escape, '`');
    let ins = all(&df);
    assert_eq!(ins[0].args, "dir c:\\   && echo hi");
    assert_eq!((ins[0].start_line, ins[0].end_line), (3, 4));
    // a backslash at the end of a line is not a continuation with the backtick escape
    assert_eq!((ins[1].start_line, ins[1].end_line), (5, 5));
    // a directive after a comment is just a comment
    let df = parse("# hello\n# escape=`\nFROM scratch\nRUN a `\n").unwrap();
    assert_eq!(df.escape, '\\');
    assert!(matches!(
        parse("# escape=x\nFROM scratch\n"),
        Err(ParseError::BadEscape { line: 1, .. })
    ));
}

#[test]
fn exec_and_shell_forms() {
    let df = parse("FROM scratch\nRUN [\"a\", \"b c\"]\nCMD echo hi\nENTRYPOINT [\"/bin/x\"]\n")
        .unwrap();
    let ins = all(&df);
    assert_eq!(
        ins[0].exec.as_deref(),
        Some(&["a".to_string(), "b c".to_string()][..])
    );
    assert_eq!(ins[1].exec, None);
    assert_eq!(ins[2].exec.as_deref(), Some(&["/bin/x".to_string()][..]));
    let err = parse("FROM scratch\n\nCMD [\"a\", 'b']\n").unwrap_err();
    assert!(matches!(err, ParseError::BadJson { line: 3, .. }), "{err}");
    assert!(err.to_string().contains("line 3"));
}

#[test]
fn heredocs() {
    let text = "FROM scratch\nRUN <<EOF\necho a\necho b\nEOF\nCOPY <<-\"EOT\" /etc/x\n\t\tline ${X}\n\tEOT\nRUN <<A cat > /a && <<'B' cat > /b\none\nA\ntwo\nB\nRUN cat <<<here-string\nENV Z=1\n";
    let df = parse(text).unwrap();
    let ins = all(&df);
    assert_eq!((ins[0].start_line, ins[0].end_line), (2, 5));
    assert_eq!(ins[0].heredocs[0].name, "EOF");
    assert_eq!(ins[0].heredocs[0].body, "echo a\necho b\n");
    assert_eq!((ins[1].start_line, ins[1].end_line), (6, 8));
    assert!(ins[1].heredocs[0].strip_tabs && ins[1].heredocs[0].quoted);
    assert_eq!(ins[1].heredocs[0].body, "line ${X}\n");
    assert_eq!((ins[2].start_line, ins[2].end_line), (9, 13));
    assert_eq!(
        ins[2]
            .heredocs
            .iter()
            .map(|h| h.body.as_str())
            .collect::<Vec<_>>(),
        ["one\n", "two\n"]
    );
    assert!(ins[3].heredocs.is_empty(), "<<< is a here-string");
    assert_eq!(ins[4].start_line, 15);
    // heredocs only for RUN/COPY/ADD
    let df = parse("FROM scratch\nENV A=<<EOF\nRUN x\n").unwrap();
    assert_eq!(all(&df)[1].keyword, "RUN");
}

#[test]
fn unterminated_heredoc_is_an_error_with_its_line() {
    let err = parse("FROM scratch\nRUN true\nRUN <<EOF\necho\neof\n").unwrap_err();
    assert_eq!(
        err,
        ParseError::UnterminatedHeredoc {
            line: 3,
            name: "EOF".into()
        }
    );
    // `<<-` strips tabs only, not spaces
    assert!(parse("FROM scratch\nRUN <<-EOF\nx\n  EOF\n").is_err());
}

#[test]
fn flags() {
    let df = parse(
        "FROM --platform=linux/amd64 alpine AS a\nRUN --mount=type=cache,target=/c --network=none make\nCOPY --from=a --chown=1:1 --chmod=755 --link x /y\nADD --link --checksum=sha256:00 u /z\n",
    )
    .unwrap();
    let st = &df.stages[0];
    assert_eq!(st.from.flags[0].name, "platform");
    assert_eq!(st.base, "alpine");
    let ins = all(&df);
    assert_eq!(ins[0].flags.len(), 2);
    assert_eq!(
        ins[0].flags[0].value.as_deref(),
        Some("type=cache,target=/c")
    );
    assert_eq!(ins[0].args, "make");
    let names: Vec<_> = ins[1].flags.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["from", "chown", "chmod", "link"]);
    assert_eq!(ins[1].flags[3].value, None);
    assert_eq!(ins[1].args, "x /y");
    assert_eq!(ins[2].args, "u /z");
}

#[test]
fn arg_env_substitution() {
    let text = "ARG TAG=3.19\nARG REG\nFROM ${REG:-docker.io}/alpine:$TAG AS base\nARG TAG\nARG DIR=/opt\nENV HOME=${DIR}/home P=${UNSET:+x} Q=${DIR:+set}\nWORKDIR $HOME\nLABEL v='$DIR' w=\\$DIR x=\"${DIR}\"\nRUN echo $DIR\nCOPY a ${TAG}/\n";
    let df = parse(text).unwrap();
    assert_eq!(df.global_args.len(), 2);
    let st = &df.stages[0];
    assert_eq!(st.base, "docker.io/alpine:3.19");
    assert_eq!(st.name.as_deref(), Some("base"));
    let ins = all(&df);
    assert_eq!(ins[2].expanded.as_deref(), Some("HOME=/opt/home P= Q=set"));
    assert_eq!(ins[3].expanded.as_deref(), Some("/opt/home"));
    assert_eq!(
        ins[4].expanded.as_deref(),
        Some("v='$DIR' w=$DIR x=\"/opt\"")
    );
    // RUN is left to the shell
    assert_eq!(ins[5].expanded, None);
    // `ARG TAG` in the stage takes the global default
    assert_eq!(ins[6].expanded.as_deref(), Some("a 3.19/"));
}

#[test]
fn stages_by_name_and_index() {
    let text = "FROM golang AS build\nRUN go build\nFROM build AS test\nRUN go test\nFROM 0\nCOPY --from=build /a /b\nFROM BUILD\n";
    let df = parse(text).unwrap();
    let p: Vec<_> = df.stages.iter().map(|s| s.parent).collect();
    assert_eq!(p, [None, Some(0), Some(0), Some(0)]);
    assert_eq!(df.stage_named("test", 4), Some(1));
    assert_eq!(df.stage_named("test", 1), None);
}

#[test]
fn onbuild_and_errors() {
    let df = parse("FROM x\nONBUILD RUN make \\\n  all\nONBUILD COPY <<EOF /a\nhi\nEOF\n").unwrap();
    let ins = all(&df);
    let inner = ins[0].onbuild.as_ref().unwrap();
    assert_eq!(
        (inner.keyword.as_str(), inner.args.as_str()),
        ("RUN", "make   all")
    );
    assert_eq!((ins[0].start_line, ins[0].end_line), (2, 3));
    assert_eq!((ins[1].start_line, ins[1].end_line), (4, 6));
    assert_eq!(
        parse("RUN x\nFROM y\n"),
        Err(ParseError::BeforeFrom {
            line: 1,
            keyword: "RUN".into()
        })
    );
    assert_eq!(parse("# nothing\n"), Err(ParseError::NoFrom));
    assert_eq!(parse("FROM\n"), Err(ParseError::EmptyFrom { line: 1 }));
}

#[test]
fn real_dockerfiles_parse() {
    for (name, stages, count, last_line) in [
        ("debian-small.Dockerfile", 1, 10, 13),
        ("debian-large.Dockerfile", 1, 8, 11),
        ("rpm.Dockerfile", 1, 2, 4),
    ] {
        let df = parse(&read(name)).unwrap();
        assert_eq!(df.stages.len(), stages, "{name}");
        let ins = all(&df);
        assert_eq!(ins.len(), count, "{name}");
        assert_eq!(ins.last().unwrap().end_line, last_line, "{name}");
    }
}

// ---------------------------------------------------------------- created_by

#[test]
fn cleaning_created_by() {
    let cases = [
        ("/bin/sh -c #(nop) ENV A=b", "ENV A=b"),
        (
            "/bin/sh -c #(nop)  CMD [\"/usr/bin/python3\"]",
            "CMD [\"/usr/bin/python3\"]",
        ),
        (
            "/bin/sh -c apt-get update && apt-get install -y x",
            "RUN apt-get update && apt-get install -y x",
        ),
        (
            "RUN /bin/sh -c apt-get update # buildkit",
            "RUN apt-get update",
        ),
        ("RUN |2 A=1 B=2 /bin/sh -c make", "RUN make"),
        ("|2 A=1 B=2 /bin/sh -c make", "RUN make"),
        ("|1 A=has space /bin/sh -c make", "RUN make"),
        ("COPY file.txt /x # buildkit", "COPY file.txt /x"),
        (
            "/bin/sh -c #(nop) ADD file:2dbaa2bc in / ",
            "ADD file:2dbaa2bc in /",
        ),
        (
            "/bin/sh -c #(nop) COPY dir:c5e0ee25 in /x ",
            "COPY dir:c5e0ee25 in /x",
        ),
        (
            "/bin/sh -c --mount=type=bind,source=wheels,target=/tmp/wheels pip install x",
            "RUN --mount=type=bind,source=wheels,target=/tmp/wheels pip install x",
        ),
        ("/bin/sh -c #(nop) WORKDIR /srv", "WORKDIR /srv"),
        ("WORKDIR /srv # buildkit", "WORKDIR /srv"),
        ("/bin/sh -c #(nop) LABEL a=\"b c\"", "LABEL a=\"b c\""),
        ("LABEL a=b # buildkit", "LABEL a=b"),
        ("RUN a b # buildkit", "RUN a b"),
        (
            "RUN /bin/sh -c <<EOF\necho hi\nEOF # buildkit",
            "RUN <<EOF\necho hi\nEOF",
        ),
        ("/bin/bash -o pipefail -c make all", "RUN make all"),
        (
            "/usr/bin/python3 -m pip install x",
            "RUN /usr/bin/python3 -m pip install x",
        ),
        ("/bin/sh -c #(nop)  ARG DEST", "ARG DEST"),
        ("", ""),
    ];
    for (input, want) in cases {
        assert_eq!(clean_created_by(input), want, "{input:?}");
    }
}

// ---------------------------------------------------------------- matching: real images

fn assert_truth(dockerfile: &str, config: &str, truth: &str) {
    let df = parse(&read(dockerfile)).unwrap();
    let h = history_of(config);
    let truth: Vec<serde_json::Value> = serde_json::from_str(&read(truth)).unwrap();
    assert_eq!(h.len(), truth.len());
    let (m, w) = match_history(&df, &h);
    assert!(w.is_empty(), "{w:?}");
    assert!(m.unmatched.is_empty());
    for (i, t) in truth.iter().enumerate() {
        let r = m.per_entry[i]
            .as_ref()
            .unwrap_or_else(|| panic!("entry {i}"));
        assert_eq!(
            r.start_line as u64,
            t["dockerfile_line"].as_u64().unwrap(),
            "entry {i}"
        );
        assert_eq!(
            r.keyword,
            t["dockerfile_instruction"].as_str().unwrap(),
            "entry {i}"
        );
        assert!(!r.from_base_image);
        assert_eq!(r.stage, None);
    }
}

#[test]
fn debian_small_matches_builder_truth() {
    assert_truth(
        "debian-small.Dockerfile",
        "debian-small.config.json",
        "debian-small.truth-history.json",
    );
}

#[test]
fn rpm_matches_builder_truth() {
    assert_truth(
        "rpm.Dockerfile",
        "rpm-bdb.config.json",
        "rpm-bdb.truth-history.json",
    );
}

#[test]
fn buildah_base() {
    let df = parse(&read("buildah-base.Dockerfile")).unwrap();
    let (l, un, w) = lines(&df, &history_of("buildah-base.config.json"));
    assert_eq!(l, [Some(3), Some(4), Some(5)]);
    assert!(un.is_empty() && w.is_empty());
}

#[test]
fn buildah_two_stage_from_local_base() {
    let df = parse(&read("buildah-multi.Dockerfile")).unwrap();
    let h = history_of("buildah-multi.config.json");
    let (m, w) = match_history(&df, &h);
    assert!(w.is_empty(), "{w:?}");
    let got: Vec<_> = m
        .per_entry
        .iter()
        .map(|r| {
            let r = r.as_ref().unwrap();
            (r.line_range(), r.stage.clone().unwrap(), r.from_base_image)
        })
        .collect();
    let want = [
        // the base image's three entries: the first stage's FROM
        ("3", "b", true),
        ("3", "b", true),
        ("3", "b", true),
        // stage b
        ("4", "b", false),
        ("5-6", "b", false),
        ("7-8", "b", false),
        ("9", "b", false),
        // the final stage (FROM b), index 1
        ("12", "1", false),
        ("13-14", "1", false),
        ("15", "1", false),
        ("16", "1", false),
        ("17", "1", false),
    ];
    let want: Vec<_> = want
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), *c))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn edited_dockerfile_maps_what_still_agrees_and_warns_about_the_rest() {
    // the final stage's LABEL was changed after the build: that entry alone is unplaced,
    // every other entry keeps its line
    let text = read("buildah-multi.Dockerfile")
        .replace("fixture.role=\"multi\"", "fixture.role=\"other\"");
    let df = parse(&text).unwrap();
    let h = history_of("buildah-multi.config.json");
    let (l, un, w) = lines(&df, &h);
    let some = |v: &[usize]| v.iter().map(|&x| Some(x)).collect::<Vec<_>>();
    assert_eq!(&l[..8], some(&[3, 3, 3, 4, 5, 7, 9, 12]));
    assert_eq!(l[8], None);
    assert_eq!(&l[9..], some(&[15, 16, 17]));
    assert_eq!(un, [8]);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("history entry 8")
            && w[0].contains("LABEL")
            && w[0].contains("did not match line 13"),
        "{}",
        w[0]
    );

    // a different file altogether: nothing placed, one warning that says so
    let df = parse(&read("debian-small.Dockerfile")).unwrap();
    let (l, un, w) = lines(&df, &h);
    assert!(l.iter().all(Option::is_none), "{l:?}");
    assert_eq!(un.len(), h.len());
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("of the image's 12 entries agree"), "{w:?}");

    // an instruction too many (never built): the others are placed, it is reported
    let text = read("buildah-base.Dockerfile") + "RUN never-built\n";
    let (l, un, w) = lines(
        &parse(&text).unwrap(),
        &history_of("buildah-base.config.json"),
    );
    assert_eq!(l, [Some(3), Some(4), Some(5)]);
    assert!(un.is_empty());
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("no entry for line 6"), "{w:?}");

    // the history runs out before the instructions do: the ADD was never built into it
    let df = parse(&read("buildah-base.Dockerfile")).unwrap();
    let h = history_of("buildah-base.config.json")[1..].to_vec();
    let (l, un, w) = lines(&df, &h);
    assert_eq!(l, [Some(4), Some(5)]);
    assert!(un.is_empty());
    assert_eq!(w.len(), 1);
    assert!(w[0].contains("line 3 (\"ADD"), "{w:?}");

    // FROM scratch, but the history has more entries than instructions
    let text = "FROM scratch\nLABEL fixture.role=\"base\"\nENV BASE_VERSION=1.0\n";
    let (l, un, w) = lines(
        &parse(text).unwrap(),
        &history_of("buildah-base.config.json"),
    );
    assert_eq!(l, [None, Some(2), Some(3)]);
    assert_eq!(un, [0]);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("1 history entry comes before"), "{w:?}");

    // one entry in a form not recognised, in the middle: the rest keeps its lines, and the
    // warnings come in entry order (entry 2 before entry 10)
    let mut text = String::from("FROM debian:12\n");
    let mut h = entries(&["/bin/sh -c #(nop) ADD file:aa in / "]);
    for k in 0..12 {
        text.push_str(&format!("RUN step{k}\n"));
        let c = match k {
            1 | 9 => format!("RUN something-else-{k} # buildkit"),
            _ => format!("RUN /bin/sh -c step{k} # buildkit"),
        };
        h.extend(entries(&[c.as_str()]));
    }
    let (l, un, w) = lines(&parse(&text).unwrap(), &h);
    assert_eq!(un, [2, 10]);
    assert_eq!(l[0], Some(1));
    assert_eq!(l[1], Some(2));
    assert_eq!(l[3], Some(4));
    assert_eq!(l[12], Some(13));
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(
        w[0].contains("entry 2 ") && w[1].contains("entry 10 "),
        "{w:?}"
    );

    // a squashed image: one entry for many instructions, said once
    let h = entries(&["/bin/sh -c #(nop) ADD file:aa in / "]);
    let (_, _, w) = lines(&parse(&text).unwrap(), &h);
    assert!(
        w.iter().any(|m| m.contains("1 entry for 12 instructions")),
        "{w:?}"
    );
    assert!(w.len() <= 2, "{w:?}");
}

#[test]
fn buildkit_heredocs_and_stages() {
    let df = parse(&read("buildkit-heredoc.Dockerfile")).unwrap();
    let h = history_of("buildkit-heredoc.config.json");
    let (m, w) = match_history(&df, &h);
    assert!(w.is_empty(), "{w:?}");
    let got: Vec<_> = m
        .per_entry
        .iter()
        .map(|r| {
            let r = r.as_ref().unwrap();
            (r.line_range(), r.from_base_image)
        })
        .collect();
    let want = [
        ("4", true),
        ("4", true),
        ("6-9", false),
        ("10-12", false),
        ("13-17", false),
        ("20", false),
        ("21", false),
        ("22", false),
    ];
    let want: Vec<_> = want.iter().map(|(a, b)| (a.to_string(), *b)).collect();
    assert_eq!(got, want);
    // a history that kept only the first line of a heredoc RUN matches too
    let h = entries(&["RUN /bin/sh -c <<EOF # buildkit"]);
    let df = parse("FROM scratch\nRUN <<EOF\necho\nEOF\n").unwrap();
    assert_eq!(lines(&df, &h).0, [Some(2)]);
    // a different body does not
    let h = entries(&["RUN /bin/sh -c <<EOF\nrm -rf /\nEOF # buildkit"]);
    assert_eq!(lines(&df, &h).0, [None]);
}

#[test]
fn buildkit_and_classic_forms() {
    let df = parse(
        "ARG V=1\nFROM debian:12 AS b\nARG V\nENV APP=/opt/app\nWORKDIR $APP\nCOPY --from=b --chown=0:0 a.txt c.txt ${APP}/\nRUN make V=$V\nCMD python3 -m app\nEXPOSE 80\nONBUILD RUN echo hi\n",
    )
    .unwrap();
    let buildkit = entries(&[
        "/bin/sh -c #(nop) ADD file:aa in / ",
        "ENV APP=/opt/app # buildkit",
        "WORKDIR /opt/app # buildkit",
        "COPY a.txt c.txt /opt/app/ # buildkit",
        "RUN |1 V=1 /bin/sh -c make V=$V # buildkit",
        "CMD [\"/bin/sh\" \"-c\" \"python3 -m app\"]",
        "EXPOSE 80",
        "ONBUILD RUN echo hi # buildkit",
    ]);
    let (l, un, w) = lines(&df, &buildkit);
    assert_eq!(
        l,
        [
            Some(2),
            Some(4),
            Some(5),
            Some(6),
            Some(7),
            Some(8),
            Some(9),
            Some(10)
        ],
        "{w:?}"
    );
    assert!(un.is_empty());
    let classic = entries(&[
        "/bin/sh -c #(nop) ADD file:aa in / ",
        "/bin/sh -c #(nop)  ARG V",
        "/bin/sh -c #(nop)  ENV APP=/opt/app",
        "/bin/sh -c #(nop) WORKDIR /opt/app",
        "/bin/sh -c #(nop) COPY multi:0123 in /opt/app/ ",
        "|1 V=2 /bin/sh -c make V=$V",
        "/bin/sh -c #(nop)  CMD [\"/bin/sh\" \"-c\" \"python3 -m app\"]",
        "/bin/sh -c #(nop)  EXPOSE 80",
        "/bin/sh -c #(nop)  ONBUILD RUN echo hi",
    ]);
    let (l, _, w) = lines(&df, &classic);
    assert_eq!(
        l,
        [
            Some(2),
            Some(3),
            Some(4),
            Some(5),
            Some(6),
            Some(7),
            Some(8),
            Some(9),
            Some(10)
        ],
        "{w:?}"
    );
    // a build arg overriding a default still matches: the variable's value is unknown
    let df = parse("FROM x\nARG DIR=/opt\nWORKDIR ${DIR}/app\nRUN [\"a\",\"b\"]\n").unwrap();
    let h = entries(&["WORKDIR /srv/app # buildkit", "RUN a b # buildkit"]);
    assert_eq!(lines(&df, &h).0, [Some(3), Some(4)]);
    // but the literal part must agree
    let h = entries(&["WORKDIR /srv/other # buildkit", "RUN a b # buildkit"]);
    assert_eq!(lines(&df, &h).0, [None, Some(4)]);
    // COPY destinations must agree
    let df = parse("FROM scratch\nCOPY a /x\n").unwrap();
    assert_eq!(lines(&df, &entries(&["COPY a /y # buildkit"])).0, [None]);
    assert_eq!(
        lines(&df, &entries(&["/bin/sh -c #(nop) COPY file:ab in /x "])).0,
        [Some(2)]
    );
}

#[test]
fn scanner_sets_instruction_and_dockerfile_refs() {
    use layer_walker::{ImageRef, Scanner};
    let image = ImageRef::parse(data("rpm-bdb.docker.tar").to_str().unwrap()).unwrap();
    let scan = Scanner::new()
        .dockerfile(read("rpm.Dockerfile"))
        .scan(&image)
        .unwrap();
    let inv = &scan.inventory;
    let h = &inv.image.history;
    assert_eq!(
        h[0].instruction
            .as_deref()
            .map(|s| s.starts_with("ADD file:")),
        Some(true)
    );
    assert_eq!(h[1].dockerfile.as_ref().unwrap().start_line, 4);
    let layer = &inv.layers[0];
    assert_eq!(layer.dockerfile.as_ref().unwrap().line_range(), "3");
    assert!(layer
        .instruction
        .as_deref()
        .unwrap()
        .starts_with("ADD file:"));
    assert!(inv
        .warnings
        .iter()
        .all(|w| !w.message.starts_with("Dockerfile")));

    // without a Dockerfile: instructions only
    let scan = Scanner::new().scan(&image).unwrap();
    assert!(scan.inventory.layers[0].instruction.is_some());
    assert!(scan.inventory.layers[0].dockerfile.is_none());

    // a mismatching one: warnings, no refs
    let scan = Scanner::new()
        .dockerfile("FROM scratch\nADD rootfs.tar /\nLABEL other=1\n".into())
        .scan(&image)
        .unwrap();
    let msgs: Vec<_> = scan
        .inventory
        .warnings
        .iter()
        .filter(|w| w.message.starts_with("Dockerfile: history entry"))
        .collect();
    // the ADD still agrees (same destination) and keeps its line; the LABEL does not
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert!(msgs[0].message.contains("did not match line 3"), "{msgs:?}");
    assert!(msgs.iter().all(|w| !w.incomplete));
    assert_eq!(
        scan.inventory.layers[0]
            .dockerfile
            .as_ref()
            .map(|d| d.start_line),
        Some(2)
    );

    // a malformed one fails the scan with the line
    let err = Scanner::new()
        .dockerfile("FROM scratch\nRUN <<EOF\n".into())
        .scan(&image)
        .err()
        .unwrap();
    assert!(err.to_string().contains("line 2"), "{err}");
}

// ---------------------------------------------------------------- robustness

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parser_never_panics(text in "(?s).{0,400}") {
        let _ = parse(&text);
    }

    #[test]
    fn parser_never_panics_on_dockerfile_like_text(
        lines in proptest::collection::vec(
            prop_oneof![
                Just("FROM a AS b".to_string()),
                Just("RUN <<EOF".to_string()),
                Just("EOF".to_string()),
                Just("\tEOF".to_string()),
                Just("# escape=`".to_string()),
                Just("ENV A=${B:-${C}} \\".to_string()),
                "[A-Z]{2,6} [-$<{}\\[\\]\"'=`\\\\a-z ]{0,30}",
            ],
            0..12,
        )
    ) {
        let _ = parse(&lines.join("\n"));
    }

    #[test]
    fn matcher_never_panics(created_by in proptest::collection::vec("(?s).{0,80}", 0..8)) {
        let df = parse("ARG X=1\nFROM a AS s\nRUN <<EOF\nx\nEOF\nCOPY ${X} /d\nFROM s\nENV A=$X\nCMD x\nONBUILD RUN y\n").unwrap();
        let h: Vec<HistoryEntry> = created_by.iter().map(|c| HistoryEntry {
            created_by: Some(c.clone()),
            ..Default::default()
        }).collect();
        let (m, _) = match_history(&df, &h);
        prop_assert_eq!(m.per_entry.len(), h.len());
        for c in &created_by {
            let _ = clean_created_by(c);
        }
    }
}

#[test]
fn a_build_target_maps_that_stage() {
    // the entries an image built with `--target b` has: the base image's and stage b's
    let df = parse(&read("buildah-multi.Dockerfile")).unwrap();
    let h = history_of("buildah-multi.config.json")[..7].to_vec();
    let b = df.target("b").unwrap();
    let (m, w) = layer_walker::dockerfile::match_stage(&df, b, &h);
    assert!(w.is_empty(), "{w:?}");
    let got: Vec<_> = m
        .per_entry
        .iter()
        .map(|r| r.as_ref().map(|r| (r.start_line, r.from_base_image)))
        .collect();
    let want = [
        (3, true),
        (3, true),
        (3, true),
        (4, false),
        (5, false),
        (7, false),
        (9, false),
    ];
    assert_eq!(got, want.map(Some));
    // matched against the last stage instead, the final stage's instructions have no entries
    let (_, w) = match_history(&df, &h);
    assert!(!w.is_empty());

    // through the scanner: a target the file lacks fails before anything is read
    let err = layer_walker::Scanner::new()
        .dockerfile(read("buildah-multi.Dockerfile"))
        .dockerfile_target("prod".into())
        .scan(&layer_walker::ImageRef::parse("/nonexistent").unwrap())
        .err()
        .unwrap();
    assert_eq!(err.kind(), layer_walker::ErrorKind::Dockerfile);
    assert!(err.to_string().contains("no stage \"prod\""), "{err}");
}

/// A fixture built by a real Docker daemon (make-docker-fixtures.sh): every entry maps to
/// the line the truth gives (derived from the builder's own order), with no warning.
fn assert_docker_truth(config: &str, truth: &str, target: Option<&str>) {
    let df = parse(&read("every-instruction.Dockerfile")).unwrap();
    let h = history_of(config);
    let truth: Vec<serde_json::Value> = serde_json::from_str(&read(truth)).unwrap();
    assert_eq!(h.len(), truth.len());
    let stage = match target {
        Some(t) => df.target(t).unwrap(),
        None => df.stages.len() - 1,
    };
    let (m, w) = layer_walker::dockerfile::match_stage(&df, stage, &h);
    assert!(w.is_empty(), "{config}: {w:?}");
    assert!(m.unmatched.is_empty());
    for (i, t) in truth.iter().enumerate() {
        let r = m.per_entry[i]
            .as_ref()
            .unwrap_or_else(|| panic!("{config}: entry {i}"));
        let want = (
            t["dockerfile_line"].as_u64().unwrap() as usize,
            t["dockerfile_instruction"].as_str().unwrap(),
        );
        assert_eq!(
            (r.start_line, r.keyword.as_str()),
            want,
            "{config}: entry {i}"
        );
        assert_eq!(r.from_base_image, want.1 == "FROM", "{config}: entry {i}");
    }
}

#[test]
fn docker_buildkit_build_of_every_instruction_matches_builder_truth() {
    // EXPOSE as a Go map, VOLUME/SHELL as Go slices, HEALTHCHECK as a Go struct, exec-form
    // RUN, build args, --mount/--chmod dropped, ONBUILD unrecorded but its trigger run in the
    // child stage
    assert_docker_truth(
        "docker-buildkit.config.json",
        "docker-buildkit.truth-history.json",
        None,
    );
    assert_docker_truth(
        "docker-buildkit-target.config.json",
        "docker-buildkit-target.truth-history.json",
        Some("build"),
    );
}

#[test]
fn docker_legacy_build_of_every_instruction_matches_builder_truth() {
    // the legacy builder's `#(nop)` forms, after `SHELL` with bash's `-c`, ONBUILD recorded
    assert_docker_truth(
        "docker-legacy.config.json",
        "docker-legacy.truth-history.json",
        None,
    );
}

#[test]
fn healthcheck_forms() {
    let df = |t: &str| parse(&format!("FROM scratch\n{t}\n")).unwrap();
    let one = |d: &Dockerfile, c: &str| lines(d, &entries(&[c])).0[0];
    let d = df("HEALTHCHECK --interval=90s --retries=3 CMD curl -f http://localhost/");
    assert_eq!(
        one(&d, "HEALTHCHECK &{[\"CMD-SHELL\" \"curl -f http://localhost/\"] \"1m30s\" \"0s\" \"0s\" '\\x03'}"),
        Some(2)
    );
    // a newer builder prints a fourth duration (start interval)
    assert_eq!(
        one(&d, "HEALTHCHECK &{[\"CMD-SHELL\" \"curl -f http://localhost/\"] \"1m30s\" \"0s\" \"0s\" \"0s\" '\\x03'}"),
        Some(2)
    );
    // other retries, other interval, other command: no
    for c in [
        "HEALTHCHECK &{[\"CMD-SHELL\" \"curl -f http://localhost/\"] \"1m30s\" \"0s\" \"0s\" '\\x04'}",
        "HEALTHCHECK &{[\"CMD-SHELL\" \"curl -f http://localhost/\"] \"30s\" \"0s\" \"0s\" '\\x03'}",
        "HEALTHCHECK &{[\"CMD-SHELL\" \"curl http://localhost/\"] \"1m30s\" \"0s\" \"0s\" '\\x03'}",
    ] {
        assert_eq!(one(&d, c), None, "{c}");
    }
    let d = df("HEALTHCHECK NONE");
    assert_eq!(
        one(&d, "HEALTHCHECK &{[\"NONE\"] \"0s\" \"0s\" \"0s\" '\\x00'}"),
        Some(2)
    );
    let d = df("EXPOSE 53/udp 80");
    assert_eq!(one(&d, "EXPOSE map[53/udp:{} 80/tcp:{}]"), Some(2));
    assert_eq!(one(&d, "EXPOSE map[53/tcp:{} 80/tcp:{}]"), None);
}
