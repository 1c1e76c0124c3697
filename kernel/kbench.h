/*
 * In-kernel benchmarks: figures of mechanisms user space cannot time
 * directly, printed as numbers (never pass or fail), in the line format of
 * user/bench (`BENCH <name> <value> <unit>`) so tools/bench reads both alike.
 *
 * Boot option kbench=GLOB runs the benchmarks whose name matches before
 * init runs the programs; `make bench` boots with kbench=rcu.
 */
#pragma once

/* Run the benchmarks kbench= asked for; nothing without the option. */
void kbench_run(void);
