/* What every child process that runs plugin code shares: how it is set up (its own
 * process group, only the descriptors it is given, a minimal environment), the framed
 * records it sends the engine, its captured output, and how the engine makes sure
 * nothing it started outlives it. */
#ifndef RG_PLUGIN_CHILD_H
#define RG_PLUGIN_CHILD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- Frames: header (magic, version, kind, sequence, length), payload, trailer
 * (checksum of header and payload, end marker).  A reader refuses what is foreign
 * (another magic or version), oversized, damaged (checksum, end marker) or cut short. */

#define RG_FRAME_OVERHEAD 28u

typedef struct rg_frame {
    uint32_t kind, seq, len;
    const char *payload;   /* inside the parsed buffer */
    size_t used;           /* bytes of the buffer the frame took */
} rg_frame;

/* FRAME (RG_FRAME_OVERHEAD + LEN bytes, caller's buffer) around PAYLOAD. */
void rg_frame_build(char *frame, const char magic[4], uint32_t kind, uint32_t seq,
                    const void *payload, uint32_t len);

/* The frame at DATA (LEN bytes so far): 1 complete (F filled), 0 not complete yet,
 * -1 not a frame of MAGIC at most MAX_LEN long (WHY says how). */
int rg_frame_parse(const char *data, size_t len, const char magic[4], uint32_t max_len,
                   rg_frame *f, const char **why);

/* ---- Descriptors passed between the engine and its helpers (a zygote, a check child
 * forked early), over a SOCK_SEQPACKET socket: one message a record. */

/* Send MSG (LEN bytes) with the COUNT (at most 4) descriptors FDS, without blocking:
 * sendmsg's result (LEN when sent). */
ssize_t rg_fds_send(int sock, const void *msg, size_t len, const int *fds, size_t count);

/* Receive one message into MSG (CAP bytes) that carries exactly COUNT (at most 4)
 * descriptors, into FDS, close-on-exec: its length, 0 at the peer's end, or -1 with errno
 * (EPROTO: cut short, or not COUNT descriptors — any that came are closed). */
ssize_t rg_fds_receive(int sock, void *msg, size_t cap, int *fds, size_t count);

/* ---- The plugin host: a program of its own (relgate-plugin-host), so that plugin code
 * never runs in a copy of the engine's memory — its environment block, a signing key,
 * tokens, what the embedding program holds — but in a fresh image that holds only what
 * it is sent. */

/* Start the plugin host as MODE (with ARG, may be NULL) for this engine: standard input
 * /dev/null, standard output and error to OUTPUT_FD, descriptor KEEP[i] as 3 + i and no
 * other, an environment of PATH=/usr/bin:/bin alone (a zygote is sent its plugin's with
 * the plugin), a process group of its own, no signal blocked.  Found in the build tree
 * the running program is in, else beside this library (libexecdir/relgate), else where
 * it was configured; refused unless only its owner (root or this user) can change it.
 * Its pid, or -1 with WHY filled. */
pid_t rg_host_spawn(const char *mode, const char *arg, int output_fd, const int *keep, size_t keep_count,
                    char *why, size_t why_size);

/* The environment a plugin's code gets: PATH=/usr/bin:/bin (or this process's PATH when
 * NAMES has it) and the variables NAMES names as this process has them, "NAME=VALUE",
 * NULL-terminated (NULL when out of memory); free with rg_plugin_environment_free. */
char **rg_plugin_environment(const char *const *names);
void rg_plugin_environment_free(char **vars);

/* In the plugin host, first: its arguments (ARGV[1] mode, [2] the engine's pid, [3] its
 * CPUs) read, killed with the engine (PR_SET_PDEATHSIG), no core files.  Returns -1 when
 * it must not go on (bad arguments, the engine is gone); *ENGINE set. */
int rg_host_enter(int argc, char **argv, pid_t *engine);

/* ---- In the child, before any plugin code runs ------------------------------------- */

/* Become a check child of the engine's own checks (linked in, no plugin code: tests): a
 * process group of its own, killed with the engine (PR_SET_PDEATHSIG), default signal
 * handling, standard input from /dev/null, standard output and error to OUTPUT_FD, then
 * descriptor KEEP[i] as 3 + i and every other descriptor closed, and an environment of
 * PATH=/usr/bin:/bin alone.  Returns -1 when the child must not go on (the engine is
 * gone, descriptors could not be arranged). */
