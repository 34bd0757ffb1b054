/* One option parser for every command, driven by a table: "--name VALUE" and
 * "--name=VALUE" alike, "-h"/"--help", and the same error messages everywhere
 * ("unknown option '--x'", "--x needs a path"), which each command reports in its own
 * way (eval also prints an error decision) with exit code 2. */
#ifndef RG_CLI_OPTIONS_H
#define RG_CLI_OPTIONS_H

#include <stddef.h>

typedef struct rg_option {
    const char *name;    /* "--policy" */
    const char *alias;   /* another spelling ("-j", "--no-colour"), or NULL */
    const char *needs;   /* what the value is ("a path"), or NULL for a flag */
    int id;              /* what the parser returns for it (>= 0), with RG_OPT_REPEATS
                          * when each use adds one (--format, --plugin-path); without,
                          * the option may be given once */
} rg_option;

#define RG_OPT_REPEATS (1 << 20)   /* never part of the id returned */

/* The table ends with a row whose NAME is NULL, and has at most RG_OPT_MAX_ROWS rows. */
#define RG_OPT_MAX_ROWS 96

typedef struct rg_opt_state {
    int argc;
    char **argv;
    int next;            /* the next argument to look at (starts at 1) */
    const char *name;    /* the table's spelling of the option last returned */
    unsigned char given[RG_OPT_MAX_ROWS];   /* rows met so far */
} rg_opt_state;

enum {
    RG_OPT_END = -1,        /* no more arguments */
    RG_OPT_HELP = -2,       /* -h or --help */
    RG_OPT_POSITIONAL = -3, /* an argument that is no option: *VALUE */
    RG_OPT_ERROR = -4       /* MSG says what is wrong (no "relgate: error: ", no hint) */
};

/* Start parsing ARGV (ARGV[0] is the command's name). */
void rg_opt_start(rg_opt_state *st, int argc, char **argv);

/* The next option of TABLE: its id with *VALUE (NULL for a flag), or one of the
 * RG_OPT_ codes above.  An option that takes a value refuses a missing or empty one; a
 * flag refuses "=VALUE" (then it is an unknown option, named as given).  "-" is a
 * positional argument.  An option given a second time is an error unless its row
 * repeats: the last one winning silently made "--policy org.lua --policy team.lua" the
 * team's policy alone, and "--stage deploy --stage pre-release" verify the pre-release
 * decision (round 24). */
int rg_opt_next(rg_opt_state *st, const rg_option *table, const char **value, char *msg, size_t msg_size);

#endif
