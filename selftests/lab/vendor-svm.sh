# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# shellcheck disable=SC2034 # LAB_* results are read by lab.sh
#
# AMD SVM lab: QEMU in TCG mode with -cpu EPYC (SVM + NPT, no KVM needed).
# Sourced by lab.sh, which calls lab_vendor_prepare and then lab_vendor_boot.
# A lab for another vendor (Intel VMX under Bochs) is a vendor-vmx.sh that
# defines the same two functions and sets the same variables.
#
# Inputs (from lab.sh): KVER, BUILD, LAB_DIR; run_dir (this run's files)
# and emulator_out (where the emulator's own output goes).
# Tunables: LAB_KERNEL_FORMAT (vmlinux or bzimage), LAB_KERNEL (a file),
# LAB_KERNEL_ARGS (appended to the command line), LAB_MEM (MiB, default 1024),
# LAB_CPU (QEMU CPU model, default EPYC: SVM + NPT), LAB_REFUSAL_CPU (model
# for the job "refusal", default EPYC,-npt: SVM without nested paging,
# where hvm.ko must refuse to load: -ENODEV and one dmesg line),
# LAB_QEMU_ARGS (appended to QEMU's arguments, split at spaces: e.g.
# "-d int -D /tmp/qemu.log" logs every interrupt and exception QEMU
# delivers, guest-mode ones included).

LAB_QEMU=${LAB_QEMU:-qemu-system-x86_64}
LAB_CPU=${LAB_CPU:-EPYC}
LAB_REFUSAL_CPU=${LAB_REFUSAL_CPU:-EPYC,-npt}
# One TCG thread runs both CPUs.  QEMU 7.2's multi-threaded TCG now and
# then resumes the host's code after VMRUN as if it were the guest's (the
# VMCB comes back with the host's RIP and an NPF on the host's stack), and
# once a CPU of the lab stopped taking interrupts in the middle of
# fuzz_ioctl_test: Documentation/testing.rst has the evidence.
LAB_ACCEL=${LAB_ACCEL:-tcg,thread=single}
# The uncompressed ELF boots through the PVH entry point and skips both the
# real-mode setup code and the XZ decompression, which are slow under TCG:
# Documentation/testing.rst has the measurements.
LAB_KERNEL_FORMAT=${LAB_KERNEL_FORMAT:-vmlinux}
LAB_MEM=${LAB_MEM:-1024}
# Two NUMA nodes, so that guest_memory_test can migrate guest pages while
# the guest runs: node 0 has both CPUs and LAB_MEM - LAB_NODE1_MEM MiB,
# node 1 only memory (LAB_NODE1_MEM MiB).  The total stays LAB_MEM;
# LAB_NODE1_MEM=0 boots one node.
LAB_NODE1_MEM=${LAB_NODE1_MEM:-256}

