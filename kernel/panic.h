/* The panic path shared by panic() and fatal exceptions. */
#pragma once
#include "kernel/types.h"

/* Claim the panic (a second panicking CPU parks itself), stop the other CPUs. */
void panic_begin(void);
/* Power off with EXIT_PANIC. */
__noreturn void panic_end(void);
bool panic_in_progress(void);
/* NMI handler of a CPU stopped by another CPU's panic. */
__noreturn void panic_park_this_cpu(void);
