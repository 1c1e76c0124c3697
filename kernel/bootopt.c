/* Boot option parsing (see bootopt.h). */
#include "kernel/bootopt.h"
#include "kernel/printk.h"
#include "kernel/string.h"

extern const struct boot_option __bootopts_start[], __bootopts_end[];

#define CMDLINE_MAX 1024
static char cmdline_copy[CMDLINE_MAX];   /* words are cut in place, strings point here */

static bool show_help;
BOOT_OPTION_BOOL("help", show_help, "list every boot option at boot");

static const struct boot_option *find_option(const char *name)
{
	for (const struct boot_option *o = __bootopts_start; o < __bootopts_end; o++)
		if (!strcmp(o->name, name))
			return o;
	return NULL;
}

static int parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "on", "yes", "1", "true" };
	static const char *const no[] = { "off", "no", "0", "false" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcmp(v, yes[i]))
			return *out = true, 0;
		if (!strcmp(v, no[i]))
			return *out = false, 0;
	}
	return -EINVAL;
}

static int set_option(const struct boot_option *o, const char *value)
{
	switch (o->type) {
	case BOOTOPT_BOOL:
		return parse_bool(value, o->var);
	case BOOTOPT_ULONG:
		return parse_ulong(value, o->var);
	case BOOTOPT_STR:
		*(const char **)o->var = value;
		return 0;
	}
	return -EINVAL;
}

/* Handle one word; returns false if it was rejected. */
static bool parse_word(char *word)
{
	char *eq = strchr(word, '=');
	const char *value = NULL;

	if (eq) {
		*eq = '\0';
		value = eq + 1;
	}
	const struct boot_option *o = find_option(word);
	if (!o) {
		printk("bootopt: unknown boot option '%s' (ignored)\n", word);
		return false;
	}
	if (!value)
		value = o->bare;
	if (!value) {
		printk("bootopt: option '%s' needs a value\n", word);
		return false;
	}
	if (set_option(o, value) < 0) {
		printk("bootopt: bad value '%s' for option '%s'\n", value, word);
		return false;
	}
	return true;
}

static void print_help(void)
{
	printk("boot options:\n");
	for (const struct boot_option *o = __bootopts_start; o < __bootopts_end; o++)
		printk("  %-20s %s\n", o->name, o->help);
}

int bootopt_parse(const char *cmdline)
{
	int rejected = 0;
	char *p = cmdline_copy;

	if (strlcpy(cmdline_copy, cmdline, sizeof(cmdline_copy)) >= sizeof(cmdline_copy))
		printk("bootopt: command line longer than %d bytes, truncated\n", CMDLINE_MAX);
	while (*p) {
		while (*p == ' ')
			p++;
		char *word = p;
		while (*p && *p != ' ')
			p++;
		if (*p)
			*p++ = '\0';
		/* GRUB may pass the kernel's path as the first word. */
		if (*word && !(word == cmdline_copy && *word == '/'))
			rejected += !parse_word(word);
	}
	if (show_help)
		print_help();
	return rejected;
}
