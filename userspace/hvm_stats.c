// SPDX-License-Identifier: GPL-2.0
/* libhvm: reading a statistics fd. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "hvm_stats.h"

/* Exactly len bytes at off, or -errno (-EPROTO for a short file). */
static int pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done,
				  (off_t)(off + done));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EPROTO;
		done += (size_t)n;
	}
	return 0;
}

int hvm_stats_open(int stats_fd, struct hvm_stats *st)
{
	uint32_t i;
	int ret;

	memset(st, 0, sizeof(*st));
	st->fd = stats_fd;
	ret = pread_all(stats_fd, &st->hdr, sizeof(st->hdr), 0);
	if (ret)
		goto fail;
	ret = -EPROTO;
	if (st->hdr.magic != HVM_STATS_MAGIC ||
	    st->hdr.version != HVM_STATS_VERSION ||
	    st->hdr.desc_size < sizeof(struct hvm_stats_desc) ||
	    st->hdr.num_desc == 0 || st->hdr.num_desc > 4096 ||
	    st->hdr.data_size < st->hdr.num_desc * sizeof(uint64_t))
		goto fail;
	ret = pread_all(stats_fd, st->id, sizeof(st->id), st->hdr.id_offset);
	if (ret)
		goto fail;
	st->id[sizeof(st->id) - 1] = '\0';

	st->desc = calloc(st->hdr.num_desc, sizeof(*st->desc));
	st->values = calloc(st->hdr.data_size / sizeof(uint64_t),
			    sizeof(uint64_t));
	ret = -ENOMEM;
	if (!st->desc || !st->values)
		goto fail;
	/* A newer kernel's descriptors may be longer: read each prefix. */
	for (i = 0; i < st->hdr.num_desc; i++) {
		ret = pread_all(stats_fd, &st->desc[i], sizeof(st->desc[i]),
				st->hdr.desc_offset +
				(uint64_t)i * st->hdr.desc_size);
		if (ret)
			goto fail;
		st->desc[i].name[HVM_STATS_NAME_SIZE - 1] = '\0';
		ret = -EPROTO;
		if (st->desc[i].offset % sizeof(uint64_t) ||
		    st->desc[i].offset + sizeof(uint64_t) > st->hdr.data_size)
			goto fail;
	}
	return 0;
fail:
	hvm_stats_close(st);
	return ret;
}

int hvm_stats_read(struct hvm_stats *st)
{
	return pread_all(st->fd, st->values, st->hdr.data_size,
			 st->hdr.data_offset);
}

int hvm_stats_find(const struct hvm_stats *st, const char *name)
{
	uint32_t i;

	for (i = 0; i < st->hdr.num_desc; i++)
		if (!strcmp(st->desc[i].name, name))
			return (int)i;
	return -ENOENT;
}

uint64_t hvm_stats_value(const struct hvm_stats *st, const char *name)
{
	int i = hvm_stats_find(st, name);

	if (i < 0)
		return 0;
	return st->values[st->desc[i].offset / sizeof(uint64_t)];
}

void hvm_stats_close(struct hvm_stats *st)
{
	if (st->fd >= 0)
		close(st->fd);
	free(st->desc);
	free(st->values);
	memset(st, 0, sizeof(*st));
	st->fd = -1;
}
