/* tests/unit/check.h: the few macros the table-driven unit tests share.
 * A test program exits 0 when every check passed, 1 otherwise, 99 on a
 * hard error and 77 to skip (automake's conventions). */
#ifndef MF_TESTS_CHECK_H
#define MF_TESTS_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;
static int check_count;

#define CHECK(cond)                                                          \
	do {                                                                 \
		check_count++;                                               \
		if (!(cond)) {                                               \
			check_failures++;                                    \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                            \
		}                                                            \
	} while (0)

#define CHECK_STR(got, want)                                                 \
	do {                                                                 \
		const char *check_g_ = (got), *check_w_ = (want);            \
		check_count++;                                               \
		if (check_g_ == NULL || strcmp(check_g_, check_w_) != 0) {   \
			check_failures++;                                    \
			fprintf(stderr, "%s:%d: %s: got \"%s\", want \"%s\"\n", \
				__FILE__, __LINE__, #got,                    \
				check_g_ ? check_g_ : "(null)", check_w_);   \
		}                                                            \
	} while (0)

#define CHECK_MEM(got, got_len, want, want_len)                              \
	do {                                                                 \
		check_count++;                                               \
		if ((got_len) != (want_len) ||                               \
		    memcmp((got), (want), (want_len)) != 0) {                \
			check_failures++;                                    \
			fprintf(stderr, "%s:%d: %s: got %zu bytes \"%.*s\", " \
				"want %zu bytes \"%.*s\"\n", __FILE__,       \
				__LINE__, #got, (size_t)(got_len),           \
				(int)(got_len), (const char *)(got),         \
				(size_t)(want_len), (int)(want_len),         \
				(const char *)(want));                       \
		}                                                            \
	} while (0)

static inline int
check_done(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
	return check_failures ? 1 : 0;
}

#endif
