/* relgate plugins: what checks the plugin path provides, and their parameters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "json_writer.h"

static const char PLUGINS_USAGE[] =
    "usage: relgate plugins [--plugin-path DIR]... [--format text|json]\n"
    "\n"
    "List the check plugins relgate finds, in search order: --plugin-path directories,\n"
    "$RELGATE_PLUGIN_PATH, the build tree when run from it, the installed plugin\n"
    "directory.  For each plugin: its checks and their parameters.\n"
    "\n"
    "  --plugin-path DIR   look in DIR first (repeatable)\n"
    "  --format FORMAT     text (default) or json\n"
    "  -h, --help          show this help\n"
    "\n"
    "exit codes: 0 listed, 2 a plugin was refused or an option is wrong.\n";


enum { OPT_PLUGIN_PATH, OPT_FORMAT };

static const rg_option PLUGINS_OPTIONS[] = {
    {"--plugin-path", NULL, "a directory", OPT_PLUGIN_PATH | RG_OPT_REPEATS},
    {"--format", NULL, "a value: text or json", OPT_FORMAT},
    {NULL, NULL, NULL, 0},
};

/* The values a parameter allows, as a JSON array, or null when any value goes. */
static cJSON *allowed_values(const rg_plugins *set, size_t i, size_t j, size_t k)
{
    const char *v = rg_plugin_param_allowed(set, i, j, k, 0);
    cJSON *list;
    if (!v)
        return cJSON_CreateNull();
    list = cJSON_CreateArray();
    for (size_t a = 0; list && (v = rg_plugin_param_allowed(set, i, j, k, a)) != NULL; a++)
        cJSON_AddItemToArray(list, cJSON_CreateString(v));
    return list;
}

/* "; one of: a, b" for a parameter that lists its values (into BUF; "" otherwise). */
static const char *allowed_text(const rg_plugins *set, size_t i, size_t j, size_t k, char *buf, size_t size)
{
    const char *v;
    size_t n = 0;
    buf[0] = '\0';
    for (size_t a = 0; (v = rg_plugin_param_allowed(set, i, j, k, a)) != NULL && n < size; a++) {
        snprintf(buf + n, size - n, "%s%s", a ? ", " : "; one of: ", v);
        n += strlen(buf + n);
    }
    return buf;
}

static cJSON *plugins_to_json(const rg_plugins *set)
{
    cJSON *root = cJSON_CreateObject(), *list, *dirs;
    dirs = cJSON_AddArrayToObject(root, "searched");
    for (size_t i = 0; i < rg_plugins_searched_count(set); i++)
        cJSON_AddItemToArray(dirs, cJSON_CreateString(rg_plugins_searched(set, i)));
    list = cJSON_AddArrayToObject(root, "plugins");
    for (size_t i = 0; i < rg_plugins_count(set); i++) {
        cJSON *o = cJSON_CreateObject(), *checks;
        cJSON_AddStringToObject(o, "name", rg_plugin_attr_get(set, i, RG_PLUGIN_NAME));
        cJSON_AddStringToObject(o, "version", rg_plugin_attr_get(set, i, RG_PLUGIN_VERSION));
        cJSON_AddStringToObject(o, "description", rg_plugin_attr_get(set, i, RG_PLUGIN_DESCRIPTION));
        cJSON_AddStringToObject(o, "license", rg_plugin_attr_get(set, i, RG_PLUGIN_LICENSE));
        cJSON_AddStringToObject(o, "path", rg_plugin_attr_get(set, i, RG_PLUGIN_PATH));
        cJSON_AddStringToObject(o, "abi", rg_plugin_attr_get(set, i, RG_PLUGIN_ABI));
        checks = cJSON_AddArrayToObject(o, "checks");
        for (size_t j = 0; j < rg_plugin_check_count(set, i); j++) {
            cJSON *co = cJSON_CreateObject(), *params = NULL;
            cJSON_AddStringToObject(co, "name", rg_plugin_check_get(set, i, j, RG_CHECK_NAME));
            cJSON_AddStringToObject(co, "summary", rg_plugin_check_get(set, i, j, RG_CHECK_SUMMARY));
            params = cJSON_AddArrayToObject(co, "parameters");
            for (size_t k = 0; k < rg_plugin_param_count(set, i, j); k++) {
                const char *def_json = rg_plugin_param_get(set, i, j, k, RG_PARAM_DEFAULT);
                cJSON *po = cJSON_CreateObject(), *def;
                cJSON_AddStringToObject(po, "name", rg_plugin_param_get(set, i, j, k, RG_PARAM_NAME));
                cJSON_AddStringToObject(po, "type", rg_plugin_param_get(set, i, j, k, RG_PARAM_TYPE));
                cJSON_AddBoolToObject(po, "required", rg_plugin_param_get(set, i, j, k, RG_PARAM_REQUIRED) != NULL);
                def = def_json ? cJSON_Parse(def_json) : NULL;
                cJSON_AddItemToObject(po, "default", def ? def : cJSON_CreateNull());
                cJSON_AddStringToObject(po, "description", rg_plugin_param_get(set, i, j, k, RG_PARAM_DESCRIPTION));
                cJSON_AddItemToObject(po, "allowed", allowed_values(set, i, j, k));
                cJSON_AddItemToArray(params, po);
            }
            cJSON_AddItemToArray(checks, co);
        }
        cJSON_AddItemToArray(list, o);
    }
    return root;
}

