/* The deployment comment: a short markdown account of a decision, cut to fit by whole
 * lines and whole characters, never by bytes of an escape. */
#include "hooks_comment.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "markdown_text.h"
#include "strbuf.h"

static const char *str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int num(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(v) ? v->valueint : 0;
}

size_t hooks_utf8_prefix(const char *s, size_t max)
{
    size_t len = strlen(s);
    if (len <= max)
        return len;
    /* Back up over continuation bytes (10xxxxxx) to the start of a character. */
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

static const char *verdict_icon(const char *v)
{
    if (!strcmp(v, "allow"))
        return "✅";
    if (!strcmp(v, "warn"))
        return "⚠️";
    if (!strcmp(v, "deny"))
        return "⛔";
    return "💥";
}

/* The order lines are listed in, and the marks (as the markdown rendering has them). */
static const struct { const char *status, *icon; } listed[] = {
    {"error", "💥"}, {"fail", "❌"}, {"warn", "⚠️"}, {"waived", "🔓"},
};

/* One requirement's line, its message at most MSG_MAX bytes of the original text ("…"
 * after a cut). */
static void requirement_line(rg_strbuf *b, const char *icon, const cJSON *req, size_t msg_max)
{
    const char *id = str(req, "id"), *level = str(req, "level"), *message = str(req, "message");
    rg_strbuf_printf(b, "- %s ", icon);
    rg_md_code(b, id ? id : "?", 0);
    if (level)
        rg_strbuf_printf(b, " (%s)", !strcmp(level, "mandatory") || !strcmp(level, "waivable") ||
                                             !strcmp(level, "advisory") ? level : "?");
    if (message && *message) {
        size_t keep = hooks_utf8_prefix(message, msg_max);
        char *cut = strndup(message, keep);
        rg_strbuf_puts(b, ": ");
        if (!cut) {
            b->failed = 1;
            return;
        }
        rg_md_escape(b, cut);
        if (keep < strlen(message))
            rg_strbuf_puts(b, "…");
        free(cut);
    }
    rg_strbuf_puts(b, "\n");
}

/* Append the text of FROM to B if B stays within MAX bytes; 0 when it did not fit. */
static int append_if_fits(rg_strbuf *b, const rg_strbuf *from, size_t max)
{
    if (from->failed || b->len + from->len > max)
        return 0;
    rg_strbuf_add(b, from->data, from->len);
    return 1;
}

static void headline(rg_strbuf *b, const cJSON *d, const char *verdict)
{
    const cJSON *release = cJSON_GetObjectItemCaseSensitive(d, "release");
    const cJSON *policy = cJSON_GetObjectItemCaseSensitive(d, "policy");
    const char *name = str(release, "name"), *version = str(release, "version");
    const char *stage = str(d, "stage"), *pname = str(policy, "name"), *pversion = str(policy, "version");
    rg_strbuf_printf(b, "%s relgate: **%s**", verdict_icon(verdict), verdict);
    if (name) {
        rg_strbuf_puts(b, " — ");
        rg_md_escape(b, name);
        if (version) {
            rg_strbuf_puts(b, " ");
            rg_md_escape(b, version);
        }
    }
    if (stage) {
        rg_strbuf_puts(b, " at ");
        rg_md_code(b, stage, 0);
    }
    if (pname) {
        rg_strbuf_puts(b, " (policy ");
        rg_md_code(b, pname, 0);
        if (pversion) {
            rg_strbuf_puts(b, " ");
            rg_md_escape(b, pversion);
        }
        rg_strbuf_puts(b, ")");
    }
    rg_strbuf_puts(b, "\n\n");
}

static void footer(rg_strbuf *b, const cJSON *d)
{
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(d, "summary");
    const char *id = str(d, "id");
    if (s)
        rg_strbuf_printf(b, "%d requirements: %d pass, %d fail, %d warn, %d waived, %d error, %d skip",
                         num(s, "total"), num(s, "pass"), num(s, "fail"), num(s, "warn"), num(s, "waived"),
                         num(s, "error"), num(s, "skip"));
    if (id) {
        rg_strbuf_puts(b, s ? " · decision " : "decision ");
        rg_md_code(b, id, 0);
    }
    rg_strbuf_puts(b, "\n");
}

/* HEAD (our text) then TEXT (untrusted, escaped) on its line, then FOOT: TEXT shortened at
 * a character boundary until the whole fits MAX. */
static char *short_text(const char *head, const char *text, const rg_strbuf *foot, size_t max)
{
    size_t budget = text ? strlen(text) : 0;
    for (;;) {
        rg_strbuf b = {0};
        size_t keep = text ? hooks_utf8_prefix(text, budget) : 0;
        rg_strbuf_puts(&b, head);
        if (text) {
            char *cut = strndup(text, keep);
            if (!cut)
                b.failed = 1;
            else
                rg_md_escape(&b, cut);
            free(cut);
            if (keep < strlen(text))
                rg_strbuf_puts(&b, "…");
            rg_strbuf_puts(&b, "\n");
        }
        if (foot && foot->len) {
            rg_strbuf_puts(&b, "\n");
            rg_strbuf_add(&b, foot->data, foot->len);
        }
        if (b.failed) {
            free(b.data);
            return NULL;
        }
        if (b.len <= max || keep == 0) {
            if (b.len > max) {   /* our own text alone is too long: cut at a character */
                b.len = hooks_utf8_prefix(b.data, max);
                b.data[b.len] = '\0';
            }
            return rg_strbuf_finish(&b);
        }
        /* Escaping only lengthens text: dropping the overflow from the original converges. */
        budget = keep > b.len - max ? keep - (b.len - max) : 0;
        free(b.data);
    }
}

char *hooks_comment_refused(const char *problem, size_t max)
{
    return short_text("💥 relgate: **rejected** — the gate could not be asked: ", problem, NULL, max);
}

/* An error decision, or a body that is not a decision at all. */
static char *error_comment(const cJSON *d, int status, size_t max)
{
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(d, "error");
    const char *message = str(error, "message");
    rg_strbuf head = {0}, foot = {0};
    char *out;
    rg_strbuf_printf(&head, "💥 relgate: **error** — the gate could not be evaluated (HTTP %d)%s", status,
                     message ? ": " : "\n");
    if (d)
        footer(&foot, d);
    out = head.failed || foot.failed ? NULL : short_text(head.data, message, &foot, max);
    free(head.data);
    free(foot.data);
    return out;
}

char *hooks_comment(const char *decision, size_t len, int status, size_t max)
{
    cJSON *d = decision ? cJSON_ParseWithLength(decision, len) : NULL;
    const char *verdict = str(d, "decision");
    const cJSON *reqs = cJSON_GetObjectItemCaseSensitive(d, "requirements"), *req;
    rg_strbuf b = {0}, foot = {0};
    size_t shown = 0, needing = 0;
    char *out;

    if (!verdict || status != 200 || !strcmp(verdict, "error") || !cJSON_IsArray(reqs)) {
        out = error_comment(d, status, max);
        cJSON_Delete(d);
        return out;
    }
    headline(&b, d, verdict);
    footer(&foot, d);
    if (b.len + foot.len > max) {   /* an outlandish release name: keep the verdict */
        free(b.data);
        b = (rg_strbuf){0};
        rg_strbuf_printf(&b, "%s relgate: **%s**\n\n", verdict_icon(verdict), verdict);
    }
    cJSON_ArrayForEach(req, reqs) {
        const char *s = str(req, "status");
        for (size_t k = 0; s && k < sizeof listed / sizeof listed[0]; k++)
            needing += !strcmp(s, listed[k].status);
    }
    for (size_t k = 0; k < sizeof listed / sizeof listed[0]; k++) {
        cJSON_ArrayForEach(req, reqs) {
            const char *s = str(req, "status");
            const char *message = str(req, "message");
            size_t budget = message ? strlen(message) : 0;
            /* Room kept for the footer and for the "… and N more" line. */
            size_t room = max > foot.len + 40 ? max - foot.len - 40 : 0;
            int placed = 0;
            if (!s || strcmp(s, listed[k].status))
                continue;
            for (;;) {
                rg_strbuf line = {0};
                requirement_line(&line, listed[k].icon, req, budget);
                if (shown + 1 == needing)   /* the last line needs no room for "more" */
                    room = max > foot.len + 1 ? max - foot.len - 1 : 0;
                placed = append_if_fits(&b, &line, room);
                free(line.data);
                if (placed || budget < 24)
                    break;
                budget = budget / 2;   /* shorten the message until the line fits */
            }
            if (!placed)
                goto full;
            shown++;
        }
    }
full:
    if (shown < needing)
        rg_strbuf_printf(&b, "- … and %zu more\n", needing - shown);
    if (needing == 0)
        rg_strbuf_puts(&b, "Every requirement passed or was skipped.\n");
    rg_strbuf_puts(&b, "\n");
    rg_strbuf_add(&b, foot.data ? foot.data : "", foot.len);
    free(foot.data);
    cJSON_Delete(d);
    if (b.failed) {
        free(b.data);
        return NULL;
    }
    if (b.len > max) {   /* never more than MAX, whatever the inputs */
        b.len = hooks_utf8_prefix(b.data, max);
        b.data[b.len] = '\0';
    }
    return rg_strbuf_finish(&b);
}
