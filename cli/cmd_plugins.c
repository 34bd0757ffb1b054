/* relgate plugins: what checks the plugin path provides, and their parameters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "error.h"
#include "json.h"
#include "plugins.h"

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

#define MAX_DIRS 32

enum { OPT_PLUGIN_PATH, OPT_FORMAT };

static const rg_option PLUGINS_OPTIONS[] = {
    {"--plugin-path", NULL, "a directory", OPT_PLUGIN_PATH},
    {"--format", NULL, "a value: text or json", OPT_FORMAT},
    {NULL, NULL, NULL, 0},
};

static cJSON *plugins_to_json(const rg_plugins *set)
{
    cJSON *root = cJSON_CreateObject(), *list, *dirs;
    dirs = cJSON_AddArrayToObject(root, "searched");
    for (size_t i = 0; i < set->searched_count; i++)
        cJSON_AddItemToArray(dirs, cJSON_CreateString(set->searched[i]));
    list = cJSON_AddArrayToObject(root, "plugins");
    for (size_t i = 0; i < set->count; i++) {
        const rg_plugin *p = set->items[i].desc;
        cJSON *o = cJSON_CreateObject(), *checks;
        cJSON_AddStringToObject(o, "name", p->name);
        cJSON_AddStringToObject(o, "version", p->version);
        cJSON_AddStringToObject(o, "description", p->description);
        cJSON_AddStringToObject(o, "license", p->license);
        cJSON_AddStringToObject(o, "path", set->items[i].path);
        {
            char abi[32];
            snprintf(abi, sizeof abi, "%u.%u", p->abi_major, p->abi_minor);
            cJSON_AddStringToObject(o, "abi", abi);
        }
        checks = cJSON_AddArrayToObject(o, "checks");
        for (size_t j = 0; j < p->check_count; j++) {
            const rg_check *c = &p->checks[j];
            cJSON *co = cJSON_CreateObject(), *params = NULL;
            cJSON_AddStringToObject(co, "name", c->name);
            cJSON_AddStringToObject(co, "summary", c->summary);
            params = cJSON_AddArrayToObject(co, "parameters");
            for (size_t k = 0; k < c->param_count; k++) {
                const rg_param *pa = &c->params[k];
                cJSON *po = cJSON_CreateObject(), *def;
                cJSON_AddStringToObject(po, "name", pa->name);
                cJSON_AddStringToObject(po, "type", rg_param_type_name(pa->type));
                cJSON_AddBoolToObject(po, "required", pa->required != 0);
                def = pa->default_json ? cJSON_Parse(pa->default_json) : NULL;
                cJSON_AddItemToObject(po, "default", def ? def : cJSON_CreateNull());
                cJSON_AddStringToObject(po, "description", pa->description);
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
    for (size_t i = 0; i < set->searched_count; i++)
        printf(" %s", set->searched[i]);
    printf("\n");
    if (set->count == 0)
        printf("\nno plugins found\n");
    for (size_t i = 0; i < set->count; i++) {
        const rg_plugin *p = set->items[i].desc;
        printf("\n%s %s — %s (%s, ABI %u.%u)\n  %s\n", p->name, p->version, p->description,
               p->license, p->abi_major, p->abi_minor, set->items[i].path);
        for (size_t j = 0; j < p->check_count; j++) {
            const rg_check *c = &p->checks[j];
            int width = 4;
            printf("\n  %s: %s\n", c->name, c->summary);
            for (size_t k = 0; k < c->param_count; k++)
                if ((int)strlen(c->params[k].name) > width) width = (int)strlen(c->params[k].name);
            for (size_t k = 0; k < c->param_count; k++) {
                const rg_param *pa = &c->params[k];
                printf("    %-*s  %-13s %s%s%s%s%s\n", width, pa->name, rg_param_type_name(pa->type),
                       pa->required ? "required. " : "", pa->description,
                       pa->default_json ? " (default " : "", pa->default_json ? pa->default_json : "",
                       pa->default_json ? ")" : "");
            }
        }
    }
}

int rg_cmd_plugins(int argc, char **argv)
{
    const char *dirs[MAX_DIRS] = {0};
    size_t ndirs = 0;
    int json = 0;
    rg_error err = {0};
    rg_plugins *set;
    rg_opt_state st;
    const char *v;
    char msg[512];
    int id;

    rg_opt_start(&st, argc, argv);
    while ((id = rg_opt_next(&st, PLUGINS_OPTIONS, &v, msg, sizeof msg)) != RG_OPT_END) {
        switch (id) {
        case RG_OPT_HELP: fputs(PLUGINS_USAGE, stdout); return 0;
        case RG_OPT_ERROR: return rg_cli_usage("plugins", msg);
        case RG_OPT_POSITIONAL:
            snprintf(msg, sizeof msg, "unknown option '%.200s'", v);
            return rg_cli_usage("plugins", msg);
        case OPT_PLUGIN_PATH:
            if (ndirs == MAX_DIRS) {
                snprintf(msg, sizeof msg, "at most %d --plugin-path options", MAX_DIRS);
                return rg_cli_usage("plugins", msg);
            }
            dirs[ndirs++] = v;
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
