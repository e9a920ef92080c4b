#!/usr/bin/env bash
# Smoke test for the binaries that e2e/build.sh builds: one etcd-lite, N
# kube-apiservers sharing it (one --etcd-prefix each), kubectl against each.
#
#   e2e/smoke.sh [N]        N apiservers (default 2)
#
# Env: E2E_BIN (default <repo>/.cache/e2e-bin), E2E_KEEP=1 keeps the work dir.
# Everything listens on 127.0.0.1 only, on free ports; every process started
# here is stopped by its PID on exit.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
bin=${E2E_BIN:-$repo/.cache/e2e-bin}
n=${1:-2}
work=$(mktemp -d "${TMPDIR:-/tmp}/e2e-smoke.XXXXXX")
pids=()

cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [[ "${E2E_KEEP:-}" == 1 ]]; then echo "work dir kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
now_ms() { date +%s%3N; }
rss_mib() { awk '/^VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

for b in etcd-lite kube-apiserver; do [[ -x "$bin/$b" ]] || fail "$bin/$b missing: run e2e/build.sh"; done

# --- etcd -------------------------------------------------------------------
t0=$(now_ms)
"$bin/etcd-lite" --data-dir "$work/etcd" --listen-client-url http://127.0.0.1:0 \
  --client-url-file "$work/etcd.url" >"$work/etcd.log" 2>&1 &
etcd_pid=$!; pids+=("$etcd_pid")
for _ in $(seq 1 300); do [[ -s "$work/etcd.url" ]] && break; kill -0 "$etcd_pid" 2>/dev/null || { cat "$work/etcd.log"; fail "etcd-lite exited"; }; sleep 0.1; done
[[ -s "$work/etcd.url" ]] || fail "etcd-lite not ready in 30 s"
etcd_url=$(cat "$work/etcd.url")
echo "etcd-lite: ready in $(( $(now_ms) - t0 )) ms at $etcd_url, RSS $(rss_mib "$etcd_pid") MiB"

# --- shared credentials (service-account key pair, admin token) --------------
openssl genrsa -out "$work/sa.key" 2048 2>/dev/null
openssl rsa -in "$work/sa.key" -pubout -out "$work/sa.pub" 2>/dev/null
token=$(openssl rand -hex 16)
echo "$token,e2e-admin,e2e-admin,system:masters" >"$work/tokens.csv"

# --- apiservers ---------------------------------------------------------------
declare -a ports apids
for i in $(seq 1 "$n"); do
  port=$(free_port)
  mkdir -p "$work/api$i"
  t0=$(now_ms)
  "$bin/kube-apiserver" \
    --etcd-servers="$etcd_url" --etcd-prefix="/cluster-$i" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$port" \
    --cert-dir="$work/api$i" \
    --token-auth-file="$work/tokens.csv" --authorization-mode=RBAC \
    --service-account-issuer="https://cluster-$i.e2e.invalid" \
    --service-account-key-file="$work/sa.pub" --service-account-signing-key-file="$work/sa.key" \
    --service-cluster-ip-range=10.96.0.0/24 \
    --profiling=false \
    >"$work/api$i.log" 2>&1 &
  apid=$!; pids+=("$apid")
  ok=
  for _ in $(seq 1 1200); do
    if curl -ksf -H "Authorization: Bearer $token" "https://127.0.0.1:$port/readyz" >/dev/null 2>&1; then ok=1; break; fi
    kill -0 "$apid" 2>/dev/null || { tail -30 "$work/api$i.log"; fail "kube-apiserver $i exited"; }
    sleep 0.1
  done
  [[ -n "$ok" ]] || { tail -30 "$work/api$i.log"; fail "kube-apiserver $i not ready in 120 s"; }
  echo "kube-apiserver $i: /readyz ok in $(( $(now_ms) - t0 )) ms on :$port (prefix /cluster-$i), RSS $(rss_mib "$apid") MiB"
  ports[$i]=$port; apids[$i]=$apid
done

k() { local i=$1; shift; kubectl --server "https://127.0.0.1:${ports[$i]}" --token "$token" --insecure-skip-tls-verify "$@"; }

# --- checks -------------------------------------------------------------------
k 1 get ns
cat >"$work/cm.yaml" <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata: {name: e2e-smoke, namespace: default}
data: {cluster: one}
EOF
cat >"$work/crd.yaml" <<'EOF'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.e2e.example.com}
spec:
  group: e2e.example.com
  names: {kind: Widget, listKind: WidgetList, plural: widgets, singular: widget}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: {type: object, properties: {size: {type: integer}}}
EOF
cat >"$work/cr.yaml" <<'EOF'
apiVersion: e2e.example.com/v1
kind: Widget
metadata: {name: w1, namespace: default}
spec: {size: 3}
EOF
k 1 apply --server-side --field-manager=e2e -f "$work/cm.yaml"
k 1 apply --server-side --field-manager=e2e -f "$work/crd.yaml"
k 1 wait --for=condition=Established --timeout=60s crd/widgets.e2e.example.com
for _ in $(seq 1 50); do k 1 apply --server-side --field-manager=e2e -f "$work/cr.yaml" 2>/dev/null && break; sleep 0.2; done
[[ "$(k 1 get widget w1 -o jsonpath='{.spec.size}')" == 3 ]] || fail "widget w1 not read back from apiserver 1"
[[ "$(k 1 get cm e2e-smoke -o jsonpath='{.data.cluster}')" == one ]] || fail "configmap not read back from apiserver 1"

if (( n >= 2 )); then
  # Isolation: what apiserver 1 stored is not visible through apiserver 2.
  k 2 get cm e2e-smoke >/dev/null 2>&1 && fail "apiserver 2 sees apiserver 1's ConfigMap"
  k 2 get crd widgets.e2e.example.com >/dev/null 2>&1 && fail "apiserver 2 sees apiserver 1's CRD"
  sed 's/cluster: one/cluster: two/' "$work/cm.yaml" >"$work/cm2.yaml"
  k 2 apply --server-side --field-manager=e2e -f "$work/cm2.yaml"
  [[ "$(k 2 get cm e2e-smoke -o jsonpath='{.data.cluster}')" == two ]] || fail "configmap not read back from apiserver 2"
  [[ "$(k 1 get cm e2e-smoke -o jsonpath='{.data.cluster}')" == one ]] || fail "apiserver 2's write reached apiserver 1"
  echo "isolation: apiservers 1 and 2 share etcd with prefixes /cluster-1 and /cluster-2 and see only their own objects"
fi

for i in $(seq 1 "$n"); do echo "kube-apiserver $i: RSS after checks $(rss_mib "${apids[$i]}") MiB"; done
echo "etcd-lite: RSS after checks $(rss_mib "$etcd_pid") MiB"
echo "smoke: OK"
