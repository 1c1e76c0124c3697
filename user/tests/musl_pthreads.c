/*
 * musl_pthreads - a program built with musl's own static toolchain
 * (musl-gcc -static), not our libc: its start-up code, TLS set-up and
 * pthreads use the kernel the way real-world static binaries do
 * (set_tid_address, arch_prctl, rt_sigprocmask, clone, futex, mmap).
 *
 * Threads add to a counter under a pthread mutex; the total must be exact
 * and every pthread_join must return the thread's own result.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#define NTHREADS 4
#define ROUNDS 100000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *add_many(void *arg)
{
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&lock);
		counter++;
		pthread_mutex_unlock(&lock);
	}
	return arg;
}

int main(void)
{
	pthread_t t[NTHREADS];
	long ids[NTHREADS];

	for (int i = 0; i < NTHREADS; i++) {
		ids[i] = i;
		if (pthread_create(&t[i], NULL, add_many, &ids[i]) != 0) {
			printf("# pthread_create failed\n");
			return 1;
		}
	}
	for (int i = 0; i < NTHREADS; i++) {
		void *ret;

		if (pthread_join(t[i], &ret) != 0 || ret != &ids[i]) {
			printf("# pthread_join of thread %d failed\n", i);
			return 1;
		}
	}
	printf("# %d pthreads x %d locked increments: %ld\n", NTHREADS, ROUNDS,
	       counter);
	if (counter != (long)NTHREADS * ROUNDS) {
		printf("# FAIL: expected %ld\n", (long)NTHREADS * ROUNDS);
		return 1;
	}
	printf("# PASS\n");
	return EXIT_SUCCESS;
}
