/* Who may call the deployment hooks: GitHub's X-Hub-Signature-256 and GitLab's
 * X-Gitlab-Token, compared in constant time (Nettle, the engine's crypto library). */
#ifndef HOOKS_VERIFY_H
#define HOOKS_VERIFY_H

#include <stddef.h>

/* Non-zero when HEADER is "sha256=" and the lower- or upper-case hex HMAC-SHA256 of the
 * raw BODY (LEN bytes) under SECRET (SECRET_LEN bytes, not empty).  A missing header
 * (NULL), another algorithm, a short or malformed digest: 0.  The digests are compared
 * with memeql_sec, whose time does not depend on where they differ. */
int hooks_github_signature_ok(const char *secret, size_t secret_len, const char *header,
                              const void *body, size_t len);

/* Non-zero when GIVEN (NULL: missing) is EXPECTED (not empty).  Both are hashed first
 * and the digests compared with memeql_sec, so neither where they differ nor how long
 * GIVEN is shows in the time taken. */
int hooks_token_ok(const char *expected, size_t expected_len, const char *given);

#endif
