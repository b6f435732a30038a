#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo HOST=1`: run the demo on this machine instead of in the lab.
# Needs a CPU with SVM (or, once the backend exists, VMX), root to load the
# module, and a running kernel that is the one hvm.ko was built for.
#
# Environment: HVM_KO, LAB_ROOT, DEMO_CMD, KVER (see lab.sh).
# Exit status: the demo's, or 125 when it could not be started.
set -uo pipefail

LAB_DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$LAB_DIR/../.." && pwd)
HVM_KO=${HVM_KO:-$TOP/module/hvm.ko}
LAB_ROOT=${LAB_ROOT:-$TOP/build/lab-root}
DEMO_CMD=${DEMO_CMD:-hvm-run --kernel guests/linux/vmlinuz --initrd guests/linux/initramfs.cpio.gz --cpus 2}

die() {
	echo "demo: $*" >&2
	exit 125
}

[ -d "$LAB_ROOT" ] || die "$LAB_ROOT missing (make userspace installs the programs there)"

loaded_here=0
if [ ! -e /dev/hvm ]; then
	grep -qwE 'svm|vmx' /proc/cpuinfo ||
		die "this CPU offers neither SVM nor VMX (or firmware hides it): use the lab (make demo)"
	[ "$(id -u)" -eq 0 ] ||
		die "/dev/hvm is missing and loading $HVM_KO needs root: sudo make demo HOST=1"
	[ -f "$HVM_KO" ] || die "$HVM_KO missing (make module)"
	running=$(uname -r)
	built_for=$(modinfo -F vermagic "$HVM_KO" 2>/dev/null | cut -d' ' -f1)
	[ "$built_for" = "$running" ] ||
		die "$HVM_KO is built for ${built_for:-an unknown kernel}, this host runs $running: make demo HOST=1 KVER=$running"
	insmod "$HVM_KO" || die "insmod $HVM_KO failed; dmesg | tail says why"
	loaded_here=1
	# udev may need a moment to create the node.
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		[ -e /dev/hvm ] && break
		sleep 0.2
	done
fi

echo "demo: $DEMO_CMD (in $LAB_ROOT)"
(cd "$LAB_ROOT" && PATH="$LAB_ROOT/bin:$PATH" sh -c "$DEMO_CMD")
status=$?

if [ $loaded_here -eq 1 ] && ! rmmod hvm; then
	echo "demo: rmmod hvm failed; the module stays loaded" >&2
fi
echo "demo: exited with status $status"
exit $status
