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
# The runs go in two lanes, one per core (each emulator runs one thread),
# when the machine has two cores; CHECK_PARALLEL=0 runs them one after the
# other.  Bochs is the long pole (the VMX suite takes several times the
# SVM one), so with two lanes its tests are split over two Bochs runs:
# CHECK_VMX_SECOND (names from the selftests' list) run in the second one,
# which follows the short QEMU runs in their lane, the rest in the first,
# in the list's order.  Either way the output is one lane's after the
# other's: the first is shown as it comes, the next from its start once
# the first ended.
#
# Beside the lab runs, selftests/package-test.sh builds, installs, checks
# and purges the Debian packages on this machine (no lab; it needs root).
# It starts first, at CHECK_PACKAGES_NICE (default 19) and idle I/O
# priority: the emulators keep their cores and it runs in what they leave
# (between runs, after a lane ends), so it may end after the labs.  Its
# results count in the total and its report comes after the labs'.
# CHECK_PACKAGES=0 skips it; `make check-debug` (CHECK_DEBUG=1) does not
# run it.
#
# First of all, the tests that need no hypervisor (HOST_TESTS of
# selftests/Makefile, listed in build/selftests/host-tests; or
# CHECK_HOST_TESTS) run on this machine: their
# cases count in the total like a lab's.  Not under check-debug, whose
# point is the debug kernel.
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
	[ "$(nproc)" -ge 2 ] && parallel=1
fi
# The Bochs tests that make the second VMX run, chosen by their time in
# the Bochs lab (Documentation/testing.rst, "Timings"): they balance the two
# lanes when both vendors run.  The debug kernel weighs differently (the
# SVM run before vmx-debug-2 takes minutes, several tests ten times their
# plain time in Bochs), hence its own list.
if [ "$debug" = 1 ]; then
	CHECK_VMX_SECOND=${CHECK_VMX_SECOND-trace_test guest_memory_test hostile_guest_test debugreg_test fuzz_ioctl_test}
else
	CHECK_VMX_SECOND=${CHECK_VMX_SECOND-guest_memory_test debugreg_test fuzz_ioctl_test}
fi

# debug-lab.sh installs them itself, before KVER names its own kernel.
if [ "$debug" != 1 ] && [[ " ${vendors[*]} " == *" vmx "* ]]; then
	bash "$LAB_DIR/install-deps.sh" lab-vmx || exit 2
fi

packages=${CHECK_PACKAGES:-1}
[ "$debug" = 1 ] && packages=0

summary_re='^([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?$'

# run_lab VENDOR JOB NAME TESTS RESULTS: one lab run (TESTS empty: the
# whole list); its "passed failed skipped" goes to RESULTS as a line.
run_lab() {
	local vendor=$1 job=$2 name=$3 tests=$4 results=$5 started out last
	echo "check: === $vendor lab, job $job ($name) ==="
	started=$SECONDS
	out=$(mktemp)
	VENDOR=$vendor LAB_RUN_NAME=$name LAB_TESTS=$tests \
		bash "$LAB_DIR/lab.sh" "$job" | tee "$out"
	last=$(grep -E "$summary_re" "$out" | tail -n 1)
	rm -f "$out"
	if [[ "$last" =~ $summary_re ]]; then
		echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]} ${BASH_REMATCH[4]:-0}" >>"$results"
	else
		echo "not ok - $vendor lab ($name) ended without a result"
		echo "0 1 0" >>"$results"
	fi
	echo "check: $name took $((SECONDS - started)) s"
}

# The selftests' run order, minus or only the names in CHECK_VMX_SECOND.
list_tests() {
	local want=$1 name second
	while read -r name; do
		second=0
		[[ " $CHECK_VMX_SECOND " == *" $name "* ]] && second=1
		[ "$second" = "$want" ] && echo "$name"
	done <"$LAB_ROOT/selftests/list"
}

# Each run is "vendor job name tests..." in a lane.  One lane: every
# vendor's check, then its refusal.  Two lanes: Bochs's first part alone
# in lane 0, everything else in lane 1, short runs first.
LAB_ROOT=${LAB_ROOT:-$BUILD/lab-root}
lanes=()
add_run() {
	lanes[$1]+="$2"$'\n'
}
suffix=check
[ "$debug" = 1 ] && suffix=debug
split=0
if [ "$parallel" = 1 ] && [[ " ${vendors[*]} " == *" vmx "* ]] &&
   [ -n "$CHECK_VMX_SECOND" ] && [ -z "${LAB_TESTS:-}" ]; then
	second=$(list_tests 1 | tr '\n' ' ')
	[ -n "$second" ] && split=1
fi
if [ "$split" = 1 ]; then
	add_run 0 "vmx check vmx-$suffix $(list_tests 0 | tr '\n' ' ')"
	if [[ " ${vendors[*]} " == *" svm "* ]]; then
		add_run 1 "svm check svm-$suffix"
		[ "$debug" = 1 ] || add_run 1 "svm refusal svm-refusal"
	fi
	add_run 1 "vmx check vmx-$suffix-2 $second"
	[ "$debug" = 1 ] || add_run 1 "vmx refusal vmx-refusal"
