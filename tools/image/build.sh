#!/usr/bin/env bash
# Builds the kube-ambassador container image with buildah FROM scratch, so it
# works where no registry can be reached: the bundled CLI, this machine's
# node binary and the libraries it links, a non-root user. The Dockerfile at
# the repository root builds the same layout from public base images.
# Usage: tools/image/build.sh [tag]   (default localhost/kube-ambassador:dev)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tag="${1:-localhost/kube-ambassador:dev}"
buildah=(buildah --storage-driver "${STORAGE_DRIVER:-vfs}")

cd "$root"
npm run --silent bundle

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/app" "$stage/nodejs/bin" "$stage/etc" "$stage/tmp"
chmod 1777 "$stage/tmp"
cp -r dist/. "$stage/app/"
node_bin="$(readlink -f "$(command -v node)")"
cp "$node_bin" "$stage/nodejs/bin/node"   # where the distroless image keeps it
# The shared libraries node links (glibc, libstdc++, the loader).
for lib in $(ldd "$node_bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
  mkdir -p "$stage$(dirname "$lib")"
  cp -L "$lib" "$stage$lib"
done
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' > "$stage/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' > "$stage/etc/group"

ctr="$("${buildah[@]}" from scratch)"
"${buildah[@]}" copy "$ctr" "$stage" / >/dev/null
"${buildah[@]}" config \
  --user 65532:65532 \
  --workingdir /app \
  --entrypoint '["/nodejs/bin/node","--max-semi-space-size=2","--","/app/kube-ambassador.mjs"]' \
  --cmd '["proxy"]' \
  --port 8001 --port 9091 \
  --label org.opencontainers.image.title=kube-ambassador \
  --label org.opencontainers.image.description="kube-ambassador: a drop-in kubectl proxy for ambassador sidecars" \
  "$ctr"
"${buildah[@]}" commit --rm --quiet "$ctr" "$tag" >/dev/null
echo "built $tag" >&2
