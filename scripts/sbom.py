#!/usr/bin/env python3
"""A CycloneDX 1.5 SBOM of what a stagelog binary links:
`scripts/sbom.py [--scan-only] [--target TRIPLE] > sbom.cdx.json` (default target: the host's).

From `cargo metadata` (the resolved graph for the binary's features, normal dependencies
only: build scripts and tests are not shipped) and Cargo.lock's SHA-256 checksums. Hand-written
because cargo-cyclonedx would be one more tool to build on every CI run for ~80 lines of JSON.
"""
import json
import subprocess
import sys
import tomllib
import uuid

scan_only = "--scan-only" in sys.argv
if "--target" in sys.argv:
    target = sys.argv[sys.argv.index("--target") + 1]
else:
    host = subprocess.check_output(["rustc", "-vV"], text=True)
    target = next(l.split(": ", 1)[1] for l in host.splitlines() if l.startswith("host: "))
args = ["cargo", "metadata", "--format-version", "1", "--locked", "--manifest-path", "crates/stagelog/Cargo.toml",
        "--filter-platform", target]
if scan_only:
    args.append("--no-default-features")
meta = json.loads(subprocess.check_output(args))
packages = {p["id"]: p for p in meta["packages"]}
nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
root = next(p for p in meta["packages"] if p["name"] == "stagelog")

checksums = {}
with open("Cargo.lock", "rb") as f:
    for p in tomllib.load(f).get("package", []):
        if "checksum" in p:
            checksums[(p["name"], p["version"])] = p["checksum"]

# Normal (linked) dependencies reachable from the binary's package.
seen, todo = set(), [root["id"]]
while todo:
    pid = todo.pop()
    if pid in seen:
        continue
    seen.add(pid)
    for dep in nodes[pid]["deps"]:
        if any(k.get("kind") is None for k in dep["dep_kinds"]):
            todo.append(dep["pkg"])
seen.discard(root["id"])


def purl(p):
    return f"pkg:cargo/{p['name']}@{p['version']}"


def component(p):
    c = {"type": "library", "bom-ref": purl(p), "name": p["name"], "version": p["version"], "purl": purl(p)}
    if p.get("license"):
        c["licenses"] = [{"expression": p["license"]}]
    digest = checksums.get((p["name"], p["version"]))
    if digest:
        c["hashes"] = [{"alg": "SHA-256", "content": digest}]
    return c


components = sorted((component(packages[i]) for i in seen), key=lambda c: (c["name"], c["version"]))
deps = []
for pid in sorted(seen | {root["id"]}):
    deps.append({
        "ref": purl(packages[pid]),
        "dependsOn": sorted(purl(packages[d["pkg"]]) for d in nodes[pid]["deps"]
                            if d["pkg"] in seen and any(k.get("kind") is None for k in d["dep_kinds"])),
    })
bom = {
    "bomFormat": "CycloneDX",
    "specVersion": "1.5",
    # Deterministic for a given tree: the same inputs give the same document.
    "serialNumber": "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, purl(root) + ("+scan-only" if scan_only else "") + "".join(c["purl"] for c in components))),
    "version": 1,
    "metadata": {
        "component": {
            "type": "application",
            "bom-ref": purl(root),
            "name": "stagelog" + ("-scan" if scan_only else ""),
            "version": root["version"],
            "purl": purl(root),
            "licenses": [{"expression": root.get("license") or "Apache-2.0"}],
        },
        "tools": {"components": [{"type": "application", "name": "scripts/sbom.py"}]},
    },
    "components": components,
    "dependencies": deps,
}
json.dump(bom, sys.stdout, indent=2)
sys.stdout.write("\n")
