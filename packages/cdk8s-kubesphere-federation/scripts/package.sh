#!/usr/bin/env bash
# `npm run package`: the library's Python wheel, Maven artifact and Go module, built by jsii-pacmak from the
# compiled assembly (run `npm run build` first) into dist/ (git-ignored):
#   dist/python/  cdk8s_kubesphere_federation-<version>-py3-none-any.whl and the sdist
#   dist/java/    a Maven repository holding io.github.ksfed:cdk8s-kubesphere-federation (jar, sources, javadoc)
#   dist/go/      the Go module github.com/ksfed/cdk8s-kubesphere-federation-go/cdk8skubespherefederation
#                 and, beside it, cdk8s's own Go binding generated from the npm package at the same version: the
#                 Go module proxy this project reaches refuses github.com/cdk8s-team/cdk8s-core-go, so pacmak builds
#                 ours against that local copy (a "replace"), and the Go quickstart uses it the same way.
# Needs python3 (with venv), mvn with a JDK, and go on PATH; fetches from PyPI, Maven Central and the Go proxy.
set -euo pipefail
cd "$(dirname "$0")/.."
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="${JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION:-20}"

if [ ! -f .jsii ]; then echo "package: no .jsii here; run 'npm run build' first" >&2; exit 1; fi
cdk8s_dir=$(node -p "require('path').dirname(require.resolve('cdk8s/package.json'))")
rm -rf dist
jsii-pacmak --targets go --outdir dist "$cdk8s_dir" .
jsii-pacmak --targets python,java --outdir dist .
echo "package: built dist/python, dist/java and dist/go in ${SECONDS}s"
