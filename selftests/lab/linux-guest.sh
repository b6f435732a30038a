#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the Linux guest that hvm-run boots in the lab (make demo,
# linux_boot_test):
#
#   linux-guest.sh INIT_BINARY KERNEL OUT_DIR
#
# OUT_DIR gets vmlinuz (a copy of KERNEL: Debian's own bzImage, the one the
# lab boots) and initramfs.cpio.gz: /init (INIT_BINARY, a static program),
# the directories it mounts on, and in /modules/ the kernel's own modules
# for a root on virtio-blk (from /lib/modules/<KERNEL's release>/, with the
# dependencies modprobe --show-depends gives, decompressed; loaded in the
# order of /modules/order when the command line has hvm_root=).
# The kernel's built-in initramfs already holds /dev/console.
#
# For virtio_blk_test it also leaves OUT_DIR/init (the disk's /sbin/init)
# and OUT_DIR/e2fs/: mke2fs, debugfs and e2fsck with the shared libraries
# and the dynamic loader they need, to run in the lab (whose initramfs has
# no C library) as e2fs/ld.so --library-path e2fs e2fs/mke2fs ...
set -euo pipefail

# What a root on virtio-blk needs; modprobe --show-depends adds their
# dependencies in load order and leaves out what the kernel has built in.
MODULES="virtio_pci virtio_blk crc32c_generic ext4"

if [ $# -ne 3 ]; then
	echo "usage: linux-guest.sh INIT_BINARY KERNEL OUT_DIR" >&2
	exit 2
fi
init=$1 kernel=$2 out=$3
[ -x "$init" ] || { echo "linux-guest: $init missing" >&2; exit 1; }
[ -r "$kernel" ] || { echo "linux-guest: kernel $kernel missing (install linux-image-amd64)" >&2; exit 1; }
mkdir -p "$out"
stage=$(mktemp -d "$out/stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{dev,proc,sys,modules}
install -m 0755 "$init" "$stage/init"
release=${kernel##*/vmlinuz-}
moddir=/lib/modules/$release
if [ -d "$moddir" ]; then
	: >"$stage/modules/order"
	for m in $MODULES; do
		"${MODPROBE:-/sbin/modprobe}" -S "$release" --show-depends "$m" ||
			{ echo "linux-guest: no $m for $release" >&2; exit 1; }
	done | while read -r kind path _; do
		[ "$kind" = insmod ] || continue
		# Uncompressed: the guest's init loads them with finit_module().
		name=${path##*/}
		name=${name%.xz}
		name=${name%.zst}
		! grep -qx "$name" "$stage/modules/order" || continue
		case $path in
		*.xz) xz -dc "$path" ;;
		*.zst) zstd -qdc "$path" ;;
		*) cat "$path" ;;
		esac >"$stage/modules/$name"
		echo "$name" >>"$stage/modules/order"
	done
else
	echo "linux-guest: no $moddir: the guest cannot use a virtio-blk root" >&2
fi
(cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
	cpio --quiet -o -0 -H newc -R 0:0) | gzip -9 >"$out/initramfs.cpio.gz.tmp"
mv "$out/initramfs.cpio.gz.tmp" "$out/initramfs.cpio.gz"
cp "$kernel" "$out/vmlinuz.tmp"
mv "$out/vmlinuz.tmp" "$out/vmlinuz"
install -m 0755 "$init" "$out/init"

rm -rf "$out/e2fs"
mkdir -p "$out/e2fs"
for tool in /usr/sbin/mke2fs /usr/sbin/debugfs /usr/sbin/e2fsck; do
	[ -x "$tool" ] || { echo "linux-guest: $tool missing (install e2fsprogs)" >&2; exit 1; }
	install -m 0755 "$tool" "$out/e2fs/"
	ldd "$tool" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' |
	while read -r lib; do
		install -m 0644 "$lib" "$out/e2fs/"
	done
done
install -m 0755 "$(ldd /usr/sbin/mke2fs | awk '/ld-linux/ { print $1 }')" \
	"$out/e2fs/ld.so"
