//! The image's filesystem as of some layer, reduced to what detectors claimed: parsed files,
//! plus the links needed to resolve paths. Layers are applied in order with their whiteouts.

use std::collections::BTreeMap;
use std::ops::Bound;
use std::sync::Arc;

use crate::detect::Parsed;
use crate::walk::layer::{Change, ClaimResult, LayerAnalysis};

/// Symlink hops allowed while resolving one path (Linux allows 40).
const MAX_SYMLINK_HOPS: usize = 40;

/// Longest symlink target followed: Linux's PATH_MAX. `symlink(2)` refuses longer targets,
/// so only a hand-made tar has them, and following one means thousands of components.
const PATH_MAX: usize = 4096;

#[derive(Clone)]
pub(crate) enum Node {
    /// A regular file some detectors claimed.
    File {
        layer: usize,
        claims: Arc<[ClaimResult]>,
    },
    Symlink {
        layer: usize,
        target: String,
    },
    /// A hard link whose body was not read in its own layer: resolved through its target.
    Hardlink {
        layer: usize,
        target: String,
    },
}

impl Node {
    fn layer(&self) -> usize {
        match self {
            Node::File { layer, .. }
            | Node::Symlink { layer, .. }
            | Node::Hardlink { layer, .. } => *layer,
        }
    }
}

/// A parsed file visible in a [`FsView`].
#[derive(Clone, Copy)]
pub struct ViewFile<'a> {
    /// Absolute path in the image.
    pub path: &'a str,
    /// Index of the layer that last wrote the file.
    pub layer: usize,
    parsed: &'a Parsed,
}

impl<'a> ViewFile<'a> {
    /// The parsed form, if it is a `T`.
    pub fn get<T: 'static>(&self) -> Option<&'a T> {
        self.parsed.downcast_ref::<T>()
    }
}

/// A claimed file that could not be used: too large, unreadable, or unparseable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewFailure<'a> {
    /// The file's path in the image.
    pub path: &'a str,
    /// The layer that wrote it.
    pub layer: usize,
    /// The detector that could not use it.
    pub detector: &'static str,
    /// Why.
    pub message: &'a str,
}

/// The filesystem after some layers, as far as detectors are concerned.
#[derive(Clone, Default)]
pub struct FsView {
    nodes: BTreeMap<String, Node>,
    layers_applied: usize,
}

impl FsView {
    /// An empty view: the image before its first layer.
    pub fn new() -> Self {
        Self::default()
    }

    /// A one-layer view holding `files` (absolute path, body), each offered to `detectors`
    /// exactly as the walker would offer it, and `symlinks` (path, target). For tests, fuzzing
    /// and tools that already have the files.
    ///
    /// ```
    /// use layer_walker::walk::view::FsView;
    /// let view = FsView::from_files(&layer_walker::detect::default_detectors(), &[("/etc/hostname", b"box\n")], &[]);
    /// assert_eq!(view.layers_applied(), 1);
    /// ```
    pub fn from_files(
        detectors: &[Arc<dyn crate::detect::Detector>],
        files: &[(&str, &[u8])],
        symlinks: &[(&str, &str)],
    ) -> FsView {
        let limits = crate::Limits::default();
        let mut changes = Vec::new();
        let index = crate::walk::claim::ClaimIndex::new(detectors);
        for (path, body) in files {
            let meta = crate::detect::EntryMeta {
                size: body.len() as u64,
                mode: 0o755,
            };
            let offered =
                crate::walk::claim::offer(&index, &limits, path, &meta, || Ok(Box::new(*body)));
            if let Ok(crate::walk::claim::Offer::Parsed(claims)) = offered {
                changes.push(Change::File {
                    path: path.to_string(),
                    claims,
                });
            }
        }
        for (path, target) in symlinks {
            changes.push(Change::Symlink {
                path: path.to_string(),
                target: target.to_string(),
            });
        }
        let layer = LayerAnalysis {
            changes,
            digest: None,
            size: 0,
            diff_id: None,
            uncompressed_size: 0,
            compression: crate::blob::Compression::None,
            entries: files.len() as u64,
            whiteouts: 0,
            claimed_files: 0,
            pending_links: Vec::new(),
            files: Vec::new(),
        };
        let mut view = FsView::new();
        view.apply(&layer);
        view
    }

    /// How many layers have been applied.
    pub fn layers_applied(&self) -> usize {
        self.layers_applied
    }

