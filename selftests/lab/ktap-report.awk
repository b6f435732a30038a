# SPDX-License-Identifier: GPL-2.0
#
# Judge a lab console log (written by selftests/lab/init) on the host.
#
#   awk -v job=check|demo -v lab_end=done|timeout|hung|reset|error \
#       -v lab_timeout=S -v lab_silence=S -v test_timeout=S \
#       -v log_path=PATH -v list_file=PATH -f ktap-report.awk CONSOLE_LOG
#
# check: prints each test binary's top-level KTAP results and totals, then
# "N passed, N failed[, N skipped]" as the very last line; exits 1 on any
# failure.  demo: reports lab problems and exits with the demo's status
# (125 when the demo could not run, 124 when it did not finish).
#
# Counting: a binary's "# Totals:" line gives pass+xfail passed,
# fail+xpass+error failed and skip skipped.  A binary without totals counts
# as one passed if it exited 0 in time, else as one failed.  One more failure
# is counted for a binary whose exit contradicts clean totals, for a kernel
# problem while it ran, and for each lab-level problem (no boot, insmod
# failure, guest hang or crash, kernel problem outside any test).  A listed
# test that never ran is one failure.

# Kernel messages that mean something went wrong, whatever the test said.
# Beside oopses and WARN()s: the reports of the debug kernel's checkers
# (KASAN, UBSAN, lockdep and RCU lockdep, whose headlines are
# "WARNING: <what>" at the start of the message, the atomic-sleep checks,
# kmemleak's scan summary).  Debian's "Speculative Return Stack Overflow:
# WARNING: ..." under TCG does not start with WARNING and does not match.
function kernel_problem(s,    msg) {
	msg = s
	sub(/^\[ *[0-9]+\.[0-9]+\] /, "", msg)
	return s ~ /WARNING: CPU: [0-9]+ PID: [0-9]+/ || s ~ /WARNING: at / ||
	       msg ~ /^WARNING: / ||
	       s ~ /BUG: / || s ~ /kernel BUG at / || s ~ /Oops: / ||
	       s ~ /general protection fault/ || s ~ /Call Trace:/ ||
	       s ~ /KASAN: / || s ~ /UBSAN: / || s ~ /Kernel panic - / ||
	       s ~ /possible circular locking/ ||
	       s ~ /inconsistent lock state/ ||
	       s ~ /sleeping function called from invalid context/ ||
	       s ~ /scheduling while atomic/ ||
	       s ~ /unreferenced object 0x/ ||
	       s ~ /kmemleak: [0-9]+ new suspected memory leaks/ ||
	       s ~ /blocked for more than [0-9]+ seconds/ ||
	       s ~ /detected stalls? on CPU/
}

function note_problem(where, s) {
	sub(/^\[ *[0-9]+\.[0-9]+\] /, "", s)
	if (!(where in problem))
		problem[where] = s
}

function content(s) {
	# kmemleak's report (debug lab): no timestamps, one block per object.
	if (section == "kmemleak" && in_leaks) {
		if (s ~ /^unreferenced object 0x/)
			nleaks++
		if (s != "" && nleak_lines < 40)
			leak_line[++nleak_lines] = s
		return
	}
	if (s ~ /^\[ *[0-9]+\.[0-9]+\] / || in_kmsg) {
		if (kernel_problem(s))
			note_problem(section == "test" ? "test:" cur : section, s)
		# The module's own last words say why it refused to load.
		if (section == "insmod" && in_kmsg && s != "" &&
		    s !~ /taints kernel|tainting kernel/) {
			insmod_kmsg = s
			sub(/^\[ *[0-9]+\.[0-9]+\] /, "", insmod_kmsg)
		}
		if (in_kmsg) {
			if (section == "test" && s != "") {
				nkmsg[cur]++
				kmsg[cur, nkmsg[cur]] = s
			}
			return
		}
	}
	if (section != "test" || (cur in ended))
		return
	nout[cur]++
	out[cur, nout[cur]] = s
	if (s ~ /^# Totals: pass:[0-9]+ fail:[0-9]+ xfail:[0-9]+ xpass:[0-9]+ skip:[0-9]+ error:[0-9]+/) {
		split(s, f, /[ :]+/)
		totals[cur] = s
		t_pass[cur] = f[4]; t_fail[cur] = f[6]; t_xfail[cur] = f[8]
		t_xpass[cur] = f[10]; t_skip[cur] = f[12]; t_error[cur] = f[14]
	} else if (s ~ /^(not )?ok [0-9]+/) {
		nres[cur]++
		res[cur, nres[cur]] = s
	}
}

