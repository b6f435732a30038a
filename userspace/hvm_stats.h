/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading an hvm statistics fd (HVM_GET_STATS_FD, HVM_GET_VCPU_STATS_FD;
 * format in Documentation/api.rst).  Part of libhvm: functions return 0
 * or -errno and never print.
 */
#ifndef HVM_STATS_LIB_H
#define HVM_STATS_LIB_H

#include <stdint.h>
#include "../uapi/linux/hvm.h"

struct hvm_stats {
	int fd;
	struct hvm_stats_header hdr;
	char id[HVM_STATS_ID_SIZE];
	struct hvm_stats_desc *desc;	/* hdr.num_desc of them */
	uint64_t *values;		/* by descriptor, after hvm_stats_read() */
};

/*
 * Takes over stats_fd (closed by hvm_stats_close(), or here on failure)
 * and reads its fixed part.  -EPROTO for a file that is not a stats file
 * of a version this library reads.
 */
int hvm_stats_open(int stats_fd, struct hvm_stats *st);
/* One sample of every value into st->values. */
int hvm_stats_read(struct hvm_stats *st);
/* Index of the descriptor named name, or -ENOENT. */
int hvm_stats_find(const struct hvm_stats *st, const char *name);
/* The sampled value of the counter named name (0 if there is none). */
uint64_t hvm_stats_value(const struct hvm_stats *st, const char *name);
void hvm_stats_close(struct hvm_stats *st);

#endif /* HVM_STATS_LIB_H */