# Print the path of the uncompressed kernel, extracting it once from the
# bzImage.  The header fields are from Documentation/x86/boot.rst: the
# protected-mode part starts after (setup_sects + 1) sectors, and the
# compressed payload sits payload_offset bytes into it.  Debian's 6.1 uses
# XZ, its 6.12 ZSTD (both checked by their magic); the build appends the
# 4-byte decompressed size to XZ and ZSTD streams, which zstd would take for
# a second, broken frame, so it is cut off (gzip carries its own size).
lab_svm_vmlinux() {
	local bzimage=$1 out=$2
	if [ -s "$out" ] && [ "$out" -nt "$bzimage" ]; then
		echo "$out"
		return 0
	fi
	local setup_sects payload_offset payload_length start magic trailer=4 tmp
	local -a unpack
	setup_sects=$(od -An -t u1 -j $((0x1f1)) -N 1 "$bzimage" | tr -d ' ')
	payload_offset=$(od -An -t u4 -j $((0x248)) -N 4 "$bzimage" | tr -d ' ')
	payload_length=$(od -An -t u4 -j $((0x24c)) -N 4 "$bzimage" | tr -d ' ')
	start=$(((setup_sects + 1) * 512 + payload_offset))
	magic=$(od -An -t x1 -j "$start" -N 4 "$bzimage" | tr -d ' ')
	case "$magic" in
	fd377a58)	unpack=(xz -dc --single-stream) ;;
	28b52ffd)	unpack=(zstd -dcq) ;;
	1f8b*)		unpack=(gzip -dc); trailer=0 ;;
	*)
		echo "lab: $bzimage: unknown compression (magic $magic); use LAB_KERNEL_FORMAT=bzimage" >&2
		return 1 ;;
	esac
	command -v "${unpack[0]}" >/dev/null || {
		echo "lab: ${unpack[0]} is needed to unpack $bzimage (make deps-lab)" >&2
		return 1
	}
	# Runs side by side may extract at once: each into its own file,
	# renamed into place whole.
	tmp=$(mktemp "$out.XXXXXX") || return 1
	if ! dd if="$bzimage" iflag=skip_bytes,count_bytes skip="$start" \
		count="$((payload_length - trailer))" status=none |
		"${unpack[@]}" >"$tmp" 2>/dev/null ||
		[ "$(head -c 4 "$tmp" | od -An -t x1 | tr -d ' ')" != 7f454c46 ]; then
		rm -f "$tmp"
		echo "lab: could not extract an ELF vmlinux from $bzimage" >&2
		return 1
	fi
	mv "$tmp" "$out"
	echo "$out"
}

lab_vendor_prepare() {
	local bzimage=/boot/vmlinuz-$KVER
	# $job is lab.sh's.
	[ "${job:-}" = refusal ] && LAB_CPU=$LAB_REFUSAL_CPU
	if [ -n "${LAB_KERNEL:-}" ]; then
		LAB_KERNEL_FILE=$LAB_KERNEL
	elif [ ! -r "$bzimage" ]; then
		echo "lab: $bzimage missing: the lab must boot the kernel hvm.ko was built for ($KVER)" >&2
		return 1
	elif [ "$LAB_KERNEL_FORMAT" = bzimage ]; then
		LAB_KERNEL_FILE=$bzimage
	elif [ "$LAB_KERNEL_FORMAT" = vmlinux ]; then
		LAB_KERNEL_FILE=$(lab_svm_vmlinux "$bzimage" "$BUILD/lab/vmlinux-$KVER") || return 1
	else
		echo "lab: LAB_KERNEL_FORMAT must be vmlinux or bzimage" >&2
		return 1
	fi
	command -v "$LAB_QEMU" >/dev/null || {
		echo "lab: $LAB_QEMU not found (make deps-lab installs qemu-system-x86)" >&2
		return 1
	}
	# For the QMP socket: a unix socket path must stay under 108 bytes
	# and the work tree may be deep.  lab.sh removes it at exit.
	LAB_TMP_DIR=$(mktemp -d /tmp/hvm-lab.XXXXXX)
}

# lab_vendor_boot INITRAMFS CONSOLE_LOG TIMEOUT_SECONDS
# Starts the guest in the background and sets LAB_PID to the process to wait
# for.  lab_vendor_status turns that process's exit code into LAB_END.
lab_vendor_boot() {
	local initramfs=$1 console=$2 limit=$3
	local -a extra numa=()
	read -r -a extra <<<"${LAB_QEMU_ARGS:-}"
	if [ "$LAB_NODE1_MEM" -gt 0 ] && [ "$LAB_NODE1_MEM" -lt "$LAB_MEM" ]; then
		numa=(-object "memory-backend-ram,id=ram0,size=$((LAB_MEM - LAB_NODE1_MEM))M"
		      -object "memory-backend-ram,id=ram1,size=${LAB_NODE1_MEM}M"
		      -numa node,nodeid=0,cpus=0-1,memdev=ram0
		      -numa node,nodeid=1,memdev=ram1)
	fi
	rm -f "$console"
	# -nodefaults: no VGA, no NIC (and so no option ROM to find), no
	# floppy or CD; the only device we add is the exit port.
	timeout -k 10 "$limit" "$LAB_QEMU" \
		-nodefaults -no-user-config -accel "$LAB_ACCEL" -cpu "$LAB_CPU" \
		-smp 2 -m "$LAB_MEM" "${numa[@]}" -display none -monitor none \
		-serial "file:$console" -no-reboot \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-qmp "unix:$LAB_TMP_DIR/qmp.sock,server=on,wait=off" \
		-kernel "$LAB_KERNEL_FILE" -initrd "$initramfs" \
		"${extra[@]}" \
		-append "console=ttyS0 panic=-1 quiet printk.time=1 $LAB_NMI_ARGS ${LAB_KERNEL_ARGS:-}" \
		</dev/null >"$emulator_out" 2>&1 &
	LAB_PID=$!
}

