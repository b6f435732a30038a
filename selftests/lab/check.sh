#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: the selftests in every vendor's lab, one total.
#
#   VENDOR=all (default)  svm (QEMU, -cpu EPYC) and the svm refusal boot
#                         (QEMU, EPYC,-npt: SVM without NPT); beside them
#                         vmx (Bochs, corei7_skylake_x) and the vmx refusal
#                         boot (Bochs, core2_penryn: VMX without EPT)
#   VENDOR=svm | vmx      that lab alone, with its refusal boot
#
# With CHECK_DEBUG=1 (debug-lab.sh: `make check-debug`, the debug kernel
# already in the environment) each lab runs the job check alone, named
# <vendor>-debug; the refusal boots test Debian's kernel.
#
# Each lab run prints its own KTAP report ending in `N passed, N failed`;
# this script adds them up and prints the total as its last line.  A lab
# that ends without such a line counts as one failure.
#
# The vendors' labs run side by side when the machine has a core for each
# (each emulator runs one thread), CHECK_PARALLEL=0 runs them one after the
# other.  Either way the output is one vendor's after the other's: the
# first is shown as it comes, the next from its start once the first ended.
set -uo pipefail

LAB_DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$LAB_DIR/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
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
parallel=${CHECK_PARALLEL:-}
if [ -z "$parallel" ]; then
	parallel=0
	[ "$(nproc)" -ge "${#vendors[@]}" ] && parallel=1
fi

# debug-lab.sh installs them itself, before KVER names its own kernel.
if [ "$debug" != 1 ] && [[ " ${vendors[*]} " == *" vmx "* ]]; then
	bash "$LAB_DIR/install-deps.sh" lab-vmx || exit 2
fi

summary_re='^([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?$'

# run_vendor VENDOR RESULTS: every job of one vendor's lab; each job's
# "passed failed skipped" goes to RESULTS as a line.
run_vendor() {
	local vendor=$1 results=$2 job name started out last
	: >"$results"
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
			echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]} ${BASH_REMATCH[4]:-0}" >>"$results"
		else
			echo "not ok - $vendor lab ($job) ended without a result"
			echo "0 1 0" >>"$results"
		fi
		echo "check: $vendor $job took $((SECONDS - started)) s"
	done
}

out_dir=$BUILD/lab/check
mkdir -p "$out_dir"
pids=()
if [ "$parallel" = 1 ] && [ "${#vendors[@]}" -gt 1 ]; then
	echo "check: the ${vendors[*]} labs run side by side; their reports follow one after the other"
	for vendor in "${vendors[@]}"; do
		run_vendor "$vendor" "$out_dir/$vendor.results" >"$out_dir/$vendor.out" 2>&1 &
		pids+=($!)
	done
	trap 'kill "${pids[@]}" 2>/dev/null' EXIT
	i=0
	for vendor in "${vendors[@]}"; do
		tail -n +1 -f --pid="${pids[$i]}" "$out_dir/$vendor.out"
		wait "${pids[$i]}"
		i=$((i + 1))
	done
	trap - EXIT
else
	for vendor in "${vendors[@]}"; do
		run_vendor "$vendor" "$out_dir/$vendor.results"
	done
fi

passed=0 failed=0 skipped=0
for vendor in "${vendors[@]}"; do
	while read -r p f s; do
		passed=$((passed + p))
		failed=$((failed + f))
		skipped=$((skipped + s))
	done <"$out_dir/$vendor.results"
done

line="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && line+=", $skipped skipped"
echo "$line"
[ "$failed" -eq 0 ]
