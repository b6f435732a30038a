# SPDX-License-Identifier: GPL-2.0
#
# The release version, read from its one place: the first line of
# debian/changelog, which dpkg-buildpackage insists on anyway.  The tools'
# --version, the man pages, libhvm.pc and dkms.conf all take it from here.
# Include with HVM_TOP set to the top of the tree.

HVM_VERSION := $(shell sed -n '1s/^hvm (\([0-9][0-9.]*\)[-)].*/\1/p' \
	$(HVM_TOP)/debian/changelog 2>/dev/null)
ifeq ($(HVM_VERSION),)
$(error cannot read the version from $(HVM_TOP)/debian/changelog)
endif
