/* Basic types and helpers used everywhere in the kernel. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
typedef uint64_t phys_addr_t;
typedef long ssize_t;

#define __packed         __attribute__((packed))
#define __aligned(n)     __attribute__((aligned(n)))
#define __noreturn       __attribute__((noreturn))
#define __used           __attribute__((used))
#define __section(s)     __attribute__((section(s)))
#define __printf(a, b)   __attribute__((format(printf, a, b)))
#define __always_inline  inline __attribute__((always_inline))
#define __noinline       __attribute__((noinline))
#define __page_aligned   __aligned(4096) __section(".data.page_aligned")

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

#define ARRAY_SIZE(a)     (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)    (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define ALIGN_DOWN(x, a)  ((x) & ~((__typeof__(x))(a) - 1))
#define IS_ALIGNED(x, a)  (((x) & ((__typeof__(x))(a) - 1)) == 0)
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define MIN(a, b)         ((a) < (b) ? (a) : (b))
#define MAX(a, b)         ((a) > (b) ? (a) : (b))

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/*
 * READ_ONCE/WRITE_ONCE: one access the compiler may not tear, fuse or repeat.
 * Used for data another CPU changes under us (a PTE, a flag, a counter).
 */
#define READ_ONCE(x)     (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

/* Compiler barrier; x86 keeps loads and stores in order except store->load. */
#define barrier()        __asm__ __volatile__("" ::: "memory")
#define smp_mb()         __asm__ __volatile__("lock; addl $0,-4(%%rsp)" ::: "memory", "cc")
#define smp_rmb()        barrier()
#define smp_wmb()        barrier()

#define BITS_PER_LONG 64

#define EPERM   1
#define ENOENT  2
#define ESRCH   3
#define EINTR   4
#define EIO     5
#define E2BIG   7
#define ENOEXEC 8
#define EBADF   9
#define ECHILD  10
#define EAGAIN  11
#define ENOMEM  12
#define EACCES  13
#define EFAULT  14
#define EBUSY   16
#define EEXIST  17
#define ENODEV  19
#define EINVAL  22
#define ENFILE  23
#define EMFILE  24
#define ENOSPC  28
#define ERANGE  34
#define ENOSYS  38
#define ENOTDIR 20
#define EISDIR  21
#define ENOTTY  25
#define ESPIPE  29
#define EROFS   30
#define EPIPE   32
#define ENAMETOOLONG 36
#define ENOTEMPTY 39
#define ELOOP   40
#define ETIMEDOUT 110
