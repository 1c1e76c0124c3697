/*
 * The OOM killer: when a page a user program needs cannot be had, kill the
 * process that holds the most memory, as Linux does, instead of letting
 * the one that asked die of a misleading SIGSEGV.
 *
 * Linux promises memory it has not got (overcommit, mm/mmap.c's
 * vm_enough_memory); when a fault then finds no free page, somebody must
 * give memory back. The victim is the process with the largest "badness":
 * its resident pages plus its page-table pages (Linux's oom_badness, with
 * no swap and every oom_score_adj 0). It gets SIGKILL -- exit status 137 --
 * and the console says so in Linux's words:
 *
 *   Out of memory: Killed process 7 (oom) total-vm:786436kB, anon-rss:493568kB,
 *   file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:1000kB oom_score_adj:0
 *
 * Its threads leave at their next return to user mode; their mm goes with
 * the last one, and the memory with it. The thread whose fault failed
 * retries the access: if it was the victim it dies on the way back, else
 * it finds the memory the victim gave back.
 *
 * Not every failed allocation is an OOM. Allocation-failure injection
 * (fault_inject=page_alloc:every=N or :percent=P) makes alloc_pages() fail while free
 * pages abound; Linux's injected failures skip the OOM killer too. So it
 * acts only when free memory really is below a low watermark; otherwise the
 * fault is simply retried (Linux's pagefault_out_of_memory does the same).
 */
#include "mm/mm.h"
#include "kernel/mutex.h"
#include "kernel/printk.h"
#include "kernel/process.h"
#include "kernel/vmstat.h"
#include "mm/page_alloc.h"

/* Below this many free pages an allocation failure is a real shortage. */
static unsigned long oom_watermark(void)
{
	return MAX(totalram_pages() / 256, 64ul);
}

/* One OOM kill at a time: two faulting threads must not kill two victims. */
static DEFINE_MUTEX(oom_lock);

/*
 * Linux's oom_badness without swap or oom_score_adj: RSS plus page tables.
 * -1: not a candidate. A process already being killed stops the hunt
 * (*dying): its memory is on its way back, killing another would be a
 * second victim for one shortage.
 */
static long oom_badness(struct process *p, void *arg)
{
	bool *dying = arg;

	spin_lock(&p->lock);
	bool alive = p->nr_threads > 0, exiting = p->group_exit;
	spin_unlock(&p->lock);
	if (!alive || !p->mm)
		return -1;
	if (exiting) {
		*dying = true;
		return -1;
	}
	return get_mm_rss(p->mm) + mm_pgtables_bytes(p->mm) / PAGE_SIZE;
}

static void oom_report(struct process *p)
{
	struct mm_struct *mm = p->mm;

	printk("Out of memory: Killed process %d (%s) total-vm:%lukB, anon-rss:%lukB, "
	       "file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:%lukB oom_score_adj:0\n",
	       p->pid, p->name, total_vm_pages(mm) * (PAGE_SIZE / 1024),
	       get_mm_rss(mm) * (PAGE_SIZE / 1024), mm_pgtables_bytes(mm) / 1024);
}

bool out_of_memory(void)
{
	bool dying = false;

	/* nr_free_pages() counts pages on the per-CPU lists too; the failed
	 * alloc_pages() drained every list first (Linux drains before an OOM
	 * kill too), so pages counted here were really there to be had. */
	if (nr_free_pages() > oom_watermark())
		return false;                 /* not a shortage: an injected failure */
	mutex_lock(&oom_lock);
	struct process *victim = process_select(oom_badness, &dying);
	if (victim && !dying) {
		count_vm_event(OOM_KILL);
		oom_report(victim);
		process_kill(victim, SIGKILL);
	}
	if (victim)
		process_put(victim);
	mutex_unlock(&oom_lock);
	return victim || dying;
}
