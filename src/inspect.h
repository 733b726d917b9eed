/* inspect.h: the modes that look without sending: --pretend (-P), -bv,
 * --version. They print to standard output. */
#ifndef MF_INSPECT_H
#define MF_INSPECT_H

#include <stdbool.h>
#include <stdio.h>

struct cli_options;
struct mf_error;

/* The effective settings of the account the command line selects, with
 * the password masked. */
bool inspect_pretend(const struct cli_options *opts, FILE *out,
		     struct mf_error *err);

/* -bv: for every recipient on the command line, the addresses it becomes
 * (aliases, qualification), and the account and server that would be
 * used. Sends nothing. Errors: as account_setup; EX_USAGE without
 * recipients; EX_DATAERR for a bad address (after printing the others). */
bool inspect_verify(const struct cli_options *opts, FILE *out,
		    struct mf_error *err);

/* -bi, newaliases: check the account's aliases file (aliases are read
 * when used; there is no database to rebuild) and print how many names
 * it defines. Errors: the file's, EX_CONFIG with file and line. */
bool inspect_aliases(const struct cli_options *opts, FILE *out,
		     struct mf_error *err);

/* --version: version, licence, compiled-in features, file locations. */
void inspect_version(FILE *out);

#endif
