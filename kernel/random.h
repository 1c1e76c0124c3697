/* Random bytes for AT_RANDOM and getrandom(): not cryptographic (a teaching kernel). */
#pragma once
#include "kernel/types.h"

void get_random_bytes(void *buf, size_t n);
