# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Live view of the lab console while the guest runs; sourced by lab.sh.
# Lab events become one "lab: ..." line each; the demo's own output is shown
# as it comes.  The verdict comes later from ktap-report.awk, on the whole
# log.  Plain bash because mawk reads a pipe in blocks and would sit on
# lines until its buffer fills.

# follow_console LOG RC_FILE PID_FILE SILENCE: copy the growing LOG to stdout
# until RC_FILE appears (the guest is gone).  `tail -f --pid` cannot do it:
# our own child stays a zombie, and so "alive", until we wait for it.
# /init prints something at least every test timeout (a timeout marker if
# nothing else), so SILENCE seconds without output mean the guest kernel
# itself is stuck.  Then ask the vendor code for backtraces (it has 20 s to
# make the guest print them and stop), stop the emulator instead of waiting
# for LAB_TIMEOUT, and leave RC_FILE.hung behind to say why.
follow_console() {
	local console=$1 rc_file=$2 pid_file=$3 silence=$4
	local offset=0 size finished quiet_since=$SECONDS hung_at=""
	while :; do
		finished=0
		[ -e "$rc_file" ] && finished=1
		size=$(stat -c %s "$console" 2>/dev/null || echo 0)
		[ "$size" -ge "$offset" ] || offset=0
		if [ "$size" -gt "$offset" ]; then
			tail -c +$((offset + 1)) "$console" | head -c $((size - offset))
			offset=$size
			quiet_since=$SECONDS
		elif [ $finished -eq 0 ] && [ -z "$hung_at" ] &&
		     [ $((SECONDS - quiet_since)) -ge "$silence" ]; then
			: >"$rc_file.hung"
			echo "lab: no console output for ${silence}s: the guest hangs; asking it for backtraces" >&2
			hung_at=$SECONDS
			if declare -F lab_vendor_hung >/dev/null; then
				lab_vendor_hung
			fi
		fi
		if [ $finished -eq 0 ] && [ -n "$hung_at" ] &&
		   [ $((SECONDS - hung_at)) -ge 20 ] && [ -s "$pid_file" ]; then
			kill -TERM "$(cat "$pid_file")" 2>/dev/null
			hung_at=$((SECONDS + 3600))
		fi
		[ $finished -eq 1 ] && return 0
		sleep 0.5
	done
}

# Reads console lines on stdin, prints the live view.  Wall seconds since
# the emulator started go beside the guest's own times: Bochs's guest clock
# runs far slower than real time, and the lanes of make check are balanced
# by wall time.
show_console_events() {
	local line body in_demo=0 held_empty=0 prefix began=$SECONDS test_began=$SECONDS
	local -a w
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line%$'\r'}
		if [[ "$line" != *"@@hvm-lab: "* ]]; then
			[ $in_demo -eq 1 ] || continue
			# Markers start on a fresh line, leaving an empty line
			# before them: hold empty lines back until real output
			# follows.
			if [ -z "$line" ]; then
				held_empty=$((held_empty + 1))
				continue
			fi
			for ((; held_empty > 0; held_empty--)); do echo; done
			printf '%s\n' "$line"
			continue
		fi
		prefix=${line%%@@hvm-lab: *}
		[ $in_demo -eq 1 ] && [ -n "$prefix" ] && printf '%s\n' "$prefix"
		held_empty=0
		body=${line#*@@hvm-lab: }
		read -r -a w <<<"$body"
		case "${w[0]} ${w[1]:-}" in
		"boot "*)	echo "lab: /init started: ${body#boot }" ;;
		"insmod ok")	echo "lab: hvm.ko loaded (wall $((SECONDS - began)) s after start)" ;;
		"insmod failed") echo "lab: $body" ;;
		"test begin")	echo "lab: running ${w[2]}"; test_began=$SECONDS ;;
		"test end")	echo "lab: ${w[2]} finished: ${w[*]:3} wall=$((SECONDS - test_began))" ;;
		"test missing"|"timeout "*|"error "*) echo "lab: $body" ;;
		"demo begin")
			echo "lab: running the demo: ${body#demo begin }"
			echo "---- demo output ----"
			in_demo=1 ;;
		"demo end")
			in_demo=0
			echo "---- end of demo output (${w[2]}) ----" ;;
		esac
	done
}