function marker(b,    n, w, i, kv) {
	n = split(b, w, " ")
	if (w[1] == "boot") {
		booted = 1
		boot_info = substr(b, 6)
		section = "boot"
	} else if (w[1] == "kmsg") {
		in_kmsg = (w[2] == "begin")
	} else if (w[1] == "insmod") {
		section = "insmod"
		if (w[2] == "ok")
			insmod_ok = 1
		else
			insmod_failed = substr(b, index(b, ": ") + 2)
	} else if (w[1] == "test" && w[2] == "begin") {
		section = "test"
		cur = w[3]
		started[cur] = 1
		last_started = cur
	} else if (w[1] == "test" && w[2] == "end") {
		for (i = 4; i <= n; i++) {
			split(w[i], kv, "=")
			if (kv[1] == "status")
				status[w[3]] = kv[2]
			else if (kv[1] == "time")
				elapsed[w[3]] = kv[2]
		}
		ended[w[3]] = 1
	} else if (w[1] == "test" && w[2] == "missing") {
		missing[w[3]] = 1
	} else if (w[1] == "timeout") {
		if (section == "test")
			timed_out[cur] = 1
		else if (section == "demo")
			demo_timed_out = 1
	} else if (w[1] == "demo" && w[2] == "begin") {
		section = "demo"
		demo_started = 1
	} else if (w[1] == "demo" && w[2] == "end") {
		split(w[3], kv, "=")
		demo_status = kv[2]
		demo_ended = 1
	} else if (w[1] == "kmemleak") {
		section = "kmemleak"
		in_leaks = (w[2] == "begin")
		leak_scan = 1
	} else if (w[1] == "lockdep" && w[2] == "on") {
		lockdep_on = 1
	} else if (w[1] == "error") {
		lab_error[++nlab_error] = substr(b, 7)
	} else if (w[1] == "done") {
		section = "end"
		done = 1
	}
}

function lab_fail(why) {
	print "not ok - lab: " why
	failed++
}

function where_it_stopped() {
	if (!booted)
		return "before /init started"
	if (!insmod_ok && insmod_failed == "")
		return "while loading hvm.ko"
	if (section == "test" && !(cur in ended))
		return "during " cur
	if (section == "demo" && !demo_ended)
		return "during the demo"
	return "after " (last_started != "" ? last_started : "loading hvm.ko")
}

function how_it_ended() {
	if (lab_end == "timeout")
		return "was killed after " lab_timeout " s"
	if (lab_end == "hung")
		return "hung (no console output for " lab_silence " s)"
	if (lab_end == "reset")
		return "panicked or rebooted"
	if (lab_end == "error")
		return "could not run (emulator error)"
	return "stopped without finishing"
}

# Lab-level verdicts shared by both jobs; returns 1 if the job could run.
function judge_lab(    k) {
	if (!booted) {
		lab_fail("the guest " how_it_ended() " before /init started; see " log_path)
		return 0
	}
	if (insmod_failed != "") {
		sub(/ +$/, "", insmod_failed)
		lab_fail("insmod /hvm/hvm.ko failed: " insmod_failed \
			 (insmod_kmsg != "" ? " (kernel: " insmod_kmsg ")" : ""))
		return 0
	}
	for (k = 1; k <= nlab_error; k++)
		lab_fail(lab_error[k])
	if (!done)
		lab_fail("the guest " how_it_ended() " " where_it_stopped())
	if ("boot" in problem)
		lab_fail("kernel problem before hvm.ko was loaded: " problem["boot"])
	if ("insmod" in problem)
		lab_fail("kernel problem while loading hvm.ko: " problem["insmod"])
	if ("end" in problem)
		lab_fail("kernel problem after the last test: " problem["end"])
	if ("kmemleak" in problem && !nleaks)
		lab_fail("kernel problem during the kmemleak scan: " problem["kmemleak"])
	if (nleaks) {
		lab_fail("kmemleak: " nleaks " unreferenced object" \
			 (nleaks > 1 ? "s" : "") " at the end of the run")
		print "    kmemleak report" (nleak_lines == 40 ? " (first 40 lines)" : "") ":"
		for (k = 1; k <= nleak_lines; k++)
			print "    | " leak_line[k]
	}
	return 1
}

