#!/usr/bin/env bash
# Starts the image built by build.sh and checks it serves: podman when it can
# run containers here, otherwise the image's root filesystem in a chroot, read-only,
# as its non-root user, with the image's own entrypoint. Hits /healthz and /readyz,
# then sends SIGTERM and expects a clean exit.
# Usage: tools/image/smoke.sh [tag]
set -euo pipefail
tag="${1:-localhost/kube-ambassador:dev}"
buildah=(buildah --storage-driver "${STORAGE_DRIVER:-vfs}")
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
ops_port="$(free_port)"
args=(proxy --port=0 "--ops-address=127.0.0.1:$ops_port" --server=https://127.0.0.1:1 --insecure-skip-tls-verify --token=smoke)

config="$("${buildah[@]}" inspect --type image "$tag")"
field() { node -e 'const c=JSON.parse(require("fs").readFileSync(0,"utf8")).OCIv1.config;console.log(JSON.stringify(c[process.argv[1]]))' "$1" <<<"$config"; }
user="$(field User | tr -d '"')"
entrypoint="$(field Entrypoint)"
[[ "$user" == "65532:65532" ]] || { echo "smoke: image user is '$user', want 65532:65532" >&2; exit 1; }
echo "smoke: entrypoint $entrypoint, user $user" >&2

ctr=""; mnt=""; pid=""
cleanup() {
  [[ -n "$pid" ]] && kill "$pid" 2>/dev/null || true
  [[ -n "$mnt" ]] && { umount "$mnt/tmp" 2>/dev/null || true; }
  [[ -n "$ctr" ]] && "${buildah[@]}" rm "$ctr" >/dev/null 2>&1 || true
}
trap cleanup EXIT

if podman --storage-driver "${STORAGE_DRIVER:-vfs}" run --rm --network host --read-only "$tag" version >/dev/null 2>&1; then
  mode=podman
  podman --storage-driver "${STORAGE_DRIVER:-vfs}" run --rm --network host --read-only "$tag" "${args[@]}" &
  pid=$!
else
  # No container runtime works here (no cgroup controllers, no registry): run the
  # root filesystem itself. A private mount namespace makes it read-only.
  mode=chroot
  ctr="$("${buildah[@]}" from "$tag")"
  mnt="$("${buildah[@]}" mount "$ctr")"
  read -r -a cmd < <(node -e 'console.log(JSON.parse(process.argv[1]).join(" "))' "$entrypoint")
  unshare --mount sh -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec env -i PATH=/nodejs/bin /usr/sbin/chroot --userspec=65532:65532 "$@"' \
    sh "$mnt" "$mnt" "${cmd[@]}" "${args[@]}" &
  pid=$!
fi
echo "smoke: started with $mode (pid $pid)" >&2

for _ in $(seq 1 50); do
  if body="$(curl -fsS "http://127.0.0.1:$ops_port/healthz" 2>/dev/null)"; then break; fi
  sleep 0.1
done
[[ "${body:-}" == "ok" ]] || { echo "smoke: /healthz did not answer ok" >&2; exit 1; }
ready="$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$ops_port/readyz")"
[[ "$ready" == "503" ]] || { echo "smoke: /readyz answered $ready, want 503 (no API server)" >&2; exit 1; }
kill -TERM "$pid"
wait "$pid"; status=$?
pid=""
[[ "$status" == 0 ]] || { echo "smoke: exit status $status after SIGTERM" >&2; exit 1; }
echo "smoke: ok ($mode): /healthz ok, /readyz 503 without an API server, clean exit on SIGTERM"
