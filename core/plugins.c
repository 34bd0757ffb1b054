/* The plugin loader: search the plugin path, refuse anything it cannot trust, and
 * index the checks by name. */
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "error.h"
#include "fileio.h"
#include "plugin_loader.h"
#include "plugin_cache.h"
#include "plugins.h"
#include "textpos.h"
#include "untrusted.h"
#include "rg_config.h"

#define MAX_PLUGIN_FILES 256
#define RG_MAX_ALLOWED_VALUE 256   /* bytes of one allowed value */

const char *rg_param_type_name(rg_param_type type)
{
    switch (type) {
    case RG_PARAM_STRING: return "string";
    case RG_PARAM_INTEGER: return "integer";
    case RG_PARAM_NUMBER: return "number";
    case RG_PARAM_BOOLEAN: return "boolean";
    case RG_PARAM_STRING_LIST: return "string list";
    case RG_PARAM_EVIDENCE: return "evidence";
    case RG_PARAM_EVIDENCE_LIST: return "evidence list";
    case RG_PARAM_DURATION: return "duration";
    }
    return NULL;
}

const rg_check *rg_plugins_find_check(const rg_plugins *set, const char *name,
                                      const rg_loaded_plugin **owner)
{
    for (size_t i = 0; set && i < set->count; i++)
        for (size_t j = 0; j < set->items[i].desc->check_count; j++)
            if (strcmp(set->items[i].desc->checks[j].name, name) == 0) {
                if (owner) *owner = &set->items[i];
                return &set->items[i].desc->checks[j];
            }
    return NULL;
}

const rg_param *rg_check_param(const rg_check *check, const char *name)
{
    for (size_t i = 0; i < check->param_count; i++)
        if (strcmp(check->params[i].name, name) == 0)
            return &check->params[i];
    return NULL;
}

/* ---- Parameter values -------------------------------------------------------------- */

double rg_duration_parse(const char *s)
{
    char *end;
    double v;
    if (!s || !*s || *s == '-' || *s == '+')
        return -1;
    v = strtod(s, &end);
    if (end == s || !isfinite(v) || v < 0)
        return -1;
    if (*end == '\0' || strcmp(end, "s") == 0) return v;
    if (strcmp(end, "m") == 0) return v * 60;
    if (strcmp(end, "h") == 0) return v * 3600;
    if (strcmp(end, "d") == 0) return v * 86400;
    return -1;
}

static int valid_evidence_name(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-' || *s == '.'))
            return 0;
    return 1;
}

/* Whether S is one of DECL's allowed values (any string when it declares none); else
 * WHY names the parameter, the value (neutralised, cut short) and the allowed ones. */
static int allowed_value(const rg_param *decl, const char *s, char *why, size_t why_size)
{
    rg_strbuf b = {0};
    size_t len = strlen(s);
    if (!decl->allowed)
        return 1;
    for (size_t i = 0; decl->allowed[i]; i++)
        if (strcmp(decl->allowed[i], s) == 0)
            return 1;
    rg_untrusted_append(&b, s, len < 64 ? len : 64, RG_BREAKS_SPACE);
    snprintf(why, why_size, "%s is \"%s%s\", not one of the values it allows:", decl->name,
             b.data && !b.failed ? b.data : "", len > 64 ? "..." : "");
    free(b.data);
    for (size_t i = 0, n = strlen(why); decl->allowed[i] && n < why_size; i++)
        n += (size_t)snprintf(why + n, why_size - n, "%s %s", i ? "," : "", decl->allowed[i]);
    return 0;
}

static cJSON *string_list(const rg_param *decl, const cJSON *value, int evidence, char *why,
                          size_t why_size)
{
    cJSON *out = cJSON_CreateArray();
    const cJSON *item;
    if (cJSON_IsString(value)) {
        if (evidence && !valid_evidence_name(value->valuestring)) {
            snprintf(why, why_size, "%s: '%s' is not an evidence name", decl->name, value->valuestring);
            cJSON_Delete(out);
            return NULL;
        }
        if (!allowed_value(decl, value->valuestring, why, why_size)) {
            cJSON_Delete(out);
            return NULL;
        }
        cJSON_AddItemToArray(out, cJSON_CreateString(value->valuestring));
        return out;
    }
    if (!cJSON_IsArray(value)) {
        snprintf(why, why_size, "%s must be a %s", decl->name, rg_param_type_name(decl->type));
        cJSON_Delete(out);
        return NULL;
    }
    cJSON_ArrayForEach(item, value) {
        if (!cJSON_IsString(item) || (evidence && !valid_evidence_name(item->valuestring))) {
            snprintf(why, why_size, "%s must be a list of %s", decl->name,
                     evidence ? "evidence names" : "strings");
            cJSON_Delete(out);
            return NULL;
        }
        if (!allowed_value(decl, item->valuestring, why, why_size)) {
            cJSON_Delete(out);
            return NULL;
        }
        cJSON_AddItemToArray(out, cJSON_CreateString(item->valuestring));
    }
    return out;
}

