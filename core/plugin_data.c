/* Plugin descriptors as data: encoded in a plugin child, decoded in the engine. */
#include <stdlib.h>
#include <string.h>

#include "plugin_data.h"
#include "strbuf.h"

size_t rg_plugin_descriptor_size(uint32_t minor)
{
    if (minor < 2)
        return offsetof(rg_plugin, flags);
    if (minor == 2)
        return offsetof(rg_plugin, env);
    return sizeof(rg_plugin);
}

/* ---- Encoding (in the child) ------------------------------------------------------------ */

static void put_u32(rg_strbuf *b, uint32_t v)
{
    rg_strbuf_add(b, (const char *)&v, 4);
}

/* A string: presence byte, then length, bytes and a NUL.  Returns -1 when too long. */
static int put_str(rg_strbuf *b, const char *s)
{
    size_t n;
    if (!s) {
        rg_strbuf_add(b, "\0", 1);
        return 0;
    }
    n = strnlen(s, RG_DESC_MAX_STRING + 1);
    if (n > RG_DESC_MAX_STRING)
        return -1;
    rg_strbuf_add(b, "\1", 1);
    put_u32(b, (uint32_t)n);
    rg_strbuf_add(b, s, n);
    rg_strbuf_add(b, "\0", 1);
    return 0;
}

/* A pointer a plugin gave that cannot point at a T: reading through it is undefined
 * even before it faults. */
#define MISALIGNED(p, T) ((uintptr_t)(p) % _Alignof(T) != 0)

static int complete_header(const rg_plugin *d)
{
    return d->abi_major == RG_PLUGIN_ABI_MAJOR && d->abi_minor <= RG_PLUGIN_ABI_MINOR &&
           d->size >= rg_plugin_descriptor_size(d->abi_minor);
}

static const char *encode_body(rg_strbuf *b, const rg_plugin *d)
{
    size_t env_count = 0;
    const char *const *env = d->abi_minor >= 3 ? d->env : NULL;
    if (put_str(b, d->name) || put_str(b, d->version) || put_str(b, d->description) ||
        put_str(b, d->license))
        return "a descriptor string is longer than 4096 bytes";
    put_u32(b, d->abi_minor >= 2 ? d->flags : 0);
    if (d->check_count > RG_DESC_MAX_CHECKS)
        return "it declares more than 256 checks";
    if (MISALIGNED(d->checks, rg_check) || MISALIGNED(env, const char *))
        return "a descriptor pointer is misaligned";
    put_u32(b, d->checks ? (uint32_t)d->check_count : 0);
    for (size_t i = 0; d->checks && i < d->check_count; i++) {
        const rg_check *c = &d->checks[i];
        if (c->param_count > RG_DESC_MAX_PARAMS)
            return "a check declares more than 64 parameters";
        if (MISALIGNED(c->params, rg_param))
            return "a descriptor pointer is misaligned";
        if (put_str(b, c->name) || put_str(b, c->summary))
            return "a check's name or summary is longer than 4096 bytes";
        rg_strbuf_add(b, c->run ? "\1" : "\0", 1);
        put_u32(b, c->params ? (uint32_t)c->param_count : 0);
        put_u32(b, (uint32_t)c->param_count);
        for (size_t j = 0; c->params && j < c->param_count; j++) {
            const rg_param *p = &c->params[j];
            if (put_str(b, p->name) || put_str(b, p->default_json) || put_str(b, p->description))
                return "a parameter's strings are longer than 4096 bytes";
            put_u32(b, (uint32_t)p->type);
            put_u32(b, p->required ? 1u : 0u);
        }
    }
    while (env && env[env_count])
        if (++env_count > RG_DESC_MAX_ENV)
            return "it names more than 64 environment variables";
    put_u32(b, env ? (uint32_t)env_count + 1 : 0);   /* 0: no list; N + 1: N names */
    for (size_t i = 0; i < env_count; i++)
        if (put_str(b, env[i]))
            return "an environment variable name is longer than 4096 bytes";
    return NULL;
}

char *rg_plugin_encode(const rg_plugin *d, size_t *len, const char **why)
{
    rg_strbuf b = {0};
    const char *problem = NULL;
    int complete;
    if (MISALIGNED(d, rg_plugin)) {
        *why = "the descriptor pointer is misaligned";
        return NULL;
    }
    complete = complete_header(d);
    put_u32(&b, d->abi_major);
    put_u32(&b, d->abi_minor);
    put_u32(&b, d->size);
    rg_strbuf_add(&b, complete ? "\1" : "\0", 1);
    if (complete)
        problem = encode_body(&b, d);
    if (!problem && b.len > RG_DESC_MAX_BYTES)
        problem = "the descriptor takes more than 4 MiB";
    if (problem || b.failed) {
        free(b.data);
        *why = problem ? problem : "out of memory";
        return NULL;
    }
    *len = b.len;
    return b.data;
}

/* ---- Decoding (in the engine) ----------------------------------------------------------- */

