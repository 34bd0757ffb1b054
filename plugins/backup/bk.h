/* The backup plugin's private parts: snapshot lists read from evidence, and the
 * small parsers behind them.  Everything here is pure over its inputs except
 * fsprobe.c and sha256.c, which look at the file system. */
#ifndef BK_H
#define BK_H

#include <cjson/cJSON.h>

#include "json_member.h"
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef enum bk_format {
    BK_AUTO = 0,
    BK_MANIFEST,   /* relgate-backup-manifest/1 (and the peers' manifests without "format") */
    BK_RESTIC,     /* restic snapshots --json (plain or --group-by) */
    BK_BORG,       /* borg list --json / borg info --json */
    BK_FILE,       /* the evidence is the backup file itself */
    BK_DIRECTORY   /* the evidence is a directory holding the backup */
} bk_format;

/* "auto", "manifest", ...; bk_format_parse returns -1 for an unknown name.  BK_FORMAT_NAMES
 * (NULL-terminated, in bk_format order) is also the format parameter's allowed values. */
extern const char *const BK_FORMAT_NAMES[];
const char *bk_format_name(bk_format f);
int bk_format_parse(const char *name, bk_format *out);

typedef enum bk_status {
    BK_COMPLETED = 1,
    BK_FAILED,
    BK_RUNNING,
    BK_INCOMPLETE  /* borg checkpoint archive: a backup that was interrupted */
} bk_status;

const char *bk_status_name(bk_status s);

/* One snapshot as the check sees it, whatever the format.  Strings point into the
 * bk_list's JSON tree (or are static); PATHS is owned by the list. */
typedef struct bk_snapshot {
    const char *id;
    const char *short_id;     /* restic's short_id, for messages; or NULL */
    bk_status status;
    const char *time_kind;    /* which field TIME came from: "completed_at", "summary.backup_end", ... */
    const char *time_text;    /* that field's text */
    int64_t time;             /* seconds since the epoch, UTC: completion when known, else start */
    int has_time;
    int time_is_end;          /* TIME is when the backup finished, not when it started */
    int zone_assumed;         /* TIME named no zone: read at the timezone parameter's offset */
    int64_t size;             /* bytes, when HAS_SIZE */
    int has_size;
    const char *size_kind;    /* "size_bytes", "summary.total_bytes_processed", "stats.original_size" */
    const char *sha256;       /* 64 hex digits, or NULL */
    const char *file;         /* manifest: relative path of the backup file, or NULL */
    int restore_verified;     /* 1, 0, or -1 when the format does not record it */
    const char *hostname;     /* or NULL when not recorded */
    const char **paths;       /* when HAS_PATHS: the paths the snapshot holds */
    char *words;              /* heap: borg 2's command line split into words (PATHS point in) */
    size_t path_count;
    int has_paths;
    const char *paths_why;    /* when !HAS_PATHS: why they are unknown (static), or NULL */
    const char *paths_unproven; /* why PATHS say what the tool was given, not what the
                               * snapshot holds now (static): no path is held by them; or NULL */
    int excludes;             /* the backup excluded things below its paths: a required path
                                 counts only when listed itself, not under a listed parent */
    const char *note;         /* a remark for the details (static or into the tree), or NULL */
} bk_snapshot;

typedef struct bk_list {
    bk_format format;
    const char *variant;      /* "restic snapshots --json --group-by", "borg info --json", ... (static) */
    cJSON *root;              /* the parsed document the strings point into */
    bk_snapshot *items;
    size_t count;
    size_t cap;               /* items allocated */
    const char *location;     /* borg repository.location, or NULL */
} bk_list;

/* Free what LIST owns (tree, items, path arrays) and zero it. */
void bk_list_free(bk_list *list);

/* Options the JSON parsers take. */
typedef struct bk_parse_opts {
    int naive_offset;         /* seconds east of UTC for times written without a zone (borg 1.x) */
} bk_parse_opts;

/* Parse TEXT (LEN bytes) as backup evidence of format WANT (BK_AUTO detects it among
 * the JSON formats).  Returns 0 and fills OUT (free with bk_list_free), or -1 with a
 * one-line reason in WHY; *UNRECOGNISED is set when the text is no format we know
 * (as opposed to one we know, written wrongly: then OUT->format says which, and OUT
 * owns nothing). */
int bk_parse(const char *text, size_t len, bk_format want, const bk_parse_opts *opts,
             bk_list *out, int *unrecognised, char *why, size_t why_size);

/* The format-specific halves of bk_parse, over a parsed document.  They fill OUT's
 * items (OUT->root stays the caller's); -1 with WHY on a malformed document. */
int bk_manifest_read(const cJSON *root, bk_list *out, char *why, size_t why_size);
int bk_restic_read(const cJSON *root, bk_list *out, char *why, size_t why_size);
int bk_borg_read(const cJSON *root, const bk_parse_opts *opts, bk_list *out, char *why,
                 size_t why_size);

/* Which of our JSON formats ROOT looks like, or BK_AUTO when none. */
bk_format bk_json_detect(const cJSON *root);

/* Shared JSON reading.  Members through rg_json_member (common/json_member.h): NULL
 * when absent; when the key occurs twice NULL and *DUP set (a file read two ways is
 * refused). */
/* An exact non-negative integer below 2^53, from a JSON number: 0, or -1. */
int bk_json_size(const cJSON *item, int64_t *out);
/* True for 64 hex digits. */
int bk_is_sha256_hex(const char *s);

/* Grow LIST by one zeroed snapshot; NULL when out of memory. */
bk_snapshot *bk_list_add(bk_list *list);

/* ---- Time (bktime.c) --------------------------------------------------------- */

