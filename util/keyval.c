/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Parsing KEY=VALUE,... option strings into jansson objects (QEMU keyval). */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/option.h"
#include "qapi/util.h"

/*
 * The syntax, as QEMU 7.2 has it:
 *
 *   key-vals     = [ key-val { ',' key-val } [ ',' ] ]
 *   key-val      = key '=' val | help
 *   key          = key-fragment { '.' key-fragment }
 *   key-fragment = qapi-name | index        (not an index first)
 *   qapi-name    = [ '__' rfqdn '_' ] letter { letter | digit | '-' | '_' }
 *   index        = digit { digit }
 *   val          = { any character but ',' | ',,' }
 *   help         = 'help' | '?'
 *
 * With an implied key the first key-val may be a bare value: any text
 * up to the first ',' or '=' (no ',,' escape there) that is not a help
 * request.
 *
 * Dotted keys build nested objects whose leaves are strings; afterwards
 * every object whose keys are all indexes turns into an array.
 */

/* How long one key fragment may be, as QEMU. */
#define KV_FRAGMENT_MAX 127
/*
 * How many fragments one key may have.  QEMU sets no limit; ours keeps
 * untrusted input from making the object tree (and the recursion over
 * it) arbitrarily deep.
 */
#define KV_DEPTH_MAX 64

#define KV_ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" \
                 "0123456789"
#define KV_DIGITS "0123456789"

int parse_qapi_name(const char *str, bool complete)
{
    const char *p = str;

    /* A downstream extension's "__" RFQDN "_" prefix. */
    if (p[0] == '_') {
        if (p[1] != '_') {
            return -1;
        }
        p += 2;
        p += strspn(p, KV_ALNUM "-.");
        if (*p != '_') {
            return -1;
        }
        p++;
    }
    if (!g_ascii_isalpha(*p)) {
        return -1;
    }
    p++;
    p += strspn(p, KV_ALNUM "-_");
    if (complete && *p != '\0') {
        return -1;
    }
    return p - str;
}

/*
 * The list index that all of @key spells (decimal digits; huge ones
 * count as INT_MAX), or -1 if @key is not an index.
 */
static int kv_index(const char *key)
{
    size_t ndigits = strspn(key, KV_DIGITS);
    guint64 value;

    if (ndigits == 0 || key[ndigits] != '\0') {
        return -1;
    }
    value = g_ascii_strtoull(key, NULL, 10);    /* saturates */
    return MIN(value, (guint64)INT_MAX);
}

/* Is the text of @len bytes at @s a help request ("help" or "?")? */
static bool kv_is_help(const char *s, size_t len)
{
    return (len == 1 && s[0] == '?') ||
           (len == 4 && !strncmp(s, "help", 4));
}

/*
 * The length of the key fragment at @s (0: there is none): a QAPI name,
 * or, except for the first fragment, also an index.
 */
static int kv_fragment_len(const char *s, bool first)
{
    int digits = first ? 0 : strspn(s, KV_DIGITS);

    return digits ? digits : MAX(parse_qapi_name(s, false), 0);
}

/*
 * Check the key of @len bytes at @key fragment by fragment, going down
 * from @root through the objects the fragments but the last name (made
 * as needed).  Returns the object that holds the last fragment, whose
 * name goes to *@leaf; NULL on error.
 */
static json_t *kv_walk_key(json_t *root, const char *key, int len,
                           char **leaf, Error **errp)
{
    const char *end = key + len;
    const char *frag = key;
    json_t *obj = root;
    int depth = 0;

    for (;;) {
        int n = kv_fragment_len(frag, frag == key);
        const char *after = frag + n;

        if (n == 0 || after > end || (after < end && *after != '.')) {
            error_setg(errp, "Invalid parameter '%.*s'", len, key);
            return NULL;
        }
        if (n > KV_FRAGMENT_MAX) {
            /* "fragment" unless the fragment is the whole key */
            error_setg(errp, "Parameter%s '%.*s' is too long",
                       n == len ? "" : " fragment", n, frag);
            return NULL;
        }
        if (++depth > KV_DEPTH_MAX) {
            error_setg(errp, "Parameter '%.*s' has too many fragments",
                       len, key);
            return NULL;
        }
        if (*leaf) {
            /* The previous fragment names an object: go into it. */
            json_t *member = json_object_get(obj, *leaf);

            if (!member) {
                member = json_object();
                json_object_set_new(obj, *leaf, member);
            } else if (!json_is_object(member)) {
                error_setg(errp, "Parameters '%.*s.*' used inconsistently",
                           (int)(frag - 1 - key), key);
                return NULL;
            }
            obj = member;
            g_free(*leaf);
        }
        *leaf = g_strndup(frag, n);
        if (after == end) {
            return obj;
        }
        frag = after + 1;
    }
}

