/* The few C library routines the kernel needs, written for a freestanding build. */
#pragma once
#include "kernel/types.h"

void *memset(void *dst, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
size_t strlcpy(char *dst, const char *src, size_t size);

/* vsnprintf: %d %i %u %o %x %X %p %s %c %%, flags - 0 #, width or *, l/ll/z. */
/* Parse an unsigned number (base 0: 0x.. hex, else decimal, k/m/g suffix allowed). */
int parse_ulong(const char *s, unsigned long *out);
/* Shell-style glob match supporting '*' and '?'. */
bool glob_match(const char *pattern, const char *s);

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);
