#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The debug lab's kernel: build it once, then reuse it.
#
#   debug-kernel.sh build    build (or resume) the kernel if needed; print
#                            the shell variables below on stdout
#   debug-kernel.sh key      print the cache directory only, build nothing
#
# Source: Debian's linux-source-6.1 (/usr/src/linux-source-6.1.tar.xz).
# Config: `make x86_64_defconfig`, then every line of debug-kernel.config
# through scripts/config, then `make olddefconfig`; every line is checked to
# have taken effect (an option whose dependencies are missing would silently
# fall out otherwise).
#
# Cache: $HVM_CACHE/debug-kernel/<source version>-<hash>/ (HVM_CACHE defaults
# to ~/.cache/hvm), the hash over the fragment's settings (comments do not
# count) and the compiler's version line.  In it: linux/ (the built tree: KDIR for hvm.ko), modules/
# (modules_install of the kvm modules and the like), build.log, and
# complete (written last: its presence means the rest is usable).  An
# interrupted build resumes where make stopped.  Old entries are not
# removed: `rm -rf ~/.cache/hvm/debug-kernel` frees the space (about 3 GB
# per entry).
#
# Output of `build` (for eval):
#   DEBUG_KDIR=...      kbuild tree to build hvm.ko against (M=)
#   DEBUG_KVER=...      its kernel release
#   DEBUG_BZIMAGE=...   the kernel the lab boots
#   DEBUG_MODULES=...   INSTALL_MOD_PATH root: lib/modules/$DEBUG_KVER/...
set -euo pipefail

LAB_DIR=$(cd "$(dirname "$0")" && pwd)
FRAGMENT=$LAB_DIR/debug-kernel.config
SOURCE_PACKAGE=${SOURCE_PACKAGE:-linux-source-6.1}
SOURCE_TARBALL=${SOURCE_TARBALL:-/usr/src/$SOURCE_PACKAGE.tar.xz}
HVM_CACHE=${HVM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hvm}
JOBS=${JOBS:-$(nproc)}

job=${1:-}
case "$job" in
build|key) ;;
*)
	echo "usage: debug-kernel.sh build|key" >&2
	exit 2 ;;
esac

log() {
	echo "debug-kernel: $*" >&2
}

[ -r "$SOURCE_TARBALL" ] || {
	log "$SOURCE_TARBALL missing (make deps installs $SOURCE_PACKAGE)"
	exit 1
}
version=$(dpkg-query -W -f='${Version}' "$SOURCE_PACKAGE" 2>/dev/null) || {
	log "package $SOURCE_PACKAGE is not installed"
	exit 1
}
config_hash=$( { grep -E '^(CONFIG_|# CONFIG_[A-Za-z0-9_]+ is not set)' "$FRAGMENT";
	gcc --version | head -n1; } | sha256sum | cut -c1-12)
entry=$HVM_CACHE/debug-kernel/$version-$config_hash
tree=$entry/linux

if [ "$job" = key ]; then
	echo "$entry"
	exit 0
fi

print_result() {
	local release
	release=$(cat "$tree/include/config/kernel.release")
	echo "DEBUG_KDIR=$tree"
	echo "DEBUG_KVER=$release"
	echo "DEBUG_BZIMAGE=$tree/arch/x86/boot/bzImage"
	echo "DEBUG_MODULES=$entry/modules"
}

mkdir -p "$entry"
# One builder per entry; a second caller waits and then finds it complete.
exec 8>"$entry/.lock"
if ! flock -n 8; then
	log "another build of $entry is running; waiting for it"
	flock 8
fi
if [ -e "$entry/complete" ]; then
	print_result
	exit 0
fi

started=$SECONDS
log "building the debug kernel in $entry (first time only; see build.log)"

if [ ! -e "$tree/.extracted" ]; then
	rm -rf "$tree"
	mkdir -p "$tree"
	log "extracting $SOURCE_TARBALL"
	tar -xJf "$SOURCE_TARBALL" -C "$tree" --strip-components=1
	: >"$tree/.extracted"
fi

# scripts/config wants one option per call style: -e, -m, -d, --set-str,
# --set-val.  The fragment uses .config syntax so that it reads like one.
apply_fragment() {
	local line name value
	local -a args=()
	while IFS= read -r line || [ -n "$line" ]; do
		if [[ "$line" =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
			args+=(--disable "${BASH_REMATCH[1]#CONFIG_}")
			continue
		fi
		[[ "$line" =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]] || continue
		name=${BASH_REMATCH[1]#CONFIG_}
		value=${BASH_REMATCH[2]}
		case "$value" in
		y)	args+=(--enable "$name") ;;
		m)	args+=(--module "$name") ;;
		\"*\")	value=${value#\"}; args+=(--set-str "$name" "${value%\"}") ;;
		*)	args+=(--set-val "$name" "$value") ;;
		esac
	done <"$FRAGMENT"
	"$tree/scripts/config" --file "$tree/.config" "${args[@]}"
}

# Every line of the fragment, as olddefconfig left it.
check_fragment() {
	local line name want got bad=0
	while IFS= read -r line || [ -n "$line" ]; do
		if [[ "$line" =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
			name=${BASH_REMATCH[1]}
			if grep -Eq "^$name=" "$tree/.config"; then
				log "$name is still set: $(grep -E "^$name=" "$tree/.config")"
				bad=1
			fi
			continue
		fi
		[[ "$line" =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]] || continue
		name=${BASH_REMATCH[1]}
		want=${BASH_REMATCH[2]}
		got=$(sed -n "s/^$name=//p" "$tree/.config")
		if [ "$got" != "$want" ]; then
			log "$name=$want did not take (olddefconfig left '${got:-not set}'): a dependency is missing"
			bad=1
		fi
	done <"$FRAGMENT"
	return $bad
}

buildlog=$entry/build.log
{
	echo "== $(date -u '+%F %T') UTC: $SOURCE_PACKAGE $version, fragment $config_hash, $JOBS jobs"
	make -C "$tree" -s x86_64_defconfig
	apply_fragment
	make -C "$tree" -s olddefconfig
} >>"$buildlog" 2>&1 || {
	log "configuring failed; the end of $buildlog:"
	tail -n 20 "$buildlog" >&2
	exit 1
}
check_fragment || {
	log "the config fragment $FRAGMENT does not apply to $version"
	exit 1
}

log "compiling with $JOBS jobs under nice (see Documentation/testing.rst for the time it takes)"
if ! nice -n 10 make -C "$tree" -j"$JOBS" bzImage modules >>"$buildlog" 2>&1; then
	log "the kernel build failed; the end of $buildlog:"
	grep -E 'error|Error' "$buildlog" | tail -n 20 >&2
	exit 1
fi
rm -rf "$entry/modules"
if ! make -C "$tree" -s INSTALL_MOD_PATH="$entry/modules" INSTALL_MOD_STRIP=1 \
	DEPMOD=/sbin/depmod modules_install >>"$buildlog" 2>&1; then
	log "modules_install failed; the end of $buildlog:"
	tail -n 20 "$buildlog" >&2
	exit 1
fi
elapsed=$((SECONDS - started))
echo "== built in ${elapsed}s" >>"$buildlog"
echo "$elapsed" >"$entry/build-seconds"
: >"$entry/complete"
log "built in $((elapsed / 60)) min $((elapsed % 60)) s"
print_result
