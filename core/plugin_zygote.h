/* A plugin's zygote: one process per plugin file and per engine thread that loads the
 * plugin once and then starts a fresh check child from that image for each unit of
 * check jobs the engine sends it, as the ENGINE's child (CLONE_PARENT): the engine
 * waits for it, times it and kills its process group exactly as a child it forked
 * itself.  What the engine no longer pays per check child: a fork of its own (grown)
 * image with the copy-on-write faults after it, and the child's dlopen of the plugin and
 * its libraries.  The zygote runs plugin code (its constructors), so nothing it says is
 * trusted beyond the jobs of its own plugin: see docs/plugins.md, "Threat model". */
#ifndef RG_PLUGIN_ZYGOTE_H
#define RG_PLUGIN_ZYGOTE_H

#include <stddef.h>
#include <sys/types.h>

#include "plugins.h"

/* In the zygote, once given its plugin (the plugin host, the plugin file as descriptor
 * 4, its environment set): load FILE's plugin and check it is the one validated; returns its
 * descriptor, or ends the process (its status says why: the engine reads it). */
typedef const rg_plugin *(*rg_zygote_load_fn)(const rg_plugin_file *file);

/* In a check child the zygote started: JOB, RESULT and OUTPUT are the descriptors the
 * engine sent with the job; the child sets itself up (rg_child_enter_from_zygote) and
 * runs the job.  Never returns. */
typedef void (*rg_zygote_run_fn)(const rg_plugin_file *file, const rg_plugin *desc, pid_t engine, int job,
                                 int result, int output);

/* How a spawn failed: the zygote could not be started or has ended (STATUS is its wait
 * status when EXITED), or it broke the protocol.  WHY says it, for a message. */
typedef struct rg_zygote_failure {
    int exited, status;
    char why[200];
} rg_zygote_failure;

/* A check child for FILE's plugin running the job in JOB_FD (the engine's copy stays
 * the caller's to close), writing results to RESULT_FD and its output to OUTPUT_FD,
 * through the zygote of FILE in this thread, in two steps so that the caller can work
 * while the zygote starts (the plugin host started and given its plugin on first use,
 * within RG_PLUGIN_LOAD_TIMEOUT): send the job (0 and *SEQ, or -1 with *FAIL filled),
 * then take the child's pid — a child of this process, not one it knew of — for each
 * job sent, in the order they were sent (the pid, or -1 with *FAIL filled).  LAST (only
 * in the thread's last evaluation, rg_zygotes_last_evaluation) says the caller sends
 * FILE's zygote no other job: the zygote runs it itself, as the check's process (the pid
 * taken is the zygote's, which this table then forgets), and the next job of FILE
 * starts a new zygote.  A zygote
 * that failed once stays failed in this thread (every later job gets its failure),
 * since all it could still send is suspect. */
int rg_zygote_send(const rg_plugin_file *file, int job_fd, int result_fd, int output_fd, int last, uint32_t *seq,
                   rg_zygote_failure *fail);
pid_t rg_zygote_child(const rg_plugin_file *file, uint32_t seq, rg_zygote_failure *fail);

/* Whether this thread's evaluation is its last (rg_plugin_processes_last_evaluation):
 * only then may a job be sent as LAST. */
int rg_zygotes_last_evaluation(void);

/* In the plugin host ("zygote", rg_host_enter done): become the zygote the engine ENGINE
 * described on descriptor 5 — LOAD the plugin (descriptor 4), say READY on the socket
 * (3), then start a check child that RUNs each job it is sent.  Never returns. */
void rg_zygote_host(pid_t engine, rg_zygote_load_fn load, rg_zygote_run_fn run) __attribute__((noreturn));

/* FILE's zygote in this thread lied (WHY says how, for a message): it is failed for
 * good, as if rg_zygote_spawn had caught it. */
void rg_zygote_refuse(const rg_plugin_file *file, const char *why);

/* The pids of this thread's zygotes (at most MAX into OUT): children of this process
 * that are not strays of a check. */
size_t rg_zygote_pids(pid_t *out, size_t max);

/* End this thread's zygotes and everything they started (their process groups and what
 * escaped them, reparented to this process).  Called at exit; a process that ends with
 * _exit calls it first (rg_plugin_hosts_end). */
void rg_zygotes_end(void);

#endif
