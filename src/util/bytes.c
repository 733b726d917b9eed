/* util/bytes.c: byte-scanning helpers. */
#include "config.h"

#include "util/bytes.h"

#include <stdint.h>
#include <string.h>

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