/* Times are parsed by common/rfc3339.h (rg_timestamp_parse, RG_TIME_REPORT), zones given as
 * parameters by rg_time_offset_parse: one grammar for the engine and every plugin.
 * bk_time_parse is that grammar for a time that must name its zone (manifests, restic):
 * 0 and *OUT (seconds since the epoch), or -1. */
int bk_time_parse(const char *text, int64_t *out);
/* A duration as "3600", "24h", "90m", "7d", "1w", "1h30m": 0 and seconds, or -1. */
int bk_duration_parse(const char *text, int64_t *out);
/* SECONDS as "YYYY-MM-DDTHH:MM:SSZ" into BUF (>= 32 bytes; digits outside years 0-9999). */
void bk_time_format(int64_t seconds, char *buf, size_t size);
/* A duration for messages: "24h", "90m", "7d", "45s". */
void bk_duration_format(int64_t seconds, char *buf, size_t size);

/* ---- File contents and the file system (magic.c, fsprobe.c, sha256.c) --------- */

/* Name of the archive or dump format HEAD (LEN bytes, the start of a file) is, by
 * its magic number or header, or NULL when none we know. */
const char *bk_magic_detect(const unsigned char *head, size_t len);

/* Whether HEAD (LEN bytes, at least 512) starts with a tar header whose own checksum holds. */
int bk_tar_checksum_holds(const unsigned char *head, size_t len);

/* The line a plain SQL dump of FORMAT (bk_magic_detect's name) ends with when its tool
 * finished it ("-- Dump completed"), or NULL for a format that has none to look for. */
const char *bk_dump_trailer(const char *format);

/* A file read in order in large pieces (bkread.c), up to SIZE bytes (its end for the
 * reader).  bk_take reads N bytes into OUT (NULL: skips them): 0, or -1 when the end
 * comes first or a read fails (then bk_reader_failed gives its errno; else 0). */
typedef struct bk_reader bk_reader;
bk_reader *bk_reader_open(int fd, off_t size);
void bk_reader_free(bk_reader *r);
off_t bk_reader_at(const bk_reader *r);
off_t bk_reader_size(const bk_reader *r);
void bk_reader_seek(bk_reader *r, off_t at);
int bk_reader_failed(const bk_reader *r);
int bk_take(bk_reader *r, unsigned char *out, off_t n);
int bk_take_byte(bk_reader *r, int *out);
/* A little-endian unsigned number of SIZE (1-8) bytes. */
int bk_take_le(bk_reader *r, int size, uint64_t *out);

/* Whether the pg_dump custom archive open as FD (SIZE bytes) is one pg_dump finished
 * writing (pgdump.c): 0 with UNFINISHED "" (finished, or a layout not read here) or
 * saying why not; -1 with WHY when it cannot be read. */
int bk_pgdump_finished(int fd, off_t size, char *unfinished, size_t n, char *why, size_t why_n);

/* Whether the directory DIR_FD, when it is a pg_dump directory archive (pg_dump -Fd),
 * may be one pg_dump finished: its toc.dat whole, every data file it lists there, each
 * written to its end where its compression marks one (lz4, zstd; pg_dump writes toc.dat
 * first, so a gzip or plain data file cut short cannot be told).  0 with UNFINISHED ""
 * or why not; -1 with WHY. */
int bk_pgdump_directory_finished(int dir_fd, char *unfinished, size_t n, char *why, size_t why_n);

/* Whether the directory DIR_FD, when it is a pg_basebackup's (PG_VERSION and
 * backup_label, or a base.tar), is one pg_basebackup finished: its backup_manifest,
 * written last, whole (pgbasebackup.c).  0 with UNFINISHED "" or why not; -1 with WHY. */
int bk_pg_basebackup_finished(int dir_fd, char *unfinished, size_t n, char *why, size_t why_n);

/* Whether the archive or compressed file of FORMAT (bk_magic_detect's name) open as FD
 * (SIZE bytes) was written to its end, where its format marks the end (endmark.c): 0 with
 * UNFINISHED "" (it was, or FORMAT marks no end) or saying what is missing; -1 with WHY
 * when it cannot be read. */
int bk_archive_ended(int fd, off_t size, const char *format, char *unfinished, size_t n, char *why, size_t why_n);

typedef struct bk_fsinfo {
    int is_dir;
    int64_t size;             /* file: its size; directory: bytes in its regular files */
    int64_t mtime;            /* file: its mtime; directory: newest non-empty regular file */
    int has_mtime;
    long files;               /* directory: regular files seen */
    long nonempty;            /* directory: of them, not empty */
    long entries;             /* directory: entries looked at */
    int truncated;            /* directory: the walk stopped at a limit */
    long skipped_links;       /* directory: symbolic links not followed */
    long unreadable;          /* directory: entries that could not be looked at */
    char magic[32];           /* file: archive format by magic, or "" */
    char unfinished[300];     /* why the backup is not one its tool finished, or "" */
} bk_fsinfo;

#define BK_WALK_MAX_DEPTH 16
#define BK_WALK_MAX_ENTRIES 20000

/* Look at PATH without following a final symbolic link: a regular file (size,
 * mtime, magic) or a directory (walked depth- and count-bounded, never following
 * links).  0, or -1 with WHY. */
int bk_fs_probe(const char *path, bk_fsinfo *out, char *why, size_t why_size);

/* SHA-256 of the regular file at PATH, as 64 lowercase hex digits into HEX (>= 65
 * bytes), and its size.  0, or -1 with WHY. */
int bk_sha256_file(const char *path, char *hex, int64_t *size, char *why, size_t why_size);

/* Copy SRC into DST (SIZE bytes) for a one-line message: control characters become
 * '?', long text is cut with "...".  Returns DST. */
char *bk_clean(char *dst, size_t size, const char *src);

#endif