typedef struct reader {
    const char *p, *end;
    char *raw_base;          /* the owned copy strings point into */
    const char *src_base;
    int bad;
} reader;

static uint32_t get_u32(reader *r)
{
    uint32_t v = 0;
    if (r->bad || r->end - r->p < 4) {
        r->bad = 1;
        return 0;
    }
    memcpy(&v, r->p, 4);
    r->p += 4;
    return v;
}

static int get_u8(reader *r)
{
    if (r->bad || r->p >= r->end) {
        r->bad = 1;
        return 0;
    }
    return (unsigned char)*r->p++;
}

/* A string: a pointer into the owned copy, or NULL (absent, or R->bad set). */
static const char *get_str(reader *r)
{
    int present = get_u8(r);
    uint32_t n;
    const char *s;
    if (r->bad || present == 0)
        return NULL;
    n = get_u32(r);
    if (present != 1 || n > RG_DESC_MAX_STRING || (size_t)(r->end - r->p) < (size_t)n + 1 ||
        memchr(r->p, '\0', n) || r->p[n] != '\0') {
        r->bad = 1;
        return NULL;
    }
    s = r->raw_base + (r->p - r->src_base);
    r->p += n + 1;
    return s;
}

static rg_check_status stand_in(const rg_host *host, rg_check_call *call)
{
    return host->error(call, "this check runs only in a child that loads its plugin");
}

static int decode_params(reader *r, rg_plugin_data *out, size_t *used)
{
    for (size_t i = 0; i < out->desc.check_count && !r->bad; i++) {
        rg_check *c = &out->checks[i];
        uint32_t has_table, declared;
        c->name = get_str(r);
        c->summary = get_str(r);
        c->run = get_u8(r) ? stand_in : NULL;
        has_table = get_u32(r);
        declared = get_u32(r);
        if (r->bad || declared > RG_DESC_MAX_PARAMS || (has_table && has_table != declared))
            return -1;
        c->param_count = declared;
        c->params = has_table || declared == 0 ? out->params + *used : NULL;
        for (uint32_t j = 0; has_table && j < declared && !r->bad; j++) {
            rg_param *p = &out->params[(*used)++];
            p->name = get_str(r);
            p->default_json = get_str(r);
            p->description = get_str(r);
            p->type = (rg_param_type)get_u32(r);
            p->required = (int)get_u32(r);
        }
    }
    return r->bad ? -1 : 0;
}

int rg_plugin_decode(const char *payload, size_t len, rg_plugin_data *out, const char **why)
{
    reader r;
    uint32_t count, env_slots;
    size_t used = 0;
    memset(out, 0, sizeof *out);
    *why = "a malformed plugin description";
    if (len > RG_DESC_MAX_BYTES || !(out->raw = malloc(len ? len : 1)))
        return -1;
    memcpy(out->raw, payload, len);
    r.p = payload;
    r.end = payload + len;
    r.raw_base = out->raw;
    r.src_base = payload;
    r.bad = 0;
    out->desc.abi_major = get_u32(&r);
    out->desc.abi_minor = get_u32(&r);
    out->desc.size = get_u32(&r);
    out->complete = get_u8(&r);
    if (r.bad || out->complete > 1 || (out->complete && !complete_header(&out->desc)))
        goto bad;
    if (!out->complete)
        return r.p == r.end ? 0 : (rg_plugin_data_clear(out), -1);
    out->desc.name = get_str(&r);
    out->desc.version = get_str(&r);
    out->desc.description = get_str(&r);
    out->desc.license = get_str(&r);
    out->desc.flags = get_u32(&r);
    count = get_u32(&r);
    if (r.bad || count > RG_DESC_MAX_CHECKS)
        goto bad;
    out->desc.check_count = count;
    /* Every parameter fits in what is left of the payload: at least 11 bytes each. */
    out->checks = calloc(count ? count : 1, sizeof *out->checks);
    out->params = calloc((size_t)(r.end - r.p) / 11 + 1, sizeof *out->params);
    if (!out->checks || !out->params) {
        *why = "out of memory";
        goto bad;
    }
    out->desc.checks = count ? out->checks : NULL;
    if (decode_params(&r, out, &used) != 0)
        goto bad;
    env_slots = get_u32(&r);
    if (r.bad || env_slots > RG_DESC_MAX_ENV + 1)
        goto bad;
    if (env_slots) {
        if (!(out->env = calloc(env_slots, sizeof *out->env))) {
            *why = "out of memory";
            goto bad;
        }
        for (uint32_t i = 0; i + 1 < env_slots; i++)
            if (!(out->env[i] = get_str(&r)))
                goto bad;
        out->desc.env = out->env;
    }
    if (r.bad || r.p != r.end)
        goto bad;
    return 0;
bad:
    rg_plugin_data_clear(out);
    return -1;
}

void rg_plugin_data_clear(rg_plugin_data *data)
{
    free(data->raw);
    free(data->checks);
    free(data->params);
    free(data->env);
    memset(data, 0, sizeof *data);
}
