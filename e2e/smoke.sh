#!/usr/bin/env bash
# Smoke test for the binaries that e2e/build.sh builds: one etcd-lite, N
# kube-apiservers sharing it (one --etcd-prefix each), kubectl against each.
#
#   e2e/smoke.sh [N]        N apiservers (default 2)
#
# Env: E2E_BIN (default <repo>/.cache/e2e-bin), E2E_KEEP=1 keeps the work dir,
# E2E_KUBEFED=0 skips KubeFed, E2E_KCM=0 skips kube-controller-manager, E2E_HOLD=SECONDS waits before the last RSS figures.
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
  local i
  # Newest first (controllers, apiservers), etcd (the first) last.
  for (( i=${#pids[@]}-1; i>=1; i-- )); do kill "${pids[i]}" 2>/dev/null || true; done
  for (( i=${#pids[@]}-1; i>=1; i-- )); do wait "${pids[i]}" 2>/dev/null || true; done
  if (( ${#pids[@]} )); then kill "${pids[0]}" 2>/dev/null || true; wait "${pids[0]}" 2>/dev/null || true; fi
  if [[ "${E2E_KEEP:-}" == 1 ]]; then echo "work dir kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
now_ms() { date +%s%3N; }
rss_mib() { awk '/^VmRSS/ {printf "%.0f", $2/1024}' "/proc/$1/status"; }
cpu_s() { awk -v t="$(getconf CLK_TCK)" '{printf "%.1f", ($14+$15)/t}' "/proc/$1/stat"; }
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

# --- kube-controller-manager (if built) for apiserver 1 ------------------------
# Without it nothing finishes a namespace deletion, collects garbage by
# ownerReferences, or makes the default ServiceAccount of a namespace.
if [[ -x "$bin/kube-controller-manager" && "${E2E_KCM:-1}" == 1 ]]; then
  kubectl config --kubeconfig "$work/c1.kubeconfig" set-cluster c1 --server "https://127.0.0.1:${ports[1]}" --insecure-skip-tls-verify=true >/dev/null
  kubectl config --kubeconfig "$work/c1.kubeconfig" set-credentials admin --token "$token" >/dev/null
  kubectl config --kubeconfig "$work/c1.kubeconfig" set-context c1 --cluster c1 --user admin >/dev/null
  kubectl config --kubeconfig "$work/c1.kubeconfig" use-context c1 >/dev/null
  t0=$(now_ms)
  "$bin/kube-controller-manager" --kubeconfig "$work/c1.kubeconfig" \
    --authentication-kubeconfig "$work/c1.kubeconfig" --authorization-kubeconfig "$work/c1.kubeconfig" \
    --authentication-skip-lookup \
    --bind-address=127.0.0.1 --secure-port="$(free_port)" --cert-dir="$work/kcm1" \
    --leader-elect=false --service-account-private-key-file="$work/sa.key" \
    --controllers=namespace-controller,garbage-collector-controller,serviceaccount-controller,serviceaccount-token-controller,root-ca-certificate-publisher-controller \
    >"$work/kcm1.log" 2>&1 &
  kcmpid=$!; pids+=("$kcmpid")
  k 1 create namespace e2e-kcm >/dev/null
  sa=
  for _ in $(seq 1 120); do
    sa=$(k 1 -n e2e-kcm get serviceaccount default -o name 2>/dev/null || true)
    [[ -n "$sa" ]] && break
    kill -0 "$kcmpid" 2>/dev/null || { tail -30 "$work/kcm1.log"; fail "kube-controller-manager exited"; }
    sleep 0.5
  done
  [[ -n "$sa" ]] || { tail -30 "$work/kcm1.log"; fail "no default ServiceAccount in e2e-kcm after 60 s"; }
  echo "kube-controller-manager: default ServiceAccount made $(( $(now_ms) - t0 )) ms after start, RSS $(rss_mib "$kcmpid") MiB"
  # Garbage collection: a ConfigMap owned by another goes when its owner goes.
  k 1 -n e2e-kcm create configmap owner >/dev/null
  owner_uid=$(k 1 -n e2e-kcm get cm owner -o jsonpath='{.metadata.uid}')
  cat <<EOF2 | k 1 apply --server-side --field-manager=e2e -f - >/dev/null
apiVersion: v1
kind: ConfigMap
metadata:
  name: owned
  namespace: e2e-kcm
  ownerReferences: [{apiVersion: v1, kind: ConfigMap, name: owner, uid: $owner_uid}]
EOF2
  t0=$(now_ms)
  k 1 -n e2e-kcm delete cm owner >/dev/null
  gone=
  for _ in $(seq 1 120); do
    k 1 -n e2e-kcm get cm owned >/dev/null 2>&1 || { gone=1; break; }
    sleep 0.5
  done
  [[ -n "$gone" ]] || fail "owned ConfigMap not garbage-collected in 60 s"
  echo "kube-controller-manager: owned ConfigMap garbage-collected $(( $(now_ms) - t0 )) ms after its owner's deletion"
  t0=$(now_ms)
  k 1 delete namespace e2e-kcm --timeout=60s >/dev/null || fail "namespace e2e-kcm not deleted in 60 s"
  echo "kube-controller-manager: namespace deleted (finalized) in $(( $(now_ms) - t0 )) ms"
fi

# --- KubeFed controller-manager (if built) against apiserver 1 ------------------
if [[ -x "$bin/kubefed-controller-manager" && "${E2E_KUBEFED:-1}" == 1 ]]; then
  kubefed_dir=$(cd "$here/kubefed" && go list -m -f '{{.Dir}}' sigs.k8s.io/kubefed)
  # core.kubefed.io CRDs (KubeFedConfig, KubeFedCluster, FederatedTypeConfig...) and the federated types.
  k 1 apply --server-side --field-manager=e2e -f "$kubefed_dir/charts/kubefed/charts/controllermanager/crds/crds.yaml" >/dev/null
  k 1 apply --server-side --field-manager=e2e -f "$kubefed_dir/charts/kubefed/crds/crds.yaml" >/dev/null
  k 1 wait --for=condition=Established --timeout=60s crd --all >/dev/null
  k 1 create namespace kube-federation-system >/dev/null
  # The Helm chart's KubeFedConfig with its default values, except
  # availableDelay (20 s in the chart: the sync controllers wait that long
  # after a member cluster turns Ready before they propagate to it). Without KubeFed's
  # admission webhook (not run here) nothing defaults the KubeFedConfig that the
  # controller-manager would create itself, and it then exits on validation.
  cat >"$work/kubefedconfig.yaml" <<'EOF2'
apiVersion: core.kubefed.io/v1beta1
kind: KubeFedConfig
metadata: {name: kubefed, namespace: kube-federation-system}
spec:
  scope: Cluster
  controllerDuration: {availableDelay: 1s, unavailableDelay: 60s}
  leaderElect: {leaseDuration: 15s, renewDeadline: 10s, retryPeriod: 5s, resourceLock: configmaps}
  clusterHealthCheck: {period: 10s, failureThreshold: 3, successThreshold: 1, timeout: 3s}
  syncController: {maxConcurrentReconciles: 1, adoptResources: Enabled}
  statusController: {maxConcurrentReconciles: 1}
  featureGates:
    - {name: PushReconciler, configuration: Enabled}
    - {name: SchedulerPreferences, configuration: Enabled}
EOF2
  k 1 apply --server-side --field-manager=e2e -f "$work/kubefedconfig.yaml" >/dev/null
  kubectl config --kubeconfig "$work/kubefed.kubeconfig" set-cluster c1 --server "https://127.0.0.1:${ports[1]}" --insecure-skip-tls-verify=true >/dev/null
  kubectl config --kubeconfig "$work/kubefed.kubeconfig" set-credentials admin --token "$token" >/dev/null
  kubectl config --kubeconfig "$work/kubefed.kubeconfig" set-context c1 --cluster c1 --user admin >/dev/null
  kubectl config --kubeconfig "$work/kubefed.kubeconfig" use-context c1 >/dev/null
  t0=$(now_ms)
  "$bin/kubefed-controller-manager" --kubeconfig "$work/kubefed.kubeconfig" \
    --kubefed-namespace kube-federation-system \
    --healthz-addr "127.0.0.1:$(free_port)" --metrics-addr "127.0.0.1:$(free_port)" \
    --rest-config-qps 50 --rest-config-burst 100 -v 2 \
    >"$work/kubefed.log" 2>&1 &
  kfpid=$!; pids+=("$kfpid")
  ok=
  for _ in $(seq 1 600); do
    if grep -q 'Starting FederatedTypeConfig controller' "$work/kubefed.log" 2>/dev/null; then ok=1; break; fi
    kill -0 "$kfpid" 2>/dev/null || { tail -30 "$work/kubefed.log"; fail "kubefed-controller-manager exited"; }
    sleep 0.1
  done
  [[ -n "$ok" ]] || { tail -30 "$work/kubefed.log"; fail "kubefed-controller-manager did not start its controllers in 60 s"; }
  echo "kubefed-controller-manager: leader and controllers started in $(( $(now_ms) - t0 )) ms, RSS $(rss_mib "$kfpid") MiB"
  if (( n >= 2 )); then
    # Join apiserver 2 as a member cluster: a token Secret and a KubeFedCluster
    # whose caBundle is apiserver 2's self-signed chain (from --cert-dir).
    # (disabledTLSValidations: ["*"] without a caBundle panics in KubeFed
    # v0.8.1's CustomizeCertificateValidation: nil tls.Config.)
    k 1 -n kube-federation-system create secret generic cluster-2-secret --from-literal=token="$token" >/dev/null
    cat >"$work/kubefedcluster.yaml" <<EOF2
apiVersion: core.kubefed.io/v1beta1
kind: KubeFedCluster
metadata: {name: cluster-2, namespace: kube-federation-system}
spec:
  apiEndpoint: https://127.0.0.1:${ports[2]}
  secretRef: {name: cluster-2-secret}
  caBundle: $(base64 -w0 "$work/api2/apiserver.crt")
EOF2
    t0=$(now_ms)
    k 1 apply --server-side --field-manager=e2e -f "$work/kubefedcluster.yaml" >/dev/null
    ready=
    for _ in $(seq 1 60); do
      ready=$(k 1 -n kube-federation-system get kubefedcluster cluster-2 -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)
      [[ "$ready" == True ]] && break
      sleep 1
    done
    [[ "$ready" == True ]] || { tail -30 "$work/kubefed.log"; fail "KubeFedCluster cluster-2 not Ready in 60 s"; }
    echo "kubefed: KubeFedCluster cluster-2 (apiserver 2) Ready in $(( $(now_ms) - t0 )) ms"

    # Propagation: FederatedTypeConfigs for namespaces and configmaps (as in
    # KubeFed's chart), then a FederatedNamespace and a FederatedConfigMap
    # placed on cluster-2 must show up in apiserver 2.
    cat >"$work/fed.yaml" <<'EOF2'
apiVersion: core.kubefed.io/v1beta1
kind: FederatedTypeConfig
metadata: {name: namespaces, namespace: kube-federation-system}
spec:
  federatedType: {group: types.kubefed.io, kind: FederatedNamespace, pluralName: federatednamespaces, scope: Namespaced, version: v1beta1}
  propagation: Enabled
  targetType: {kind: Namespace, pluralName: namespaces, scope: Cluster, version: v1}
---
apiVersion: core.kubefed.io/v1beta1
kind: FederatedTypeConfig
metadata: {name: configmaps, namespace: kube-federation-system}
spec:
  federatedType: {group: types.kubefed.io, kind: FederatedConfigMap, pluralName: federatedconfigmaps, scope: Namespaced, version: v1beta1}
  propagation: Enabled
  targetType: {kind: ConfigMap, pluralName: configmaps, scope: Namespaced, version: v1}
---
apiVersion: v1
kind: Namespace
metadata: {name: e2e-fed}
---
apiVersion: types.kubefed.io/v1beta1
kind: FederatedNamespace
metadata: {name: e2e-fed, namespace: e2e-fed}
spec:
  placement: {clusters: [{name: cluster-2}]}
---
apiVersion: types.kubefed.io/v1beta1
kind: FederatedConfigMap
metadata: {name: fed-cm, namespace: e2e-fed}
spec:
  placement: {clusters: [{name: cluster-2}]}
  template: {data: {propagated: "yes"}}
EOF2
    t0=$(now_ms)
    k 1 apply --server-side --field-manager=e2e -f "$work/fed.yaml" >/dev/null
    got=
    for _ in $(seq 1 120); do
      got=$(k 2 -n e2e-fed get cm fed-cm -o jsonpath='{.data.propagated}' 2>/dev/null || true)
      [[ "$got" == yes ]] && break
      sleep 0.5
    done
    [[ "$got" == yes ]] || { grep -E '^[EW]' "$work/kubefed.log" | tail -20; fail "FederatedConfigMap not propagated to apiserver 2 in 60 s"; }
    echo "kubefed: FederatedNamespace + FederatedConfigMap propagated to apiserver 2 in $(( $(now_ms) - t0 )) ms"
  fi
  kill -0 "$kfpid" 2>/dev/null || { tail -30 "$work/kubefed.log"; fail "kubefed-controller-manager exited"; }
  echo "kubefed-controller-manager: RSS $(rss_mib "$kfpid") MiB"
  grep -E 'lease|leader|Starting' "$work/kubefed.log" | head -8 | cut -c1-200
fi

if [[ -n "${E2E_HOLD:-}" ]]; then echo "holding ${E2E_HOLD} s before the last RSS figures"; sleep "$E2E_HOLD"; fi
for i in $(seq 1 "$n"); do echo "kube-apiserver $i: RSS after checks $(rss_mib "${apids[$i]}") MiB, CPU used $(cpu_s "${apids[$i]}") s"; done
echo "etcd-lite: RSS after checks $(rss_mib "$etcd_pid") MiB, CPU used $(cpu_s "$etcd_pid") s"
echo "smoke: OK"
