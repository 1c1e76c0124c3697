/*
 * Time: the TSC, calibrated once against the PIT, gives ktime_ns() and
 * busy-wait delays. The PIT (8254) counts at a fixed 1.193182 MHz; we let
 * its channel 2 count down 10 ms with the speaker gate, and count TSC ticks
 * meanwhile. Under emulation the figure is the emulated rate, which is what
 * delays must be measured in anyway.
 */
#include "kernel/time.h"
#include "arch/x86_64/cpu.h"

#define PIT_HZ     1193182
#define PIT_CH2    0x42
#define PIT_CMD    0x43
#define PIT_GATE   0x61          /* bit 0: channel 2 gate, bit 5: channel 2 output */

u64 tsc_khz;
static u64 tsc_boot;

/* Start PIT channel 2 counting down `ticks` in mode 0; returns at once. */
void pit_oneshot_start(u16 ticks)
{
	outb(PIT_GATE, (inb(PIT_GATE) & ~0x02) | 0x01);   /* gate on, speaker off */
	outb(PIT_CMD, 0xb0);           /* channel 2, lobyte/hibyte, mode 0, binary */
	outb(PIT_CH2, ticks & 0xff);
	outb(PIT_CH2, ticks >> 8);
}

bool pit_oneshot_done(void)
{
	return inb(PIT_GATE) & 0x20;   /* output goes high when the count ends */
}

void tsc_calibrate(void)
{
	u16 ticks = PIT_HZ / 100;          /* 10 ms */

	pit_oneshot_start(ticks);
	u64 t0 = rdtsc();
	while (!pit_oneshot_done())
		cpu_relax();
	u64 t1 = rdtsc();
	tsc_khz = (t1 - t0) / 10;
	if (!tsc_khz)
		tsc_khz = 1;
	tsc_boot = t0;
}

u64 ktime_ns(void)
{
	if (!tsc_khz)
		return 0;
	u64 d = rdtsc() - tsc_boot;
	/* d * 1e6 / khz would overflow after ~5 hours at 1 GHz; split it. */
	return d / tsc_khz * 1000000 + d % tsc_khz * 1000000 / tsc_khz;
}

void udelay(u64 us)
{
	if (!tsc_khz) {               /* before calibration: ~1 us per port write */
		while (us--)
			outb(0x80, 0);
		return;
	}
	u64 end = rdtsc() + us * tsc_khz / 1000;
	while ((s64)(rdtsc() - end) < 0)
		cpu_relax();
}

void mdelay(u64 ms)
{
	udelay(ms * 1000);
}
