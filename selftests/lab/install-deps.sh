#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install the Debian packages a make target needs, and only the missing ones.
#
#   install-deps.sh GROUP...
#   install-deps.sh release SERIES
#
# GROUP: build, lint, lab (= lab-svm), lab-svm (QEMU), lab-vmx (Bochs),
# debug (what building a kernel from linux-source-6.1 needs), install
# (`make install`: the manual pages need rst2man), package (building and
# testing the Debian packages: selftests/package-test.sh).
#
# Silent and quick (one dpkg-query) when everything is present, so that every
# make target can call it.  KVER (environment) names the kernel hvm.ko is
# built against: the build needs linux-headers-$KVER and the lab
# linux-image-$KVER, not merely the newest of each.
#
# `release SERIES` (e.g. 6.12) prints the newest Debian amd64 kernel release
# of that series: installed headers first, otherwise the newest
# linux-headers-SERIES.*-amd64 package apt knows (the Makefile's KVER=6.12).
set -euo pipefail

if [ "${1:-}" = release ]; then
	series=${2:-}
	[[ "$series" =~ ^[0-9]+\.[0-9]+$ ]] || {
		echo "install-deps.sh: release wants a series such as 6.12 (got '$series')" >&2
		exit 2
	}
	# The generic flavour only: not -cloud-amd64 or -rt-amd64.
	pattern="^linux-headers-${series//./\\.}\\.[0-9][0-9a-z.+~]*(-[0-9]+)?-amd64\$"
	found=$(find /usr/src -maxdepth 1 -name "linux-headers-$series.*-amd64" \
		-printf '%f\n' | { grep -E "$pattern" || true; } | sort -V | tail -n1)
	if [ -z "$found" ]; then
		found=$(apt-cache pkgnames "linux-headers-$series." 2>/dev/null |
			{ grep -E "$pattern" || true; } | sort -V | tail -n1)
	fi
	if [ -z "$found" ]; then
		echo "install-deps.sh: no linux-headers-$series.*-amd64 installed or known to apt (apt-get update?)" >&2
		exit 1
	fi
	echo "${found#linux-headers-}"
	exit 0
fi

build_pkgs=(build-essential linux-headers-amd64 linux-source-6.1
	    busybox-static cpio gzip xz-utils sparse perl kmod libcapstone-dev)
lint_pkgs=("${build_pkgs[@]}")
# zstd: Debian's 6.12 kernels are ZSTD-compressed (vendor-svm.sh unpacks).
lab_svm_pkgs=("${build_pkgs[@]}" qemu-system-x86 linux-image-amd64 zstd)
lab_vmx_pkgs=("${build_pkgs[@]}" bochs bochsbios vgabios bochs-term xorriso
	      isolinux syslinux-common bsdutils linux-image-amd64)
# Kernel build: kconfig (flex, bison), bc, objtool (libelf), the
# certificate tools (libssl).
debug_pkgs=("${lab_svm_pkgs[@]}" linux-source-6.1 flex bison bc libelf-dev
	    libssl-dev)

# python3-docutils: rst2man, for the manual pages.
install_pkgs=("${build_pkgs[@]}" python3-docutils)
# What debian/control's Build-Depends and the packages' Depends name;
# lintian and pkg-config for selftests/package-test.sh.
package_pkgs=("${install_pkgs[@]}" dpkg-dev debhelper dh-dkms dkms fakeroot
	      lintian adduser pkg-config)

wanted=()
for group in "$@"; do
	case "$group" in
	build)		wanted+=("${build_pkgs[@]}") ;;
	lint)		wanted+=("${lint_pkgs[@]}") ;;
	lab|lab-svm)	wanted+=("${lab_svm_pkgs[@]}") ;;
	lab-vmx)	wanted+=("${lab_vmx_pkgs[@]}") ;;
	debug)		wanted+=("${debug_pkgs[@]}") ;;
	install)	wanted+=("${install_pkgs[@]}") ;;
	package)	wanted+=("${package_pkgs[@]}") ;;
	*)
		echo "install-deps.sh: unknown group '$group' (build, lint, lab, lab-svm, lab-vmx, debug, install, package)" >&2
		exit 2 ;;
	esac
done
[ ${#wanted[@]} -gt 0 ] || { echo "usage: install-deps.sh GROUP..." >&2; exit 2; }

lab_wanted=0
for group in "$@"; do
	case "$group" in lab|lab-*) lab_wanted=1 ;; esac
done

apt_updated=0
# Packages from the argument list whose status is not "install ok installed".
missing_of() {
	local -A installed=()
	local pkg status
	while read -r pkg status; do
		[ "$status" = "install ok installed" ] && installed[$pkg]=1
	done < <(dpkg-query -W -f='${Package} ${Status}\n' "$@" 2>/dev/null || true)
	for pkg in "$@"; do
		[ -n "${installed[$pkg]:-}" ] || echo "$pkg"
	done
}

install_missing() {
	local -a missing
	mapfile -t missing < <(missing_of "$@" | sort -u)
	[ ${#missing[@]} -gt 0 ] || return 0
	echo "install-deps: installing ${missing[*]}" >&2
	local sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || {
			echo "install-deps: need root to install: ${missing[*]}" >&2
			exit 1
		}
		sudo=(sudo)
	fi
	if [ $apt_updated -eq 0 ]; then
		"${sudo[@]}" apt-get update -qq >&2
		apt_updated=1
	fi
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# A KVER other than the default series needs its own headers package.
if [ -n "${KVER:-}" ] && [ ! -d "/usr/src/linux-headers-$KVER" ]; then
	wanted+=("linux-headers-$KVER")
fi
install_missing "${wanted[@]}"

# The lab boots the very kernel whose headers built hvm.ko: a module built
# for one ABI is refused (or worse, misbehaves) on another.
if [ $lab_wanted -eq 1 ]; then
	kver=${KVER:-}
	if [ -z "$kver" ]; then
		kver=$(find /usr/src -maxdepth 1 -name 'linux-headers-6.1.*-amd64' \
			-printf '%f\n' | sed 's/^linux-headers-//' | sort -V | tail -n1)
	fi
	[ -n "$kver" ] || { echo "install-deps: no linux-headers-*-amd64 found" >&2; exit 1; }
	[ -e "/boot/vmlinuz-$kver" ] || install_missing "linux-image-$kver"
fi
