#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: hvm-bench (hvm against KVM) in each vendor's lab, one boot
# each (lab.sh bench), then the labs' results in one file:
#
#   $BENCH_OUT/results.json  {"date", "host", "hvm_ko", "labs": {"svm":
#                            {...}, "vmx": {...}}}, each lab's object being
#                            hvm-bench's own (every round's values, medians,
#                            min, max, ratio)
#   $BENCH_OUT/table-<vendor>.txt   each lab's table, printed at the end
#
#   VENDOR=all (default)  svm (QEMU, -cpu EPYC) and vmx (Bochs, skylake_x)
#   VENDOR=svm | vmx      that lab alone
#   BENCH_PARALLEL=0      one lab after the other (default: side by side
#                         when there is a core for each, as check.sh does;
#                         each lab compares hvm and KVM inside one boot, so
#                         the other lab's load costs both the same)
#   BENCH_ARGS, BENCH_OUT, LAB_BENCH_TIMEOUT: see lab.sh
#   HVM_KO                the module measured (e.g. an older build)
set -uo pipefail

LAB_DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$LAB_DIR/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
BENCH_OUT=${BENCH_OUT:-$BUILD/bench}
HVM_KO=${HVM_KO:-$TOP/module/hvm.ko}
VENDOR=${VENDOR:-all}
export BUILD BENCH_OUT HVM_KO

case "$VENDOR" in
all)	vendors=(svm vmx) ;;
svm|vmx) vendors=("$VENDOR") ;;
*)
	echo "bench: VENDOR must be all, svm or vmx (got '$VENDOR')" >&2
	exit 2 ;;
esac
parallel=${BENCH_PARALLEL:-}
if [ -z "$parallel" ]; then
	parallel=0
	[ "$(nproc)" -ge "${#vendors[@]}" ] && parallel=1
fi
if [[ " ${vendors[*]} " == *" vmx "* ]]; then
	bash "$LAB_DIR/install-deps.sh" lab-vmx || exit 2
fi

mkdir -p "$BENCH_OUT"
started_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
for vendor in "${vendors[@]}"; do
	rm -f "$BENCH_OUT/results-$vendor.json" "$BENCH_OUT/table-$vendor.txt"
done

run_vendor() {
	VENDOR=$1 LAB_RUN_NAME=$1-bench bash "$LAB_DIR/lab.sh" bench
}

status=0
if [ "$parallel" = 1 ] && [ "${#vendors[@]}" -gt 1 ]; then
	echo "bench: the ${vendors[*]} labs run side by side; their reports follow one after the other"
	pids=()
	for vendor in "${vendors[@]}"; do
		run_vendor "$vendor" >"$BENCH_OUT/$vendor.out" 2>&1 &
		pids+=($!)
	done
	trap 'kill "${pids[@]}" 2>/dev/null' EXIT
	i=0
	for vendor in "${vendors[@]}"; do
		tail -n +1 -f --pid="${pids[$i]}" "$BENCH_OUT/$vendor.out"
		wait "${pids[$i]}" || status=1
		i=$((i + 1))
	done
	trap - EXIT
else
	for vendor in "${vendors[@]}"; do
		run_vendor "$vendor" || status=1
	done
fi

# A JSON string from a shell word: the values here never hold quotes or
# backslashes except in paths, which are escaped.
json_str() {
	local s=${1//\\/\\\\}
	printf '"%s"' "${s//\"/\\\"}"
}

{
	printf '{"date":%s,"host":{"nproc":%s,"loadavg_start":%s,"loadavg_end":%s,"parallel":%s},' \
		"$(json_str "$started_at")" "$(nproc)" "$(json_str "$load_start")" \
		"$(json_str "$(cut -d' ' -f1-3 /proc/loadavg)")" \
		"$([ "$parallel" = 1 ] && echo true || echo false)"
	printf '"hvm_ko":%s,"hvm_ko_sha256":%s,"labs":{' "$(json_str "$HVM_KO")" \
		"$(json_str "$(sha256sum "$HVM_KO" 2>/dev/null | cut -d' ' -f1)")"
	sep=""
	for vendor in "${vendors[@]}"; do
		[ -s "$BENCH_OUT/results-$vendor.json" ] || continue
		printf '%s"%s":%s' "$sep" "$vendor" "$(cat "$BENCH_OUT/results-$vendor.json")"
		sep=,
	done
	printf '}}\n'
} >"$BENCH_OUT/results.json"

# The labs side by side: the medians and their ratio, per lab.
echo
echo "bench: hvm.ko ${HVM_KO#"$TOP"/}, started $started_at, host load $load_start"
tables=()
for vendor in "${vendors[@]}"; do
	if [ -s "$BENCH_OUT/table-$vendor.txt" ]; then
		tables+=("$BENCH_OUT/table-$vendor.txt")
	else
		echo "bench: no results from the $vendor lab"
		status=1
	fi
done
[ "${#tables[@]}" -gt 0 ] && awk '
	FNR == 1 { lab[++nlabs] = FILENAME; sub(/.*table-/, "", lab[nlabs]); sub(/\.txt$/, "", lab[nlabs]) }
	/^#/ || NF < 5 { next }
	{
		if (!($1 in unit)) { order[++nrows] = $1; unit[$1] = $2 }
		cell[$1, nlabs] = sprintf("%10s %10s %7s", $3, $4, $5)
	}
	END {
		printf "%-18s %-7s", "metric", "unit"
		for (l = 1; l <= nlabs; l++)
			printf "  %-30s", lab[l] ": hvm, kvm, hvm/kvm"
		printf "\n"
		for (r = 1; r <= nrows; r++) {
			printf "%-18s %-7s", order[r], unit[order[r]]
			for (l = 1; l <= nlabs; l++)
				printf "  %-30s", ((order[r], l) in cell) ? cell[order[r], l] : "-"
			printf "\n"
		}
	}' "${tables[@]}"
echo "bench: results in ${BENCH_OUT#"$TOP"/}/results.json"
exit $status
