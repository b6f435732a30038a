#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot the nested lab and run a job in it.
#
#   lab.sh check    run every test in $LAB_ROOT/selftests/list, report KTAP
#   lab.sh demo     run $DEMO_CMD, show its output, exit with its status
#   lab.sh refusal  boot a CPU the backend must refuse (vendor-*.sh picks
#                   it: LAB_REFUSAL_CPU); pass if insmod failed cleanly
#                   (lab_refused)
#   lab.sh bench    run selftests/hvm-bench (hvm against KVM) as the one
#                   test of a check run, then save its results to
#                   $BENCH_OUT/results-$VENDOR.json and its table to
#                   $BENCH_OUT/table-$VENDOR.txt and print the table
#
# Environment (the top-level Makefile sets the first six):
#   KVER              kernel release hvm.ko was built for; the lab boots it
#   BUILD             build directory (default: <repo>/build)
#   VENDOR            svm (QEMU TCG, -cpu EPYC) or vmx (Bochs): vendor-*.sh
#   HVM_KO            module to load (default: <repo>/module/hvm.ko)
#   LAB_ROOT          staging dir copied to /hvm (default: $BUILD/lab-root)
#   DEMO_CMD          demo command, run in /hvm with /hvm/bin on PATH
#   LAB_TESTS         tests to run instead of the whole list (names from
#                     $LAB_ROOT/selftests/list, space separated, run in the
#                     order given)
#   LAB_TEST_TIMEOUT  seconds per test before SIGTERM (default 120)
#   LAB_DEMO_TIMEOUT  seconds for the demo before SIGTERM (default 300)
#   LAB_TIMEOUT       seconds for the whole guest before it is killed
#                     (default 600, or the vendor's LAB_VENDOR_TIMEOUT)
#   LAB_SILENCE       seconds without console output after which the guest
#                     counts as hung and is killed (default: the test or
#                     demo timeout + 60, or the vendor's LAB_VENDOR_SILENCE
#                     if that is more)
#   LAB_KERNEL        kernel file to boot instead of the vendor's choice for
#                     KVER (the debug lab's own build)
#   LAB_KERNEL_ARGS   extra kernel command line arguments
#   LAB_MODULES       a modules_install root (lib/modules/KVER/...) to put
#                     into the initramfs, so that tests can modprobe
#   LAB_RUN_NAME      name of this kind of run: its files go to
#                     $BUILD/lab/NAME/ and $BUILD/lab-NAME-console.log
#                     (default VENDOR-JOB, with -demo only for the demo)
#   BENCH_ARGS        bench: more hvm-bench options (--rounds 3 ...)
#   BENCH_OUT         bench: where results go (default $BUILD/bench)
#   LAB_BENCH_TIMEOUT bench: guest seconds hvm-bench may run (default 3000;
#                     it is LAB_TEST_TIMEOUT for the bench)
set -uo pipefail

LAB_DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$LAB_DIR/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
VENDOR=${VENDOR:-svm}
HVM_KO=${HVM_KO:-$TOP/module/hvm.ko}
LAB_ROOT=${LAB_ROOT:-$BUILD/lab-root}
DEMO_CMD=${DEMO_CMD:-hvm-run --kernel guests/linux/vmlinuz --initrd guests/linux/initramfs.cpio.gz --cpus 2}
LAB_TEST_TIMEOUT=${LAB_TEST_TIMEOUT:-120}
LAB_DEMO_TIMEOUT=${LAB_DEMO_TIMEOUT:-300}

job=${1:-}
case "$job" in
check|demo|refusal|bench) ;;
*)
	echo "usage: lab.sh check|demo|refusal|bench" >&2
	exit 2 ;;
esac

# The bench runs hvm-bench as the single test of a check run, so that the
# console is judged the same way (status, kernel problems, hangs); only
# its timeouts are longer: 64 MiB first touches and 10,000 exits per row,
# ten times per round, take many minutes under Bochs.
if [ "$job" = bench ]; then
	LAB_TEST_TIMEOUT=${LAB_BENCH_TIMEOUT:-3000}
	LAB_TIMEOUT=${LAB_TIMEOUT:-3600}
	BENCH_OUT=${BENCH_OUT:-$BUILD/bench}
fi

# For check, even a lab that cannot start ends with the summary line.
die() {
	echo "lab: $*" >&2
	if [ "$job" = check ] || [ "$job" = bench ]; then
		echo "not ok - lab: $*"
		echo "0 passed, 1 failed"
	fi
	exit 2
}

