#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: the selftests in every vendor's lab, one total.
#
#   VENDOR=all (default)  svm (QEMU, -cpu EPYC), the svm refusal boot
#                         (QEMU, EPYC,-npt: SVM without NPT), then vmx
#                         (Bochs, corei7_skylake_x), then the vmx refusal
#                         boot (Bochs, core2_penryn: VMX without EPT)
#   VENDOR=svm | vmx      that lab alone, with its refusal boot
#
# With CHECK_DEBUG=1 (debug-lab.sh: `make check-debug`, the debug kernel
# already in the environment) each lab runs the job check alone, named
# <vendor>-debug; the refusal boots test Debian's kernel.
#
# Each lab run prints its own KTAP report ending in `N passed, N failed`;
# this script shows them as they come, adds them up and prints the total as
# its last line.  A lab that ends without such a line counts as one failure.
set -uo pipefail

LAB_DIR=$(cd "$(dirname "$0")" && pwd)
VENDOR=${VENDOR:-all}

case "$VENDOR" in
all)	vendors=(svm vmx) ;;
svm|vmx) vendors=("$VENDOR") ;;
*)
	echo "check: VENDOR must be all, svm or vmx (got '$VENDOR')" >&2
	exit 2 ;;
esac
debug=${CHECK_DEBUG:-0}
jobs=(check refusal)
[ "$debug" = 1 ] && jobs=(check)

# debug-lab.sh installs them itself, before KVER names its own kernel.
if [ "$debug" != 1 ] && [[ " ${vendors[*]} " == *" vmx "* ]]; then
	bash "$LAB_DIR/install-deps.sh" lab-vmx || exit 2
fi

passed=0 failed=0 skipped=0
summary_re='^([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?$'
for vendor in "${vendors[@]}"; do
	for job in "${jobs[@]}"; do
		echo "check: === $vendor lab, job $job ==="
		started=$SECONDS
		out=$(mktemp)
		name=$vendor-$job
		[ "$debug" = 1 ] && name=$vendor-debug
		VENDOR=$vendor LAB_RUN_NAME=$name bash "$LAB_DIR/lab.sh" "$job" | tee "$out"
		last=$(grep -E "$summary_re" "$out" | tail -n 1)
		rm -f "$out"
		if [[ "$last" =~ $summary_re ]]; then
			passed=$((passed + BASH_REMATCH[1]))
			failed=$((failed + BASH_REMATCH[2]))
			skipped=$((skipped + ${BASH_REMATCH[4]:-0}))
		else
			echo "not ok - $vendor lab ($job) ended without a result"
			failed=$((failed + 1))
		fi
		echo "check: $vendor $job took $((SECONDS - started)) s"
	done
done

line="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && line+=", $skipped skipped"
echo "$line"
[ "$failed" -eq 0 ]
