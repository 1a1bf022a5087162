//! Checking each analysed layer against what the plan says it must be: the blob's digest
//! and size, the uncompressed tar's digest (the diff_id), the compression its media type
//! declares. Common to every source.

use sbom_core::Warning;

use crate::digest::{Algorithm, Digest};
use crate::error::{Error, Location, Result};
use crate::image::LayerRef;
use crate::walk::layer::LayerAnalysis;

/// Mismatches are errors when `verify`, else warnings pushed to `warnings`.
pub(crate) fn layer(
    at: &Location,
    i: usize,
    l: &LayerRef,
    a: &LayerAnalysis,
    verify: bool,
    warnings: &mut Vec<Warning>,
) -> Result<()> {
    let mut warn = |message: String| {
        warnings.push(Warning {
            path: None,
            layer: Some(i),
            message,
            incomplete: false,
        })
    };
    let mut check = |what: &str, expected: Option<&Digest>, actual: Option<&Digest>| {
        let (Some(expected), Some(actual)) = (expected, actual) else {
            return Ok(());
        };
        if expected.algorithm() != Algorithm::Sha256 {
            // only sha256 is computed
            warn(format!(
                "digest not verified: layer {i} {what} {}: algorithm {} is not computed",
                l.blob,
                expected.algorithm().as_str()
            ));
            return Ok(());
        }
        if expected == actual {
            return Ok(());
        }
        if verify {
            return Err(Error::DigestMismatch {
                at: at.clone(),
                what: format!("layer {i} {what}"),
                name: l.blob.clone(),
                expected: expected.clone(),
                actual: actual.clone(),
            });
        }
        warn(format!(
            "digest not verified: layer {i} {what} {}: expected {expected}, got {actual}",
            l.blob
        ));
        Ok(())
    };
    check("blob", l.digest.as_ref(), a.digest.as_ref())?;
    check("diff_id", l.diff_id.as_ref(), a.diff_id.as_ref())?;
    if let Some(size) = l.size {
        if size != a.size {
            let e = Error::SizeMismatch {
                at: at.clone(),
                what: format!("layer {i} blob"),
                name: l.blob.clone(),
                expected: size,
                actual: a.size,
            };
            if verify {
                return Err(e);
            }
            warn(e.to_string());
        }
    }
    if let Some(declared) = l
        .media_type
        .as_deref()
        .and_then(crate::blob::Compression::from_media_type)
    {
        if declared != a.compression {
            warn(format!(
                "layer {i} is declared {} but its bytes are {}; read as {}",
                declared.as_str(),
                a.compression.as_str(),
                a.compression.as_str()
            ));
        }
    }
    Ok(())
}
