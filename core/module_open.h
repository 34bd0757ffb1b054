/* Opening one of the engine's own modules (a decision-log store, the signer): code the
 * engine runs in its own process, so it is looked for only where the engine was built or
 * installed, never on a search path someone else controls. */
#ifndef RG_MODULE_OPEN_H
#define RG_MODULE_OPEN_H

#include <stddef.h>

/* dlopen <build tree>/SUBDIR/FILE when the running binary is in a meson build tree,
 * else INSTALLED_DIR/FILE.  WHAT names the module in messages ("the store module").
 * A missing file says "relgate was built without FEATURE support"; a file others than
 * its owner (root or the user running relgate) may change is refused.  The module is
 * never unmapped (RTLD_NODELETE): libraries it brings (TLS, crypto) keep thread keys and
 * exit handlers that must not point into unmapped code later.  Returns the handle, or
 * NULL with a message in ERR (ERR_SIZE bytes). */
void *rg_module_open(const char *subdir, const char *installed_dir, const char *file,
                     const char *what, const char *feature, char *err, size_t err_size);

#endif
