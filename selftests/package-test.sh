#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages as a user meets them, on the build machine (no lab):
# build them from a copy of the tree with `dpkg-buildpackage -b -us -uc`,
# run lintian, install them, check that DKMS built hvm.ko for Debian's 6.1
# and 6.12 kernels, check what `dpkg -L` lists, run the tools, link a
# program against the installed libhvm, then remove and purge and check
# that nothing of them is left.  Needs root (it installs packages); on a
# host that already has hvm installed it refuses rather than touch that.
#
# Prints KTAP, one result per step, and "N passed, N failed" last; exits 1
# on any failure.  A failed step skips the ones that need it (counted as
# failed).  Logs go to $BUILD/package-test/.  Takes 2-4 minutes on an idle
# 2-core machine, most of it the two DKMS builds and lintian.
set -uo pipefail

TEST_DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$TEST_DIR/.." && pwd)
BUILD=${BUILD:-$TOP/build}
LAB_DIR=$TEST_DIR/lab
work=$BUILD/package-test
packages=(hvm-dkms hvm-tools libhvm1 libhvm-dev)

version=$(sed -n '1s/^hvm (\([0-9][0-9.]*\)[-)].*/\1/p' "$TOP/debian/changelog")
nr=0 passed=0 failed=0
installed=0

