/* Plugin code confined: what a plugin host does before it loads a plugin, so that no
 * plugin reaches a process it did not start (core/plugin_confine.c says how). */
#ifndef RG_PLUGIN_CONFINE_H
#define RG_PLUGIN_CONFINE_H

/* Confine this process, and everything it starts: no_new_privs, fewer capabilities as
 * root, undumpable, no controlling terminal, no other process's limits or scheduling
 * changed, no stop signal sent, and a Landlock domain of its own.  Returns the Landlock ABI version used (1
 * or more), 0 when the kernel offers no Landlock (the undumpable guard then stands
 * alone: docs/plugins.md), or -1 when it offers it and entering the domain failed: the
 * host must not load a plugin then. */
int rg_plugin_confine(void);

#endif