/*
 * Read a value at *@pos, leaving *@pos after it and its ','.  A bare
 * value (@bare_end: where it stops) is taken as written; otherwise the
 * value runs to the first single ',' and ",," stands for ','.
 */
static char *kv_read_value(const char **pos, const char *bare_end)
{
    const char *start = *pos;
    const char *end = bare_end;
    char *value;

    if (bare_end) {
        value = g_strndup(start, bare_end - start);
    } else {
        end = get_opt_value(start, &value);
    }
    *pos = *end == ',' ? end + 1 : end;
    return value;
}

/*
 * Parse the key-val at *@pos into @root and move *@pos past it.  A help
 * request only sets *@help.
 */
static bool kv_parse_one(json_t *root, const char **pos,
                         const char *implied_key, bool *help, Error **errp)
{
    const char *start = *pos;
    size_t head = strcspn(start, "=,");
    const char *bare_end = NULL;
    g_autofree char *leaf = NULL;
    g_autofree char *text = NULL;
    const char *key = start;
    int key_len = head;
    json_t *parent, *old, *value;

    if (head > 0 && start[head] != '=') {
        if (kv_is_help(start, head)) {
            *help = true;
            *pos = start[head] == ',' ? start + head + 1 : start + head;
            return true;
        }
        if (implied_key) {
            bare_end = start + head;
            key = implied_key;
            key_len = strlen(implied_key);
        }
    }

    parent = kv_walk_key(root, key, key_len, &leaf, errp);
    if (!parent) {
        return false;
    }
    if (!bare_end) {
        if (start[head] != '=') {
            error_setg(errp, "Expected '=' after parameter '%.*s'",
                       key_len, key);
            return false;
        }
        *pos = start + head + 1;
    }

    text = kv_read_value(pos, bare_end);
    value = json_string(text);
    if (!value) {
        /* jansson strings are UTF-8. */
        error_setg(errp, "Parameter '%.*s' is not valid UTF-8",
                   key_len, key);
        return false;
    }
    /* A later setting of the same key wins, but it stays a string. */
    old = json_object_get(parent, leaf);
    if (old && !json_is_string(old)) {
        error_setg(errp, "Parameters '%.*s.*' used inconsistently",
                   key_len, key);
        json_decref(value);
        return false;
    }
    json_object_set_new(parent, leaf, value);
    return true;
}

/*
 * Turn the objects below @obj whose keys are all indexes into arrays,
 * and @obj itself if it is one.  @path is the dotted key of @obj with a
 * trailing '.', for messages.  Returns the new value for @obj (a new
 * reference) or NULL.
 */
static json_t *kv_listify(json_t *obj, GString *path, Error **errp)
{
    size_t nmembers = json_object_size(obj);
    size_t path_len = path->len;
    g_autofree json_t **slot = NULL;
    bool with_index = false, with_name = false;
    int top = -1;
    json_t *list, *member;
    const char *key;
    void *iter;
    int i;

    for (iter = json_object_iter(obj); iter;
         iter = json_object_iter_next(obj, iter)) {
        json_t *changed;

        member = json_object_iter_value(iter);
        key = json_object_iter_key(iter);
        if (kv_index(key) >= 0) {
            with_index = true;
        } else {
            with_name = true;
        }
        if (!json_is_object(member)) {
            continue;
        }
        g_string_append_printf(path, "%s.", key);
        changed = kv_listify(member, path, errp);
        g_string_truncate(path, path_len);
        if (!changed) {
            return NULL;
        }
        if (changed == member) {
            json_decref(changed);
        } else {
            json_object_iter_set_new(obj, iter, changed);
        }
    }

    if (!with_index) {
        return json_incref(obj);
    }
    if (with_name) {
        error_setg(errp, "Parameters '%s*' used inconsistently", path->str);
        return NULL;
    }

    /*
     * Place each member by its index; an index of nmembers or more means
     * some smaller one is missing.
     */
    slot = g_new0(json_t *, nmembers);
    json_object_foreach(obj, key, member) {
        int index = kv_index(key);

        top = MAX(top, index);
        if (index < nmembers) {
            slot[index] = member;
        }
    }
    list = json_array();
    for (i = 0; i <= top; i++) {
        if (i >= nmembers || !slot[i]) {
            error_setg(errp, "Parameter '%s%d' missing", path->str, i);
            json_decref(list);
            return NULL;
        }
        json_array_append(list, slot[i]);
    }
    return list;
}

