/* The Link header (RFC 8288), read for the next page of a paginated API listing. */
#ifndef CI_LINK_H
#define CI_LINK_H

#include <stddef.h>

/* The target of the first link in the Link field value V (LEN bytes) whose rel includes
 * "next" (any case, among space-separated relation types, quoted or not, with its other
 * parameters in any order), into OUT (SIZE bytes).  Returns 1 when one is found, 0 when
 * none is, -1 when V is not a Link value by RFC 8288's grammar (or its target does not fit
 * OUT): a page whose next link cannot be read must not be taken as the last one. */
int ci_link_next(const char *v, size_t len, char *out, size_t size);

#endif