    /// Applies the next layer: its whiteouts and opaque directories hide what lower layers
    /// wrote, then its own files are laid over. Returns whether what detectors can see
    /// changed: a layer that only writes files nobody claimed, or writes again what is
    /// already there (the same blob listed twice), leaves every finding as it was.
    pub(crate) fn apply(&mut self, layer: &LayerAnalysis) -> bool {
        let index = self.layers_applied;
        let mut changed = false;
        // Whiteouts only ever hide lower layers (OCI image spec, "Whiteouts"), so apply them all
        // before anything this layer writes, wherever they stand in the tar.
        for ch in &layer.changes {
            match ch {
                Change::Whiteout(path) => {
                    changed |= self.nodes.remove(path).is_some();
                    changed |= self.remove_below(path);
                }
                Change::Opaque(dir) => changed |= self.remove_below(dir),
                _ => {}
            }
        }
        for ch in &layer.changes {
            match ch {
                Change::Whiteout(_) | Change::Opaque(_) => {}
                Change::File { path, claims } => {
                    changed |= self.remove_below(path);
                    changed |= self.put(
                        path,
                        Node::File {
                            layer: index,
                            claims: claims.clone(),
                        },
                    );
                }
                Change::Symlink { path, target } => {
                    changed |= self.remove_below(path);
                    changed |= self.put(
                        path,
                        Node::Symlink {
                            layer: index,
                            target: target.clone(),
                        },
                    );
                }
                Change::Hardlink { path, target } => {
                    changed |= self.remove_below(path);
                    let node = match self.nodes.get(target) {
                        // the target is visible now: share its parsed form
                        Some(Node::File { claims, .. }) => Node::File {
                            layer: index,
                            claims: claims.clone(),
                        },
                        _ => Node::Hardlink {
                            layer: index,
                            target: target.clone(),
                        },
                    };
                    changed |= self.put(path, node);
                }
                Change::Replaced(path) => {
                    changed |= self.nodes.remove(path).is_some();
                    changed |= self.remove_below(path);
                }
                Change::Dir(path) => {
                    // a directory replaces a file or link of a lower layer at the same path
                    changed |= self.nodes.remove(path).is_some();
                }
            }
        }
        self.layers_applied += 1;
        changed
    }

    /// Sets the node at `path`; whether that changed more than the layer it is credited to.
    fn put(&mut self, path: &str, node: Node) -> bool {
        let same = match (self.nodes.get(path), &node) {
            (Some(Node::File { claims: a, .. }), Node::File { claims: b, .. }) => Arc::ptr_eq(a, b),
            (Some(Node::Symlink { target: a, .. }), Node::Symlink { target: b, .. })
            | (Some(Node::Hardlink { target: a, .. }), Node::Hardlink { target: b, .. }) => a == b,
            _ => false,
        };
        self.nodes.insert(path.to_string(), node);
        !same
    }

    /// Removes everything below `dir`; whether there was anything.
    fn remove_below(&mut self, dir: &str) -> bool {
        let prefix = if dir == "/" {
            "/".to_string()
        } else {
            format!("{dir}/")
        };
        let doomed: Vec<String> = self
            .nodes
            .range::<str, _>((Bound::Included(prefix.as_str()), Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, _)| k.clone())
            .collect();
        for k in &doomed {
            self.nodes.remove(k);
        }
        !doomed.is_empty()
    }