[ -n "${KVER:-}" ] || die "KVER is not set (no linux-headers-*-amd64 installed?)"
[ -f "$LAB_DIR/vendor-$VENDOR.sh" ] || die "no lab for VENDOR=$VENDOR (have: $(cd "$LAB_DIR" && find . -name 'vendor-*.sh' | sed 's|.*/vendor-\(.*\)\.sh|\1|' | sort | tr '\n' ' '))"
# shellcheck source=vendor-svm.sh
. "$LAB_DIR/vendor-$VENDOR.sh"
LAB_TIMEOUT=${LAB_TIMEOUT:-${LAB_VENDOR_TIMEOUT:-600}}
if [ -z "${LAB_SILENCE:-}" ]; then
	if [ "$job" = check ]; then
		LAB_SILENCE=$((LAB_TEST_TIMEOUT + 60))
	elif [ "$job" = bench ]; then
		# hvm-bench prints a line per round and backend.
		LAB_SILENCE=900
	else
		LAB_SILENCE=$((LAB_DEMO_TIMEOUT + 60))
	fi
	# Test timeouts are in guest seconds; an emulator whose guest clock
	# runs slow says how long a silent test may take in wall seconds.
	[ "${LAB_VENDOR_SILENCE:-0}" -gt "$LAB_SILENCE" ] &&
		LAB_SILENCE=$LAB_VENDOR_SILENCE
fi
for n in "$LAB_TEST_TIMEOUT" "$LAB_DEMO_TIMEOUT" "$LAB_TIMEOUT" "$LAB_SILENCE"; do
	[[ "$n" =~ ^[1-9][0-9]*$ ]] || die "timeouts must be positive integers (got '$n')"
done
# shellcheck source=follow.sh
. "$LAB_DIR/follow.sh"

HVM_KO=$(realpath -m "$HVM_KO")
LAB_ROOT=$(realpath -m "$LAB_ROOT")
mkdir -p "$BUILD/lab"
LAB_RUN_NAME=${LAB_RUN_NAME:-$VENDOR-$job}
[[ "$LAB_RUN_NAME" =~ ^[A-Za-z0-9._-]+$ ]] || die "LAB_RUN_NAME must be a plain file name (got '$LAB_RUN_NAME')"
# One run of a name at a time in a build tree: its files are its own
# (check.sh runs several names side by side, one emulator per core).
exec 9>"$BUILD/lab/.lock-$LAB_RUN_NAME"
if ! flock -n 9; then
	echo "lab: another $LAB_RUN_NAME lab run is using $BUILD/lab; waiting for it"
	flock 9
fi
run_dir=$BUILD/lab/$LAB_RUN_NAME
mkdir -p "$run_dir"
# What the emulator itself prints (vendor-*.sh send it here).
emulator_out=$run_dir/emulator.out

# The vendor code may keep sockets and such in LAB_TMP_DIR.
LAB_TMP_DIR=""
trap '[ -z "$LAB_TMP_DIR" ] || rm -rf "$LAB_TMP_DIR"' EXIT
lab_vendor_prepare || die "the $VENDOR lab cannot start (see above)"

# Single quotes survive busybox sh; a quote inside becomes '\''.
sh_quote() {
	printf "'%s'" "${1//\'/\'\\\'\'}"
}

job_dir=$run_dir/job
rm -rf "$job_dir"
mkdir -p "$job_dir"
list=$LAB_ROOT/selftests/list
if [ "$job" = bench ]; then
	[ -x "$LAB_ROOT/selftests/hvm-bench" ] ||
		die "no $LAB_ROOT/selftests/hvm-bench (run make)"
	echo hvm-bench >"$job_dir/list"
	list=$job_dir/list
elif [ -n "${LAB_TESTS:-}" ]; then
	for name in $LAB_TESTS; do
		[ -x "$LAB_ROOT/selftests/$name" ] ||
			die "LAB_TESTS: no test $name in $LAB_ROOT/selftests"
		echo "$name"
	done >"$job_dir/list"
	list=$job_dir/list
elif [ -f "$list" ]; then
	cp "$list" "$job_dir/list"
fi

{
	echo "LAB_JOB=$job"
	echo "LAB_TEST_TIMEOUT=$LAB_TEST_TIMEOUT"
	echo "LAB_DEMO_TIMEOUT=$LAB_DEMO_TIMEOUT"
	echo "LAB_DEMO_CMD=$(sh_quote "$DEMO_CMD")"
	echo "LAB_BENCH_ARGS=$(sh_quote "${BENCH_ARGS:-}")"
} >"$job_dir/job"

initramfs=$run_dir/initramfs.cpio.gz
LAB_MODULES=${LAB_MODULES:-} "$LAB_DIR/mkinitramfs.sh" "$initramfs" "$HVM_KO" "$LAB_ROOT" "$job_dir" ||
	die "could not build the initramfs (see above)"

console=$run_dir/console.log
rc_file=$run_dir/qemu.rc
pid_file=$run_dir/qemu.pid
rm -f "$rc_file" "$rc_file.hung" "$pid_file" "$console"

