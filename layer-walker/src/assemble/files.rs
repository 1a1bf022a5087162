//! The file inventory ([`crate::Scanner::files`]): every layer's file records laid over each
//! other as the layers are (whiteouts, opaque directories, a later entry at a path replacing
//! an earlier one), then each file given the packages whose databases list it.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::ops::Bound;

use sbom_core::{Ecosystem, FileEntry, Package, Scope};

use super::owned::usr_alias;
use crate::walk::files::{FileBody, FileRecord};
use crate::walk::layer::{Change, LayerAnalysis};

/// The files of the image (with `AllLayers`, of every layer), their owners filled from
/// `packages` (whose ids are final).
pub(super) fn inventory(
    analyses: &[LayerAnalysis],
    packages: &[Package],
    scope: Scope,
) -> Vec<FileEntry> {
    let mut out = overlay(analyses);
    if scope == Scope::Squashed {
        out.retain(FileEntry::in_final_image);
    }
    let owners = Owners::new(packages);
    for f in &mut out {
        f.owners = owners
            .of(&f.path)
            .into_iter()
            .map(|i| packages[i].id.clone())
            .collect();
    }
    out
}

/// Every file record of every layer, in layer order; `removed_in` set on those a later layer
/// (or a later entry of the same layer: then its own index) removed or replaced.
fn overlay(analyses: &[LayerAnalysis]) -> Vec<FileEntry> {
    let mut out: Vec<FileEntry> = Vec::new();
    // path -> index into `out` of the file visible there now
    let mut visible: BTreeMap<String, usize> = BTreeMap::new();
    for (layer, a) in analyses.iter().enumerate() {
        if a.files.is_empty() && a.changes.is_empty() {
            continue;
        }
        let mut gone = |visible: &mut BTreeMap<String, usize>,
                        out: &mut [FileEntry],
                        path: &str,
                        below: bool| {
            if let Some(i) = visible.remove(path) {
                out[i].removed_in = Some(layer);
            }
            if below {
                let prefix = if path == "/" {
                    "/".to_string()
                } else {
                    format!("{path}/")
                };
                let doomed: Vec<String> = visible
                    .range::<str, _>((Bound::Included(prefix.as_str()), Bound::Unbounded))
                    .take_while(|(k, _)| k.starts_with(&prefix))
                    .map(|(k, _)| k.clone())
                    .collect();
                for k in doomed {
                    if let Some(i) = visible.remove(&k) {
                        out[i].removed_in = Some(layer);
                    }
                }
            }
        };
        // whiteouts hide only lower layers, wherever they stand in the tar
        for ch in &a.changes {
            match ch {
                Change::Whiteout(p) => gone(&mut visible, &mut out, p, true),
                Change::Opaque(dir) => {
                    let keep = visible.remove(dir.as_str());
                    gone(&mut visible, &mut out, dir, true);
                    if let Some(i) = keep {
                        visible.insert(dir.clone(), i);
                    }
                }
                _ => {}
            }
        }
        let mut records = a.files.iter().peekable();
        for k in 0..=a.changes.len() {
            while let Some(r) = records.next_if(|r| r.order as usize <= k) {
                lay(&mut out, &mut visible, layer, r, &mut gone);
            }
            match a.changes.get(k) {
                // a directory replaces a file at its path, and keeps what is below it
                Some(Change::Dir(p)) => gone(&mut visible, &mut out, p, false),
                Some(Change::Symlink { path, .. }) | Some(Change::Replaced(path)) => {
                    gone(&mut visible, &mut out, path, true)
                }
                // regular files and hard links come as records
                _ => {}
            }
        }
    }
    out
}

type Gone<'g> = dyn FnMut(&mut BTreeMap<String, usize>, &mut [FileEntry], &str, bool) + 'g;

/// Lays one record over what is visible.
fn lay(
    out: &mut Vec<FileEntry>,
    visible: &mut BTreeMap<String, usize>,
    layer: usize,
    r: &FileRecord,
    gone: &mut Gone<'_>,
) {
    let (size, sha256, sha1) = match &r.body {
        FileBody::Hashed { size, sha256, sha1 } => {
            (*size, hex(sha256), sha1.as_ref().map(|h| hex(h)))
        }
        // a link to a file that is not there (or not a regular file) is no file
        FileBody::LinkTo(target) => match visible.get(target.as_str()) {
            Some(&i) => (out[i].size, out[i].sha256.clone(), out[i].sha1.clone()),
            None => return,
        },
    };
    // a file replaces a directory at its path, and what was below it
    gone(visible, out, &r.path, true);
    visible.insert(r.path.clone(), out.len());
    out.push(FileEntry {
        path: r.path.clone(),
        layer,
        size,
        mode: r.mode,
        sha256,
        sha1,
        owners: Vec::new(),
        executable: r.mode & 0o111 != 0,
        removed_in: None,
    });
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Who owns which path: the file lists the detectors already read (dpkg's `.list`, rpm's
/// and apk's file lists, Python's `RECORD`), and for npm, whose packages list no files,
/// everything below the directory of the package's `package.json` (the nearest one wins, so
/// a nested `node_modules` package owns its own files).
struct Owners<'p> {
    listed: HashMap<&'p str, Vec<usize>>,
    dirs: HashMap<&'p str, Vec<usize>>,
}

impl<'p> Owners<'p> {
    fn new(packages: &'p [Package]) -> Self {
        let mut listed: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut dirs: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, p) in packages.iter().enumerate() {
            for f in &p.files {
                listed.entry(f.as_str()).or_default().push(i);
            }
            if p.ecosystem == Ecosystem::Npm && p.files.is_empty() {
                if let Some(dir) = p.database_path.strip_suffix("/package.json") {
                    dirs.entry(dir).or_default().push(i);
                }
            }
        }
        Owners { listed, dirs }
    }

    fn of(&self, path: &str) -> Vec<usize> {
        let mut found: Vec<usize> = self.listed.get(path).cloned().unwrap_or_default();
        // merged /usr: dpkg lists /bin/ls, the tar holds /usr/bin/ls
        if let Some(alias) = usr_alias(path) {
            found.extend(self.listed.get(alias.as_str()).into_iter().flatten());
        }
        if !self.dirs.is_empty() {
            let mut at = path;
            while let Some(cut) = at.rfind('/') {
                at = &at[..cut];
                if let Some(owners) = self.dirs.get(at) {
                    found.extend(owners);
                    break;
                }
            }
        }
        found.sort_unstable();
        found.dedup();
        found
    }
}

#[cfg(test)]
mod tests;
