#!/usr/bin/env bash
# Checks for deploy/kubernetes without a cluster:
#  1. every Kubernetes manifest against the Kubernetes API schemas (kubernetes-validate from
#     PyPI, which bundles them: run with no network where unshare can take it away), strict
#     (unknown fields fail), for the oldest version the Job needs (1.30: backoffLimitPerIndex
#     and podFailurePolicy FailIndex on by default) and the newest the validator ships;
#  2. the Argo WorkflowTemplate against the Argo Workflows schema (argo_validate.py);
#  3. that a misspelt field fails both (so the checks can fail);
#  4. kustomization.yaml against the files, and the values that must agree across files;
#  5. the entrypoint's sharding, run for real under dash and busybox sh.
# The validators live in a venv under ~/.cache, made on first use.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
K8S_VERSIONS=(1.30.0 1.37.0)
VENV=${SBOM_DEPLOY_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/sbom-ci-deploy}
if ! "$VENV/bin/python" -c "import kubernetes_validate, hera.workflows, jsonschema, yaml" 2>/dev/null; then
  echo "== installing kubernetes-validate and hera-workflows into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q kubernetes-validate==1.37.0 hera-workflows==7.1.0 jsonschema==4.26.0 PyYAML==6.0.4
fi
PY=$VENV/bin/python
offline=()
if unshare -n true 2>/dev/null; then
  offline=(unshare -n --)
else
  echo "note: unshare -n is not available: the validators run with the network up" >&2
fi
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

core=(namespace.yaml serviceaccount.yaml pvc.yaml entrypoint-configmap.yaml images-configmap.yaml job.yaml upload-job.yaml)
argo=(argo/workflowtemplate.yaml)

echo "== kubernetes-validate --strict (${K8S_VERSIONS[*]}, offline)"
for v in "${K8S_VERSIONS[@]}"; do
  # an unknown kind is only a WARN with exit 0: count it as a failure
  if ! "${offline[@]}" "$VENV/bin/kubernetes-validate" --strict -k "$v" "${core[@]}" > "$tmp/kv.log" 2>&1 \
    || grep -q '^WARN\|^ERROR' "$tmp/kv.log"; then
    cat "$tmp/kv.log"; fail=1
  else
    echo "ok: ${#core[@]} manifests valid for Kubernetes $v"
  fi
done

echo "== Argo Workflows schema (hera-workflows' models of Argo 4.0.5's OpenAPI, offline)"
"${offline[@]}" "$PY" argo_validate.py "${argo[@]}" || fail=1

echo "== the validators reject a misspelt field"
sed 's/^  completionMode: Indexed/  completionMode: Indexed\n  completionz: 8/' job.yaml > "$tmp/bad-job.yaml"
if "${offline[@]}" "$VENV/bin/kubernetes-validate" --strict -k "${K8S_VERSIONS[0]}" "$tmp/bad-job.yaml" > "$tmp/kv.log" 2>&1; then
  echo "FAIL: kubernetes-validate accepted spec.completionz"; cat "$tmp/kv.log"; fail=1
else
  echo "ok: kubernetes-validate rejects spec.completionz"
fi
sed 's/withSequence:/withSequense:/' argo/workflowtemplate.yaml > "$tmp/bad-wt.yaml"
if "${offline[@]}" "$PY" argo_validate.py "$tmp/bad-wt.yaml" > "$tmp/argo.log" 2>&1; then
  echo "FAIL: argo_validate.py accepted withSequense"; cat "$tmp/argo.log"; fail=1
else
  echo "ok: argo_validate.py rejects withSequense"
fi

echo "== kustomization and cross-file consistency"
"$PY" - "${core[@]}" "${argo[@]}" <<'PY' || fail=1
import glob, sys, yaml

def load(p):
    with open(p) as f:
        return [d for d in yaml.safe_load_all(f) if d]

