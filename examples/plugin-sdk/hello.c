/* A complete relgate check plugin, built outside relgate's tree with nothing but the
 * installed SDK:
 *
 *     cc -shared -fPIC -fvisibility=hidden $(pkg-config --cflags relgate-plugin) \
 *        hello.c -o relgate-hello.so
 *
 * Check hello.size: an evidence file exists and holds at least min_bytes bytes. */
#include <relgate/plugin.h>

static rg_check_status run(const rg_host *host, rg_check_call *call)
{
    const char *name = host->param_string(call, "report");
    const char *text, *why;
    size_t len;
    rg_json *details = host->details(call);

    host->add_string(call, details, "evidence", name);
    if (host->read_evidence(call, name, &text, &len, &why) != 0)
        return host->fail(call, "cannot read the report: %s", why);
    host->add_number(call, details, "bytes", (double)len);
    if ((int64_t)len < host->param_integer(call, "min_bytes"))
        return host->fail(call, "%s holds %zu bytes, fewer than %lld", name, len,
                          (long long)host->param_integer(call, "min_bytes"));
    return host->pass(call, "%s holds %zu bytes", name, len);
}

static const rg_param params[] = {
    {"report", RG_PARAM_EVIDENCE, 1, NULL, "evidence name of the report", NULL},
    {"min_bytes", RG_PARAM_INTEGER, 0, "1", "smallest acceptable size in bytes", NULL},
};

static const rg_check checks[] = {
    {"hello.size", "An evidence file exists and is not too small", params, 2, run},
};

static const rg_plugin plugin = {
    RG_PLUGIN_ABI_MAJOR, RG_PLUGIN_ABI_MINOR, sizeof(rg_plugin),
    "hello", "1.0.0", "Example plugin built from the installed SDK", "MIT", checks, 1,
    0, NULL, /* flags; env: the environment variables it reads (none) */
    sizeof(rg_check), sizeof(rg_param), /* the element sizes of its tables, as built */
};

RG_PLUGIN_EXPORT const rg_plugin *relgate_plugin_entry(void)
{
    return &plugin;
}