cJSON *rg_param_normalize(const rg_param *decl, const cJSON *value, char *why, size_t why_size)
{
    double d;
    switch (decl->type) {
    case RG_PARAM_STRING:
        if (cJSON_IsString(value))
            return allowed_value(decl, value->valuestring, why, why_size) ? cJSON_CreateString(value->valuestring) : NULL;
        break;
    case RG_PARAM_EVIDENCE:
        if (cJSON_IsString(value) && valid_evidence_name(value->valuestring))
            return cJSON_CreateString(value->valuestring);
        break;
    case RG_PARAM_INTEGER:
        if (cJSON_IsNumber(value) && value->valuedouble == floor(value->valuedouble) &&
            fabs(value->valuedouble) < 9007199254740992.0)
            return cJSON_CreateNumber(value->valuedouble);
        break;
    case RG_PARAM_NUMBER:
        if (cJSON_IsNumber(value) && isfinite(value->valuedouble))
            return cJSON_CreateNumber(value->valuedouble);
        break;
    case RG_PARAM_BOOLEAN:
        if (cJSON_IsBool(value)) return cJSON_CreateBool(cJSON_IsTrue(value));
        break;
    case RG_PARAM_STRING_LIST:
        return string_list(decl, value, 0, why, why_size);
    case RG_PARAM_EVIDENCE_LIST:
        return string_list(decl, value, 1, why, why_size);
    case RG_PARAM_DURATION: /* at most 100 years: anything longer is a typo */
        if (cJSON_IsNumber(value) && value->valuedouble >= 0 && value->valuedouble <= 3.2e9)
            return cJSON_CreateNumber(value->valuedouble);
        if (cJSON_IsString(value) && (d = rg_duration_parse(value->valuestring)) >= 0 && d <= 3.2e9)
            return cJSON_CreateNumber(d);
        snprintf(why, why_size, "%s must be a duration: seconds, or a string like \"90s\", \"30m\", \"24h\", \"7d\"",
                 decl->name);
        return NULL;
    }
    snprintf(why, why_size, "%s must be %s %s", decl->name,
             decl->type == RG_PARAM_INTEGER || decl->type == RG_PARAM_EVIDENCE ? "an" : "a",
             decl->type == RG_PARAM_EVIDENCE ? "evidence name (evidence \"name\")" : rg_param_type_name(decl->type));
    return NULL;
}

cJSON *rg_check_params(const rg_check *check, const cJSON *given, char *why, size_t why_size)
{
    cJSON *out, *item;
    if (!cJSON_IsObject(given)) {
        snprintf(why, why_size, "with must name the parameters of %s", check->name);
        return NULL;
    }
    out = cJSON_CreateObject();
    cJSON_ArrayForEach(item, given) {
        const rg_param *decl = rg_check_param(check, item->string);
        cJSON *value;
        if (!decl) {
            size_t n = (size_t)snprintf(why, why_size, "check %s has no parameter '%s' (it takes:", check->name, item->string);
            for (size_t i = 0; i < check->param_count && n < why_size; i++)
                n += (size_t)snprintf(why + n, why_size - n, " %s", check->params[i].name);
            if (n < why_size)
                snprintf(why + n, why_size - n, ")");
            cJSON_Delete(out);
            return NULL;
        }
        if (!(value = rg_param_normalize(decl, item, why, why_size))) {
            cJSON_Delete(out);
            return NULL;
        }
        cJSON_AddItemToObject(out, decl->name, value);
    }
    for (size_t i = 0; i < check->param_count; i++) {
        const rg_param *decl = &check->params[i];
        if (cJSON_GetObjectItemCaseSensitive(out, decl->name))
            continue;
        if (decl->required) {
            snprintf(why, why_size, "check %s needs the parameter '%s' (%s): %s", check->name, decl->name,
                     rg_param_type_name(decl->type), decl->description);
            cJSON_Delete(out);
            return NULL;
        }
        if (decl->default_json) {
            cJSON *raw = cJSON_Parse(decl->default_json);
            cJSON *value = raw ? rg_param_normalize(decl, raw, why, why_size) : NULL;
            cJSON_Delete(raw);
            if (value)
                cJSON_AddItemToObject(out, decl->name, value);
        }
    }
    return out;
}