started=$(date +%s.%N)
echo "lab: booting $KVER ($VENDOR, $LAB_KERNEL_FILE), job $job, timeout ${LAB_TIMEOUT}s, silence limit ${LAB_SILENCE}s"
(
	lab_vendor_boot "$initramfs" "$console" "$LAB_TIMEOUT"
	echo "$LAB_PID" >"$pid_file"
	wait "$LAB_PID"
	echo $? >"$rc_file"
) &
boot_pid=$!
follow_console "$console" "$rc_file" "$pid_file" "$LAB_SILENCE" | show_console_events
wait "$boot_pid"
lab_vendor_status "$(cat "$rc_file")"
[ -e "$rc_file.hung" ] && LAB_END=hung
wall=$(echo "$started $(date +%s.%N)" | awk '{ printf "%.1f", $2 - $1 }')
echo "lab: guest ended ($LAB_END) after ${wall}s"
if [ "$LAB_END" = error ]; then
	echo "lab: the emulator failed (exit $(cat "$rc_file")):"
	sed 's/^/  /' "$emulator_out" | tail -n 20
fi

if [ "$LAB_RUN_NAME" = "$VENDOR-check" ]; then
	log=$BUILD/lab-$VENDOR-console.log
else
	log=$BUILD/lab-$LAB_RUN_NAME-console.log
fi
cp "$console" "$log" 2>/dev/null || : >"$log"

# lab_refused CONSOLE_LOG: true when the log shows a clean refusal: insmod
# failed with ENODEV, the backend said why in one line of its own ("hvm:
# $VENDOR: ...", once per attempt: busybox insmod tries init_module() after
# finit_module()), and the kernel did not complain: no oops, BUG or WARN()
# (whose "WARNING:" starts the message; Debian's "Speculative Return Stack
# Overflow: WARNING: ..." under TCG does not).  ktap-report.awk's
# kernel_problem() is the full list for test runs.
lab_refused() {
	local log=$1
	grep -q '@@hvm-lab: insmod failed.*No such device' "$log" &&
		[ "$(grep -o "hvm: $VENDOR: .*" "$log" | sort -u | wc -l)" -eq 1 ] &&
		! grep -qE 'BUG:|Oops|general protection|Call Trace|(^|\] )WARNING: ' "$log"
}

if [ "$job" = refusal ]; then
	[ -n "${LAB_REFUSAL_CPU:-}" ] ||
		die "the $VENDOR lab has no CPU to refuse (LAB_REFUSAL_CPU)"
	if [ "$LAB_END" = 'done' ] && lab_refused "$log"; then
		echo "ok 1 refusal: hvm.ko refused to load cleanly (${log#"$TOP"/})"
		echo "1 passed, 0 failed"
		exit 0
	fi
	echo "not ok 1 refusal: no clean refusal (guest $LAB_END; ${log#"$TOP"/})"
	echo "0 passed, 1 failed"
	exit 1
fi

report_job=$job
[ "$job" = bench ] && report_job=check
awk -v job="$report_job" -v lab_end="$LAB_END" -v lab_timeout="$LAB_TIMEOUT" \
	-v lab_silence="$LAB_SILENCE" \
	-v test_timeout="$LAB_TEST_TIMEOUT" -v log_path="${log#"$TOP"/}" \
	-v list_file="$list" \
	-f "$LAB_DIR/ktap-report.awk" "$log"
status=$?
[ "$job" = bench ] || exit $status

# hvm-bench's output, between its test markers: the "json {...}" line and
# the table (rows and '#' lines).  Saved even when the run failed, for
# whatever rows it has.
mkdir -p "$BENCH_OUT"
bench_out=$(sed -n '/@@hvm-lab: test begin hvm-bench/,/@@hvm-lab: test end hvm-bench/p' "$log" |
	tr -d '\r' | grep -v '@@hvm-lab: ')
grep '^json {' <<<"$bench_out" | tail -n 1 | sed 's/^json //' \
	>"$BENCH_OUT/results-$VENDOR.json"
# The table: hvm-bench's header line and rows, not its progress notes.
grep -v '^json {' <<<"$bench_out" | grep -v '^\[ *[0-9]*\.[0-9]*\]' |
	grep -v '^# hvm-bench: round' >"$BENCH_OUT/table-$VENDOR.txt"
[ -s "$BENCH_OUT/results-$VENDOR.json" ] || {
	rm -f "$BENCH_OUT/results-$VENDOR.json"
	echo "lab: hvm-bench printed no results"
	status=1
}
echo "lab: $VENDOR bench table (${BENCH_OUT#"$TOP"/}/table-$VENDOR.txt):"
cat "$BENCH_OUT/table-$VENDOR.txt"
exit $status
