/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Parsing KEY=VALUE,... option strings into jansson objects (QEMU keyval). */
#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qemu/cutils.h"
#include "qemu/ctype.h"
#include "qemu/option.h"
#include "qapi/util.h"

/*
 * Grammar (QEMU 7.2's):
 *
 *   key-vals     = [ key-val { ',' key-val } [ ',' ] ]
 *   key-val      = key '=' val | help
 *   key          = key-fragment { '.' key-fragment }
 *   key-fragment = qapi-name | index
 *   qapi-name    = [ '__' rfqdn '_' ] letter { letter | digit | '-' | '_' }
 *   index        = digit { digit }
 *   val          = { val-char | ',,' }      (val-char: anything but ',')
 *   help         = 'help' | '?'
 *
 * With an implied key:
 *
 *   key-vals-ik  = val-no-key [ ',' key-vals ]
 *   val-no-key   = / [^=,]+ / - help
 *
 * The result is a tree of objects (arrays where all keys are indexes)
 * with strings as leaves.  A key-fragment is at most 127 characters.
 * The first key-fragment cannot be an index.
 */

#define KEY_FRAGMENT_MAX 127
/*
 * At most this many key-fragments in one key (QEMU has no limit; ours
 * bounds the recursion of keyval_listify() on untrusted input).
 */
#define KEY_DEPTH_MAX 64

/*
 * parse_qapi_name: QAPI's name rule, shared with the QAPI code (declared
 * in qapi/util.h); see there.  Lives here because util must not depend on
 * libqapi.
 */
int parse_qapi_name(const char *str, bool complete)
{
    const char *p = str;

    if (*p == '_') {
        /* Downstream __RFQDN_ prefix */
        p++;
        if (*p != '_') {
            return -1;
        }
        while (*++p) {
            if (!qemu_isalnum(*p) && *p != '-' && *p != '.') {
                break;
            }
        }
        if (*p != '_') {
            return -1;
        }
        p++;
    }
    if (!qemu_isalpha(*p)) {
        return -1;
    }
    while (*++p) {
        if (!qemu_isalnum(*p) && *p != '-' && *p != '_') {
            break;
        }
    }
    if (complete && *p) {
        return -1;
    }
    return p - str;
}

/*
 * If @key starts with a decimal index, return its value (capped at
 * INT_MAX) and set *@end after the digits; else return -1.  With @end
 * NULL, the digits must be all of @key.
 */
static int key_to_index(const char *key, const char **end)
{
    unsigned long index;
    const char *digits_end;

    if (!qemu_isdigit(*key)) {
        return -1;
    }
    /* Overflow stores ULONG_MAX, which caps to INT_MAX below. */
    qemu_strtoul(key, &digits_end, 10, &index);
    if (end) {
        *end = digits_end;
    } else if (*digits_end) {
        return -1;
    }
    return index <= INT_MAX ? (int)index : INT_MAX;
}

/* Length of the help option at the start of @s ("help" or "?"), or 0. */
static size_t starts_with_help_option(const char *s)
{
    if (*s == '?') {
        return 1;
    }
    if (g_str_has_prefix(s, "help")) {
        return 4;
    }
    return 0;
}

/*
 * Make @cur[@key_in_cur] an object (@value NULL) or the string @value
 * (taking its reference).  @key up to @key_cursor names the key in
 * errors.  Returns the member, or NULL on conflicting uses.
 */
static json_t *keyval_parse_put(json_t *cur, const char *key_in_cur,
                                json_t *value, const char *key,
                                const char *key_cursor, Error **errp)
{
    json_t *old, *new;

    old = json_object_get(cur, key_in_cur);
    if (old) {
        if (value ? !json_is_string(old) : !json_is_object(old)) {
            error_setg(errp, "Parameters '%.*s.*' used inconsistently",
                       (int)(key_cursor - key), key);
            json_decref(value);
            return NULL;
        }
        if (!value) {
            return old;         /* already an object: nothing to do */
        }
        new = value;            /* replacement */
    } else {
        new = value ? value : json_object();
    }
    json_object_set_new(cur, key_in_cur, new);
    return new;
}

/*
 * Parse one key-val of @params into @qdict.  Returns a pointer to the
 * next key-val (or the terminating NUL), or NULL with @errp set.
 */
