//! From an archive's files to one image: which manifest, which config, which layer blobs,
//! each checked against its digest.

use sbom_core::{HistoryEntry, ImageInfo, Platform};

use super::manifest::{self, Descriptor, DockerManifestEntry, ImageConfig, OciIndex, OciManifest};
use super::{ImagePlan, LayerRef};
use crate::digest::{Algorithm, Digest};
use crate::error::{Error, Location, Result};
use crate::limits::Limit;
use crate::source::store::BlobStore;
use crate::source::SourceKind;

/// Metadata files larger than this are refused (real ones are a few KiB).
const MAX_METADATA: u64 = 16 << 20;
/// Nested indexes followed at most this deep.
const MAX_INDEX_DEPTH: usize = 4;
/// Manifests an OCI layout's indexes may name in all (a multi-platform image names ~10).
const MAX_DESCRIPTORS: usize = 10_000;
/// Bytes of nested indexes read in all.
const MAX_INDEX_BYTES: u64 = 256 << 20;

/// Options for resolution.
pub(crate) struct ResolveOptions<'a> {
    pub platform: Option<&'a Platform>,
    /// A tag or `@N`, for archives holding several images.
    pub image: Option<&'a str>,
    pub verify: bool,
}

/// Picks the image out of `store`, which holds a docker-archive or an OCI layout.
pub(crate) fn resolve(
    store: &dyn BlobStore,
    kind: SourceKind,
    opts: &ResolveOptions,
) -> Result<ImagePlan> {
    let at = store.location();
    let index = match store.read_small("index.json", MAX_METADATA)? {
        Some(b) => Some(parse_json::<OciIndex>(at, "index.json", &b)?),
        None => None,
    };
    let has_oci_manifests = index
        .as_ref()
        .and_then(|i| i.manifests.as_ref())
        .map(|m| !m.is_empty())
        .unwrap_or(false);
    if has_oci_manifests {
        return resolve_oci(store, kind, index.unwrap(), opts);
    }
    if let Some(b) = store.read_small("manifest.json", MAX_METADATA)? {
        return resolve_docker(store, kind, &b, opts);
    }
    if index.is_some() {
        return Err(Error::NotAnImage {
            at: at.clone(),
            reason: "its index.json lists no manifests and there is no manifest.json".into(),
        });
    }
    Err(Error::NotAnImage {
        at: at.clone(),
        reason: "it has neither manifest.json (docker-archive) nor index.json (OCI layout)".into(),
    })
}

fn parse_json<T: serde::de::DeserializeOwned>(
    at: &Location,
    what: &str,
    bytes: &[u8],
) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|e| Error::BadMetadata {
        at: at.clone(),
        what: what.to_string(),
        reason: e.to_string(),
    })
}

/// A digest the image names, parsed. Anything but `sha256:<64 hex>` (or `sha512:<128>`) is
/// refused: a digest is also a file name, and a crafted one must not name a file outside
/// `blobs/`.
fn digest_in(at: &Location, digest: &str) -> Result<Digest> {
    digest
        .parse()
        .map_err(|e: crate::digest::DigestError| Error::BadMetadata {
            at: at.clone(),
            what: format!("digest {:?}", e.input),
            reason: "not of the form sha256:<64 hex digits> (or sha512:<128>)".into(),
        })
}

struct Verifier<'a> {
    at: &'a Location,
    verify: bool,
    problems: Vec<String>,
    /// Descriptors met and nested-index bytes read while walking indexes: an index can name
    /// one nested index thousands of times, each naming it again, a few levels deep.
    descriptors: usize,
    index_bytes: u64,
}

impl<'a> Verifier<'a> {
    fn new(at: &'a Location, verify: bool) -> Self {
        Verifier {
            at,
            verify,
            problems: Vec::new(),
            descriptors: 0,
            index_bytes: 0,
        }
    }

