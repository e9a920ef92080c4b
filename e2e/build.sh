#!/usr/bin/env bash
# Builds the real Kubernetes pieces for end-to-end tests from the Go module
# proxy into .cache/e2e-bin/ (git-ignored); see e2e/README.md.
#
#   e2e/build.sh                 build every binary that is missing or stale
#   e2e/build.sh kube-apiserver  build only the ones named
#
# A binary is rebuilt only when it is missing or when its stamp changed: the Go
# version, the module's go.mod and go.sum, the flags, and (for our own main
# packages) their sources.
#
# Env:
#   E2E_BIN=DIR    output folder (default $KSFED_E2E_BIN, else <repo>/.cache/e2e-bin)
#   E2E_NICE=N     run the builds under `nice -n N` (e.g. 19 on a shared machine)
#   E2E_FORCE=1    rebuild even if up to date
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
# KSFED_E2E_BIN is where the e2e tests (src/real-fleet) look for the binaries.
bin=${E2E_BIN:-${KSFED_E2E_BIN:-$repo/.cache/e2e-bin}}

# Every go.mod here says `go 1.26`, which the machine's Go 1.26.x builds, so no
# GOTOOLCHAIN export is needed. If a go.mod is ever raised past the local Go,
# export the approved toolchain here (e.g. export GOTOOLCHAIN=go1.27.3).

command -v go >/dev/null || { echo "build.sh: go not found: npm run e2e needs Go >= 1.26 and the Go module proxy (see e2e/README.md)" >&2; exit 1; }
gover=$(go env GOVERSION)
case "$gover" in
  go1.2[6-9]*|go1.[3-9][0-9]*) ;;
  *) echo "build.sh: $gover is too old: the modules here need Go >= 1.26" >&2; exit 1 ;;
esac

run=()
if [[ -n "${E2E_NICE:-}" ]]; then run=(nice -n "$E2E_NICE"); fi

# name | module folder (under e2e/) | package | extra -ldflags
targets=(
  "kube-apiserver|kube|k8s.io/kubernetes/cmd/kube-apiserver|K8S_VERSION_FLAGS"
  "kube-controller-manager|kube|k8s.io/kubernetes/cmd/kube-controller-manager|K8S_VERSION_FLAGS"
  "etcd-lite|kube|./cmd/etcd-lite|"
  "kubefed-controller-manager|kubefed|sigs.k8s.io/kubefed/cmd/controller-manager|KUBEFED_VERSION_FLAGS"
)

# Version strings that Kubernetes' and KubeFed's own release builds stamp in
# (otherwise /version says v0.0.0-master+$Format:%H$).
k8s_version_flags() {
  local v major minor p flags=""
  v=$(cd "$here/kube" && go list -m -f '{{.Version}}' k8s.io/kubernetes)
  major=${v#v}; major=${major%%.*}
  minor=${v#v*.}; minor=${minor%%.*}
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X $p.gitVersion=$v -X $p.gitMajor=$major -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  echo "$flags"
}
kubefed_version_flags() {
  local v
  v=$(cd "$here/kubefed" && go list -m -f '{{.Version}}' sigs.k8s.io/kubefed)
  echo " -X sigs.k8s.io/kubefed/pkg/version.version=$v"
}

want=("$@")
selected() {
  local w
  (( ${#want[@]} == 0 )) && return 0
  for w in "${want[@]}"; do [[ "$w" == "$1" ]] && return 0; done
  return 1
}
if (( ${#want[@]} )); then
  for w in "${want[@]}"; do
    found=
    for t in "${targets[@]}"; do [[ "${t%%|*}" == "$w" ]] && found=1; done
    [[ -n "$found" ]] || { echo "build.sh: unknown binary '$w'" >&2; exit 2; }
  done
fi

mkdir -p "$bin"
total_start=$(date +%s)
for t in "${targets[@]}"; do
  IFS='|' read -r name mod pkg extra <<<"$t"
  selected "$name" || continue
  moddir="$here/$mod"
  case "$extra" in
    K8S_VERSION_FLAGS) extra=$(k8s_version_flags) ;;
    KUBEFED_VERSION_FLAGS) extra=$(kubefed_version_flags) ;;
  esac
  ldflags="-s -w$extra"
  out="$bin/$name"
  stampfile="$bin/.$name.stamp"
  stamp=$(
    {
      echo "$gover $(go env GOOS GOARCH CGO_ENABLED | tr '\n' ' ')"
      echo "$pkg $ldflags"
      cat "$moddir/go.mod" "$moddir/go.sum"
      if [[ "$pkg" == ./* ]]; then find "$moddir/${pkg#./}" -type f -name '*.go' | LC_ALL=C sort | xargs cat; fi
    } | sha256sum | cut -d' ' -f1
  )
  if [[ -z "${E2E_FORCE:-}" && -x "$out" && -f "$stampfile" && "$(cat "$stampfile")" == "$stamp" ]]; then
    echo "build.sh: $name: up to date"
    continue
  fi
  echo "build.sh: $name: building $pkg (module e2e/$mod)..."
  start=$(date +%s)
  (cd "$moddir" && "${run[@]}" go build -trimpath -buildvcs=false -ldflags="$ldflags" -o "$out.tmp" "$pkg")
  mv -f "$out.tmp" "$out"
  echo "$stamp" >"$stampfile"
  echo "build.sh: $name: built in $(( $(date +%s) - start )) s -> $out"
done
echo "build.sh: done in $(( $(date +%s) - total_start )) s"
