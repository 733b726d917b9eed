/* util/bytes.c: byte-scanning helpers. */
#include "config.h"

#include "util/bytes.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

bool
bytes_any_high(const char *p, size_t len)
{
	uint64_t acc = 0;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, sizeof(w));
		acc |= w;
	}
	for (; i < len; i++)
		acc |= (unsigned char)p[i];
	return (acc & 0x8080808080808080ULL) != 0;
}

int
bytes_hex_value(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

void
bytes_host_name(const char *configured, char *out, size_t size)
{
	if (size == 0)
		return;
	if (configured) {
		snprintf(out, size, "%s", configured);
		return;
	}
	if (gethostname(out, size) != 0 || out[0] == '\0')
		snprintf(out, size, "localhost");
	out[size - 1] = '\0';
}