    fn check(&mut self, what: &str, name: &str, expected: &Digest, bytes: &[u8]) -> Result<()> {
        if expected.algorithm() != Algorithm::Sha256 {
            // only sha256 is computed; other algorithms are rare and reported as unverified
            self.problems.push(format!(
                "{what} {name}: digest algorithm of {expected} not verified"
            ));
            return Ok(());
        }
        let actual = Digest::sha256(bytes);
        if actual == *expected {
            return Ok(());
        }
        if self.verify {
            return Err(Error::DigestMismatch {
                at: self.at.clone(),
                what: what.to_string(),
                name: name.to_string(),
                expected: expected.clone(),
                actual,
            });
        }
        self.problems
            .push(format!("{what} {name}: expected {expected}, got {actual}"));
        Ok(())
    }
}

fn read_blob(store: &dyn BlobStore, name: &str) -> Result<Vec<u8>> {
    store
        .read_small(name, MAX_METADATA)?
        .ok_or_else(|| Error::MissingBlob {
            at: store.location().clone(),
            name: name.to_string(),
        })
}

struct Candidate {
    manifest: Descriptor,
    platform: Option<Platform>,
    /// Position of the index.json entry it came from, and that entry's tags (a nested
    /// index's manifests inherit them).
    top: usize,
    tags: Vec<String>,
}

fn resolve_oci(
    store: &dyn BlobStore,
    kind: SourceKind,
    index: OciIndex,
    opts: &ResolveOptions,
) -> Result<ImagePlan> {
    let at = store.location();
    let mut v = Verifier::new(at, opts.verify);
    let mut candidates = Vec::new();
    for (top, d) in index.manifests.unwrap_or_default().into_iter().enumerate() {
        let tags = ref_names(&d);
        collect_candidates(store, &mut v, vec![d], 0, top, &tags, &mut candidates)?;
    }
    // attestations and other non-image manifests carry platform unknown/unknown
    candidates.retain(|c| {
        c.platform
            .as_ref()
            .map(|p| p.os != "unknown")
            .unwrap_or(true)
    });
    let candidates = choose_image(at, candidates, opts)?;
    let chosen = choose_platform(at, candidates, opts.platform)?;
    let tags = chosen.tags.clone();
    let platform_unknown = chosen.platform.is_none();
    let mdigest = digest_in(at, &chosen.manifest.digest)?;
    let mname = mdigest.blob_path();
    let mbytes = read_blob(store, &mname)?;
    v.check("manifest", &mname, &mdigest, &mbytes)?;
    let manifest: OciManifest = parse_json(at, &format!("manifest {mname}"), &mbytes)?;
    let cdigest = digest_in(at, &manifest.config.digest)?;
    let cname = cdigest.blob_path();
    let cbytes = read_blob(store, &cname)?;
    v.check("config", &cname, &cdigest, &cbytes)?;
    let config: ImageConfig = parse_json(at, &format!("config {cname}"), &cbytes)?;
    if platform_unknown {
        check_config_platform(at, &config, opts.platform)?;
    }
    let diff_ids = diff_ids(
        at,
        &config,
        &format!("config {cname}"),
        manifest.layers.len(),
        "the manifest",
    )?;
    let mut layers = Vec::with_capacity(manifest.layers.len());
    for (l, diff_id) in manifest.layers.iter().zip(diff_ids) {
        let digest = digest_in(at, &l.digest)?;
        layers.push(LayerRef {
            blob: digest.blob_path(),
            digest: Some(digest),
            diff_id: Some(digest_in(at, &diff_id)?),
            media_type: l.media_type.clone(),
            size: l.size.and_then(|s| u64::try_from(s).ok()),
        });
    }
    let info = image_info(at, kind, &config, Some(mdigest), cdigest, tags);
    Ok(ImagePlan {
        info,
        layers,
        unverified: v.problems,
    })
}

fn ref_names(d: &Descriptor) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(a) = &d.annotations {
        if let Some(n) = a.get("io.containerd.image.name") {
            out.push(n.clone());
        } else if let Some(n) = a.get("org.opencontainers.image.ref.name") {
            out.push(n.clone());
        }
    }
    out
}

