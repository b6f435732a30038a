// SPDX-License-Identifier: GPL-2.0
/*
 * MC146818 CMOS RTC (index port 0x70, data 0x71): the host's UTC time,
 * BCD or binary and 12/24 hour as register B says, and 128 bytes of CMOS
 * RAM.  The update-in-progress bit always reads 0: a guest waiting for it
 * to settle (Linux does, on every RTC read) never loops.  Time writes are
 * ignored; the RTC interrupt is not modelled.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <time.h>

#include "devices.h"

#define RTC_SECONDS		0x00
#define RTC_MINUTES		0x02
#define RTC_HOURS		0x04
#define RTC_DAY_OF_WEEK		0x06
#define RTC_DAY_OF_MONTH	0x07
#define RTC_MONTH		0x08
#define RTC_YEAR		0x09
#define RTC_REG_A		0x0a
#define RTC_REG_B		0x0b
#define RTC_REG_C		0x0c
#define RTC_REG_D		0x0d
#define RTC_CENTURY		0x32
#define RTC_B_DM_BINARY		0x04
#define RTC_B_24H		0x02
#define RTC_D_VRT		0x80

struct rtc {
	uint8_t index;
	uint8_t cmos[128];
};

static uint8_t rtc_encode(const struct rtc *r, unsigned int v)
{
	return (r->cmos[RTC_REG_B] & RTC_B_DM_BINARY) ? v :
	       ((v / 10) << 4) | (v % 10);
}

static uint8_t rtc_time_reg(const struct rtc *r, unsigned int reg)
{
	time_t now = time(NULL);
	struct tm tm;
	unsigned int hour;

	gmtime_r(&now, &tm);
	switch (reg) {
	case RTC_SECONDS:
		return rtc_encode(r, tm.tm_sec);
	case RTC_MINUTES:
		return rtc_encode(r, tm.tm_min);
	case RTC_HOURS:
		if (r->cmos[RTC_REG_B] & RTC_B_24H)
			return rtc_encode(r, tm.tm_hour);
		hour = tm.tm_hour % 12 ? tm.tm_hour % 12 : 12;
		return rtc_encode(r, hour) | (tm.tm_hour >= 12 ? 0x80 : 0);
	case RTC_DAY_OF_WEEK:
		return rtc_encode(r, tm.tm_wday + 1);
	case RTC_DAY_OF_MONTH:
		return rtc_encode(r, tm.tm_mday);
	case RTC_MONTH:
		return rtc_encode(r, tm.tm_mon + 1);
	case RTC_YEAR:
		return rtc_encode(r, tm.tm_year % 100);
	default:	/* RTC_CENTURY */
		return rtc_encode(r, (tm.tm_year + 1900) / 100);
	}
}

static uint64_t rtc_read(void *opaque, uint64_t off, unsigned int size)
{
	struct rtc *r = opaque;
	unsigned int reg = r->index & 0x7f;

	(void)size;
	if (off == 0)
		return 0xff;	/* the index port is write-only */
	switch (reg) {
	case RTC_SECONDS: case RTC_MINUTES: case RTC_HOURS:
	case RTC_DAY_OF_WEEK: case RTC_DAY_OF_MONTH: case RTC_MONTH:
	case RTC_YEAR: case RTC_CENTURY:
		return rtc_time_reg(r, reg);
	case RTC_REG_A:
		return r->cmos[RTC_REG_A] & 0x7f;	/* UIP = 0 */
	case RTC_REG_C:
		return 0;
	case RTC_REG_D:
		return RTC_D_VRT;
	default:
		return r->cmos[reg];
	}
}

static void rtc_write(void *opaque, uint64_t off, unsigned int size,
		      uint64_t value)
{
	struct rtc *r = opaque;
	unsigned int reg = r->index & 0x7f;

	(void)size;
	if (off == 0) {
		r->index = value;	/* bit 7: NMI mask, ignored */
		return;
	}
	if (reg == RTC_REG_C || reg == RTC_REG_D || reg <= RTC_YEAR ||
	    reg == RTC_CENTURY)
		return;
	r->cmos[reg] = value;
}

void rtc_create(struct device *dev)
{
	struct rtc *r = calloc(1, sizeof(*r));

	if (r) {
		r->cmos[RTC_REG_A] = 0x26;	/* 32.768 kHz, 1024 Hz */
		r->cmos[RTC_REG_B] = RTC_B_24H;
	}
	*dev = (struct device){
		.name = "rtc", .space = HVM_IO_PIO, .base = 0x70, .len = 2,
		.read = rtc_read, .write = rtc_write, .opaque = r,
	};
}