/* ---- Validation ------------------------------------------------------------------------- */

static int valid_check_name(const char *s)
{
    const char *dot = strchr(s, '.');
    if (!dot || dot == s || !dot[1])
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
            return 0;
    return 1;
}

uint32_t rg_plugin_flags(const rg_plugin *d)
{
    if (d->abi_minor < 2 || d->size < offsetof(rg_plugin, flags) + sizeof d->flags)
        return 0;
    return d->flags;
}

/* Text of a descriptor: what `relgate plugins` prints and errors quote, so UTF-8 without
 * control characters. */
static int printable_text(const char *s)
{
    size_t len = strlen(s);
    if (rg_utf8_check(s, len, NULL) != len)
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

static int valid_env_name(const char *s)
{
    size_t n = 0;
    if (!*s || (*s >= '0' && *s <= '9'))
        return 0;
    for (; *s; s++, n++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return n <= 128;
}

static int validate_text(const rg_plugin *d, const char *path, rg_error *err)
{
    const char *bad = !printable_text(d->name) ? "name" : !printable_text(d->version) ? "version"
                    : !printable_text(d->description) ? "description" : !printable_text(d->license) ? "license" : NULL;
    if (bad)
        return rg_fail(err, RG_ERROR_PLUGIN, path, 0, 0,
                       "plugin %s: its %s is not printable UTF-8 text", path, bad);
    for (size_t i = 0; i < d->check_count; i++) {
        const rg_check *c = &d->checks[i];
        if (!printable_text(c->summary))
            return rg_fail(err, RG_ERROR_PLUGIN, path, 0, 0,
                           "plugin %s: the summary of check %s is not printable UTF-8 text", path, c->name);
        for (size_t j = 0; j < c->param_count; j++) {
            const rg_param *p = &c->params[j];
            if (!printable_text(p->name) || !printable_text(p->description))
                return rg_fail(err, RG_ERROR_PLUGIN, path, 0, 0,
                               "plugin %s: check %s: parameter %zu is not printable UTF-8 text", path, c->name, j + 1);
            for (size_t k = 0; p->allowed && p->allowed[k]; k++)
                if (!printable_text(p->allowed[k]))
                    return rg_fail(err, RG_ERROR_PLUGIN, path, 0, 0,
                                   "plugin %s: check %s: allowed value %zu of parameter %s is not printable UTF-8 text",
                                   path, c->name, k + 1, p->name);
        }
    }
    for (size_t i = 0; d->abi_minor >= 3 && d->env && d->env[i]; i++)
        if (!valid_env_name(d->env[i]))
            return rg_fail(err, RG_ERROR_PLUGIN, path, 0, 0,
                           "plugin %s: env entry %zu is not an environment variable name (letters, digits, '_')",
                           path, i + 1);
    return 0;
}

static int validate_descriptor(const rg_plugin *d, const char *path, rg_error *err);

int rg_plugin_validate_data(const rg_plugin_data *data, const char *path, rg_error *err)
{
    if (validate_descriptor(&data->desc, path, err) != 0)
        return -1;
    /* The guards passed, so the loader child read the rest: it must be here. */
    if (!data->complete)
        return rg_fail(err, RG_ERROR_PLUGIN, path, 0, 0, "plugin %s sent an incomplete description", path);
    return validate_text(&data->desc, path, err);
}

int rg_plugin_validate(const rg_plugin *desc, const char *path, rg_error *err)
{
    rg_plugin_data data;
    const char *why;
    size_t len;
    char *payload = rg_plugin_encode(desc, &len, &why);
    int rc;
    if (!payload)
        return rg_fail(err, RG_ERROR_PLUGIN, path, 0, 0, "plugin %s: %s", path, why);
    rc = rg_plugin_decode(payload, len, &data, &why);
    free(payload);
    if (rc != 0)
        return rg_fail(err, RG_ERROR_PLUGIN, path, 0, 0, "plugin %s: %s", path, why);
    rc = rg_plugin_validate_data(&data, path, err);
    rg_plugin_data_clear(&data);
    return rc;
}

/* The element sizes of a 1.3 descriptor (its tables were read by them, in the loader
 * child, only when they were usable). */
static int validate_sizes(const rg_plugin *d, const char *path, rg_error *err)
{
    const char *what = "check_size", *type = "rg_check";
    uint32_t size = d->check_size;
    size_t layout = rg_check_layout_size(d->abi_minor);
    if (d->abi_minor < 3 || rg_element_sizes_usable(d->abi_minor, d->check_size, d->param_size))
        return 0;
    if (rg_element_sizes_usable(d->abi_minor, d->check_size, (uint32_t)rg_param_layout_size(d->abi_minor))) {
        what = "param_size";
        type = "rg_param";
        size = d->param_size;
        layout = rg_param_layout_size(d->abi_minor);
    }
    return rg_fail(err, RG_ERROR_PLUGIN, path, 0, 0,
                   "plugin %s: its %s is %u, which does not fit ABI %u.%u's %s (%zu bytes, at most %d, "
                   "a multiple of its alignment): set it to sizeof(%s), built against relgate/plugin.h",
                   path, what, size, d->abi_major, d->abi_minor, type, layout, RG_DESC_MAX_ELEMENT, type);
}

/* The values P allows: for string parameters only, 1 to RG_DESC_MAX_ALLOWED of them,
 * short, without repeats (printable: validate_text). */
static int validate_allowed(const rg_check *c, const rg_param *p, const char *path,
                            rg_error *err)
{
    size_t n = 0;
    if (!p->allowed)
        return 0;
    if (p->type != RG_PARAM_STRING && p->type != RG_PARAM_STRING_LIST)
        return rg_fail(err, RG_ERROR_PLUGIN, path, 0, 0,
                       "plugin %s: check %s: parameter %s (%s) declares allowed values: only string and "
                       "string list parameters can", path, c->name, p->name, rg_param_type_name(p->type));
    for (; p->allowed[n]; n++) {
        if (!*p->allowed[n] || strlen(p->allowed[n]) > RG_MAX_ALLOWED_VALUE)
            return rg_fail(err, RG_ERROR_PLUGIN, path, 0, 0,
                           "plugin %s: check %s: allowed value %zu of parameter %s is empty or longer than %d bytes",
                           path, c->name, n + 1, p->name, RG_MAX_ALLOWED_VALUE);
        for (size_t k = 0; k < n; k++)
            if (strcmp(p->allowed[k], p->allowed[n]) == 0)
                return rg_fail(err, RG_ERROR_PLUGIN, path, 0, 0,
                               "plugin %s: check %s: parameter %s allows value %zu twice (as value %zu too)",
                               path, c->name, p->name, n + 1, k + 1);
    }
    if (n == 0)
        return rg_fail(err, RG_ERROR_PLUGIN, path, 0, 0,
                       "plugin %s: check %s: parameter %s allows no value at all (an empty allowed list; NULL "
                       "allows any)", path, c->name, p->name);
    return 0;
}

/* A check's name: "<plugin>.<name>", the plugin's own name first. */
static int owned_check_name(const rg_plugin *d, const char *name)
{
    size_t n = strlen(d->name);
    return strncmp(name, d->name, n) == 0 && name[n] == '.' && name[n + 1] != '\0';
}

/* The rules of a descriptor.  Called on the data form only (rg_plugin_validate_data):
 * every pointer in D is the engine's own. */
static int validate_descriptor(const rg_plugin *d, const char *path, rg_error *err)

{
    if (d->abi_major != RG_PLUGIN_ABI_MAJOR)
        return rg_fail(err, RG_ERROR_PLUGIN, path, 0, 0,
                       "plugin %s is built for plugin ABI %u.%u; this relgate speaks %d.%d",
                       path, d->abi_major, d->abi_minor, RG_PLUGIN_ABI_MAJOR, RG_PLUGIN_ABI_MINOR);
    if (d->abi_minor > RG_PLUGIN_ABI_MINOR)
        return rg_fail(err, RG_ERROR_PLUGIN, path, 0, 0,
                       "plugin %s is built for plugin ABI %u.%u, newer than this relgate's %d.%d: "
                       "upgrade relgate", path, d->abi_major, d->abi_minor, RG_PLUGIN_ABI_MAJOR,
                       RG_PLUGIN_ABI_MINOR);
    if (d->size < rg_plugin_descriptor_size(d->abi_minor))
        return rg_fail(err, RG_ERROR_PLUGIN, path, 0, 0,
                       "plugin %s has a short descriptor (%u bytes; ABI %u.%u needs %zu)", path,
                       d->size, d->abi_major, d->abi_minor, rg_plugin_descriptor_size(d->abi_minor));
    {
        const char *missing = !d->name || !*d->name ? "name"
                            : !d->version || !*d->version ? "version"
                            : !d->description || !*d->description ? "description"
                            : !d->license || !*d->license ? "license"
                            : !d->checks || d->check_count == 0 ? "checks" : NULL;
        if (validate_sizes(d, path, err) != 0)
            return -1;
        if (missing)
            return rg_fail(err, RG_ERROR_PLUGIN, path, 0, 0,
                           "plugin %s lacks the required descriptor field '%s'", path, missing);
    }
    for (size_t i = 0; i < d->check_count; i++) {
        const rg_check *c = &d->checks[i];
        if (!c->name || !valid_check_name(c->name))
            return rg_fail(err, RG_ERROR_PLUGIN, path, 0, 0,
                           "plugin %s: check %zu has no valid name (\"plugin.check\": lower-case, digits, '.', '_', '-')",
                           path, i + 1);
        if (!owned_check_name(d, c->name))
            return rg_fail(err, RG_ERROR_PLUGIN, path, 0, 0,
                           "plugin %s: check %s is not named %s.<name>: a check's name is its plugin's name, "
                           "a dot and a name", path, c->name, d->name);
        if (!c->summary || !c->run || (c->param_count && !c->params))
            return rg_fail(err, RG_ERROR_PLUGIN, path, 0, 0,
                           "plugin %s: check %s lacks its %s", path, c->name,
                           !c->summary ? "summary" : !c->run ? "run function" : "parameter table");
        for (size_t j = 0; j < i; j++)
            if (strcmp(d->checks[j].name, c->name) == 0)
                return rg_fail(err, RG_ERROR_PLUGIN, path, 0, 0,
                               "plugin %s declares check %s twice", path, c->name);
        for (size_t j = 0; j < c->param_count; j++) {
            const rg_param *p = &c->params[j];
            char why[256];
            if (!p->name || !*p->name || !rg_param_type_name(p->type) || !p->description)
                return rg_fail(err, RG_ERROR_PLUGIN, path, 0, 0,
                               "plugin %s: check %s: parameter %zu lacks a name, a known type or a description",
                               path, c->name, j + 1);
            for (size_t k = 0; k < j; k++)
                if (strcmp(c->params[k].name, p->name) == 0)
                    return rg_fail(err, RG_ERROR_PLUGIN, path, 0, 0,
                                   "plugin %s: check %s declares parameter %s twice", path, c->name, p->name);
            if (validate_allowed(c, p, path, err) != 0)
                return -1;
            if (p->default_json) {
                cJSON *v = cJSON_Parse(p->default_json), *n = v ? rg_param_normalize(p, v, why, sizeof why) : NULL;
                cJSON_Delete(v);
                if (!n)
                    return rg_fail(err, RG_ERROR_PLUGIN, path, 0, 0,
                                   "plugin %s: check %s: the default of %s (%s) is not a valid %s%s", path,
                                   c->name, p->name, p->default_json, rg_param_type_name(p->type),
                                   p->allowed ? " among its allowed values" : "");
                cJSON_Delete(n);
            }
        }
    }
    return 0;
}

/* Add DESC, validated, to SET: refused when another plugin provides one of its checks. */
static int add_plugin(rg_plugins *set, const rg_plugin *desc, const char *path, rg_plugin_file *file,
                      rg_error *err)
{
    rg_loaded_plugin *grown;
    for (size_t i = 0; i < desc->check_count; i++) {
        const rg_loaded_plugin *owner;
        if (rg_plugins_find_check(set, desc->checks[i].name, &owner))
            return rg_fail(err, RG_ERROR_PLUGIN, path, 0, 0,
                           "check %s is provided by two plugins: %s and %s", desc->checks[i].name,
                           owner->path, path);
    }
    grown = realloc(set->items, (set->count + 1) * sizeof *grown);
    if (!grown)
        return rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
    set->items = grown;
    set->items[set->count].desc = desc;
    set->items[set->count].path = strdup(path);
    set->items[set->count].file = file;
    snprintf(set->items[set->count].abi, sizeof set->items[set->count].abi, "%u.%u",
             (unsigned)desc->abi_major, (unsigned)desc->abi_minor);
    set->count++;
    return 0;
}

int rg_plugins_add(rg_plugins *set, const rg_plugin *desc, const char *path, rg_error *err)
{
    if (rg_plugin_validate(desc, path, err) != 0)
        return -1;
    return add_plugin(set, desc, path, NULL, err);
}

/* ---- Files -------------------------------------------------------------------------------- */

/* Refuse what someone else could have written: group- or world-writable, or owned by
 * neither root nor us. */
static int check_owner_and_mode(const struct stat *st, const char *path, const char *what, rg_error *err)
{
    if (st->st_mode & (S_IWGRP | S_IWOTH))
        return rg_fail(err, RG_ERROR_PLUGIN, path, 0, 0,
                       "refusing plugin %s %s: it is writable by %s (chmod go-w)", what, path,
                       st->st_mode & S_IWOTH ? "anyone" : "its group");
    if (st->st_uid != 0 && st->st_uid != geteuid())
        return rg_fail(err, RG_ERROR_PLUGIN, path, 0, 0,
                       "refusing plugin %s %s: it is owned by uid %u, neither root nor the caller",
                       what, path, (unsigned)st->st_uid);
    return 0;
}

static int already_loaded(const rg_plugins *set, const char *name)
{
    for (size_t i = 0; i < set->count; i++)
        if (strcmp(set->items[i].desc->name, name) == 0)
            return 1;
    return 0;
}

static void file_free(rg_plugin_file *f)
{
    if (!f)
        return;
    if (f->fd >= 0)
        close(f->fd);
    free(f->path);
    free(f->record);
    rg_plugin_data_clear(&f->data);
    free(f);
}

/* Open PATH once, for good: its folder and itself checked for who may write them, the
 * open file checked (not the name, which could be swapped after the check). */
static rg_plugin_file *pin_file(const char *path, rg_error *err)
{
    char dir[PATH_MAX];
    struct stat st;
    rg_plugin_file *f;
    int fd;
    rg_path_dir(path, dir, sizeof dir);
    if (stat(dir, &st) != 0) {
        rg_fail(err, RG_ERROR_PLUGIN, path, 0, 0, "cannot inspect plugin folder %s: %s", dir, strerror(errno));
        return NULL;
    }
    if (check_owner_and_mode(&st, dir, "folder", err) != 0)
        return NULL;
    /* The one regular-file rule of every opener (common/fileio.c): a FIFO put in the
     * plugin's place is refused, not waited on. */
    fd = rg_keep_regular(open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK), &st);
    if (fd == RG_OPEN_FAILED) {
        rg_fail(err, RG_ERROR_PLUGIN, path, 0, 0, "cannot inspect plugin file %s: %s", path, strerror(errno));
        return NULL;
    }
    if (fd == RG_OPEN_NOT_FILE) {
        rg_fail(err, RG_ERROR_PLUGIN, path, 0, 0, "refusing plugin file %s: it is not a regular file", path);
        return NULL;
    }
    if (check_owner_and_mode(&st, path, "file", err) != 0) {
        close(fd);
        return NULL;
    }
    if (!(f = calloc(1, sizeof *f)) || !(f->path = strdup(path))) {
        free(f);
        close(fd);
        rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
        return NULL;
    }
    f->fd = fd;
    f->identity = st;
    return f;
}

/* The files of one load, in search order, and which of them SET took. */
typedef struct load {
    rg_plugins *set;
    rg_plugin_file **files;
    int *taken;
    size_t count;
} load;

/* Take file INDEX's description (PAYLOAD, from the loader child) into the set:
 * decoded, validated, and added unless a plugin of its name came earlier in the search
 * order (then it is left out). */
static int take_description(void *arg, size_t index, const char *payload, size_t len, rg_error *err)
{
    load *ld = arg;
    rg_plugins *set = ld->set;
    rg_plugin_file *file = ld->files[index];
    const char *why;
    if (rg_plugin_decode(payload, len, &file->data, &why) != 0)
        return rg_fail(err, RG_ERROR_PLUGIN, file->path, 0, 0, "plugin %s sent %s while loading", file->path, why);
    if (rg_plugin_validate_data(&file->data, file->path, err) != 0)
        return -1;
    if (already_loaded(set, file->data.desc.name)) /* an earlier directory in the search order wins */
        return 0;
    if (!(file->record = malloc(len ? len : 1)))
        return rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
    memcpy(file->record, payload, len);
    file->record_len = len;
    if (add_plugin(set, &file->data.desc, file->path, file, err) != 0)
        return -1;
    ld->taken[index] = 1;
    return 0;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collect the .so files of DIR (and, at depth 0, its subdirectories, expanded by the
 * caller) into NAMES, sorted. */
static int collect(const char *dir, int depth, char **names, size_t *count)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[PATH_MAX];
    size_t first = *count;
    if (!d)
        return 0;
    while ((e = readdir(d)) != NULL && *count < MAX_PLUGIN_FILES) {
        struct stat st;
        size_t n = strlen(e->d_name);
        if (e->d_name[0] == '.')
            continue;
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path)
            continue;
        if (lstat(path, &st) != 0)
            continue;
        if (S_ISREG(st.st_mode) && n > 3 && strcmp(e->d_name + n - 3, ".so") == 0)
            names[(*count)++] = strdup(path);
        else if (S_ISDIR(st.st_mode) && depth == 0)
            names[(*count)++] = strdup(path); /* expanded below */
    }
    closedir(d);
    qsort(names + first, *count - first, sizeof *names, compare_strings);
    return 0;
}

