#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the lab's initramfs.
#
#   mkinitramfs.sh OUT.cpio.gz HVM_KO LAB_ROOT JOB_DIR
#
# Layout of the result:
#   /init            selftests/lab/init
#   /bin/busybox     busybox-static, with every applet linked beside it
#   /dev/console     so the kernel can give /init a console before devtmpfs
#   /hvm/hvm.ko      the module under test
#   /hvm/...         a copy of LAB_ROOT (bin/, guests/, selftests/...),
#                    without the test binaries the job does not run
#   /lab/            a copy of JOB_DIR: job (shell variables telling /init
#                    what to run) and the list of tests to run
#   /lib/modules/    only if LAB_MODULES (environment) names a
#                    modules_install root: its lib/modules/, so that tests
#                    can modprobe the lab kernel's own modules (kvm_amd)
set -euo pipefail

if [ $# -ne 4 ]; then
	echo "usage: mkinitramfs.sh OUT.cpio.gz HVM_KO LAB_ROOT JOB_DIR" >&2
	exit 2
fi
out=$1 hvm_ko=$2 lab_root=$3 job_dir=$4
lab_dir=$(cd "$(dirname "$0")" && pwd)
busybox=/bin/busybox

[ -f "$hvm_ko" ] || { echo "mkinitramfs: module $hvm_ko not found (run make module)" >&2; exit 1; }
[ -d "$lab_root" ] || { echo "mkinitramfs: staging dir $lab_root not found" >&2; exit 1; }
[ -f "$job_dir/job" ] || { echo "mkinitramfs: $job_dir/job not found" >&2; exit 1; }
# A dynamically linked busybox would need a libc in the initramfs.
if ! file_type=$(LC_ALL=C readelf -h -l "$busybox" 2>/dev/null) ||
   grep -q 'Requesting program interpreter' <<<"$file_type"; then
	echo "mkinitramfs: $busybox is not a static binary (install busybox-static)" >&2
	exit 1
fi

stage=$(mktemp -d "${out%/*}/initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,lab,hvm}
cp "$busybox" "$stage/bin/busybox"
"$busybox" --list-full | while read -r applet; do
	[ -e "$stage/$applet" ] || ln -s /bin/busybox "$stage/$applet"
done
install -m 0755 "$lab_dir/init" "$stage/init"
cp -a "$job_dir"/. "$stage/lab/"
cp -a "$lab_root"/. "$stage/hvm/"
install -m 0644 "$hvm_ko" "$stage/hvm/hvm.ko"
# Only the tests the job runs: Bochs pays for every byte twice, the BIOS
# reading it from the emulated CD and the kernel unpacking it.  A refusal
# boot runs no test and no guest.
job=$(sed -n 's/^LAB_JOB=//p' "$job_dir/job")
case $job in
check|bench) keep=$job_dir/list ;;
*) keep=/dev/null ;;
esac
for test in "$stage"/hvm/selftests/*_test; do
	[ -e "$test" ] || continue
	grep -qxF "${test##*/}" "$keep" 2>/dev/null || rm -f "$test"
done
[ "$job" != refusal ] || rm -rf "$stage/hvm/guests" "$stage"/hvm/selftests/*.ko
if [ -n "${LAB_MODULES:-}" ]; then
	[ -d "$LAB_MODULES/lib/modules" ] || {
		echo "mkinitramfs: LAB_MODULES=$LAB_MODULES has no lib/modules" >&2
		exit 1
	}
	mkdir -p "$stage/lib"
	cp -a "$LAB_MODULES/lib/modules" "$stage/lib/"
	# Links into the build tree, meaningless in the guest.
	find "$stage/lib/modules" -maxdepth 2 \( -name build -o -name source \) \
		-type l -delete
fi
# Without root, mknod fails; /init then still gets its console from the
# devtmpfs it mounts, only the kernel's early "unable to open an initial
# console" warning appears.
mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null || true

(cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
	cpio --quiet -o -0 -H newc -R 0:0) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