# A hung guest gets an NMI on every CPU; with these it panics and prints
# the backtrace of every CPU on the way, so the log shows where each was
# stuck (unless it sits with GIF or NMIs blocked: then nothing comes).
LAB_NMI_ARGS="unknown_nmi_panic=1 panic_print=0x40"

# lab_vendor_hung: the console went silent; ask for backtraces (see above).
# First, while the CPUs still stand where they stopped, QEMU's own view of
# every CPU's registers goes to cpu-state.txt in the run's directory, and
# each CPU's RIP, RFLAGS, CPL and CS to the log: that still says something
# when the guest can no longer print (a CPU stuck with interrupts off
# holding the console).  QMP needs no client package: perl's IO::Socket::UNIX is in
# perl-base.  timeout: QMP waits for QEMU's big lock, which a wedged CPU
# thread may hold.
lab_vendor_hung() {
	# run_dir is lab.sh's.
	# shellcheck disable=SC2154
	local state=$run_dir/cpu-state.txt
	# The perl program is single-quoted on purpose.
	# shellcheck disable=SC2016
	timeout 15 perl -MIO::Socket::UNIX -e '
		my $qmp = IO::Socket::UNIX->new(Peer => $ARGV[0]) or exit 1;
		$qmp->autoflush(1);
		sub reply { while (my $l = <$qmp>) { return $l if $l =~ /"(return|error)"/; } return ""; }
		<$qmp>;
		print $qmp "{\"execute\": \"qmp_capabilities\"}\n";
		reply();
		print $qmp "{\"execute\": \"human-monitor-command\", \"arguments\": {\"command-line\": \"info registers -a\"}}\n";
		my $regs = reply();
		$regs =~ s/\\r//g; $regs =~ s/\\n/\n/g; $regs =~ s/\\"/"/g;
		# Closed before the NMI: QEMU may exit at once, and a write to
		# its socket then ends perl by SIGPIPE, unflushed.
		if (open(my $out, ">", $ARGV[1])) {
			print $out $regs;
			close $out;
		}
		print $qmp "{\"execute\": \"inject-nmi\"}\n";
		reply();
	' "$LAB_TMP_DIR/qmp.sock" "$state" 2>/dev/null
	[ -s "$state" ] || return 0
	echo "lab: CPU state at the hang (${state#"$TOP"/}):" >&2
	awk '/^CPU#/ { cpu = $1 } /^RIP=/ { rip = $1; fl = $2; cpl = $4 }
	     /^CS =/ { print "lab:   " cpu " " rip " " fl " " cpl " CS" $2 }' "$state" >&2
}

# lab_vendor_status EXIT_CODE: LAB_END := done | timeout | reset | error
lab_vendor_status() {
	case "$1" in
	85)		LAB_END='done' ;;		# /init wrote 0x2a to port 0xf4
	124|137)	LAB_END=timeout ;;
	0)		LAB_END=reset ;;	# panic (panic=-1) or reboot, -no-reboot
	*)		LAB_END=error ;;
	esac
}