static int check_description(void *arg, size_t index, const char *payload, size_t len, rg_error *err)
{
    rg_plugin_file *file = arg;
    rg_plugin_data data;
    const char *why;
    int rc;
    (void)index;
    if (rg_plugin_decode(payload, len, &data, &why) != 0)
        return rg_fail(err, RG_ERROR_PLUGIN, file->path, 0, 0, "plugin %s sent %s while loading", file->path, why);
    rc = rg_plugin_validate_data(&data, file->path, err);
    rg_plugin_data_clear(&data);
    return rc;
}

/* The shared loader child failed at file COUNT, but one of the files before it may be
 * the cause (a process its constructor left writing into the loader's pipe): load each
 * alone, and blame the first that fails alone too.  Only on a refusal: no cost else. */
static void blame_alone(rg_plugin_file **files, size_t count, rg_error *err)
{
    for (size_t i = 0; i < count; i++) {
        rg_error alone;
        size_t at;
        rg_error_init(&alone);
        if (rg_plugin_loader_run(&files[i], 1, check_description, files[i], &at, &alone) != 0) {
            *err = alone;
            return;
        }
    }
}

/* Add DIR's plugin files (its .so files, then those of its subdirectories, each level
 * sorted) to the candidates. */
static void search_dir(rg_plugins *set, const char *dir, char ***paths, size_t *count)
{
    char *names[MAX_PLUGIN_FILES];
    size_t n = 0;
    char **grown = realloc(set->searched, (set->searched_count + 1) * sizeof *grown);
    if (grown) {
        set->searched = grown;
        set->searched[set->searched_count++] = strdup(dir);
    }
    collect(dir, 0, names, &n);
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        char *sub[MAX_PLUGIN_FILES];
        size_t m = 0;
        if (names[i] && lstat(names[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            collect(names[i], 1, sub, &m);
            free(names[i]);
        } else {
            sub[m++] = names[i];
        }
        for (size_t j = 0; j < m; j++) {
            char **more = *count < MAX_PLUGIN_FILES && sub[j] ? realloc(*paths, (*count + 1) * sizeof **paths) : NULL;
            if (!more) {
                free(sub[j]);
                continue;
            }
            *paths = more;
            (*paths)[(*count)++] = sub[j];
        }
    }
}

/* The descriptions of all of LD's files from CACHE: 0 with *RC the outcome of taking
 * them (as the loader's are taken), or -1 when one is missing (nothing taken). */
static int take_cached(load *ld, const rg_plugin_cache *cache, rg_error *err, int *rc)
{
    const char **records = calloc(ld->count ? ld->count : 1, sizeof *records);
    size_t *lens = calloc(ld->count ? ld->count : 1, sizeof *lens);
    size_t found = 0;
    for (; records && lens && cache && found < ld->count; found++) {
        unsigned char digest[RG_SHA256_LEN];
        rg_plugin_file *file = ld->files[found];
        if (!(records[found] = rg_plugin_cache_find(cache, file->path, &file->identity, &lens[found], digest)))
            break;
        rg_sha256_label(digest, file->digest, sizeof file->digest);
    }
    *rc = 0;
    if (records && lens && cache && found == ld->count)
        for (size_t i = 0; i < ld->count && *rc == 0; i++)
            *rc = take_description(ld, i, records[i], lens[i], err);
    free(records);
    free(lens);
    return records && lens && cache && found == ld->count ? 0 : -1;
}

/* What the loader child sent, kept by file for the cache (only a load that succeeded
 * is remembered: a refusal is looked at again every time). */
typedef struct remembering {
    load *ld;
    rg_plugin_cache *cache;
} remembering;

/* The file's digest is taken where its description is learned (the decision names
 * both), from the pinned file: the very bytes the loader child mapped. */
static int take_and_remember(void *arg, size_t index, const char *payload, size_t len, rg_error *err)
{
    remembering *r = arg;
    rg_plugin_file *file = r->ld->files[index];
    unsigned char digest[RG_SHA256_LEN];
    if (rg_sha256_fd(file->fd, digest) != 0)
        return rg_fail(err, RG_ERROR_PLUGIN, file->path, 0, 0, "cannot read plugin file %s to digest it: %s",
                       file->path, strerror(errno));
    rg_sha256_label(digest, file->digest, sizeof file->digest);
    if (r->cache)
        (void)rg_plugin_cache_put(r->cache, file->path, &file->identity, digest, payload, len);
    return take_description(r->ld, index, payload, len, err);
}

/* LD's files described by one loader child; CACHE (may be NULL) saved to PATH when all of
 * them were. */
static int load_and_remember(load *ld, rg_plugin_cache *cache, const char *path, size_t *failed_at, rg_error *err)
{
    remembering r = {ld, cache};
    int rc = rg_plugin_loader_run(ld->files, ld->count, take_and_remember, &r, failed_at, err);
    if (rc == 0 && cache && ld->count > 0)
        rg_plugin_cache_save(cache, path);
    return rc;
}

/* Load the candidate PATHS into SET: each opened and checked (up to the first that is
 * refused), then all of them described by one loader child. */
static int load_files(rg_plugins *set, char **paths, size_t count, rg_error *err)
{
    load ld = {set, calloc(count ? count : 1, sizeof *ld.files), calloc(count ? count : 1, sizeof *ld.taken), 0};
    rg_error pin_err;
    rg_plugin_cache *cache;
    char *cache_path;
    size_t failed_at = 0;
    int pin_failed = 0, rc;
    if (!ld.files || !ld.taken) {
        free(ld.files);
        free(ld.taken);
        return rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
    }
    rg_error_init(&pin_err);
    for (; ld.count < count; ld.count++)
        if (!(ld.files[ld.count] = pin_file(paths[ld.count], &pin_err))) {
            pin_failed = 1;
            break;
        }
    /* Files before the refused one are loaded first: a refusal among them comes first,
     * as it would in search order.  When the cache knows every one of them as it is,
     * no loader child (and no plugin code) runs at all. */
    cache_path = rg_plugin_cache_path((const char *const *)set->searched, set->searched_count);
    cache = cache_path ? rg_plugin_cache_open(cache_path) : NULL;
    if (pin_failed || take_cached(&ld, cache, err, &rc) != 0)
        rc = load_and_remember(&ld, cache, cache_path, &failed_at, err);
    rg_plugin_cache_free(cache);
    free(cache_path);
    if (rc != 0 && failed_at > 0)
        blame_alone(ld.files, failed_at, err);
    if (rc == 0 && pin_failed) {
        *err = pin_err;
        rc = -1;
    }
    for (size_t i = 0; i < ld.count; i++)
        if (!ld.taken[i])
            file_free(ld.files[i]);
    free(ld.files);
    free(ld.taken);
    return rc;
}

rg_plugins *rg_plugins_load(const char *const *dirs, size_t dir_count, int search_default,
                            rg_error *err)
{
    rg_plugins *set = calloc(1, sizeof *set);
    char **paths = NULL;
    size_t count = 0;
    int rc;
    if (!set) {
        rg_fail(err, RG_ERROR_INTERNAL, NULL, 0, 0, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < dir_count; i++) {
        struct stat st;
        if (stat(dirs[i], &st) != 0 || !S_ISDIR(st.st_mode)) {
            rg_fail(err, RG_ERROR_USAGE, dirs[i], 0, 0, "--plugin-path %s: %s", dirs[i],
                    errno && stat(dirs[i], &st) != 0 ? strerror(errno) : "not a directory");
            goto fail;
        }
        search_dir(set, dirs[i], &paths, &count);
    }
    if (search_default) {
        const char *env = getenv("RELGATE_PLUGIN_PATH");
        char build[PATH_MAX];
        if (env && *env) {
            char *copy = strdup(env), *save = NULL;
            for (char *tok = copy ? strtok_r(copy, ":", &save) : NULL; tok; tok = strtok_r(NULL, ":", &save))
                search_dir(set, tok, &paths, &count);
            free(copy);
        }
        if (rg_build_tree_dir("plugins", build, sizeof build))
            search_dir(set, build, &paths, &count);
        search_dir(set, RG_PLUGINDIR, &paths, &count);
    }
    rc = load_files(set, paths, count, err);
    for (size_t i = 0; i < count; i++)
        free(paths[i]);
    free(paths);
    if (rc == 0)
        return set;
fail:
    rg_plugins_free(set);
    return NULL;
}

void rg_plugins_free(rg_plugins *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->count; i++) {
        file_free(set->items[i].file);
        free(set->items[i].path);
    }
    free(set->items);
    for (size_t i = 0; i < set->searched_count; i++)
        free(set->searched[i]);
    free(set->searched);
    free(set);
}
