//! Tern's Dockerfile lock on real images: the packages each RUN line installed, pinned to
//! the versions the package managers recorded (debian-small's truth file, written by
//! make-images.sh from dpkg-query and the dist-info directories).

mod support;

use layer_walker::dockerfile::{lock, parse};
use layer_walker::{ImageRef, Scanner};

#[test]
fn debian_small_lock_pins_what_each_line_installed() {
    let Some(dir) = support::sbom_images() else {
        return;
    };
    let text = std::fs::read_to_string(dir.join("debian-small.Dockerfile")).unwrap();
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("debian-small.truth.json")).unwrap())
            .unwrap();
    let image = ImageRef::parse(dir.join("debian-small.docker.tar").to_str().unwrap()).unwrap();
    let scan = Scanner::new()
        .dockerfile(text.clone())
        .scan(&image)
        .unwrap();
    let df = parse(&text).unwrap();
    let locked = lock(&text, &df, &scan.inventory);

    // the truth: which layer (so which line) added which dpkg package, and the versions
    let final_version = |name: &str| {
        truth["packages"]["dpkg"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .map(|p| p["version"].as_str().unwrap().to_string())
    };
    let install_line = 7;
    let layer = truth["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["dockerfile_line"] == install_line)
        .unwrap();
    let added: Vec<&str> = layer["dpkg"]["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    let named = ["python3", "python3-pip", "curl", "ca-certificates"];
    let pins: Vec<_> = locked
        .pinned
        .iter()
        .filter(|(line, _, _)| *line == install_line)
        .collect();
    assert_eq!(
        pins.iter().map(|p| p.1.as_str()).collect::<Vec<_>>(),
        named,
        "{locked:?}"
    );
    for (_, name, version) in &pins {
        assert!(added.contains(&name.as_str()), "{name} was not added there");
        // curl was purged by a later line: only the others are in the final database
        if let Some(v) = final_version(name) {
            assert_eq!(&v, version, "{name}");
        }
        assert!(
            locked.text.contains(&format!(" {name}={version} ")),
            "{name}={version} not in\n{}",
            locked.text
        );
    }
    // what was pinned already stays as written, and nothing else changes
    assert!(locked.text.contains(" requests==2.31.0 six==1.16.0\n"));
    let unpinned = named
        .iter()
        .zip(&pins)
        .fold(locked.text.clone(), |t, (n, (_, _, v))| {
            t.replacen(&format!(" {n}={v} "), &format!(" {n} "), 1)
        });
    assert_eq!(unpinned, text);
    // FROM scratch needs no pin, and every install was pinned: no notes
    assert!(locked.notes.is_empty(), "{:?}", locked.notes);
}