bad = []
k = load("kustomization.yaml")[0]
listed = k["resources"]
on_disk = sorted(glob.glob("*.yaml"))
for r in listed:
    if r not in on_disk:
        bad.append(f"kustomization.yaml lists {r}, which does not exist")
# upload-job.yaml must start after the scans, so it is applied on its own
for f in on_disk:
    if f not in listed and f not in ("kustomization.yaml", "upload-job.yaml"):
        bad.append(f"{f} is in the directory but not in kustomization.yaml")
validated = set(sys.argv[1:])
for f in on_disk + sorted(glob.glob("argo/*.yaml")):
    if f != "kustomization.yaml" and f not in validated:
        bad.append(f"{f} is not schema-checked by check.sh")
res = {(d["kind"], d["metadata"]["name"]): d for f in listed for d in load(f)}
ns = [d for (kind, _), d in res.items() if kind == "Namespace"]
if [d["metadata"]["name"] for d in ns] != [k["namespace"]]:
    bad.append("kustomization namespace and namespace.yaml disagree")

job = res[("Job", "sbom-inventory")]
spec = job["spec"]
pod = spec["template"]["spec"]
c = pod["containers"][0]
env = {e["name"]: e for e in c["env"]}
if spec["completionMode"] != "Indexed":
    bad.append("job.yaml: completionMode is not Indexed")
if env["SHARD_COUNT"]["value"] != str(spec["completions"]):
    bad.append(f"job.yaml: SHARD_COUNT {env['SHARD_COUNT']['value']} != completions {spec['completions']}")
if spec["parallelism"] > spec["completions"]:
    bad.append("job.yaml: parallelism above completions")
if c["image"].rsplit(":", 1)[0] not in [i["name"] for i in k.get("images", [])]:
    bad.append("kustomization images: does not name the Job's image")
for kind, name in [("ConfigMap", v["configMap"]["name"]) for v in pod["volumes"] if "configMap" in v] + \
        [("PersistentVolumeClaim", v["persistentVolumeClaim"]["claimName"]) for v in pod["volumes"] if "persistentVolumeClaim" in v] + \
        [("ServiceAccount", pod["serviceAccountName"])]:
    if (kind, name) not in res:
        bad.append(f"job.yaml uses {kind} {name}, which the kustomization does not make")
mounts = {m["mountPath"] for m in c["volumeMounts"]}
script = "/etc/sbom/entrypoint/entrypoint.sh"
if c["command"][-1] != script or not any(script.startswith(m + "/") for m in mounts):
    bad.append("job.yaml: the entrypoint is not run from its mounted ConfigMap")
if env["IMAGE_LIST"]["value"].rsplit("/", 1)[0] not in mounts:
    bad.append("job.yaml: IMAGE_LIST is not on a mounted volume")
args = c["args"]
cache = args[args.index("--cache") + 1]
if not any(cache.startswith(m + "/") for m in mounts):
    bad.append("job.yaml: --cache is not on a mounted volume")
sc = c["securityContext"]
want = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}
for key, v in want.items():
    if sc.get(key) != v:
        bad.append(f"job.yaml: securityContext.{key} is {sc.get(key)!r}, want {v!r}")

wt = load("argo/workflowtemplate.yaml")[0]
scan = next(t for t in wt["spec"]["templates"] if t["name"] == "scan")["container"]
for field in ("image", "command", "args", "resources", "securityContext", "volumeMounts"):
    if scan[field] != c[field]:
        bad.append(f"argo/workflowtemplate.yaml: the scan container's {field} differs from job.yaml's")
for b in bad:
    print("FAIL:", b)
if not bad:
    print("ok: kustomization resources, Job/WorkflowTemplate agreement, securityContext")
sys.exit(1 if bad else 0)
PY

