#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# `make lint`: checkpatch --strict on module/ and uapi/, then one build of a
# copy of the module sources with W=1 (extra compiler warnings) and C=1
# (sparse on every file, since the copy is fresh).  Prints every problem and
# exits 1 if there was any.
#
# Environment: KDIR, BUILD (from the Makefile).
set -uo pipefail

LAB_DIR=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$LAB_DIR/../.." && pwd)
BUILD=${BUILD:-$TOP/build}
KDIR=${KDIR:?KDIR is not set (no linux-headers-*-amd64 installed?)}
SOURCE_TARBALL=${SOURCE_TARBALL:-$(find /usr/src -maxdepth 1 -name 'linux-source-*.tar.xz' | sort -V | tail -n1)}
lint_dir=$BUILD/lint
scripts=$lint_dir/scripts

mkdir -p "$lint_dir"
cd "$TOP" || exit 2

# checkpatch looks for spelling.txt and const_structs.checkpatch beside
# itself.  They come from the kernel source package and are never part of
# this repository.
if [ ! -x "$scripts/checkpatch.pl" ] || [ ! -f "$scripts/spelling.txt" ] ||
   [ ! -f "$scripts/const_structs.checkpatch" ]; then
	[ -n "$SOURCE_TARBALL" ] || { echo "lint: no /usr/src/linux-source-*.tar.xz (make deps-lint)" >&2; exit 2; }
	echo "lint: extracting checkpatch.pl from $SOURCE_TARBALL"
	tar -xJf "$SOURCE_TARBALL" -C "$lint_dir" --strip-components=1 --wildcards \
		'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
		'*/scripts/const_structs.checkpatch' || exit 2
fi

mapfile -t sources < <(find module uapi -type f \( -name '*.[ch]' -o -name '*.S' \) \
	! -name '*.mod.c' | LC_ALL=C sort)
if [ ${#sources[@]} -eq 0 ]; then
	echo "lint: no sources under module/ or uapi/" >&2
	exit 2
fi

problems=0

echo "lint: checkpatch --strict on ${#sources[@]} files"
for f in "${sources[@]}"; do
	if ! out=$(perl "$scripts/checkpatch.pl" --strict --no-tree --quiet \
			--show-types -f "$f" 2>&1); then
		echo "$out"
		problems=$((problems + 1))
	fi
done

# A private copy: its objects never mix with those of `make module`, and a
# fresh tree makes C=1 check every file.
tree=$lint_dir/tree
rm -rf "$tree"
mkdir -p "$tree"
find Kbuild module uapi -type f \( -name '*.[chS]' -o -name Kbuild -o -name Makefile \) \
	! -name '*.mod.c' -print0 | cpio --quiet -p -0 -d "$tree"

echo "lint: sparse (C=1) and W=1 build"
log=$lint_dir/build.log
make -C "$KDIR" M="$tree" W=1 C=1 modules >"$log" 2>&1
build_status=$?
if [ $build_status -ne 0 ]; then
	cat "$log"
	echo "lint: the W=1 build failed (exit $build_status)"
	problems=$((problems + 1))
elif grep -E "warning:|error:" "$log" | sed "s|$tree/||"; then
	problems=$((problems + 1))
fi

# Symbols newer kernels export to KVM's modules only (the list names its
# source): hvm.ko must not need them, or it would not load there.
restricted=$LAB_DIR/kvm-only-exports.txt
ko=$(find "$tree" -name hvm.ko | head -n1)
if [ $build_status -eq 0 ] && [ -n "$ko" ]; then
	echo "lint: hvm.ko against the KVM-only exports ($(grep -cv '^\(#\|$\)' "$restricted") in ${restricted#"$TOP"/})"
	imported=$(nm -u "$ko" | awk '{print $2}' | LC_ALL=C sort -u)
	while read -r word sym; do
		case $word in
		''|'#'*) continue ;;
		pending)
			grep -qx -- "$sym" <<<"$imported" &&
				echo "lint: note: hvm.ko still imports KVM-only $sym (pending, issue 16)"
			continue ;;
		esac
		if grep -qx -- "$word" <<<"$imported"; then
			echo "lint: hvm.ko imports $word, exported to KVM's modules only on newer kernels"
			problems=$((problems + 1))
		fi
	done <"$restricted"
fi

if [ $problems -ne 0 ]; then
	echo "lint: problems found (full build output: ${log#"$TOP"/})"
	exit 1
fi
echo "lint: clean"
