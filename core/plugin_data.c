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

size_t rg_check_layout_size(uint32_t minor)
{
    (void)minor;   /* unchanged since 1.0 */
    return sizeof(rg_check);
}

size_t rg_param_layout_size(uint32_t minor)
{
    return minor < 3 ? offsetof(rg_param, allowed) : sizeof(rg_param);
}

static int element_size_usable(uint32_t size, size_t layout, size_t align)
{
    return size >= layout && size <= RG_DESC_MAX_ELEMENT && size % align == 0;
}

int rg_element_sizes_usable(uint32_t minor, uint32_t check_size, uint32_t param_size)
{
    return element_size_usable(check_size, rg_check_layout_size(minor), _Alignof(rg_check)) &&
           element_size_usable(param_size, rg_param_layout_size(minor), _Alignof(rg_param));
}

/* The element sizes of D's tables: its own from 1.3 on, the 1.0 layout's before. */
static void element_sizes(const rg_plugin *d, uint32_t *check_size, uint32_t *param_size)
{
    *check_size = d->abi_minor >= 3 ? d->check_size : (uint32_t)rg_check_layout_size(d->abi_minor);
    *param_size = d->abi_minor >= 3 ? d->param_size : (uint32_t)rg_param_layout_size(d->abi_minor);
}

const rg_check *rg_plugin_check_at(const rg_plugin *d, size_t i)
{
    uint32_t check_size, param_size;
    element_sizes(d, &check_size, &param_size);
    return (const rg_check *)(const void *)((const char *)d->checks + i * check_size);
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

/* A NULL-terminated list of at most MAX strings (NULL: none): 0 for no list, else the
 * count + 1, then the strings.  Returns the problem, or NULL. */
static const char *put_list(rg_strbuf *b, const char *const *list, size_t max, const char *too_many,
                            const char *too_long)
{
    size_t count = 0;
    if (MISALIGNED(list, const char *))
        return "a descriptor pointer is misaligned";
    while (list && list[count])
        if (++count > max)
            return too_many;
    put_u32(b, list ? (uint32_t)count + 1 : 0);
    for (size_t i = 0; i < count; i++)
        if (put_str(b, list[i]))
            return too_long;
    return NULL;
}

static const char *encode_param(rg_strbuf *b, const rg_param *p, uint32_t minor)
{
    if (put_str(b, p->name) || put_str(b, p->default_json) || put_str(b, p->description))
        return "a parameter's strings are longer than 4096 bytes";
    put_u32(b, (uint32_t)p->type);
    put_u32(b, p->required ? 1u : 0u);
    return put_list(b, minor >= 3 ? p->allowed : NULL, RG_DESC_MAX_ALLOWED,
                    "a parameter allows more than 64 values", "an allowed value is longer than 4096 bytes");
}

static const char *encode_body(rg_strbuf *b, const rg_plugin *d)
{
    uint32_t check_size, param_size;
    if (put_str(b, d->name) || put_str(b, d->version) || put_str(b, d->description) ||
        put_str(b, d->license))
        return "a descriptor string is longer than 4096 bytes";
    put_u32(b, d->abi_minor >= 2 ? d->flags : 0);
    element_sizes(d, &check_size, &param_size);
    put_u32(b, check_size);
    put_u32(b, param_size);
    /* Tables are stepped through by their own element sizes: sizes that cannot be are
     * sent, and nothing after them (the validator names them). */
    if (!rg_element_sizes_usable(d->abi_minor, check_size, param_size))
        return NULL;
    if (d->check_count > RG_DESC_MAX_CHECKS)
        return "it declares more than 256 checks";
    if (MISALIGNED(d->checks, rg_check))
        return "a descriptor pointer is misaligned";
    put_u32(b, d->checks ? (uint32_t)d->check_count : 0);
    for (size_t i = 0; d->checks && i < d->check_count; i++) {
        const rg_check *c = rg_plugin_check_at(d, i);
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
            const char *problem = encode_param(
                b, (const rg_param *)(const void *)((const char *)c->params + j * param_size), d->abi_minor);
            if (problem)
                return problem;
        }
    }
    return put_list(b, d->abi_minor >= 3 ? d->env : NULL, RG_DESC_MAX_ENV,
                    "it names more than 64 environment variables",
                    "an environment variable name is longer than 4096 bytes");
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

/* A list put_list wrote, into OUT's ALLOWED pool (POOL_LEFT pointers left) or, for the
 * env list, a table of its own: *LIST the list or NULL.  Returns -1 when malformed. */
static int get_list(reader *r, uint32_t max, const char ***pool, size_t *pool_left, const char *const **list)
{
    uint32_t slots = get_u32(r);
    *list = NULL;
    if (r->bad || slots > max + 1 || slots > *pool_left)
        return -1;
    if (!slots)
        return 0;
    for (uint32_t i = 0; i + 1 < slots; i++)
        if (!((*pool)[i] = get_str(r)))
            return -1;
    (*pool)[slots - 1] = NULL;
    *list = *pool;
    *pool += slots;
    *pool_left -= slots;
    return 0;
}

static int decode_params(reader *r, rg_plugin_data *out, size_t *used, const char ***pool, size_t *pool_left)
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
            if (get_list(r, RG_DESC_MAX_ALLOWED, pool, pool_left, &p->allowed) != 0)
                return -1;
        }
    }
    return r->bad ? -1 : 0;
}

int rg_plugin_decode(const char *payload, size_t len, rg_plugin_data *out, const char **why)
{
    reader r;
    uint32_t count;
    size_t used = 0, pool_left;
    const char **pool;
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
    out->desc.check_size = get_u32(&r);
    out->desc.param_size = get_u32(&r);
    if (r.bad)
        goto bad;
    /* Sizes the tables cannot be stepped by end the description (see encode_body). */
    if (!rg_element_sizes_usable(out->desc.abi_minor, out->desc.check_size, out->desc.param_size)) {
        if (r.p != r.end)
            goto bad;
        return 0;
    }
    count = get_u32(&r);
    if (r.bad || count > RG_DESC_MAX_CHECKS)
        goto bad;
    out->desc.check_count = count;
    /* Every parameter fits in what is left of the payload (at least 15 bytes each), and
     * every slot of a list (a string at least 6 bytes, a list's end 4). */
    pool_left = (size_t)(r.end - r.p) / 4 + 1;
    out->checks = calloc(count ? count : 1, sizeof *out->checks);
    out->params = calloc((size_t)(r.end - r.p) / 15 + 1, sizeof *out->params);
    out->allowed = calloc(pool_left, sizeof *out->allowed);
    if (!out->checks || !out->params || !out->allowed) {
        *why = "out of memory";
        goto bad;
    }
    pool = out->allowed;
    out->desc.checks = count ? out->checks : NULL;
    if (decode_params(&r, out, &used, &pool, &pool_left) != 0 ||
        get_list(&r, RG_DESC_MAX_ENV, &pool, &pool_left, &out->desc.env) != 0)
        goto bad;
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
    free(data->allowed);
    memset(data, 0, sizeof *data);
}
