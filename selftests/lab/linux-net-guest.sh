#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the initramfs of linux_net_test's guest:
#
#   linux-net-guest.sh INIT_SCRIPT MODULES_DIR OUT_DIR
#
# OUT_DIR gets initramfs.cpio.gz: /init (INIT_SCRIPT), busybox-static with
# its applets, and in /modules the virtio-net driver and what it needs
# from MODULES_DIR (/lib/modules/RELEASE of the guest kernel, Debian's,
# the same kernel as linux-guest.sh's), decompressed, with /modules/order
# their load order.  A module the kernel has built in is simply absent.
set -euo pipefail

if [ $# -ne 3 ]; then
	echo "usage: linux-net-guest.sh INIT_SCRIPT MODULES_DIR OUT_DIR" >&2
	exit 2
fi
init=$1 modules=$2 out=$3
busybox=/bin/busybox
[ -r "$init" ] || { echo "linux-net-guest: $init missing" >&2; exit 1; }
[ -d "$modules/kernel" ] || { echo "linux-net-guest: no modules in $modules" >&2; exit 1; }
if ! file_type=$(LC_ALL=C readelf -h -l "$busybox" 2>/dev/null) ||
   grep -q 'Requesting program interpreter' <<<"$file_type"; then
	echo "linux-net-guest: $busybox is not a static binary (install busybox-static)" >&2
	exit 1
fi
mkdir -p "$out"
stage=$(mktemp -d "$out/stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,modules}
cp "$busybox" "$stage/bin/busybox"
"$busybox" --list-full | while read -r applet; do
	[ -e "$stage/$applet" ] || ln -s /bin/busybox "$stage/$applet"
done
install -m 0755 "$init" "$stage/init"
# Load order: each module after what it depends on.
for m in drivers/virtio/virtio_ring drivers/virtio/virtio \
	 drivers/virtio/virtio_pci_modern_dev \
	 drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci \
	 net/core/failover drivers/net/net_failover drivers/net/virtio_net; do
	name=${m##*/}
	if [ -f "$modules/kernel/$m.ko" ]; then
		cp "$modules/kernel/$m.ko" "$stage/modules/$name.ko"
	elif [ -f "$modules/kernel/$m.ko.xz" ]; then
		xz -dc "$modules/kernel/$m.ko.xz" >"$stage/modules/$name.ko"
	else
		continue
	fi
	echo "$name" >>"$stage/modules/order"
done
[ -f "$stage/modules/virtio_net.ko" ] ||
	{ echo "linux-net-guest: no virtio_net module in $modules" >&2; exit 1; }
(cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
	cpio --quiet -o -0 -H newc -R 0:0) | gzip -6 >"$out/initramfs.cpio.gz.tmp"
mv "$out/initramfs.cpio.gz.tmp" "$out/initramfs.cpio.gz"