elif [ "$parallel" = 1 ] && [ "${#vendors[@]}" -gt 1 ]; then
	i=0
	for vendor in "${vendors[@]}"; do
		for job in "${jobs[@]}"; do
			name=$vendor-$job
			[ "$debug" = 1 ] && name=$vendor-debug
			add_run $i "$vendor $job $name ${LAB_TESTS:-}"
		done
		i=$((i + 1))
	done
else
	for vendor in "${vendors[@]}"; do
		for job in "${jobs[@]}"; do
			name=$vendor-$job
			[ "$debug" = 1 ] && name=$vendor-debug
			add_run 0 "$vendor $job $name ${LAB_TESTS:-}"
		done
	done
fi

# run_lane INDEX RESULTS: that lane's runs, one after the other.
run_lane() {
	local vendor job name tests
	: >"$2"
	while read -r vendor job name tests; do
		[ -n "$vendor" ] || continue
		run_lab "$vendor" "$job" "$name" "$tests" "$2"
	done <<<"${lanes[$1]}"
}

out_dir=$BUILD/lab/check
mkdir -p "$out_dir"
package_pid=
if [ "$packages" = 1 ]; then
	nice -n "${CHECK_PACKAGES_NICE:-19}" ionice -c 3 \
		bash "$TOP/selftests/package-test.sh" \
		>"$out_dir/package.out" 2>&1 </dev/null &
	package_pid=$!
	# SIGTERM lets it purge what it installed.
	trap '[ -n "$package_pid" ] && kill "$package_pid" 2>/dev/null' EXIT
fi
# run_host_test NAME RESULTS: a KTAP test binary from build/selftests.
run_host_test() {
	local name=$1 results=$2 out status totals
	local re='^# Totals: pass:([0-9]+) fail:([0-9]+) xfail:[0-9]+ xpass:[0-9]+ skip:([0-9]+) error:([0-9]+)'

	echo "check: === $name (on this machine, no lab) ==="
	out=$(mktemp)
	(cd "$BUILD/selftests" && timeout 300 "./$name") >"$out" 2>&1
	status=$?
	cat "$out"
	totals=$(grep -E "$re" "$out" | tail -n 1)
	rm -f "$out"
	if [[ "$totals" =~ $re ]] && { [ "$status" = 0 ] ||
	   [ "${BASH_REMATCH[2]}" -gt 0 ] || [ "${BASH_REMATCH[4]}" -gt 0 ]; }; then
		echo "${BASH_REMATCH[1]} $((BASH_REMATCH[2] + BASH_REMATCH[4])) ${BASH_REMATCH[3]}" >>"$results"
	else
		echo "not ok - $name exited with status $status without its totals"
		echo "0 1 0" >>"$results"
	fi
}

: >"$out_dir/host.results"
if [ "$debug" != 1 ] && [ -z "${LAB_TESTS:-}" ]; then
	for t in ${CHECK_HOST_TESTS-$(cat "$BUILD/selftests/host-tests" 2>/dev/null)}; do
		run_host_test "$t" "$out_dir/host.results"
	done
fi

nr_lanes=${#lanes[@]}
if [ "$nr_lanes" -gt 1 ]; then
	echo "check: $nr_lanes lanes side by side; their reports follow one after the other"
	pids=()
	for ((i = 0; i < nr_lanes; i++)); do
		run_lane $i "$out_dir/lane$i.results" >"$out_dir/lane$i.out" 2>&1 &
		pids+=($!)
	done
	trap 'kill "${pids[@]}" $package_pid 2>/dev/null' EXIT
	for ((i = 0; i < nr_lanes; i++)); do
		tail -n +1 -f --pid="${pids[$i]}" "$out_dir/lane$i.out"
		wait "${pids[$i]}"
	done
	trap - EXIT
else
	run_lane 0 "$out_dir/lane0.results"
fi

results_files=("$out_dir/host.results")
for ((i = 0; i < nr_lanes; i++)); do
	results_files+=("$out_dir/lane$i.results")
done
if [ -n "$package_pid" ]; then
	echo "check: === package test (selftests/package-test.sh) ==="
	started=$SECONDS
	trap 'kill "$package_pid" 2>/dev/null' EXIT
	tail -n +1 -f --pid="$package_pid" "$out_dir/package.out"
	wait "$package_pid"
	trap - EXIT
	last=$(grep -E "$summary_re" "$out_dir/package.out" | tail -n 1)
	if [[ "$last" =~ $summary_re ]]; then
		echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]} ${BASH_REMATCH[4]:-0}" \
			>"$out_dir/package.results"
	else
		echo "not ok - package test ended without a result"
		echo "0 1 0" >"$out_dir/package.results"
	fi
	echo "check: package test waited for $((SECONDS - started)) s after the labs"
	results_files+=("$out_dir/package.results")
fi

passed=0 failed=0 skipped=0
for results in "${results_files[@]}"; do
	while read -r p f s; do
		passed=$((passed + p))
		failed=$((failed + f))
		skipped=$((skipped + s))
	done <"$results"
done

line="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && line+=", $skipped skipped"
echo "$line"
[ "$failed" -eq 0 ]