int rg_child_enter(pid_t engine, int output_fd, const int *keep, size_t keep_count);

/* The same for a check child a plugin's zygote started (plugin_zygote.h) for ENGINE, its
 * parent: what the zygote set up before any plugin code ran (signals, standard input,
 * the core limit, the environment) it inherits; its own process group, the engine's
 * death, its output and its descriptors it sets itself.  Returns -1 as rg_child_enter. */
int rg_child_enter_from_zygote(pid_t engine, int output_fd, const int *keep, size_t keep_count);

/* ---- In the engine -------------------------------------------------------------------- */

/* Before starting a process that runs plugin code (the plugin host) or a child of the
 * engine's own: make this process undumpable (PR_SET_DUMPABLE 0), once per process, so
 * that a process running as the same user cannot open /proc/ENGINE/fd/N (the decision's
 * standard output, a batch worker's pipe), /proc/ENGINE/environ or /proc/ENGINE/mem: the
 * kernel then treats the engine like a set-user-ID program.  (It does not stop root, nor
 * signals: see the threat model in docs/plugins.md.)  And note this thread's CPUs, for
 * rg_child_started and the host. */
void rg_child_before_fork(void);

/* Put CHILD (just forked, or just given its job) in its own process group, as it does
 * itself (whichever runs first), start it on another CPU than this one when there is
 * one (it takes every CPU back as it sets itself up), and make this process the reaper
 * of its orphans (PR_SET_CHILD_SUBREAPER). */
void rg_child_started(pid_t child);

/* What a child wrote on its standard output and error, at most RG_CHILD_OUTPUT_MAX
 * bytes kept (the rest counted), for the engine's standard error. */
#define RG_CHILD_OUTPUT_MAX (64u * 1024u)

typedef struct rg_child_output {
    int fd;          /* read end, non-blocking; -1 when closed */
    char *buf;
    size_t len;
    uint64_t dropped;
} rg_child_output;

/* A pipe for a child's output: *WRITE_END for the child.  Returns 0 or -1. */
int rg_child_output_open(rg_child_output *o, int *write_end);
/* Read what is there without blocking (closes the fd at its end). */
void rg_child_output_drain(rg_child_output *o);
/* Write what was kept to standard error, as neutralised lines starting with PREFIX, and
 * say how much was not kept; empties the buffer. */
void rg_child_output_flush(rg_child_output *o, const char *prefix);
void rg_child_output_close(rg_child_output *o);

/* End what CHILD's process group still holds (the child ended or timed out) and every
 * process left behind that escaped it (a setsid() grandchild, reparented to us as the
 * subreaper): every child of this process except those in KEEP and those in BEFORE
 * (the children this process had before it started plugin children), and except the
 * children of another thread busy starting plugin processes (rg_children_busy) and the
 * zygotes the threads keep (rg_children_spare).  The kernel hands an orphan to any
 * thread of the process (the main one while it lives), so every thread's are looked at. */
void rg_child_end_group(pid_t child);
void rg_children_kill_strays(const pid_t *keep, size_t keep_count, const pid_t *before,
                             size_t before_count);

/* The children of this process now, of every thread but those busy starting plugin
 * processes (heap, caller frees; *COUNT set).  NULL when none or unreadable. */
pid_t *rg_children_list(size_t *count);

/* ON 1: the calling thread starts plugin processes from now on, whose pids it does not
 * yet hold all (a zygote's check child not named yet): no other thread takes its
 * children for strays until it says ON 0.  Nests. */
void rg_children_busy(int on);

/* ON 1: PID (a zygote kept between evaluations) is no stray, whichever thread looks;
 * -1 when the table is full.  ON 0 before it is waited for. */
int rg_children_spare(pid_t pid, int on);

/* Before this process starts its first plugin process (rg_child_before_fork does it):
 * note its children then (every thread's), which rg_plugin_processes_kill spares. */
void rg_children_note_before(void);

#endif