# kustomize itself, where kubectl is installed (it is not on PyPI/npm; kubectl kustomize
# needs no cluster): the rendered set must build and validate too
if command -v kubectl >/dev/null; then
  echo "== kubectl kustomize, rendered output validated"
  if kubectl kustomize . > "$tmp/rendered.yaml" 2> "$tmp/kustomize.log" \
    && "${offline[@]}" "$VENV/bin/kubernetes-validate" --strict -k "${K8S_VERSIONS[0]}" "$tmp/rendered.yaml" > "$tmp/kv.log" 2>&1 \
    && ! grep -q '^WARN\|^ERROR' "$tmp/kv.log"; then
    echo "ok: kustomization renders $(grep -c '^kind:' "$tmp/rendered.yaml") resources, all valid"
  else
    cat "$tmp/kustomize.log" "$tmp/kv.log" 2>/dev/null; fail=1
  fi
else
  echo "SKIP: kubectl not installed: kustomization.yaml checked against the files only"
fi

echo "== entrypoint sharding (dash, busybox sh)"
"$PY" -c '
import sys, yaml
d = yaml.safe_load(open("entrypoint-configmap.yaml"))
open(sys.argv[1], "w").write(d["data"]["entrypoint.sh"])' "$tmp/entrypoint.sh"
# a list with what real ones hold: comments, blank and indented lines, a CRLF line, a
# registry:-prefixed line, one image listed twice (scanned once) and once more with the prefix,
# and no newline after the last line
{
  echo "# fleet"
  for i in $(seq 1 20); do echo "reg.example/team/app-$i:1.$i"; done
  echo ""
  echo "   reg.example/indented:2   "
  printf 'reg.example/crlf:3\r\n'
  echo "registry:reg.example/prefixed@sha256:$(printf '%064d' 7)"
  echo "  # indented comment"
  echo "reg.example/team/app-3:1.3"
  echo "registry:reg.example/team/app-4:1.4"
  printf 'reg.example/last-no-newline:9'
} > "$tmp/images.txt"
# what each shard must hold between them, worked out here without the script
"$PY" -c '
import sys
out = []
for line in open(sys.argv[1], newline="").read().split("\n"):
    line = line.rstrip("\r").strip()
    if line and not line.startswith("#"):
        out.append(line if line.startswith("registry:") else "registry:" + line)
print("\n".join(sorted(set(out))))' "$tmp/images.txt" > "$tmp/want"
want_n=$(wc -l < "$tmp/want")
shells=(dash)
if command -v busybox >/dev/null; then
  shells+=("busybox sh")
  # under busybox, nothing but busybox's applets on PATH, as in the image
  mkdir -p "$tmp/bb"
  for applet in busybox sh awk cat wc mkdir; do ln -sf "$(command -v busybox)" "$tmp/bb/$applet"; done
elif [[ -n ${CI:-} ]]; then
  echo "FAIL: busybox is required in CI (apt-get install busybox)"; fail=1
else
  echo "SKIP: busybox not installed: sharding tested with dash only"
