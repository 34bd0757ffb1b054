/* release.artifacts: what a release ships, by name and digest — the subjects of a signed
 * decision (docs/context.md). */
#ifndef RG_ARTIFACTS_H
#define RG_ARTIFACTS_H

#include <cjson/cJSON.h>

#include "relgate/relgate.h"

/* Check release.artifacts of RELEASE when present: a list of {"name": non-empty string,
 * "digest": {"sha256": 64 lower-case hex digits, other algorithms as hex strings}}.  One
 * problem per bad entry is added to ERR, naming DISPLAY. */
void rg_artifacts_validate(const cJSON *release, const char *display, rg_error *err);

/* Whether TEXT is HEX_LEN lower-case hex digits (any length when HEX_LEN is 0, but some). */
int rg_is_lower_hex(const char *text, size_t hex_len);

#endif
