/* Reading members of cJSON objects, one rule for the engine and every plugin: a key that
 * occurs twice in an object is refused, never resolved.  JSON (RFC 8259) leaves
 * duplicates undefined and readers disagree on which one wins (cJSON takes the first,
 * most others the last), so a report could show one verdict to relgate and another to
 * the tool that wrote it.  Compiled into each user (common/meson.build). */
#ifndef RG_JSON_MEMBER_H
#define RG_JSON_MEMBER_H

#include <cjson/cJSON.h>

/* Member KEY of object OBJ (case-sensitive): NULL when OBJ is not an object or has no
 * such member.  When KEY occurs more than once: NULL, and *DUP is set to 1 (DUP may be
 * NULL) — neither of the values is taken. */
const cJSON *rg_json_member(const cJSON *obj, const char *key, int *dup);

/* The value at dotted PATH ("release.commit") under OBJ, each step by rg_json_member
 * (a key given twice stops the walk): NULL when any step is missing.  An empty PATH is
 * OBJ itself.  Keys holding a '.' cannot be named. */
const cJSON *rg_json_at(const cJSON *obj, const char *path);

/* The first member found whose key occurs twice in its object, anywhere in ITEM (objects
 * and arrays walked), or NULL.  *PARENT (when not NULL) is set to the object holding it. */
const cJSON *rg_json_duplicate(const cJSON *item, const cJSON **parent);

#endif
