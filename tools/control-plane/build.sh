#!/usr/bin/env bash
# Builds kube-apiserver and etcd from the wrapper Go modules next to this script
# into an ignored cache folder keyed by version, once per machine.
# Prints the folder holding both binaries on its last line of stdout.
# KUBEBUILDER_ASSETS (the envtest convention) wins when it holds both binaries.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
module_version() { awk -v m="$1" '$1 == m && $2 ~ /^v/ { print $2; exit }' "$2"; }
KUBE_VERSION="$(module_version k8s.io/kubernetes "$here/kube-apiserver/go.mod")"
ETCD_VERSION="$(module_version go.etcd.io/etcd/server/v3 "$here/etcd/go.mod")"

if [[ -n "${KUBEBUILDER_ASSETS:-}" && -x "$KUBEBUILDER_ASSETS/kube-apiserver" && -x "$KUBEBUILDER_ASSETS/etcd" ]]; then
  echo "control plane: using KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS" >&2
  echo "$KUBEBUILDER_ASSETS"
  exit 0
fi

cache="${KUBE_AMBASSADOR_CACHE:-$root/.cache}/control-plane/kube-apiserver-$KUBE_VERSION-etcd-$ETCD_VERSION"
mkdir -p "$cache"
export GOWORK=off CGO_ENABLED=0 GOFLAGS=-mod=mod

if [[ ! -x "$cache/etcd" ]]; then
  echo "control plane: building etcd $ETCD_VERSION from Go modules (first time only, a few minutes)..." >&2
  (cd "$here/etcd" && go build -trimpath -o "$cache/etcd.tmp" go.etcd.io/etcd/server/v3)
  mv "$cache/etcd.tmp" "$cache/etcd"
fi

if [[ ! -x "$cache/kube-apiserver" ]]; then
  echo "control plane: building kube-apiserver $KUBE_VERSION from Go modules (first time only, 10-20 minutes on 2 cores)..." >&2
  minor="${KUBE_VERSION#v1.}"; minor="${minor%%.*}"
  ldflags=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  done
  (cd "$here/kube-apiserver" && go build -trimpath -ldflags "$ldflags" -o "$cache/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver)
  mv "$cache/kube-apiserver.tmp" "$cache/kube-apiserver"
fi

echo "control plane: binaries ready in $cache" >&2
echo "$cache"