json_t *keyval_parse_into(json_t *qdict, const char *params,
                          const char *implied_key, bool *p_help,
                          Error **errp)
{
    g_autoptr(GString) path = g_string_new(NULL);
    const char *pos = params;
    bool help = false;
    json_t *same;

    /* Only the first key-val may leave out its key. */
    for (; *pos; implied_key = NULL) {
        if (!kv_parse_one(qdict, &pos, implied_key, &help, errp)) {
            return NULL;
        }
    }
    if (p_help) {
        *p_help = help;
    } else if (help) {
        error_setg(errp, "Help is not available for this option");
        return NULL;
    }

    /* The top level has no index keys: it stays the same object. */
    same = kv_listify(qdict, path, errp);
    if (!same) {
        return NULL;
    }
    assert(same == qdict);
    json_decref(same);
    return qdict;
}

json_t *keyval_parse(const char *params, const char *implied_key,
                     bool *help, Error **errp)
{
    json_t *obj = json_object();

    if (!keyval_parse_into(obj, params, implied_key, help, errp)) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

/*
 * Merge @from into @into: strings replace strings, objects merge, arrays
 * concatenate.  Anything else, or a value of another type than the one it
 * meets, is an error.  @path as for kv_listify().
 */
static bool kv_merge(json_t *into, json_t *from, GString *path,
                     Error **errp)
{
    size_t path_len = path->len;
    const char *key;
    json_t *value;

    json_object_foreach(from, key, value) {
        json_t *mine = json_object_get(into, key);
        size_t i;
        bool ok;

        if (!mine) {
            json_object_set_new(into, key, json_deep_copy(value));
            continue;
        }
        if (json_typeof(mine) != json_typeof(value) ||
            !(json_is_string(value) || json_is_object(value) ||
              json_is_array(value))) {
            error_setg(errp, "Parameter '%s%s' used inconsistently",
                       path->str, key);
            return false;
        }
        if (json_is_string(value)) {
            json_object_set_new(into, key, json_deep_copy(value));
        } else if (json_is_array(value)) {
            for (i = 0; i < json_array_size(value); i++) {
                json_array_append_new(mine,
                                      json_deep_copy(json_array_get(value,
                                                                    i)));
            }
        } else {
            g_string_append_printf(path, "%s.", key);
            ok = kv_merge(mine, value, path, errp);
            g_string_truncate(path, path_len);
            if (!ok) {
                return false;
            }
        }
    }
    return true;
}

void keyval_merge(json_t *old, const json_t *new, Error **errp)
{
    g_autoptr(GString) path = g_string_new(NULL);

    /* jansson's getters take no const; nothing in @new is changed. */
    kv_merge(old, (json_t *)new, path, errp);
}

const char *get_opt_value(const char *p, char **value)
{
    GString *text = g_string_new(NULL);

    for (;;) {
        size_t run = strcspn(p, ",");

        g_string_append_len(text, p, run);
        p += run;
        if (p[0] != ',' || p[1] != ',') {
            break;
        }
        /* ",," stands for one ',' */
        g_string_append_c(text, ',');
        p += 2;
    }
    *value = g_string_free(text, false);
    return p;
}

bool has_help_option(const char *param)
{
    const char *p = param;

    while (*p) {
        g_autofree char *element = NULL;

        p = get_opt_value(p, &element);
        if (is_help_option(element)) {
            return true;
        }
        if (*p) {
            p++;                /* the ',' */
        }
    }
    return false;
}
