# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Intel VMX lab: Bochs 2.7 emulating a CPU with VMX, EPT, VPID and
# unrestricted guest (no KVM needed).  Sourced by lab.sh, which calls
# lab_vendor_prepare, lab_vendor_boot and lab_vendor_status (see
# vendor-svm.sh for the contract).
#
# Bochs cannot load a kernel directly: the kernel and the lab's initramfs go
# on an isolinux CD image.  A guest poweroff makes bochs exit 1 (ACPI soft
# off counts as a panic), so the end is judged from /init's "done" marker
# in the serial log instead of the exit code.
#
# Inputs (from lab.sh): KVER, BUILD, LAB_DIR; run_dir (this run's files)
# and emulator_out (where the emulator's own output goes).
# Tunables:
#   LAB_BOCHS_CPU  Bochs CPU model (default corei7_skylake_x: VMX + EPT +
#                  VPID + unrestricted guest).
#   LAB_REFUSAL_CPU  model for the job "refusal" (default core2_penryn_t9600:
#                  VMX without EPT, VPID or unrestricted guest), where hvm.ko
#                  must refuse to load: -ENODEV and one dmesg line.
#   LAB_BOCHS_MEGS guest memory in MiB (default 512).
#   LAB_BOCHS_CPUS CPUs (default 1; 2 exercises VMCS migration between
#                  CPUs but roughly doubles the run time).
#   LAB_KERNEL_ARGS extra kernel arguments, appended.  The lab adds some
#                  itself, for what Bochs's CPU models report (see
#                  lab_vendor_prepare).
#   LAB_KERNEL     kernel image to boot (default /boot/vmlinuz-$KVER).
#
# The LAB_* variables set here are read by lab.sh, which sources this file.
# shellcheck disable=SC2034

LAB_VENDOR_DEPS=lab-vmx
# The lab's silence limit (lab.sh) at least this: the guest clock runs so
# slowly that a quiet test takes minutes of wall time: decoder_test's
# capstone fuzz (now a host test) printed nothing for about 2 minutes on
# an idle machine, and a make check with a second Bochs and a build beside
# it passed 180 s.
LAB_VENDOR_SILENCE=600
# The whole run's limit (lab.sh's LAB_TIMEOUT) at least this: an idle
# machine runs the suite in about 6 minutes of wall time, but the boot
# alone stretches to several minutes when other emulators share the cores.
LAB_VENDOR_TIMEOUT=1200
LAB_BOCHS=${LAB_BOCHS:-bochs}
LAB_BOCHS_CPU=${LAB_BOCHS_CPU:-corei7_skylake_x}
LAB_BOCHS_MEGS=${LAB_BOCHS_MEGS:-512}
LAB_BOCHS_CPUS=${LAB_BOCHS_CPUS:-1}
LAB_REFUSAL_CPU=${LAB_REFUSAL_CPU:-core2_penryn_t9600}
LAB_ISOLINUX_BIN=${LAB_ISOLINUX_BIN:-/usr/lib/ISOLINUX/isolinux.bin}
LAB_LDLINUX_C32=${LAB_LDLINUX_C32:-/usr/lib/syslinux/modules/bios/ldlinux.c32}

lab_vendor_prepare() {
	# $job is lab.sh's.
	[ "${job:-}" = refusal ] && LAB_BOCHS_CPU=$LAB_REFUSAL_CPU
	[[ "$LAB_BOCHS_CPUS" =~ ^[1-8]$ ]] || {
		echo "lab: LAB_BOCHS_CPUS must be 1 to 8 (got '$LAB_BOCHS_CPUS')" >&2
		return 1
	}
	LAB_BOCHS_CPU_ARGS=
	# skylake_x's XSAVE area size (2432) disagrees with its feature bits
	# (2688): the kernel WARNs and turns XSAVE off anyway; noxsave reaches
	# the same state without the WARN.
	#
	# Its CPUID leaf 0x15 names a crystal clock, and the kernel then takes
	# the APIC timer's rate from it instead of measuring it.  Bochs's APIC
	# timer does not count at that rate: the tick came so often that the
	# debug kernel spent all its time in the tick handler and took over
	# 20 minutes to boot (sampled with Bochs's debugger; testing.rst).
	# With tsc_early_khz (that model's 3.5 GHz) the kernel skips leaf
	# 0x15 and measures the APIC timer against the PIT.
	[ "$LAB_BOCHS_CPU" = corei7_skylake_x ] &&
		LAB_BOCHS_CPU_ARGS="noxsave tsc_early_khz=3500000"
	# Bochs sets CPUID.1:EDX.HTT with 0 logical processors in EBX[23:16]
	# (count=N: N single-thread processors); from that the kernel computes
	# a shift by -1, which a UBSAN kernel reports (apic_flat_64.c).  There
	# are no hyper-threads to describe.
	LAB_BOCHS_CPU_ARGS+=" clearcpuid=ht"
	# Bochs's guest clock runs far slower than real time (the TSC ticks
	# per emulated instruction at an assumed 3.5 GHz): tests bounded in
	# guest seconds learn it from this variable (the kernel hands unknown
	# NAME=VALUE arguments to /init's environment).
	LAB_BOCHS_CPU_ARGS+=" HVM_LAB_SLOW_CLOCK=1"
	LAB_KERNEL_FILE=${LAB_KERNEL:-/boot/vmlinuz-$KVER}
	if [ ! -r "$LAB_KERNEL_FILE" ]; then
		echo "lab: $LAB_KERNEL_FILE missing: the lab must boot the kernel hvm.ko was built for ($KVER)" >&2
		return 1
	fi
	local tool
	for tool in "$LAB_BOCHS" xorriso script; do
		command -v "$tool" >/dev/null || {
			echo "lab: $tool not found (make deps-lab VENDOR=vmx installs bochs and the ISO tools)" >&2
			return 1
		}
	done
	for tool in "$LAB_ISOLINUX_BIN" "$LAB_LDLINUX_C32" \
		/usr/share/bochs/BIOS-bochs-latest /usr/share/vgabios/vgabios.bin; do
		[ -r "$tool" ] || {
			echo "lab: $tool missing (install isolinux, syslinux-common, bochsbios, vgabios)" >&2
			return 1
		}
	done
}

