/* The table-driven option parser (options.h). */
#include <stdio.h>
#include <string.h>

#include "options.h"

void rg_opt_start(rg_opt_state *st, int argc, char **argv)
{
    st->argc = argc;
    st->argv = argv;
    st->next = 1;
    st->name = NULL;
    memset(st->given, 0, sizeof st->given);
}

/* Whether ARG is SPELLING, alone or followed by "=VALUE" (*EQ then points at it). */
static int spelled(const char *arg, const char *spelling, const char **eq)
{
    size_t n;
    if (!spelling)
        return 0;
    n = strlen(spelling);
    if (strncmp(arg, spelling, n) != 0 || (arg[n] != '\0' && arg[n] != '='))
        return 0;
    *eq = arg[n] == '=' ? arg + n + 1 : NULL;
    return 1;
}

int rg_opt_next(rg_opt_state *st, const rg_option *table, const char **value, char *msg, size_t msg_size)
{
    const char *arg, *eq = NULL;
    *value = NULL;
    if (st->next >= st->argc)
        return RG_OPT_END;
    arg = st->argv[st->next++];
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0)
        return RG_OPT_HELP;
    if (arg[0] != '-' || arg[1] == '\0') {
        *value = arg;
        return RG_OPT_POSITIONAL;
    }
    for (const rg_option *o = table; o->name; o++) {
        if (!spelled(arg, o->name, &eq) && !spelled(arg, o->alias, &eq))
            continue;
        st->name = o->name;
        if (!o->needs && eq)
            break;   /* a flag takes no value: "--fail-on-warn=yes" is unknown */
        if (o->needs && !eq)
            eq = st->next < st->argc ? st->argv[st->next++] : NULL;
        if (o->needs && (!eq || !*eq)) {
            snprintf(msg, msg_size, "%s needs %s", o->name, o->needs);
            return RG_OPT_ERROR;
        }
        if (!(o->id & RG_OPT_REPEATS)) {
            size_t row = (size_t)(o - table);
            if (row >= RG_OPT_MAX_ROWS || st->given[row]) {
                snprintf(msg, msg_size, "%s given twice: give it once", o->name);
                return RG_OPT_ERROR;
            }
            st->given[row] = 1;
        }
        *value = o->needs ? eq : NULL;
        return o->id & ~RG_OPT_REPEATS;
    }
    snprintf(msg, msg_size, "unknown option '%.200s'", arg);
    return RG_OPT_ERROR;
}
