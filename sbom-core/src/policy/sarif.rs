//! A [`Report`] as SARIF 2.1.0 (OASIS Static Analysis Results Interchange Format), the log
//! code-scanning UIs (GitHub, GitLab, Azure DevOps) take in.
//!
//! One run; the tool's driver lists every [`Rule`]; each violation is one result at level
//! `error`, located at the document checked (its path as the artifact URI, or the image
//! reference) with the package as a logical location named by its purl. Results carry a
//! `partialFingerprints` entry (rule + package) so a UI tracks one finding across runs.

use serde_json::{json, Value};

use super::{Report, Rule};

/// The SARIF version written.
pub const SARIF_VERSION: &str = "2.1.0";

/// The SARIF log of `report`; `tool_version` is the `sbom` version.
///
/// ```
/// use sbom_core::policy::{sarif, Policy};
/// use sbom_core::read::Document;
/// let doc = Document::from_slice("bom.json", br#"{"bomFormat":"CycloneDX","specVersion":"1.6",
///   "components":[{"type":"library","name":"curl","version":"8","purl":"pkg:deb/debian/curl@8"}]}"#).unwrap();
/// let report = Policy::from_toml("[packages]\ndeny = [\"pkg:deb/debian/curl\"]").unwrap().check(&doc);
/// let log = sarif::to_sarif(&report, "0.1.0");
/// assert_eq!(log["version"], "2.1.0");
/// assert_eq!(log["runs"][0]["results"][0]["ruleId"], "package-denied");
/// ```
pub fn to_sarif(report: &Report, tool_version: &str) -> Value {
    let rules: Vec<Value> = Rule::ALL
        .iter()
        .map(|r| {
            json!({
                "id": r.id(),
                "shortDescription": { "text": r.description() },
                "defaultConfiguration": { "level": "error" },
            })
        })
        .collect();
    let results: Vec<Value> = report
        .violations
        .iter()
        .map(|v| {
            let index = Rule::ALL.iter().position(|r| *r == v.rule).unwrap_or(0);
            let package = v.package.display();
            json!({
                "ruleId": v.rule.id(),
                "ruleIndex": index,
                "level": "error",
                "message": { "text": v.message },
                "locations": [{
                    "physicalLocation": { "artifactLocation": { "uri": uri(&report.document) } },
                    "logicalLocations": [{ "name": package, "kind": "package" }],
                }],
                "partialFingerprints": { "sbomPackage/v1": format!("{}|{}", v.rule.id(), package) },
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": SARIF_VERSION,
        "runs": [{
            "tool": { "driver": {
                "name": "sbom",
                "version": tool_version,
                "informationUri": env!("CARGO_PKG_REPOSITORY"),
                "rules": rules,
            }},
            "results": results,
        }],
    })
}

/// A relative URI reference for a path (spaces and the like percent-encoded), as SARIF's
/// `artifactLocation.uri` must be.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