fn collect_candidates(
    store: &dyn BlobStore,
    v: &mut Verifier,
    manifests: Vec<Descriptor>,
    depth: usize,
    top: usize,
    tags: &[String],
    out: &mut Vec<Candidate>,
) -> Result<()> {
    let at = store.location();
    if depth > MAX_INDEX_DEPTH {
        return Err(Error::LimitExceeded {
            at: at.clone(),
            layer: None,
            limit: Limit::IndexDepth,
            what: "the nesting of index.json's indexes".into(),
            max: MAX_INDEX_DEPTH as u64,
        });
    }
    for d in manifests {
        v.descriptors += 1;
        if v.descriptors > MAX_DESCRIPTORS {
            return Err(Error::LimitExceeded {
                at: at.clone(),
                layer: None,
                limit: Limit::IndexManifests,
                what: "the number of manifests index.json's indexes name".into(),
                max: MAX_DESCRIPTORS as u64,
            });
        }
        if manifest::is_index(d.media_type.as_deref()) {
            let digest = digest_in(at, &d.digest)?;
            let name = digest.blob_path();
            let bytes = read_blob(store, &name)?;
            v.index_bytes += bytes.len() as u64;
            if v.index_bytes > MAX_INDEX_BYTES {
                return Err(Error::LimitExceeded {
                    at: at.clone(),
                    layer: None,
                    limit: Limit::IndexBytes,
                    what: "the nested indexes of index.json".into(),
                    max: MAX_INDEX_BYTES,
                });
            }
            v.check("index", &name, &digest, &bytes)?;
            let nested: OciIndex = parse_json(at, &format!("index {name}"), &bytes)?;
            collect_candidates(
                store,
                v,
                nested.manifests.unwrap_or_default(),
                depth + 1,
                top,
                tags,
                out,
            )?;
            continue;
        }
        let platform = d.platform.as_ref().map(|p| Platform {
            os: p.os.clone(),
            architecture: p.architecture.clone(),
            variant: p.variant.clone().filter(|v| !v.is_empty()),
        });
        // a docker.reference.type annotation marks attestation manifests (BuildKit)
        let attestation = d
            .annotations
            .as_ref()
            .map(|a| a.contains_key("vnd.docker.reference.type"))
            .unwrap_or(false);
        if attestation {
            continue;
        }
        out.push(Candidate {
            manifest: d,
            platform,
            top,
            tags: tags.to_vec(),
        });
    }
    Ok(())
}

