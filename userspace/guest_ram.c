// SPDX-License-Identifier: GPL-2.0
/*
 * Guest RAM as a device helper sees it: pieces of the VMM's memfds mapped
 * at their guest-physical addresses, and bounds-checked copies to and from
 * them (see libhvm.h).  The guest addresses come from the guest, so every
 * check is written not to overflow.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libhvm.h"

#define GUEST_PAGE	4096ULL

void hvm_guest_ram_init(struct hvm_guest_ram *ram)
{
	memset(ram, 0, sizeof(*ram));
}

static bool ranges_overlap(uint64_t a, uint64_t a_len, uint64_t b,
			   uint64_t b_len)
{
	/* Both ranges are known not to wrap. */
	return a < b + b_len && b < a + a_len;
}

int hvm_guest_ram_map(struct hvm_guest_ram *ram, int fd, uint64_t gpa,
		      uint64_t size, uint64_t offset)
{
	struct hvm_guest_ram_region *r;
	struct stat st;
	unsigned int i;
	int seals;
	void *mem;

	if (!size || size > SIZE_MAX || gpa % GUEST_PAGE ||
	    size % GUEST_PAGE || offset % GUEST_PAGE ||
	    gpa > HVM_MAX_GPA || size > HVM_MAX_GPA - gpa ||
	    offset > UINT64_MAX - size || offset + size > INT64_MAX)
		return -EINVAL;
	for (i = 0; i < ram->nr_regions; i++)
		if (ranges_overlap(gpa, size, ram->regions[i].gpa,
				   ram->regions[i].size))
			return -EINVAL;
	if (ram->nr_regions == HVM_GUEST_RAM_MAX_REGIONS)
		return -ENOSPC;

	/*
	 * A file that may shrink could SIGBUS us on any access: only take
	 * memory whose owner promised (and cannot take back) its size.
	 */
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0)
		return errno == EINVAL ? -EPERM : -errno;
	if (!(seals & F_SEAL_SHRINK))
		return -EPERM;
	if (fstat(fd, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_size < offset + size)
		return -ERANGE;

	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   (off_t)offset);
	if (mem == MAP_FAILED)
		return -errno;
	r = &ram->regions[ram->nr_regions++];
	r->gpa = gpa;
	r->size = size;
	r->host = mem;
	return 0;
}

void hvm_guest_ram_unmap(struct hvm_guest_ram *ram)
{
	unsigned int i;

	for (i = 0; i < ram->nr_regions; i++)
		munmap(ram->regions[i].host, ram->regions[i].size);
	hvm_guest_ram_init(ram);
}

/* The region holding gpa, or NULL. */
static const struct hvm_guest_ram_region *
find_region(const struct hvm_guest_ram *ram, uint64_t gpa)
{
	unsigned int i;

	for (i = 0; i < ram->nr_regions; i++) {
		const struct hvm_guest_ram_region *r = &ram->regions[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size)
			return r;
	}
	return NULL;
}

int hvm_guest_ram_check(const struct hvm_guest_ram *ram, uint64_t gpa,
			uint64_t len)
{
	const struct hvm_guest_ram_region *r;
	uint64_t chunk;

	if (len > UINT64_MAX - gpa)
		return -EFAULT;
	/* Regions may be adjacent: walk them, one chunk per region. */
	while (len) {
		r = find_region(ram, gpa);
		if (!r)
			return -EFAULT;
		chunk = r->size - (gpa - r->gpa);
		if (chunk > len)
			chunk = len;
		gpa += chunk;
		len -= chunk;
	}
	return 0;
}

/* Checked first as a whole, so that a failed access changes nothing. */
static int guest_ram_copy(const struct hvm_guest_ram *ram, uint64_t gpa,
			  void *buf, size_t len, bool write)
{
	const struct hvm_guest_ram_region *r;
	uint8_t *p = buf;
	uint64_t chunk;
	int ret;

	ret = hvm_guest_ram_check(ram, gpa, len);
	if (ret)
		return ret;
	while (len) {
		r = find_region(ram, gpa);
		chunk = r->size - (gpa - r->gpa);
		if (chunk > len)
			chunk = len;
		if (write)
			memcpy(r->host + (gpa - r->gpa), p, chunk);
		else
			memcpy(p, r->host + (gpa - r->gpa), chunk);
		gpa += chunk;
		p += chunk;
		len -= chunk;
	}
	return 0;
}

int hvm_guest_ram_read(const struct hvm_guest_ram *ram, uint64_t gpa,
		       void *buf, size_t len)
{
	return guest_ram_copy(ram, gpa, buf, len, false);
}

int hvm_guest_ram_write(const struct hvm_guest_ram *ram, uint64_t gpa,
			const void *buf, size_t len)
{
	return guest_ram_copy(ram, gpa, (void *)buf, len, true);
}

static bool parse_number(const char *s, char stop, uint64_t *value,
			 const char **rest)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*value = strtoull(s, &end, 0);
	if (errno || end == s || *end != stop)
		return false;
	*rest = stop ? end + 1 : end;
	return true;
}

int hvm_parse_mem_map(const char *arg, uint64_t *gpa, uint64_t *size,
		      uint64_t *offset)
{
	const char *s = arg;

	if (!parse_number(s, ',', gpa, &s) ||
	    !parse_number(s, ',', size, &s) ||
	    !parse_number(s, '\0', offset, &s))
		return -EINVAL;
	return 0;
}
