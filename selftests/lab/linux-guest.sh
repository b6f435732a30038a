#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the Linux guest that hvm-run boots in the lab (make demo,
# linux_boot_test):
#
#   linux-guest.sh INIT_BINARY KERNEL OUT_DIR
#
# OUT_DIR gets vmlinuz (a copy of KERNEL: Debian's own bzImage, the one the
# lab boots) and initramfs.cpio.gz, whose only file is /init (INIT_BINARY,
# a static program) plus the directories it mounts on.  The kernel's
# built-in initramfs already holds /dev/console.
set -euo pipefail

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
mkdir -p "$stage"/{dev,proc,sys}
install -m 0755 "$init" "$stage/init"
(cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
	cpio --quiet -o -0 -H newc -R 0:0) | gzip -9 >"$out/initramfs.cpio.gz.tmp"
mv "$out/initramfs.cpio.gz.tmp" "$out/initramfs.cpio.gz"
cp "$kernel" "$out/vmlinuz.tmp"
mv "$out/vmlinuz.tmp" "$out/vmlinuz"
