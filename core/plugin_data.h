/* A plugin descriptor as data: what a child that loaded the plugin read from the
 * plugin's memory and sent the engine, and the engine's own copy of it.  The engine
 * never follows a pointer a plugin made: it reads this. */
#ifndef RG_PLUGIN_DATA_H
#define RG_PLUGIN_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "relgate/plugin.h"

/* Bounds of a descriptor: the encoder refuses more, the decoder too. */
#define RG_DESC_MAX_CHECKS 256
#define RG_DESC_MAX_PARAMS 64
#define RG_DESC_MAX_ENV 64
#define RG_DESC_MAX_ALLOWED 64     /* allowed values of one parameter */
#define RG_DESC_MAX_ELEMENT 1024   /* check_size, param_size */
#define RG_DESC_MAX_STRING 4096
#define RG_DESC_MAX_BYTES (4u << 20)

typedef struct rg_plugin_data {
    /* The descriptor, every pointer into memory this owns: strings point into RAW, the
     * check table into CHECKS, a check's parameters into PARAMS, env and the
     * parameters' allowed values into ALLOWED.  check_size and param_size are the
     * plugin's (the tables here are the engine's own, of sizeof elements).  A
     * check's run is a stand-in (non-NULL when the plugin's was): the check runs only
     * in a child that loads the plugin itself. */
    rg_plugin desc;
    int complete;   /* 0: only the three ABI guards came (the ABI is refused by them) */
    char *raw;
    rg_check *checks;
    rg_param *params;
    const char **allowed;
} rg_plugin_data;

/* The bytes that describe DESC, a descriptor in this process's memory (a plugin's,
 * possibly hostile: a bad pointer crashes the caller, which must be a plugin child).
 * Returns the payload (heap, *LEN bytes), or NULL with WHY (static text) when the
 * descriptor is past the bounds above or memory ran out. */
char *rg_plugin_encode(const rg_plugin *desc, size_t *len, const char **why);

/* Parse PAYLOAD into OUT (clear it with rg_plugin_data_clear).  Returns 0, or -1 with
 * WHY (static text) for bytes that are not a well-formed description. */
int rg_plugin_decode(const char *payload, size_t len, rg_plugin_data *out, const char **why);

void rg_plugin_data_clear(rg_plugin_data *data);

/* Check I of DESC, a plugin's own descriptor (encoded already, so its element sizes are
 * usable): its table is stepped through by the plugin's check_size. */
const rg_check *rg_plugin_check_at(const rg_plugin *desc, size_t i);

/* The descriptor size ABI 1.MINOR needs. */
size_t rg_plugin_descriptor_size(uint32_t minor);

/* The sizes of rg_check and rg_param in ABI 1.MINOR: what a table element of a plugin
 * of that minor holds at least. */
size_t rg_check_layout_size(uint32_t minor);
size_t rg_param_layout_size(uint32_t minor);

/* Whether CHECK_SIZE and PARAM_SIZE, a descriptor's element sizes, can be stepped by for
 * ABI 1.MINOR: at least the layout sizes, at most RG_DESC_MAX_ELEMENT, multiples of the
 * structs' alignment.  The encoder walks no table of sizes that fail this (the
 * description then ends after them), and the validator refuses them. */
int rg_element_sizes_usable(uint32_t minor, uint32_t check_size, uint32_t param_size);

#endif