    /// The files `detector` parsed that are visible in this view, in path order.
    pub fn parsed<'a>(&'a self, detector: &'a str) -> impl Iterator<Item = ViewFile<'a>> + 'a {
        self.nodes
            .iter()
            .filter_map(move |(path, node)| parsed_by(path, node, detector))
    }

    /// The files `detector` parsed whose path starts with `prefix`.
    pub fn parsed_under<'a>(
        &'a self,
        detector: &'a str,
        prefix: &'a str,
    ) -> impl Iterator<Item = ViewFile<'a>> + 'a {
        self.nodes
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(move |(k, _)| k.starts_with(prefix))
            .filter_map(move |(path, node)| parsed_by(path, node, detector))
    }

    /// The parsed form `detector` made of the file at `path`, following symlinks and hard
    /// links within the image. `None` when there is no such file, it was not claimed by
    /// `detector`, or its links loop.
    pub fn lookup<'a>(&'a self, detector: &str, path: &str) -> Option<ViewFile<'a>> {
        let real = self.resolve(path).ok()?;
        let (key, node) = self.nodes.get_key_value(real.as_str())?;
        parsed_by(key, node, detector)
    }

    /// True when something claimed, or a link, exists at `path` (after resolving links).
    pub fn exists(&self, path: &str) -> bool {
        self.resolve(path)
            .map(|p| self.nodes.contains_key(&p))
            .unwrap_or(false)
    }

    /// Claimed files that could not be used, visible in this view.
    pub fn failures(&self) -> impl Iterator<Item = ViewFailure<'_>> {
        self.nodes.iter().flat_map(|(path, node)| {
            let (layer, claims): (usize, &[ClaimResult]) = match node {
                Node::File { layer, claims } => (*layer, claims),
                _ => (0, &[]),
            };
            claims.iter().filter_map(move |c| match &c.parsed {
                Err(msg) => Some(ViewFailure {
                    path: path.as_str(),
                    layer,
                    detector: c.detector,
                    message: msg,
                }),
                Ok(_) => None,
            })
        })
    }

    /// The layer that last wrote `path`, if the view knows it.
    pub fn layer_of(&self, path: &str) -> Option<usize> {
        self.nodes.get(path).map(Node::layer)
    }

    /// Resolves symlinks and hard links in every component of `path`, within the image root:
    /// `..` never climbs above `/`, absolute link targets start again at the image root.
    /// Returns the physical path, or an error when the links loop or a link is longer than
    /// Linux would follow.
    pub fn resolve(&self, path: &str) -> Result<String, SymlinkLoop> {
        let fail = || SymlinkLoop {
            path: path.to_string(),
        };
        let mut hops = 0;
        let mut pending: Vec<String> = components(path).into_iter().rev().collect();
        // the path resolved so far, kept built (a hostile link can have thousands of
        // components, and joining them again at every step is quadratic)
        let mut done = Resolved::default();
        while let Some(comp) = pending.pop() {
            if comp == ".." {
                done.pop();
                continue;
            }
            done.push(&comp);
            let target = match self.nodes.get(done.as_str()) {
                Some(Node::Symlink { target, .. }) => target,
                Some(Node::Hardlink { target, .. }) => {
                    // hard link targets are image paths already
                    hops += 1;
                    if hops > MAX_SYMLINK_HOPS {
                        return Err(fail());
                    }
                    done = Resolved::default();
                    for c in components(target) {
                        done.push(&c);
                    }
                    continue;
                }
                _ => continue,
            };
            hops += 1;
            if hops > MAX_SYMLINK_HOPS || target.len() >= PATH_MAX {
                return Err(fail());
            }
            done.pop();
            if target.starts_with('/') {
                done = Resolved::default();
            }
            for c in components(target).into_iter().rev() {
                pending.push(c);
            }
        }
        Ok(done.as_str().to_string())
    }
}

/// A path being resolved, as `/a/b/c`, with where each component starts.
#[derive(Default)]
struct Resolved {
    path: String,
    starts: Vec<usize>,
}

impl Resolved {
    fn push(&mut self, comp: &str) {
        self.starts.push(self.path.len());
        self.path.push('/');
        self.path.push_str(comp);
    }

    fn pop(&mut self) {
        if let Some(at) = self.starts.pop() {
            self.path.truncate(at);
        }
    }

    fn as_str(&self) -> &str {
        if self.path.is_empty() {
            "/"
        } else {
            &self.path
        }
    }
}

/// What `detector` parsed of the file at `path`, if it is a file it parsed successfully.
fn parsed_by<'a>(path: &'a str, node: &'a Node, detector: &str) -> Option<ViewFile<'a>> {
    let Node::File { layer, claims } = node else {
        return None;
    };
    claims.iter().find_map(|c| match c {
        ClaimResult {
            detector: d,
            parsed: Ok(p),
        } if *d == detector => Some(ViewFile {
            path,
            layer: *layer,
            parsed: p,
        }),
        _ => None,
    })
}

/// A path whose symlinks loop, or that passes through a link longer than PATH_MAX.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymlinkLoop {
    /// The path being resolved.
    pub path: String,
}

impl std::fmt::Display for SymlinkLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "too many levels of symbolic links, or one longer than PATH_MAX, resolving {}",
            self.path
        )
    }
}

fn components(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .map(str::to_string)
        .collect()
}