/// Keeps the candidates of the image the caller asked for ([`ResolveOptions::image`]), or,
/// without a wish, checks the layout does not hold several differently tagged images for
/// the platform (platform variants of one image share their tags, or have none).
fn choose_image(
    at: &Location,
    candidates: Vec<Candidate>,
    opts: &ResolveOptions,
) -> Result<Vec<Candidate>> {
    let describe = |cs: &[Candidate]| {
        let mut seen: Vec<(usize, String)> = cs
            .iter()
            .map(|c| (c.top, describe_image(c.top, &c.tags)))
            .collect();
        seen.dedup();
        seen.into_iter()
            .map(|(_, d)| d)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some(wanted) = opts.image else {
        let want = opts.platform.cloned().unwrap_or_else(default_platform);
        let mut tag_sets: Vec<&[String]> = candidates
            .iter()
            .filter(|c| !c.tags.is_empty())
            .filter(|c| {
                c.platform
                    .as_ref()
                    .is_none_or(|p| platform_matches(p, &want))
            })
            .map(|c| c.tags.as_slice())
            .collect();
        tag_sets.sort();
        tag_sets.dedup();
        if tag_sets.len() > 1 {
            return Err(Error::ImageNotChosen {
                at: at.clone(),
                problem: format!("{} images in one layout and none chosen", tag_sets.len()),
                available: describe(&candidates),
            });
        }
        return Ok(candidates);
    };
    let position = wanted
        .strip_prefix('@')
        .and_then(|n| n.parse::<usize>().ok());
    let (keep, rest): (Vec<Candidate>, Vec<Candidate>) =
        candidates.into_iter().partition(|c| match position {
            Some(n) => c.top == n,
            None => {
                c.tags.iter().any(|t| tag_matches(wanted, t))
                    || c.manifest
                        .digest
                        .parse::<Digest>()
                        .is_ok_and(|d| d.matches_prefix(wanted))
            }
        });
    if keep.is_empty() {
        return Err(Error::ImageNotChosen {
            at: at.clone(),
            problem: format!("no image {wanted}"),
            available: describe(&rest),
        });
    }
    Ok(keep)
}

/// `@N (tag, tag)` or `@N (untagged)`.
fn describe_image(position: usize, tags: &[String]) -> String {
    if tags.is_empty() {
        format!("@{position} (untagged)")
    } else {
        format!("@{position} ({})", tags.join(", "))
    }
}

/// Whether the tag an archive records is the one asked for: equal, equal once Docker Hub's
/// implied parts are filled in (`debian` = `docker.io/library/debian:latest`), or, for the
/// bare tags OCI layouts record in `org.opencontainers.image.ref.name`, the wish's tag part.
fn tag_matches(wanted: &str, recorded: &str) -> bool {
    fn full(t: &str) -> String {
        let t = [
            "docker.io/library/",
            "index.docker.io/library/",
            "docker.io/",
        ]
        .iter()
        .find_map(|p| t.strip_prefix(p))
        .unwrap_or(t);
        let last = t.rsplit('/').next().unwrap_or(t);
        if last.contains([':', '@']) {
            t.to_string()
        } else {
            format!("{t}:latest")
        }
    }
    wanted == recorded
        || full(wanted) == full(recorded)
        || (!recorded.contains(['/', ':'])
            && wanted.rsplit_once(':').map(|(_, t)| t) == Some(recorded))
}

pub(crate) fn platform_matches(have: &Platform, want: &Platform) -> bool {
    if have.os != want.os || have.architecture != want.architecture {
        return false;
    }
    match (&want.variant, &have.variant) {
        (None, _) => true,
        (Some(w), Some(h)) => w == h,
        // arm64 images usually leave out the default variant v8
        (Some(w), None) => want.architecture == "arm64" && w == "v8",
    }
}

fn default_platform() -> Platform {
    Platform {
        os: "linux".into(),
        architecture: "amd64".into(),
        variant: None,
    }
}

fn choose_platform(
    at: &Location,
    candidates: Vec<Candidate>,
    wanted: Option<&Platform>,
) -> Result<Candidate> {
    if candidates.is_empty() {
        return Err(Error::NotAnImage {
            at: at.clone(),
            reason: "its index lists no image manifest".into(),
        });
    }
    // one image and no explicit wish: take it, whatever it is built for; one image whose
    // descriptor names no platform (a registry tag pointing at a manifest, a layout's
    // index.json without `platform`): its config says, and is checked once read
    if candidates.len() == 1 && (wanted.is_none() || candidates[0].platform.is_none()) {
        return Ok(candidates.into_iter().next().unwrap());
    }
    let want = wanted.cloned().unwrap_or_else(default_platform);
    let available: Vec<String> = candidates
        .iter()
        .map(|c| {
            c.platform
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_else(|| "(unspecified)".into())
        })
        .collect();
    let mut matching = candidates.into_iter().filter(|c| match &c.platform {
        Some(p) => platform_matches(p, &want),
        None => false,
    });
    match matching.next() {
        Some(c) => Ok(c),
        None => Err(Error::PlatformNotFound {
            at: at.clone(),
            wanted: want.to_string(),
            available: available.join(", "),
        }),
    }
}

/// The config's platform against the one asked for, when nothing before the config said.
fn check_config_platform(
    at: &Location,
    config: &ImageConfig,
    wanted: Option<&Platform>,
) -> Result<()> {
    if let (Some(want), Some(os), Some(arch)) = (wanted, &config.os, &config.architecture) {
        let have = Platform {
            os: os.clone(),
            architecture: arch.clone(),
            variant: config.variant.clone(),
        };
        if !platform_matches(&have, want) {
            return Err(Error::PlatformNotFound {
                at: at.clone(),
                wanted: want.to_string(),
                available: have.to_string(),
            });
        }
    }
    Ok(())
}

fn resolve_docker(
    store: &dyn BlobStore,
    kind: SourceKind,
    bytes: &[u8],
    opts: &ResolveOptions,
) -> Result<ImagePlan> {
    let at = store.location();
    let mut v = Verifier::new(at, opts.verify);
    let entries: Vec<DockerManifestEntry> = parse_json(at, "manifest.json", bytes)?;
    if entries.is_empty() {
        return Err(Error::BadMetadata {
            at: at.clone(),
            what: "manifest.json".into(),
            reason: "it lists no image".into(),
        });
    }
    let tags_of = |e: &DockerManifestEntry| e.repo_tags.clone().unwrap_or_default();
    let available = || {
        entries
            .iter()
            .enumerate()
            .map(|(i, e)| describe_image(i, &tags_of(e)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let chosen = match opts.image {
        None if entries.len() == 1 => 0,
        None => {
            return Err(Error::ImageNotChosen {
                at: at.clone(),
                problem: format!("{} images in one archive and none chosen", entries.len()),
                available: available(),
            })
        }
        Some(wanted) => {
            let position = wanted
                .strip_prefix('@')
                .and_then(|n| n.parse::<usize>().ok());
            let found = match position {
                Some(n) => (n < entries.len()).then_some(n),
                // a tag, or the image ID (the config digest, in the config's file name)
                None => entries.iter().position(|e| {
                    tags_of(e).iter().any(|t| tag_matches(wanted, t))
                        || digest_in_name(&e.config).is_some_and(|d| d.matches_prefix(wanted))
                }),
            };
            found.ok_or_else(|| Error::ImageNotChosen {
                at: at.clone(),
                problem: format!("no image {wanted}"),
                available: available(),
            })?
        }
    };
    let Some(entry) = entries.into_iter().nth(chosen) else {
        return Err(Error::BadMetadata {
            at: at.clone(),
            what: "manifest.json".into(),
            reason: "it lists no image".into(),
        });
    };
    let cbytes = read_blob(store, &entry.config)?;
    let config_digest = match digest_in_name(&entry.config) {
        Some(d) => {
            v.check("config", &entry.config, &d, &cbytes)?;
            d
        }
        None => Digest::sha256(&cbytes),
    };
    let config: ImageConfig = parse_json(at, &format!("config {}", entry.config), &cbytes)?;
    check_config_platform(at, &config, opts.platform)?;
    let diff_ids = diff_ids(
        at,
        &config,
        &format!("config {}", entry.config),
        entry.layers.len(),
        "manifest.json",
    )?;
    // `LayerSources` is not read: it describes each layer as a registry serves it (foreign
    // layers, or the compressed blobs go-containerregistry pulled), not the file stored here,
    // and Docker loads archives whose stored layers are the uncompressed tars of those blobs.
    let mut layers = Vec::new();
    for (blob, diff_id) in entry.layers.iter().zip(diff_ids) {
        // the file name is the blob digest in Docker 25+ (`blobs/sha256/<hex>`) and in
        // containers/image archives (`<hex>.tar`); classic `<id>/layer.tar` names say nothing
        let digest = if blob.ends_with("/layer.tar") {
            None
        } else {
            digest_in_name(blob)
        };
        layers.push(LayerRef {
            blob: blob.clone(),
            digest,
            diff_id: Some(digest_in(at, &diff_id)?),
            media_type: None,
            size: None,
        });
    }
    let tags = entry.repo_tags.clone().unwrap_or_default();
    let info = image_info(at, kind, &config, None, config_digest, tags);
    Ok(ImagePlan {
        info,
        layers,
        unverified: v.problems,
    })
}

/// The config's diff_ids, which must be one per layer the manifest (`listed_in`) names.
fn diff_ids(
    at: &Location,
    config: &ImageConfig,
    what: &str,
    layers: usize,
    listed_in: &str,
) -> Result<Vec<String>> {
    let ids = config
        .rootfs
        .as_ref()
        .map(|r| r.diff_ids.clone())
        .unwrap_or_default();
    if ids.len() != layers {
        return Err(Error::BadMetadata {
            at: at.clone(),
            what: what.to_string(),
            reason: format!(
                "it lists {} diff_ids for {layers} layers in {listed_in}",
                ids.len()
            ),
        });
    }
    Ok(ids)
}

/// Whether a recorded tag names a repository (`debian:12`, `registry/app`), not just a tag.
fn is_reference(tag: &str) -> bool {
    tag.contains(['/', ':', '@'])
}

/// `debian-small.oci.tar` -> `debian-small`: the archive and compression suffixes dropped.
fn file_stem(name: &str) -> &str {
    let mut stem = name;
    while let Some(s) = [".gz", ".tgz", ".zst", ".zstd", ".tar", ".oci", ".docker"]
        .iter()
        .find_map(|suffix| stem.strip_suffix(suffix))
        .filter(|s| !s.is_empty())
    {
        stem = s;
    }
    stem
}

/// The sha256 digest a blob's file name carries, if it carries one: `<hex>` and
/// `<hex>.json` (Docker, OCI), `<hex>.tar` (containers/image), `<hex>.tar.gz` and
/// `sha256:<hex>` (go-containerregistry's tarball writer names layers by their compressed
/// digest and the config by its digest).
fn digest_in_name(name: &str) -> Option<Digest> {
    let base = name.rsplit('/').next()?;
    let stem = [".json", ".tar.gz", ".tgz", ".tar.zst", ".tar"]
        .iter()
        .find_map(|suffix| base.strip_suffix(suffix))
        .unwrap_or(base);
    let hex = stem.strip_prefix("sha256:").unwrap_or(stem);
    Digest::new(Algorithm::Sha256, hex).ok()
}

fn image_info(
    at: &Location,
    kind: SourceKind,
    config: &ImageConfig,
    manifest_digest: Option<Digest>,
    config_digest: Digest,
    repo_tags: Vec<String>,
) -> ImageInfo {
    let source = at.to_string();
    // an OCI layout's `ref.name` is often a bare tag (`latest`): a tag is not a name, so the
    // image is then named after its file, with that tag
    let file = at
        .path()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned());
    let name = match (
        repo_tags.iter().find(|t| is_reference(t)),
        repo_tags.first(),
    ) {
        (Some(reference), _) => reference.clone(),
        (None, Some(tag)) => match &file {
            Some(f) => format!("{}:{tag}", file_stem(f)),
            None => format!("{source}:{tag}"),
        },
        (None, None) => file.unwrap_or_else(|| source.clone()),
    };
    let mut layer_index = 0;
    let history = config
        .history
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|h| {
            let empty = h.empty_layer.unwrap_or(false);
            let idx = (!empty).then(|| {
                layer_index += 1;
                layer_index - 1
            });
            HistoryEntry {
                created: h.created,
                created_by: h.created_by,
                comment: h.comment,
                empty_layer: empty,
                layer_index: idx,
                instruction: None,
                dockerfile: None,
            }
        })
        .collect();
    ImageInfo {
        name,
        source_kind: kind.as_str().to_string(),
        source,
        repo_tags,
        repo_digests: Vec::new(),
        manifest_digest: manifest_digest.map(|d| d.to_string()),
        config_digest: Some(config_digest.to_string()),
        platform: Platform {
            os: config.os.clone().unwrap_or_default(),
            architecture: config.architecture.clone().unwrap_or_default(),
            variant: config.variant.clone(),
        },
        created: config.created.clone(),
        labels: config
            .config
            .as_ref()
            .and_then(|c| c.labels.clone())
            .unwrap_or_default(),
        author: config.author.clone().filter(|a| !a.trim().is_empty()),
        supplier: None,
        history,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_suffixes_are_not_part_of_the_name() {
        assert_eq!(file_stem("debian-small.oci.tar"), "debian-small");
        assert_eq!(file_stem("app.docker.tar.gz"), "app");
        assert_eq!(file_stem("layout"), "layout");
        assert_eq!(file_stem(".tar"), ".tar");
    }

    #[test]
    fn a_bare_oci_ref_name_is_a_tag_of_the_file_not_a_name() {
        let at = Location::Path("/images/debian-small.oci.tar".into());
        let config = ImageConfig::default();
        let digest = Digest::sha256(b"{}");
        let info = image_info(
            &at,
            SourceKind::OciArchive,
            &config,
            None,
            digest.clone(),
            vec!["latest".into()],
        );
        assert_eq!(info.name, "debian-small:latest");
        assert_eq!(info.repo_tags, ["latest"]);
        let named = image_info(
            &at,
            SourceKind::OciArchive,
            &config,
            None,
            digest,
            vec!["12".into(), "docker.io/library/debian:12".into()],
        );
        assert_eq!(named.name, "docker.io/library/debian:12");
    }
}
