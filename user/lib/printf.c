/*
 * printf.c - formatted output: %d %i %u %x %X %p %s %c %%, with the flags
 * '-' and '0', a field width, and the length modifiers l, ll and z.
 *
 * printf() formats into a stack buffer and issues a single write(), so the
 * lines of threads printing at once do not interleave mid-line. Output
 * longer than the buffer is cut, which a test's diagnostics never reach.
 */
#include "user.h"

struct out {
	char *buf;
	size_t size;
	size_t len;           /* characters produced, even those cut off */
};

struct spec {
	bool left;            /* '-': pad on the right */
	bool zero;            /* '0': pad numbers with zeros */
	int width;
	int longs;            /* how many 'l' (a 'z' counts as one) */
};

static void out_char(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void out_padded(struct out *o, const char *s, size_t n,
		       const struct spec *sp)
{
	size_t pad = sp->width > (int)n ? sp->width - n : 0;
	bool zeros = sp->zero && !sp->left;

	if (zeros && n && *s == '-') {    /* the sign goes before the zeros */
		out_char(o, *s++);
		n--;
	}
	while (!sp->left && pad && pad--)
		out_char(o, zeros ? '0' : ' ');
	while (n--)
		out_char(o, *s++);
	while (pad && pad--)
		out_char(o, ' ');
}

static void out_number(struct out *o, unsigned long long v, bool neg,
		       unsigned base, bool upper, const struct spec *sp)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int i = sizeof(tmp);

	do {
		tmp[--i] = digits[v % base];
		v /= base;
	} while (v);
	if (neg)
		tmp[--i] = '-';
	out_padded(o, tmp + i, sizeof(tmp) - i, sp);
}

static long long arg_signed(va_list *ap, int longs)
{
	return longs ? va_arg(*ap, long long) : va_arg(*ap, int);
}

static unsigned long long arg_unsigned(va_list *ap, int longs)
{
	return longs ? va_arg(*ap, unsigned long long) : va_arg(*ap, unsigned);
}

/* Reads flags, width and length after a '%'; returns the conversion char. */
static const char *parse_spec(const char *f, struct spec *sp)
{
	*sp = (struct spec){ 0 };
	for (;; f++) {
		if (*f == '-')
			sp->left = true;
		else if (*f == '0')
			sp->zero = true;
		else
			break;
	}
	while (*f >= '0' && *f <= '9')
		sp->width = sp->width * 10 + (*f++ - '0');
	while (*f == 'l' || *f == 'z')
		f++, sp->longs++;
	return f;
}

/* Emits one conversion; f points just past the '%'. Returns where the
 * conversion character is. */
static const char *out_conversion(struct out *o, const char *f, va_list *ap)
{
	struct spec sp;
	long long v;
	const char *s;
	char c;

	f = parse_spec(f, &sp);
	switch (*f) {
	case 'd': case 'i':
		v = arg_signed(ap, sp.longs);
		out_number(o, v < 0 ? -(unsigned long long)v : (unsigned long long)v,
			   v < 0, 10, false, &sp);
		break;
	case 'u': out_number(o, arg_unsigned(ap, sp.longs), false, 10, false, &sp); break;
	case 'x': out_number(o, arg_unsigned(ap, sp.longs), false, 16, false, &sp); break;
	case 'X': out_number(o, arg_unsigned(ap, sp.longs), false, 16, true, &sp); break;
	case 'p':
		out_char(o, '0'), out_char(o, 'x');
		out_number(o, (unsigned long)va_arg(*ap, void *), false, 16, false, &sp);
		break;
	case 's':
		s = va_arg(*ap, const char *);
		s = s ? s : "(null)";
		out_padded(o, s, strlen(s), &sp);
		break;
	case 'c':
		c = (char)va_arg(*ap, int);
		out_padded(o, &c, 1, &sp);
		break;
	case '\0':
		return f - 1;         /* a lone '%' at the end: stop */
	default:                      /* "%%", or an unknown one printed as is */
		out_char(o, *f);
	}
	return f;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	va_list args;

	va_copy(args, ap);
	for (; *fmt; fmt++) {
		if (*fmt == '%')
			fmt = out_conversion(&o, fmt + 1, &args);
		else
			out_char(&o, *fmt);
	}
	va_end(args);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int printf(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	return (int)sys_write(1, buf, n);
}

/* The text and its newline leave in one writev(), again so that lines of
 * concurrent threads stay whole. */
int puts(const char *s)
{
	struct iovec iov[2] = {
		{ (void *)s, strlen(s) },
		{ "\n", 1 },
	};

	return (int)sys_writev(1, iov, 2);
}
