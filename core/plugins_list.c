/* What a plugin set holds, through the public API (relgate.h): listings read it here,
 * never through the set's fields. */
#include <stdio.h>

#include "plugins.h"

size_t rg_plugins_searched_count(const rg_plugins *plugins)
{
    return plugins ? plugins->searched_count : 0;
}

const char *rg_plugins_searched(const rg_plugins *plugins, size_t dir)
{
    return plugins && dir < plugins->searched_count ? plugins->searched[dir] : NULL;
}

size_t rg_plugins_count(const rg_plugins *plugins)
{
    return plugins ? plugins->count : 0;
}

const char *rg_plugin_attr_get(const rg_plugins *plugins, size_t plugin, rg_plugin_attr attr)
{
    const rg_loaded_plugin *lp;
    if (!plugins || plugin >= plugins->count)
        return NULL;
    lp = &plugins->items[plugin];
    switch (attr) {
    case RG_PLUGIN_NAME: return lp->desc->name;
    case RG_PLUGIN_VERSION: return lp->desc->version;
    case RG_PLUGIN_DESCRIPTION: return lp->desc->description;
    case RG_PLUGIN_LICENSE: return lp->desc->license;
    case RG_PLUGIN_PATH: return lp->path;
    case RG_PLUGIN_ABI: return lp->abi;
    }
    return NULL;
}

static const rg_check *check_at(const rg_plugins *plugins, size_t plugin, size_t check)
{
    if (!plugins || plugin >= plugins->count || check >= plugins->items[plugin].desc->check_count)
        return NULL;
    return &plugins->items[plugin].desc->checks[check];
}

size_t rg_plugin_check_count(const rg_plugins *plugins, size_t plugin)
{
    return plugins && plugin < plugins->count ? plugins->items[plugin].desc->check_count : 0;
}

const char *rg_plugin_check_get(const rg_plugins *plugins, size_t plugin, size_t check, rg_check_attr attr)
{
    const rg_check *c = check_at(plugins, plugin, check);
    if (!c)
        return NULL;
    return attr == RG_CHECK_NAME ? c->name : attr == RG_CHECK_SUMMARY ? c->summary : NULL;
}

size_t rg_plugin_param_count(const rg_plugins *plugins, size_t plugin, size_t check)
{
    const rg_check *c = check_at(plugins, plugin, check);
    return c ? c->param_count : 0;
}

const char *rg_plugin_param_get(const rg_plugins *plugins, size_t plugin, size_t check, size_t param,
                                rg_param_attr attr)
{
    const rg_check *c = check_at(plugins, plugin, check);
    const rg_param *p;
    if (!c || param >= c->param_count)
        return NULL;
    p = &c->params[param];
    switch (attr) {
    case RG_PARAM_NAME: return p->name;
    case RG_PARAM_DESCRIPTION: return p->description;
    case RG_PARAM_TYPE: return rg_param_type_name(p->type);
    case RG_PARAM_DEFAULT: return p->default_json;
    case RG_PARAM_REQUIRED: return p->required ? "required" : NULL;
    }
    return NULL;
}

const char *rg_plugin_param_allowed(const rg_plugins *plugins, size_t plugin, size_t check, size_t param,
                                    size_t i)
{
    const rg_check *c = check_at(plugins, plugin, check);
    const rg_param *p;
    if (!c || param >= c->param_count)
        return NULL;
    p = &c->params[param];
    for (size_t k = 0; p->allowed && p->allowed[k]; k++)
        if (k == i)
            return p->allowed[k];
    return NULL;
}
