/*
 * CMOS RTC (MC146818): registers behind ports 0x70 (index) and 0x71 (data).
 * The time may be in BCD and 12-hour form (register B says); it is read
 * twice until two reads agree, since an update may be in progress.
 */
#include "arch/x86_64/rtc.h"
#include "arch/x86_64/cpu.h"
#include "kernel/printk.h"
#include "kernel/time.h"

static u64 boot_epoch_ns;

static u8 cmos_read(u8 reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

struct rtc_time { unsigned sec, min, hour, day, mon, year; };

static void read_raw(struct rtc_time *t)
{
	while (cmos_read(0x0a) & 0x80)      /* update in progress */
		cpu_relax();
	*t = (struct rtc_time){ cmos_read(0x00), cmos_read(0x02), cmos_read(0x04),
				cmos_read(0x07), cmos_read(0x08), cmos_read(0x09) };
}

static unsigned bcd(unsigned v)
{
	return (v & 0x0f) + (v >> 4) * 10;
}

/* Days from 1970-01-01 to y-m-d (civil calendar). */
static u64 days_since_epoch(unsigned y, unsigned m, unsigned d)
{
	static const unsigned before_month[12] = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 };
	u64 days = (y - 1970) * 365ull + (y - 1969) / 4 - (y - 1901) / 100 + (y - 1601) / 400;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	days += before_month[m - 1] + d - 1;
	if (leap && m > 2)
		days++;
	return days;
}

void rtc_init(void)
{
	struct rtc_time a, b;
	u8 regb = cmos_read(0x0b);

	do {
		read_raw(&a);
		read_raw(&b);
	} while (a.sec != b.sec || a.min != b.min || a.hour != b.hour || a.day != b.day);
	bool pm = a.hour & 0x80;
	a.hour &= 0x7f;
	if (!(regb & 0x04)) {                 /* BCD */
		a.sec = bcd(a.sec); a.min = bcd(a.min); a.hour = bcd(a.hour);
		a.day = bcd(a.day); a.mon = bcd(a.mon); a.year = bcd(a.year);
	}
	if (!(regb & 0x02) && pm)             /* 12-hour clock */
		a.hour = (a.hour % 12) + 12;
	if (a.mon < 1 || a.mon > 12 || a.day < 1 || a.day > 31) {
		printk("rtc: unreadable date, wall clock starts at 1970\n");
		return;
	}
	u64 secs = days_since_epoch(2000 + a.year, a.mon, a.day) * 86400 +
		   a.hour * 3600 + a.min * 60 + a.sec;
	boot_epoch_ns = secs * 1000000000ull - ktime_ns();
	printk("rtc: %04u-%02u-%02u %02u:%02u:%02u UTC\n", 2000 + a.year, a.mon, a.day,
	       a.hour, a.min, a.sec);
}

u64 rtc_boot_epoch_ns(void)
{
	return boot_epoch_ns;
}