function show_output(t,    last, first, k) {
	last = nout[t]
	# Markers start on a fresh line: drop the empty lines they made.
	while (last > 0 && out[t, last] == "")
		last--
	first = last > 40 ? last - 39 : 1
	print "    output of " t (first > 1 ? " (last 40 lines)" : "") ":"
	for (k = first; k <= last; k++)
		print "    | " out[t, k]
	if (!nkmsg[t])
		return
	# The head of a kernel report says the most: show the start.
	last = nkmsg[t] > 40 ? 40 : nkmsg[t]
	print "    kernel log after " t (last < nkmsg[t] ? " (first 40 lines)" : "") ":"
	for (k = 1; k <= last; k++)
		print "    | " kmsg[t, k]
}

function judge_test(t,    st, bad, why, k, f) {
	if (t in missing) {
		print "not ok - " t ": not found in /hvm/selftests"
		failed++
		return
	}
	if (!(t in started)) {
		print "not ok - " t ": not run"
		failed++
		return
	}
	if (!(t in ended)) {
		print "not ok - " t ": the guest " how_it_ended() " while it ran" \
		      ((("test:" t) in problem) ? " # kernel: " problem["test:" t] : "")
		failed++
		show_output(t)
		return
	}
	st = status[t]
	print t ": " (st == "stuck" ? "still running" : "exit " st) " after " elapsed[t] " s"
	for (k = 1; k <= nres[t]; k++)
		print "    " res[t, k]
	bad = 0
	why = ""
	if (t in totals) {
		print "    " totals[t]
		f = t_fail[t] + t_xpass[t] + t_error[t]
		passed += t_pass[t] + t_xfail[t]
		failed += f
		skipped += t_skip[t]
		bad = f > 0
		if (f > 0)
			why = f " failed"
		if (st != 0 && !(st == 4 && f == 0)) {
			why = why (why != "" ? ", " : "") exit_reason(t, st)
			if (f == 0) {
				failed++
				bad = 1
			}
		}
	} else if (st == 0 && !(t in timed_out)) {
		passed++
		why = "no KTAP totals, counted by its exit status"
	} else {
		failed++
		bad = 1
		why = exit_reason(t, st) " without KTAP totals"
	}
	if (("test:" t) in problem) {
		why = why (why != "" ? ", " : "") "kernel: " problem["test:" t]
		if (!bad)
			failed++
		bad = 1
	}
	print (bad ? "not ok - " : "ok - ") t (why != "" ? " # " why : "")
	if (bad)
		show_output(t)
}

function exit_reason(t, st) {
	if (st == "stuck")
		return "timed out after " test_timeout " s and survived SIGKILL"
	if (t in timed_out)
		return "timed out after " test_timeout " s"
	if (st > 128)
		return "killed by signal " (st - 128)
	return "exited with status " st
}

BEGIN {
	section = "boot"
	ntests = 0
	if (job == "check") {
		while ((r = (getline name < list_file)) > 0) {
			sub(/[ \t].*/, "", name)
			if (name != "" && name !~ /^#/)
				tests[++ntests] = name
		}
		if (r < 0)
			no_list = 1
	}
}

{
	sub(/\r$/, "")
	at = index($0, "@@hvm-lab: ")
	if (at) {
		if (at > 1)
			content(substr($0, 1, at - 1))
		marker(substr($0, at + 11))
	} else {
		content($0)
	}
}

END {
	if (job == "demo") {
		ok = judge_lab()
		if ("demo" in problem)
			print "lab: kernel problem during the demo: " problem["demo"]
		if (!ok || !demo_started) {
			print "lab: the demo could not run; see " log_path
			exit 125
		}
		if (!demo_ended || demo_status == "stuck") {
			print "lab: the demo did not finish; see " log_path
			exit 124
		}
		if (demo_timed_out)
			print "lab: the demo was stopped after its time limit"
		print "lab: the demo exited with status " demo_status
		exit demo_status
	}

	if (booted)
		print "lab: " boot_info
	if (lockdep_on)
		print "lab: lockdep stayed on to the end of the run"
	if (leak_scan)
		print "lab: kmemleak scanned at the end of the run"
	if (no_list)
		lab_fail("cannot read " list_file " (selftests/Makefile writes it)")
	else if (ntests == 0)
		lab_fail("no tests listed in " list_file)
	if (judge_lab())
		for (i = 1; i <= ntests; i++)
			judge_test(tests[i])
	else
		for (i = 1; i <= ntests; i++) {
			print "not ok - " tests[i] ": not run"
			failed++
		}
	if (failed)
		print "# full console log: " log_path
	summary = (passed + 0) " passed, " (failed + 0) " failed"
	if (skipped > 0)
		summary = summary ", " skipped " skipped"
	print summary
	exit failed > 0
}
