/* Tests of kernel/vmstat.c: per-CPU events sum across CPUs; /proc/vmstat text. */
#include "kernel/ktest.h"
#include "kernel/smp.h"
#include "kernel/string.h"
#include "kernel/vmstat.h"

static void bump_pgfault(void *arg)
{
	count_vm_events(PGFAULT, 1000);
}

KTEST(vmstat_events_sum_cpus)
{
	unsigned long before = vm_event_sum(PGFAULT);

	on_each_cpu(bump_pgfault, NULL, true);
	/* Other code may fault meanwhile, never un-fault: at least our share. */
	KT_EXPECT(vm_event_sum(PGFAULT) - before >= 1000ul * nr_cpus);
	KT_EXPECT(vm_event_sum(PGFAULT) - before < 1000ul * nr_cpus + 1000);
}

KTEST(vmstat_show_format)
{
	/* As big as /proc's buffer for one file (PROC_FILE_MAX in procfs.c): all must fit. */
	static char buf[16384];
	char want[64];

	mod_vm_state(NR_PAGE_TABLE_PAGES, 7);
	size_t len = vmstat_show(buf, sizeof(buf));
	snprintf(want, sizeof(want), "nr_page_table_pages %ld\n",
		 vm_state_read(NR_PAGE_TABLE_PAGES));
	mod_vm_state(NR_PAGE_TABLE_PAGES, -7);
	KT_EXPECT(len > 0 && len < sizeof(buf));
	KT_EXPECT(!strncmp(buf, want, strlen(want)));
	KT_EXPECT(strchr(buf, '\n') != NULL);
}
