use super::*;
use proptest::prelude::*;

const FIX: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../testdata/lang/ruby/specifications"
);

/// The value of `s.<attr> = …` in a fixture, read independently: the text between the
/// first `"` and the next `"` on that line (or every `"…"` for arrays).
fn attr(text: &str, name: &str) -> Vec<String> {
    let prefix = format!("s.{name} = ");
    let Some(line) = text.lines().map(str::trim).find(|l| l.starts_with(&prefix)) else {
        return Vec::new();
    };
    line.split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

#[test]
fn fixtures_match_their_assignments() {
    let mut files = Vec::new();
    for e in std::fs::read_dir(FIX).expect("dir") {
        let name = e.expect("entry").file_name().to_string_lossy().into_owned();
        let body = std::fs::read(format!("{FIX}/{name}")).expect("read");
        files.push((
            format!("/usr/lib/ruby/gems/3.1.0/specifications/{name}"),
            body,
        ));
    }
    assert_eq!(files.len(), 3);
    let detectors: Vec<Arc<dyn Detector>> = vec![Arc::new(RubyDetector)];
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, b)| (p.as_str(), b.as_slice()))
        .collect();
    let view = FsView::from_files(&detectors, &refs, &[]);
    let mut out = Findings::default();
    detectors[0].collect(&view, CollectContext { full_detail: true }, &mut out);
    assert_eq!(out.packages.len(), files.len());
    for (path, body) in &files {
        let text = String::from_utf8_lossy(body);
        let p = out
            .packages
            .iter()
            .find(|p| &p.database_path == path)
            .expect("reported");
        assert_eq!(vec![p.name.clone()], attr(&text, "name"));
        assert_eq!(vec![p.version.clone()], attr(&text, "version"));
        assert_eq!(p.licenses_declared, attr(&text, "licenses"));
        assert_eq!(
            p.homepage.iter().cloned().collect::<Vec<_>>(),
            attr(&text, "homepage")
        );
        assert_eq!(p.supplier, Some(attr(&text, "authors").join(", ")));
        // file name is <name>-<version>.gemspec
        assert!(path.ends_with(&format!("/{}-{}.gemspec", p.name, p.version)));
    }
}

#[test]
fn gem_version_new_and_multiline_arrays() {
    let g = parse_gemspec(
        "Gem::Specification.new do |spec|\n  spec.name = 'x'\n  spec.version = Gem::Version.new(\"1.2\")\n  spec.licenses = [\n 'MIT',\n \"Apache-2.0\" ]\nend\n",
    )
    .expect("ok");
    assert_eq!((g.name.as_str(), g.version.as_str()), ("x", "1.2"));
    assert_eq!(g.licenses, vec!["MIT", "Apache-2.0"]);
}

#[test]
fn garbage_is_a_parse_error() {
    assert!(parse_gemspec("puts 'hello'\n").is_err());
    assert!(RubyDetector
        .parse("/g/specifications/a.gemspec", b"\xff\xfe\x00")
        .is_err());
}

proptest! {
    #[test]
    fn scanner_never_panics(s in ".{0,512}") {
        let _ = parse_gemspec(&s);
        let _ = string_literals(&s);
    }
}
