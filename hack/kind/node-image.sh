#!/usr/bin/env bash
# node-image.sh OUT ROOTFS KIND_FILES KUBE_BIN CNI_BIN RUNCWRAP CAPFIX IMAGE_TOOL IMAGE_TAR...
#
# Writes OUT, the image tarball of our kind node for Kubernetes v1.35.3, built without any registry:
# - ROOTFS: a Debian bookworm root file system (mmdebstrap, see the Makefile) with systemd, containerd and runc;
# - kind's node files (KIND_FILES: images/base/files of the pinned sigs.k8s.io/kind) and its Dockerfile's steps;
# - kubelet, kubeadm and kubectl from KUBE_BIN, the CNI plugins from CNI_BIN and our ptp network;
# - every IMAGE_TAR under /kind/images, imported into containerd at boot before the kubelet starts;
# - when CAPFIX is 1 (the host's bounding set lacks CAP_SYS_RESOURCE), containerd runs runc through RUNCWRAP and
#   restricts oom_score_adj (kind.md).
set -euo pipefail

out=$1 rootfs=$2 kind_files=$3 kube_bin=$4 cni_bin=$5 runcwrap=$6 capfix=$7 image_tool=$8
shift 8
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

runc=/usr/sbin/runc restrict=false
if [ "$capfix" = 1 ]; then runc=/usr/local/sbin/runcwrap restrict=true; fi
sed -e "s|@RUNC@|$runc|" -e "s|@RESTRICT_OOM@|$restrict|" "$here/node/containerd-config.toml" >"$tmp/config.toml"

args=(--ref "stellar-peers.local/kind-node:v1.35.3" --out "$out" --base-layer "$rootfs"
	--entrypoint /usr/local/bin/entrypoint --entrypoint /sbin/init --env container=docker --stop-signal SIGRTMIN+3)
# kind's Dockerfile: scripts 0755, everything else 0644.
args+=(--file "$kind_files/usr/local/bin/entrypoint=/usr/local/bin/entrypoint:0755")
for f in "$kind_files"/kind/bin/*; do args+=(--file "$f=/kind/bin/$(basename "$f"):0755"); done
args+=(--file "$kind_files/kind/README.txt=/kind/README.txt:0644")
for f in "$kind_files"/etc/crictl.yaml "$kind_files"/etc/default/kubelet "$kind_files"/etc/sysctl.d/* \
	"$kind_files"/etc/systemd/system/*.service "$kind_files"/etc/systemd/system/*.slice \
	"$kind_files"/etc/systemd/system/kubelet.service.d/*; do
	args+=(--file "$f=${f#"$kind_files"}:0644")
done
args+=(--file "$tmp/config.toml=/etc/containerd/config.toml:0644")
# systemctl enable kubelet containerd undo-mount-hacks (kind's Dockerfile), and our image import.
wants=/etc/systemd/system/multi-user.target.wants
for u in kubelet containerd undo-mount-hacks stellar-peers-images; do
	args+=(--symlink "$wants/$u.service=/etc/systemd/system/$u.service")
done
args+=(--symlink /etc/systemd/system/systemd-binfmt.service=/dev/null)
args+=(--file "$here/node/stellar-peers-images.service=/etc/systemd/system/stellar-peers-images.service:0644"
	--file "$here/node/20-stellar-peers-images.conf=/etc/systemd/system/kubelet.service.d/20-stellar-peers-images.conf:0644"
	--file "$here/node/import-images.sh=/kind/bin/import-images.sh:0755")
# kind's unit runs /usr/local/bin/containerd; Debian installs it in /usr/bin.
args+=(--symlink /usr/local/bin/containerd=/usr/bin/containerd)
for b in kubelet kubeadm kubectl; do args+=(--file "$kube_bin/$b=/usr/bin/$b:0755"); done
for b in ptp host-local loopback portmap; do args+=(--file "$cni_bin/$b=/opt/cni/bin/$b:0755"); done
args+=(--file "$here/node/10-ptp.conflist=/etc/cni/net.d/10-ptp.conflist:0644")
args+=(--file "$runcwrap=/usr/local/sbin/runcwrap:0755")
args+=(--dir "$tmp/empty=/etc/kubernetes/manifests")
mkdir -p "$tmp/empty"
# kind reads the node's Kubernetes version from /kind/version.
echo v1.35.3 >"$tmp/version"
args+=(--file "$tmp/version=/kind/version:0644")
for img in "$@"; do args+=(--file "$img=/kind/images/$(basename "$img"):0644"); done
"$image_tool" "${args[@]}"