fi
for sh in "${shells[@]}"; do
  if [[ $sh == dash ]]; then PATH_="$PATH"; else PATH_="$tmp/bb"; fi
  for count in 1 3 4 8 30; do
    : > "$tmp/got"; sizes=()
    for ((i = 0; i < count; i++)); do
      # alternately through the Job's JOB_COMPLETION_INDEX and Argo's SHARD_INDEX
      if ((i % 2)); then idx=(SHARD_INDEX=$i); else idx=(JOB_COMPLETION_INDEX=$i); fi
      env -i PATH="$PATH_" TMPDIR="$tmp" "${idx[@]}" SHARD_COUNT=$count IMAGE_LIST="$tmp/images.txt" \
        SHARD_ONLY=1 $sh "$tmp/entrypoint.sh" > "$tmp/shard"
      sizes+=("$(wc -l < "$tmp/shard")")
      cat "$tmp/shard" >> "$tmp/got"
    done
    sort "$tmp/got" > "$tmp/got.sorted"
    min=$(printf '%s\n' "${sizes[@]}" | sort -n | head -1)
    max=$(printf '%s\n' "${sizes[@]}" | sort -n | tail -1)
    if ! cmp -s "$tmp/want" "$tmp/got.sorted"; then
      echo "FAIL: $sh, $count shards: the shards do not hold every image exactly once"
      diff "$tmp/want" "$tmp/got.sorted" | head; fail=1
    elif ((max - min > 1)); then
      echo "FAIL: $sh, $count shards: shard sizes ${sizes[*]} differ by more than one"; fail=1
    else
      echo "ok: $sh, $count shards: $want_n images, each in exactly one shard (sizes $min-$max)"
    fi
  done
  # bad settings are usage errors (exit 2, which the Job does not retry)
  for bad in "SHARD_INDEX=3 SHARD_COUNT=3" "SHARD_INDEX=x SHARD_COUNT=3" "SHARD_INDEX=0 SHARD_COUNT=0" \
    "SHARD_COUNT=3" "SHARD_INDEX=0 SHARD_COUNT=2 IMAGE_LIST=$tmp/missing"; do
    rc=0
    # shellcheck disable=SC2086
    env -i PATH="$PATH_" TMPDIR="$tmp" IMAGE_LIST="$tmp/images.txt" $bad $sh "$tmp/entrypoint.sh" 2>/dev/null || rc=$?
    if [[ $rc != 2 ]]; then echo "FAIL: $sh with $bad: exit $rc, want 2"; fail=1; fi
  done
  # what it hands to sbom: a recorder on PATH in place of the binary
  mkdir -p "$tmp/bin" "$tmp/out"
  printf '#!/bin/sh\nprintf "%%s\\n" "$@" > "%s/argv"\ncat > "%s/stdin"\n' "$tmp" "$tmp" > "$tmp/bin/sbom"
  chmod +x "$tmp/bin/sbom"
  env -i PATH="$tmp/bin:$PATH_" TMPDIR="$tmp" JOB_COMPLETION_INDEX=1 SHARD_COUNT=4 IMAGE_LIST="$tmp/images.txt" \
    OUTPUT_DIR="$tmp/out/documents" SBOM_REGISTRY_USERNAME=ci \
    $sh "$tmp/entrypoint.sh" --cache /data/cache -o 'spdx-json=/out/{name}.spdx.json' 2>/dev/null
  printf '%s\n' scan --images-from - --cache /data/cache -o 'spdx-json=/out/{name}.spdx.json' --registry-username ci > "$tmp/argv.want"
  env -i PATH="$PATH_" TMPDIR="$tmp" SHARD_INDEX=1 SHARD_COUNT=4 IMAGE_LIST="$tmp/images.txt" SHARD_ONLY=1 \
    $sh "$tmp/entrypoint.sh" > "$tmp/stdin.want"
  if cmp -s "$tmp/argv" "$tmp/argv.want" && cmp -s "$tmp/stdin" "$tmp/stdin.want" && [[ -d $tmp/out/documents ]]; then
    echo "ok: $sh: execs sbom scan --images-from - with the shard on stdin, the arguments, --registry-username"
  else
    echo "FAIL: $sh: what reached sbom differs"; diff "$tmp/argv.want" "$tmp/argv" || true; fail=1
  fi
  # an empty shard (more shards than images) succeeds without running sbom
  rm -f "$tmp/argv"
  if env -i PATH="$tmp/bin:$PATH_" TMPDIR="$tmp" SHARD_INDEX=29 SHARD_COUNT=30 IMAGE_LIST="$tmp/images.txt" \
    $sh "$tmp/entrypoint.sh" 2>/dev/null && [[ ! -e $tmp/argv ]]; then
    echo "ok: $sh: an empty shard exits 0 without scanning"
  else
    echo "FAIL: $sh: an empty shard did not exit 0 without scanning"; fail=1
  fi
done

if ((fail)); then echo "deploy/kubernetes: checks FAILED"; exit 1; fi
echo "deploy/kubernetes: all checks passed"