# result OK NAME [DETAIL...]: one KTAP line; the details (a log's tail) as
# KTAP diagnostics under a failure.
step_started=$SECONDS
result() {
	local ok=$1 name=$2
	shift 2
	nr=$((nr + 1))
	echo "# $name: $((SECONDS - step_started)) s"
	step_started=$SECONDS
	if [ "$ok" = 1 ]; then
		passed=$((passed + 1))
		echo "ok $nr $name"
	else
		failed=$((failed + 1))
		echo "not ok $nr $name"
		[ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/# /'
	fi
}

# The steps an early stop leaves out count as failed: the plan is 12.
finish() {
	while [ "$nr" -lt 12 ]; do
		result 0 package_not_run "an earlier step failed"
	done
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

# A run stopped half-way must not leave the packages on the machine.
cleanup() {
	if [ "$installed" = 1 ]; then
		dpkg -P "${packages[@]}" >>"$work/cleanup.log" 2>&1
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "KTAP version 1"
echo "1..12"

mkdir -p "$BUILD"
rm -rf "$work"
mkdir -p "$work/out"

if [ "$(id -u)" -ne 0 ]; then
	result 0 package_test_root "installing packages needs root"
	finish
fi

# ---- 1: the build dependencies and the kernels' headers -------------------
# 6.1 as the Makefile's default KVER; 6.12 through install-deps.sh, which
# installs its headers only when they are missing.
newest_61() {
	find /usr/src -maxdepth 1 -name 'linux-headers-6.1.*-amd64' -printf '%f\n' |
		sed 's/^linux-headers-//' | sort -V | tail -n1
}
bash "$LAB_DIR/install-deps.sh" package >"$work/deps.log" 2>&1
k61=$(newest_61)
k612=$(bash "$LAB_DIR/install-deps.sh" release 6.12 2>>"$work/deps.log")
[ -n "$k612" ] && KVER=$k612 bash "$LAB_DIR/install-deps.sh" package >>"$work/deps.log" 2>&1
if [ -n "$k61" ] && [ -n "$k612" ] && [ -d "/lib/modules/$k61/build" ] &&
   [ -d "/lib/modules/$k612/build" ]; then
	result 1 package_deps
else
	result 0 package_deps "6.1: '$k61', 6.12: '$k612'" "$(tail -n 5 "$work/deps.log")"
	finish
fi

# ---- 2: the packages build ---------------------------------------------
# From a copy of the tree (tracked and new files, not build products):
# dpkg-buildpackage writes the .debs next to the source directory.
mkdir -p "$work/out/src"
if git -C "$TOP" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$TOP" && git ls-files -z --cached --others --exclude-standard) |
		(cd "$TOP" && xargs -0 cp --parents -t "$work/out/src")
else
	# An unpacked tarball: everything but what .gitignore names.
	tar -C "$TOP" --exclude=./build --exclude=./debian/build \
		--exclude-from="$TOP/.gitignore" -cf - . | tar -C "$work/out/src" -xf -
fi
if (cd "$work/out/src" && dpkg-buildpackage -b -us -uc) >"$work/build.log" 2>&1; then
	ok=1
	for p in "${packages[@]}"; do
		compgen -G "$work/out/${p}_${version}_*.deb" >/dev/null || ok=0
	done
	result $ok package_build "packages missing in $work/out"
else
	result 0 package_build "$(tail -n 10 "$work/build.log")"
	finish
fi
debs=()
for p in "${packages[@]}"; do
	debs+=("$(compgen -G "$work/out/${p}_${version}_*.deb")")
done

# ---- 3: lintian ------------------------------------------------------------
# Errors and warnings fail; info and pedantic tags are shown in the log.
if lintian --fail-on error,warning --display-info "$work/out/hvm_${version}_amd64.changes" \
	>"$work/lintian.log" 2>&1; then
	result 1 package_lintian
else
	result 0 package_lintian "$(grep -E '^[EW]:' "$work/lintian.log" | head -n 20)"
fi

# ---- 4: a clean host ---------------------------------------------------------
# An hvm the user installed (packages, make install-dkms) is theirs: never
# install over it or purge it.  The hvm group may predate the test (make
# install, an earlier install of the packages): it is left alone.
group_before=0
getent group hvm >/dev/null && group_before=1
busy=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q ' installed$' &&
		busy+=("package $p")
done
compgen -G '/usr/src/hvm-*' >/dev/null && busy+=(/usr/src/hvm-*)
[ -d /var/lib/dkms/hvm ] && busy+=(/var/lib/dkms/hvm)
if [ ${#busy[@]} -eq 0 ]; then
	result 1 package_host_clean
else
	result 0 package_host_clean "hvm is already on this host: ${busy[*]}"
	finish
fi

# ---- 5: install; DKMS builds hvm.ko for 6.1 and 6.12 -----------------------
installed=1
if dpkg -i "${debs[@]}" >"$work/install.log" 2>&1; then
	result 1 package_install
else
	result 0 package_install "$(tail -n 15 "$work/install.log")"
	finish
fi

# dkms_built KVER: hvm.ko is installed for KVER and was built for it.
dkms_built() {
	local kver=$1 ko
	dkms status -m hvm -v "$version" -k "$kver" 2>/dev/null | grep -q ': installed' ||
		return 1
	ko=$(compgen -G "/lib/modules/$kver/updates/dkms/hvm.ko*" | head -n1)
	[ -n "$ko" ] && modinfo -F vermagic "$ko" | grep -q "^$kver "
}
for k in "$k61" "$k612"; do
	if dkms_built "$k"; then
		result 1 "package_dkms_$k"
	else
		result 0 "package_dkms_$k" "$(dkms status 2>&1)" "$(tail -n 15 "$work/install.log")"
	fi
done

# ---- 8: what the packages hold -------------------------------------------
for p in "${packages[@]}"; do
	dpkg -L "$p" >"$work/$p.list"
done
want=("hvm-tools /usr/bin/hvm-run" "hvm-tools /usr/bin/hvm-helper"
      "hvm-tools /usr/share/man/man1/hvm-run.1.gz"
      "hvm-tools /usr/share/man/man1/hvm-helper.1.gz"
      "hvm-tools /usr/share/man/man1/hvm-stat.1.gz"
      "libhvm1 /usr/lib/x86_64-linux-gnu/libhvm.so.1"
      "libhvm-dev /usr/lib/x86_64-linux-gnu/libhvm.so"
      "libhvm-dev /usr/lib/x86_64-linux-gnu/libhvm.a"
      "libhvm-dev /usr/lib/x86_64-linux-gnu/pkgconfig/libhvm.pc"
      "libhvm-dev /usr/include/libhvm.h" "libhvm-dev /usr/include/linux/hvm.h"
      "hvm-dkms /usr/src/hvm-$version/dkms.conf"
      "hvm-dkms /usr/src/hvm-$version/module/main.c"
      "hvm-dkms /lib/udev/rules.d/60-hvm.rules"
      "hvm-dkms /usr/share/man/man4/hvm.4.gz"
      "hvm-dkms /usr/share/doc/hvm-dkms/security.rst.gz")
missing=()
for w in "${want[@]}"; do
	grep -qx "${w#* }" "$work/${w%% *}.list" || missing+=("$w")
done
# Every program has its manual page.
while read -r prog; do
	grep -qx "/usr/share/man/man1/$(basename "$prog").1.gz" "$work/hvm-tools.list" ||
		missing+=("hvm-tools man page of $prog")
done < <(grep '^/usr/bin/' "$work/hvm-tools.list")
getent group hvm >/dev/null || missing+=("the hvm group")
[ "$group_before" = 1 ] &&
	echo "# the hvm group existed before: postinst's addgroup not exercised"
if [ ${#missing[@]} -eq 0 ]; then
	result 1 package_contents
else
	result 0 package_contents "missing: ${missing[@]}"
fi

# ---- 9: the tools --------------------------------------------------------
# --version names the release, --help the usage; both exit 0.  Neither
# needs /dev/hvm.
bad=()
while read -r prog; do
	name=$(basename "$prog")
	out=$("$prog" --version 2>&1) || bad+=("$name --version exited $?")
	[[ "$out" == "$name $version "* ]] || bad+=("$name --version said '$out'")
	out=$("$prog" --help 2>&1) || bad+=("$name --help exited $?")
	[[ "$out" == Usage:* ]] || bad+=("$name --help said '${out:0:60}'")
done < <(grep '^/usr/bin/' "$work/hvm-tools.list")
if [ ${#bad[@]} -eq 0 ]; then
	result 1 package_tools
else
	result 0 package_tools "${bad[@]}"
fi

# ---- 10: a program built against the installed libhvm-dev ------------------
# Through pkg-config, dynamically linked: it finds libhvm.so.1 and gets
# -ENOENT or an fd from hvm_open() (no hvm.ko here, or one loaded).
cat >"$work/uselib.c" <<'EOF'
#include <errno.h>
#include <stdio.h>
#include <libhvm.h>

int main(void)
{
	int fd = hvm_open();

	printf("hvm_open: %d api %d\n", fd, HVM_API_VERSION);
	return fd >= 0 || fd == -ENOENT || fd == -EACCES ? 0 : 1;
}
EOF
if [ "$(pkg-config --modversion libhvm 2>&1)" = "$version" ] &&
   gcc -std=c11 -Wall -Wextra -Werror -o "$work/uselib" "$work/uselib.c" \
	$(pkg-config --cflags --libs libhvm) >"$work/uselib.log" 2>&1 &&
   ldd "$work/uselib" >>"$work/uselib.log" 2>&1 &&
   grep -q 'libhvm.so.1 => /' "$work/uselib.log" &&
   "$work/uselib" >>"$work/uselib.log" 2>&1; then
	result 1 package_libhvm_dev
else
	result 0 package_libhvm_dev "pkg-config: $(pkg-config --modversion libhvm 2>&1)" \
		"$(tail -n 5 "$work/uselib.log")"
fi

# ---- 11: remove: the module goes from every kernel ---------------------------
if dpkg -r "${packages[@]}" >"$work/remove.log" 2>&1 &&
   ! compgen -G '/lib/modules/*/updates/dkms/hvm.ko*' >/dev/null &&
   ! dkms status 2>/dev/null | grep -q '^hvm[,/]' &&
   [ ! -e /usr/bin/hvm-run ]; then
	result 1 package_remove
else
	result 0 package_remove "$(compgen -G '/lib/modules/*/updates/dkms/hvm.ko*')" \
		"$(dkms status 2>&1)" "$(tail -n 10 "$work/remove.log")"
fi

# ---- 12: purge: nothing is left ---------------------------------------------
# No package state, no file any package listed (directories shared with
# other packages, such as /usr/bin, stay), no DKMS tree.  The hvm group
# stays, as Debian leaves system groups: files outside the packages may
# still name it.
left=()
if dpkg -P "${packages[@]}" >"$work/purge.log" 2>&1; then
	installed=0
else
	left+=("dpkg -P failed: $(tail -n 3 "$work/purge.log")")
fi
for p in "${packages[@]}"; do
	dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^[a-z][^n]' &&
		left+=("package $p: $(dpkg-query -W -f='${db:Status-Abbrev}' "$p")")
	while read -r f; do
		[ -e "$f" ] && [ ! -d "$f" ] && left+=("$f")
	done <"$work/$p.list"
done
for d in "/usr/src/hvm-$version" /var/lib/dkms/hvm /usr/share/doc/hvm-dkms \
	 /usr/share/doc/hvm-tools /usr/share/doc/libhvm1 /usr/share/doc/libhvm-dev; do
	[ -e "$d" ] && left+=("$d")
done
if [ ${#left[@]} -eq 0 ]; then
	result 1 package_purge
else
	result 0 package_purge "left: ${left[*]}"
fi

finish
