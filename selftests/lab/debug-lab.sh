#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check-debug`: the selftests in the lab, under a debug kernel.
#
# 1. debug-kernel.sh builds Debian's 6.1 source with KASAN, lockdep, UBSAN,
#    kmemleak and friends once, and caches it under ~/.cache/hvm.
# 2. hvm.ko is built against that tree, from a private copy of the sources
#    (build/debug/src), so that module/hvm.ko (Debian's kernel) stays as it is.
# 3. lab.sh check boots the debug kernel (kmemleak=on), with its modules in
#    the initramfs, runs every selftest, and judges the console: any report
#    of the checkers is a failure (ktap-report.awk).  check.sh runs it in
#    each lab (QEMU's SVM one and, beside it, the same bzImage in Bochs's
#    VMX one) and adds the results up, as for `make check`.
#
# Environment: VENDOR (all, svm or vmx, as for check.sh); BUILD,
# LAB_ROOT (from the Makefile, already built by `make userspace
# selftests`); LAB_TEST_TIMEOUT, LAB_TIMEOUT, LAB_SILENCE, LAB_TESTS as for
# lab.sh, with longer defaults: the checkers slow the guest kernel down
# several times.
set -uo pipefail

LAB_DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$LAB_DIR/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
VENDOR=${VENDOR:-all}

fail() {
	echo "debug-lab: $*" >&2
	echo "not ok - debug lab: $*"
	echo "0 passed, 1 failed"
	exit 1
}

case "$VENDOR" in
all|svm|vmx) ;;
*)	fail "VENDOR must be all, svm or vmx (got '$VENDOR')" ;;
esac

kernel_vars=$("$LAB_DIR/debug-kernel.sh" build) ||
	fail "the debug kernel did not build (see above)"
eval "$kernel_vars"

# A fresh copy each time: a stale object built for another kernel must
# never end up in the module.
src=$BUILD/debug/src
rm -rf "$src"
mkdir -p "$src"
(cd "$TOP" && find Kbuild module uapi -type f \
	\( -name '*.[chS]' -o -name Kbuild -o -name Makefile \) \
	! -name '*.mod.c' -print0 | cpio --quiet -p -0 -d "$src") ||
	fail "could not copy the module sources to $src"
log=$BUILD/debug/module-build.log
echo "debug-lab: building hvm.ko for $DEBUG_KVER"
if ! make -C "$DEBUG_KDIR" M="$src" W=1 modules >"$log" 2>&1; then
	tail -n 30 "$log" >&2
	fail "hvm.ko did not build against $DEBUG_KDIR (log: ${log#"$TOP"/})"
fi
if grep -E 'warning:' "$log" >&2; then
	echo "debug-lab: hvm.ko built with warnings (above; W=1)" >&2
fi

# Bochs and the ISO tools (the debug kernel itself needs no Debian
# package); before KVER names the debug kernel, which no package provides.
case "$VENDOR" in
all|vmx)
	bash "$LAB_DIR/install-deps.sh" lab-vmx ||
		fail "could not install the VMX lab's packages" ;;
esac

export KVER=$DEBUG_KVER
export HVM_KO=$src/module/hvm.ko
export LAB_KERNEL=$DEBUG_BZIMAGE
export LAB_MODULES=$DEBUG_MODULES
export LAB_KERNEL_ARGS="kmemleak=on page_poison=1 ${LAB_KERNEL_ARGS:-}"
export LAB_TEST_TIMEOUT=${LAB_TEST_TIMEOUT:-300}
export LAB_TIMEOUT=${LAB_TIMEOUT:-3600}
# KASAN's shadow is an eighth of memory; kmemleak keeps its own metadata.
export LAB_BOCHS_MEGS=${LAB_BOCHS_MEGS:-1024}

export VENDOR CHECK_DEBUG=1
exec "$LAB_DIR/check.sh"