static const char *keyval_parse_one(json_t *qdict, const char *params,
                                    const char *implied_key, bool *help,
                                    Error **errp)
{
    const char *key, *key_end, *val_end, *s, *end;
    size_t len;
    char key_in_cur[KEY_FRAGMENT_MAX + 1];
    json_t *cur, *next, *val;
    GString *str;
    int ret, depth = 0;

    key = params;
    val_end = NULL;
    len = strcspn(params, "=,");
    if (len && key[len] != '=') {
        if (starts_with_help_option(key) == len) {
            *help = true;
            s = key + len;
            if (*s == ',') {
                s++;
            }
            return s;
        }
        if (implied_key) {
            /* Desugar implied key */
            key = implied_key;
            val_end = params + len;
            len = strlen(implied_key);
        }
    }
    key_end = key + len;

    /*
     * Loop over key fragments: @s points to the current fragment, which
     * applies to @cur.  @key_in_cur[] holds the previous fragment.
     */
    cur = qdict;
    s = key;
    for (;;) {
        /* Want a key index (unless it's first) or a QAPI name */
        if (s != key && key_to_index(s, &end) >= 0) {
            len = end - s;
        } else {
            ret = parse_qapi_name(s, false);
            len = ret < 0 ? 0 : ret;
        }
        if (s + len > key_end) {
            /* A name may not run past the key (e.g. into '=' ...). */
            len = 0;
        }
        if (!len || (s + len < key_end && s[len] != '.')) {
            error_setg(errp, "Invalid parameter '%.*s'",
                       (int)(key_end - key), key);
            return NULL;
        }
        if (len > KEY_FRAGMENT_MAX) {
            error_setg(errp, "Parameter%s '%.*s' is too long",
                       s != key || s + len != key_end ? " fragment" : "",
                       (int)len, s);
            return NULL;
        }

        if (++depth > KEY_DEPTH_MAX) {
            error_setg(errp, "Parameter '%.*s' has too many fragments",
                       (int)(key_end - key), key);
            return NULL;
        }

        if (s != key) {
            next = keyval_parse_put(cur, key_in_cur, NULL,
                                    key, s - 1, errp);
            if (!next) {
                return NULL;
            }
            cur = next;
        }

        memcpy(key_in_cur, s, len);
        key_in_cur[len] = 0;
        s += len;

        if (*s != '.') {
            break;
        }
        s++;
    }

    if (key == implied_key) {
        s = params;
    } else {
        if (*s != '=') {
            error_setg(errp, "Expected '=' after parameter '%.*s'",
                       (int)(s - key), key);
            return NULL;
        }
        s++;
    }

    str = g_string_new(NULL);
    for (;;) {
        /* With an implied key, the value ends at the first ',' or '='. */
        if (!*s || s == val_end) {
            break;
        } else if (*s == ',') {
            s++;
            if (*s != ',' || val_end) {
                break;
            }
        }
        g_string_append_c(str, *s++);
    }
    if (val_end && *s == ',') {
        s++;
    }
    val = json_stringn(str->str, str->len);
    g_string_free(str, true);
    if (!val) {
        /* Not valid UTF-8: jansson strings must be. */
        error_setg(errp, "Parameter '%.*s' is not valid UTF-8",
                   (int)(key_end - key), key);
        return NULL;
    }

    if (!keyval_parse_put(cur, key_in_cur, val, key, key_end, errp)) {
        return NULL;
    }
    return s;
}

static char *reassemble_key(GSList *key)
{
    GString *s = g_string_new("");
    GSList *p;

    for (p = key; p; p = p->next) {
        g_string_prepend_c(s, '.');
        g_string_prepend(s, (char *)p->data);
    }

    return g_string_free(s, false);
}

/*
 * Replace, recursively, the objects in @cur whose keys are all indexes by
 * arrays.  @key_of_cur lists the key fragments leading to @cur (innermost
 * first).  Returns @cur or its replacement (a new reference), or NULL.
 */