# lab_vmx_iso INITRAMFS ISO: an isolinux CD with the kernel and initramfs.
lab_vmx_iso() {
	local initramfs=$1 iso=$2 tree
	tree=$(mktemp -d "$run_dir/iso.XXXXXX") || return 1
	mkdir -p "$tree/isolinux" "$tree/boot"
	cp "$LAB_ISOLINUX_BIN" "$LAB_LDLINUX_C32" "$tree/isolinux/"
	cp "$LAB_KERNEL_FILE" "$tree/boot/vmlinuz"
	cp "$initramfs" "$tree/boot/initrd.gz"
	cat >"$tree/isolinux/isolinux.cfg" <<-EOF
	SERIAL 0 115200
	DEFAULT lab
	PROMPT 0
	TIMEOUT 0
	LABEL lab
	  KERNEL /boot/vmlinuz
	  APPEND initrd=/boot/initrd.gz console=ttyS0 quiet panic=-1 printk.time=1 $LAB_BOCHS_CPU_ARGS ${LAB_KERNEL_ARGS:-}
	EOF
	xorriso -as mkisofs -quiet -o "$iso" -R -J -V HVMLAB \
		-b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot \
		-boot-load-size 4 -boot-info-table "$tree" >/dev/null 2>&1
	local rc=$?
	rm -rf "$tree"
	return $rc
}

# lab_vendor_boot INITRAMFS CONSOLE_LOG TIMEOUT_SECONDS
# Starts the guest in the background and sets LAB_PID to the process to wait
# for.  lab_vendor_status turns that process's exit code into LAB_END.
lab_vendor_boot() {
	local initramfs=$1 console=$2 limit=$3
	local dir=$run_dir/bochs
	mkdir -p "$dir"
	rm -f "$console" "$dir/bochs.log"
	if ! lab_vmx_iso "$initramfs" "$dir/lab.iso"; then
		echo "lab: could not build the ISO (xorriso failed)" >"$emulator_out"
		false &
		LAB_PID=$!
		return
	fi
	# "error: action=ignore": the Penryn model logs every APERF/MPERF
	# read otherwise and the log grows without bound.
	cat >"$dir/bochsrc" <<-EOF
	cpu: model=$LAB_BOCHS_CPU, count=$LAB_BOCHS_CPUS, ips=50000000, reset_on_triple_fault=1
	megs: $LAB_BOCHS_MEGS
	romimage: file=/usr/share/bochs/BIOS-bochs-latest
	vgaromimage: file=/usr/share/vgabios/vgabios.bin
	ata0-master: type=cdrom, path=$dir/lab.iso, status=inserted
	boot: cdrom
	com1: enabled=1, mode=file, dev=$console
	display_library: term
	mouse: enabled=0
	speaker: enabled=0
	sound: driver=dummy
	log: $dir/bochs.log
	debug: action=ignore
	info: action=ignore
	error: action=ignore
	panic: action=fatal
	EOF
	# Debian's bochs has the debugger built in: "c" runs, "q" quits.
	printf 'c\nq\n' >"$dir/dbg.rc"
	# Without the script(1) pty wrapper bochs ignores SIGTERM and timeout
	# could not stop it; the term display needs a terminal anyway.  Every
	# path in bochsrc is absolute, so the working directory does not
	# matter; LAB_PID is timeout itself, so that SIGTERM to it stops bochs.
	TERM=dumb timeout -k 10 "$limit" script -qfec \
		"$LAB_BOCHS -q -f $dir/bochsrc -rc $dir/dbg.rc" /dev/null \
		</dev/null >"$emulator_out" 2>&1 &
	LAB_PID=$!
}

# lab_vendor_status EXIT_CODE: LAB_END := done | timeout | reset | error
lab_vendor_status() {
	# lab.sh's console log; the marker, not the exit code, tells the end.
	local log=${console:-$BUILD/lab/vmx-check/console.log}
	case "$1" in
	124|137)
		LAB_END=timeout
		return ;;
	esac
	if grep -q '@@hvm-lab: done' "$log" 2>/dev/null; then
		LAB_END='done'
	elif grep -q '@@hvm-lab: boot' "$log" 2>/dev/null; then
		LAB_END=reset		# the guest died after /init started
	else
		LAB_END=error
	fi
}