static void print_text(const rg_plugins *set)
{
    printf("searched:");
    for (size_t i = 0; i < rg_plugins_searched_count(set); i++)
        printf(" %s", rg_plugins_searched(set, i));
    printf("\n");
    if (rg_plugins_count(set) == 0)
        printf("\nno plugins found\n");
    for (size_t i = 0; i < rg_plugins_count(set); i++) {
        printf("\n%s %s — %s (%s, ABI %s)\n  %s\n", rg_plugin_attr_get(set, i, RG_PLUGIN_NAME),
               rg_plugin_attr_get(set, i, RG_PLUGIN_VERSION), rg_plugin_attr_get(set, i, RG_PLUGIN_DESCRIPTION),
               rg_plugin_attr_get(set, i, RG_PLUGIN_LICENSE), rg_plugin_attr_get(set, i, RG_PLUGIN_ABI),
               rg_plugin_attr_get(set, i, RG_PLUGIN_PATH));
        for (size_t j = 0; j < rg_plugin_check_count(set, i); j++) {
            size_t params = rg_plugin_param_count(set, i, j);
            int width = 4;
            printf("\n  %s: %s\n", rg_plugin_check_get(set, i, j, RG_CHECK_NAME),
                   rg_plugin_check_get(set, i, j, RG_CHECK_SUMMARY));
            for (size_t k = 0; k < params; k++) {
                int n = (int)strlen(rg_plugin_param_get(set, i, j, k, RG_PARAM_NAME));
                if (n > width) width = n;
            }
            for (size_t k = 0; k < params; k++) {
                const char *def = rg_plugin_param_get(set, i, j, k, RG_PARAM_DEFAULT);
                char allowed[512];
                printf("    %-*s  %-13s %s%s%s%s%s%s\n", width, rg_plugin_param_get(set, i, j, k, RG_PARAM_NAME),
                       rg_plugin_param_get(set, i, j, k, RG_PARAM_TYPE),
                       rg_plugin_param_get(set, i, j, k, RG_PARAM_REQUIRED) ? "required. " : "",
                       rg_plugin_param_get(set, i, j, k, RG_PARAM_DESCRIPTION), def ? " (default " : "",
                       def ? def : "", def ? ")" : "", allowed_text(set, i, j, k, allowed, sizeof allowed));
            }
        }
    }
}

int rg_cmd_plugins(int argc, char **argv)
{
    const char *dirs[RG_CLI_MAX_PLUGIN_DIRS] = {0};
    size_t ndirs = 0;
    int json = 0;
    rg_error err = {0};
    rg_plugins *set;
    rg_opt_state st;
    const char *v;
    char msg[512];
    int id, rc;

    rg_opt_start(&st, argc, argv);
    while ((id = rg_opt_next(&st, PLUGINS_OPTIONS, &v, msg, sizeof msg)) != RG_OPT_END) {
        switch (id) {
        case RG_OPT_HELP: fputs(PLUGINS_USAGE, stdout); return 0;
        case RG_OPT_ERROR: return rg_cli_usage("plugins", msg);
        case RG_OPT_POSITIONAL:
            snprintf(msg, sizeof msg, "unknown option '%.200s'", v);
            return rg_cli_usage("plugins", msg);
        case OPT_PLUGIN_PATH:
            if ((rc = rg_cli_plugin_dir("plugins", dirs, &ndirs, v)) >= 0)
                return rc;
            break;
        case OPT_FORMAT:
            if (strcmp(v, "json") == 0) json = 1;
            else if (strcmp(v, "text") == 0) json = 0;
            else {
                snprintf(msg, sizeof msg, "--format '%.200s' is not text or json", v);
                return rg_cli_usage("plugins", msg);
            }
            break;
        }
    }
    set = rg_plugins_load(dirs, ndirs, 1, &err);
    if (!set) {
        rg_cli_report(&err);
        rg_error_clear(&err);
        return RG_EXIT_ERROR;
    }
    if (json) {
        cJSON *root = plugins_to_json(set);
        char *text = root ? rg_json_print_pretty(root) : NULL;
        cJSON_Delete(root);
        if (!text || rg_cli_write_stdout(text, strlen(text)) != 0) {
            free(text);
            rg_plugins_free(set);
            fprintf(stderr, "relgate: error: cannot write the plugin list\n");
            return RG_EXIT_ERROR;
        }
        free(text);
    } else {
        print_text(set);
    }
    rg_plugins_free(set);
    return 0;
}