static json_t *keyval_listify(json_t *cur, GSList *key_of_cur, Error **errp)
{
    GSList key_node;
    bool has_index = false, has_member = false;
    const char *ekey;
    json_t *evalue, *val, *list;
    g_autofree json_t **elt = NULL;
    size_t nelt;
    int index, max_index, i;
    char *key;
    void *iter;

    key_node.next = key_of_cur;

    /*
     * Recursively listify @cur's members, and figure out whether @cur
     * itself is to be listified.
     */
    for (iter = json_object_iter(cur); iter;
         iter = json_object_iter_next(cur, iter)) {
        ekey = json_object_iter_key(iter);
        evalue = json_object_iter_value(iter);
        if (key_to_index(ekey, NULL) >= 0) {
            has_index = true;
        } else {
            has_member = true;
        }

        if (!json_is_object(evalue)) {
            continue;
        }

        key_node.data = (char *)ekey;
        val = keyval_listify(evalue, &key_node, errp);
        if (!val) {
            return NULL;
        }
        if (val != evalue) {
            json_object_iter_set_new(cur, iter, val);
        } else {
            json_decref(val);
        }
    }

    if (has_index && has_member) {
        key = reassemble_key(key_of_cur);
        error_setg(errp, "Parameters '%s*' used inconsistently", key);
        g_free(key);
        return NULL;
    }
    if (!has_index) {
        return json_incref(cur);
    }

    /* Copy @cur's values to @elt[], plus a NULL sentinel */
    nelt = json_object_size(cur) + 1;
    elt = g_new0(json_t *, nelt);
    max_index = -1;
    json_object_foreach(cur, ekey, evalue) {
        index = key_to_index(ekey, NULL);
        assert(index >= 0);
        if (index > max_index) {
            max_index = index;
        }
        /*
         * An index beyond the number of members means a gap: leave it out,
         * and the loop below runs into the sentinel and reports the gap.
         */
        if ((size_t)index >= nelt - 1) {
            continue;
        }
        /* Even though object keys are distinct, indexes need not be */
        elt[index] = evalue;
    }

    list = json_array();
    for (i = 0; i < MIN(nelt, (size_t)max_index + 1); i++) {
        if (!elt[i]) {
            key = reassemble_key(key_of_cur);
            error_setg(errp, "Parameter '%s%d' missing", key, i);
            g_free(key);
            json_decref(list);
            return NULL;
        }
        json_array_append(list, elt[i]);
    }

    return list;
}

json_t *keyval_parse_into(json_t *qdict, const char *params,
                          const char *implied_key, bool *p_help,
                          Error **errp)
{
    json_t *listified;
    const char *s;
    bool help = false;

    s = params;
    while (*s) {
        s = keyval_parse_one(qdict, s, implied_key, &help, errp);
        if (!s) {
            return NULL;
        }
        implied_key = NULL;
    }

    if (p_help) {
        *p_help = help;
    } else if (help) {
        error_setg(errp, "Help is not available for this option");
        return NULL;
    }

    listified = keyval_listify(qdict, NULL, errp);
    if (!listified) {
        return NULL;
    }
    assert(listified == qdict);
    json_decref(listified);
    return qdict;
}

json_t *keyval_parse(const char *params, const char *implied_key,
                     bool *help, Error **errp)
{
    json_t *qdict = json_object();
    json_t *ret;

    ret = keyval_parse_into(qdict, params, implied_key, help, errp);
    if (!ret) {
        json_decref(qdict);
    }
    return ret;
}

static void keyval_do_merge(json_t *dest, const json_t *merged,
                            GString *str, Error **errp)
{
    size_t save_len = str->len;
    const char *key;
    json_t *value, *old_value;

    json_object_foreach((json_t *)merged, key, value) {
        old_value = json_object_get(dest, key);
        if (old_value) {
            if (json_typeof(old_value) != json_typeof(value) ||
                (!json_is_object(value) && !json_is_array(value) &&
                 !json_is_string(value))) {
                error_setg(errp, "Parameter '%s%s' used inconsistently",
                           str->str, key);
                return;
            }
            if (json_is_object(value)) {
                g_string_append(str, key);
                g_string_append_c(str, '.');
                keyval_do_merge(old_value, value, str, errp);
                g_string_truncate(str, save_len);
                if (errp && *errp) {
                    return;
                }
                continue;
            }
            if (json_is_array(value)) {
                /* Lists are concatenated, as QEMU does. */
                json_array_extend(old_value, value);
                continue;
            }
        }
        json_object_set_new(dest, key, json_deep_copy(value));
    }
}

void keyval_merge(json_t *old, const json_t *new, Error **errp)
{
    ERRP_GUARD();
    g_autoptr(GString) str = g_string_new("");

    keyval_do_merge(old, new, str, errp);
}

bool has_help_option(const char *param)
{
    const char *p = param;
    bool result = false;

    while (*p && !result) {
        char *value;

        p = get_opt_value(p, &value);
        if (*p) {
            p++;
        }

        result = is_help_option(value);
        g_free(value);
    }

    return result;
}

const char *get_opt_value(const char *p, char **value)
{
    GString *s = g_string_new(NULL);

    for (;;) {
        if (*p == ',') {
            if (p[1] != ',') {
                break;
            }
            p++;                /* ",," stands for one ',' */
        } else if (!*p) {
            break;
        }
        g_string_append_c(s, *p++);
    }
    *value = g_string_free(s, false);
    return p;
}
