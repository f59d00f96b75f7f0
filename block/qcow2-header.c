/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qcow2: the header, its extensions and the backing file name. */

/*
 * Header layout (big endian), see qcow2.h for the limits:
 *   0 magic  4 version  8 backing_file_offset  16 backing_file_size
 *  20 cluster_bits  24 size  32 crypt_method  36 l1_entries
 *  40 l1_table_offset  48 reftable_offset  56 reftable_clusters
 *  60 snapshot_count  64 snapshot_table_offset  (v2 ends at 72)
 *  72 incompatible  80 compatible  88 autoclear  96 refcount_order
 * 100 header_length  (then optional fields up to header_length)
 * followed by extensions {u32 type, u32 len, data, pad to 8}, a zero
 * type ending them, and the backing file name, all in cluster 0.
 *
 * Unknown header fields and extensions are kept byte for byte: the header
 * is rewritten from header_raw with the known fields patched in.
 */

#include "qemu/osdep.h"
#include "qemu/bswap.h"
#include "qapi/error.h"
#include "qcow2.h"

static void qcow2_ext_free(gpointer p)
{
    Qcow2Ext *ext = p;

    g_free(ext->data);
    g_free(ext);
}

/* Is [offset, offset + size) an aligned range QEMU would accept? */
static bool table_offset_ok(BDRVQcow2State *s, uint64_t offset,
                            uint64_t size)
{
    return !qcow2_offset_into_cluster(s, offset) &&
           offset <= INT64_MAX - size;
}

/* Error for incompatible feature bits we cannot handle. */
static void report_unsupported_features(uint64_t mask, Error **errp)
{
    g_autoptr(GString) names = g_string_new(NULL);
    int bit;

    for (bit = 0; bit < 64; bit++) {
        if (mask & (1ull << bit)) {
            g_string_append_printf(names, "%s", names->len ? ", " : "");
            if ((1ull << bit) == QCOW2_INCOMPAT_EXTL2) {
                g_string_append(names, "extended L2 entries");
            } else {
                g_string_append_printf(names,
                                       "Unknown incompatible feature: %llx",
                                       1ull << bit);
            }
        }
    }
    error_setg(errp, "Unsupported qcow2 feature(s): %s", names->str);
}

/* Parse the fixed header from @buf (at least QCOW2_V3_HEADER_LEN bytes). */
static bool parse_header(BlockDriverState *bs, const uint8_t *buf,
                         Error **errp)
{
    BDRVQcow2State *s = bs->opaque;

    if ((uint32_t)ldl_be_p(buf) != QCOW2_MAGIC) {
        error_setg(errp, "Image is not in qcow2 format");
        return false;
    }
    s->version = ldl_be_p(buf + 4);
    if (s->version < 2 || s->version > 3) {
        error_setg(errp, "Unsupported qcow2 version %" PRIu32, s->version);
        return false;
    }
    s->cluster_bits = ldl_be_p(buf + 20);
    if (s->cluster_bits < QCOW2_MIN_CLUSTER_BITS ||
        s->cluster_bits > QCOW2_MAX_CLUSTER_BITS) {
        error_setg(errp, "Unsupported cluster size: 2^%" PRIu32,
                   s->cluster_bits);
        return false;
    }
    s->cluster_size = 1u << s->cluster_bits;
    s->l2_bits = s->cluster_bits - 3;
    s->size = ldq_be_p(buf + 24);
    s->crypt_method = ldl_be_p(buf + 32);
    s->l1_entries = ldl_be_p(buf + 36);
    s->l1_table_offset = ldq_be_p(buf + 40);
    s->reftable_offset = ldq_be_p(buf + 48);
    s->reftable_clusters = ldl_be_p(buf + 56);
    s->snapshot_count = ldl_be_p(buf + 60);
    s->snapshot_table_offset = ldq_be_p(buf + 64);
    if (s->version == 2) {
        s->incompat = 0;
        s->compat = 0;
        s->autoclear = 0;
        s->refcount_order = 4;
        s->header_length = QCOW2_V2_HEADER_LEN;
    } else {
        s->incompat = ldq_be_p(buf + 72);
        s->compat = ldq_be_p(buf + 80);
        s->autoclear = ldq_be_p(buf + 88);
        s->refcount_order = ldl_be_p(buf + 96);
        s->header_length = ldl_be_p(buf + 100);
        if (s->header_length < QCOW2_V3_HEADER_LEN) {
            error_setg(errp, "qcow2 header too short");
            return false;
        }
    }
    if (s->header_length > s->cluster_size) {
        error_setg(errp, "qcow2 header exceeds cluster size");
        return false;
    }
    return true;
}

/* Check the header fields against QEMU's limits and the open mode. */
static bool check_header(BlockDriverState *bs, int flags, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t l1_needed, l2_span;

    if (s->incompat & ~QCOW2_INCOMPAT_KNOWN) {
        report_unsupported_features(s->incompat &
                                    ~QCOW2_INCOMPAT_KNOWN, errp);
        return false;
    }
    if (s->incompat & QCOW2_INCOMPAT_DATA_FILE) {
        error_setg(errp, "'data-file' is required for this image");
        return false;
    }
    if (s->incompat & QCOW2_INCOMPAT_EXTL2) {
        report_unsupported_features(QCOW2_INCOMPAT_EXTL2, errp);
        return false;
    }
    if ((s->incompat & QCOW2_INCOMPAT_CORRUPT) &&
        (flags & BDRV_O_RDWR)) {
        error_setg(errp, "qcow2: Image is corrupt; cannot be opened "
                   "read/write");
        return false;
    }
    if (s->refcount_order > 6) {
        error_setg(errp, "Reference count entry width too large; may not "
                   "exceed 64 bits");
        return false;
    }
    s->refcount_bits = 1u << s->refcount_order;
    s->refcount_max = s->refcount_bits == 64 ? UINT64_MAX
                                             : (1ull << s->refcount_bits) - 1;
    s->refblock_bits = s->cluster_bits + 3 - s->refcount_order;

    if (s->crypt_method > 2) {
        error_setg(errp, "Unsupported encryption method %" PRIu32,
                   s->crypt_method);
        return false;
    }
    if (s->crypt_method) {
        error_setg(errp, "qcow2: encrypted images are not supported");
        return false;
    }

    if ((uint64_t)s->reftable_clusters << s->cluster_bits >
        QCOW2_MAX_REFTABLE_BYTES) {
        error_setg(errp, "Reference count table too large");
        return false;
    }
    if (s->reftable_clusters == 0) {
        error_setg(errp, "Image does not contain a reference count table");
        return false;
    }
    if (!table_offset_ok(s, s->reftable_offset,
                         (uint64_t)s->reftable_clusters <<
                         s->cluster_bits)) {
        error_setg(errp, "Reference count table offset invalid");
        return false;
    }
    if (s->snapshot_count > QCOW2_MAX_SNAPSHOTS) {
        error_setg(errp, "Snapshot table too large");
        return false;
    }
    if (s->snapshot_count && !table_offset_ok(s, s->snapshot_table_offset, 0)) {
        error_setg(errp, "Snapshot table offset invalid");
        return false;
    }
    if ((uint64_t)s->l1_entries * 8 > QCOW2_MAX_L1_BYTES) {
        error_setg(errp, "Active L1 table too large");
        return false;
    }
    /* bytes one L1 entry maps; the size must not need more entries */
    l2_span = 1ull << (s->cluster_bits + s->l2_bits);
    if (s->size > INT64_MAX - l2_span) {
        error_setg(errp, "Image is too big");
        return false;
    }
    l1_needed = DIV_ROUND_UP(s->size, l2_span);
    if (l1_needed > QCOW2_MAX_L1_BYTES / 8) {
        error_setg(errp, "Image is too big");
        return false;
    }
    if (s->l1_entries < l1_needed) {
        error_setg(errp, "L1 table is too small");
        return false;
    }
    if (s->l1_entries && !table_offset_ok(s, s->l1_table_offset,
                                       (uint64_t)s->l1_entries * 8)) {
        error_setg(errp, "Active L1 table offset invalid");
        return false;
    }
    return true;
}

/* Read the extensions and the backing file name from cluster 0 (@c0). */
static bool read_extensions(BlockDriverState *bs, const uint8_t *c0,
                            Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t backing_offset = ldq_be_p(c0 + 8);
    uint32_t backing_size = ldl_be_p(c0 + 16);
    uint64_t end = s->cluster_size;
    uint64_t pos = s->header_length;

    if (backing_offset) {
        end = MIN(backing_offset, s->cluster_size);
    }

    while (pos < end) {
        Qcow2Ext *ext;
        uint32_t type, len;

        if (end - pos < 8) {
            error_setg(errp, "Header extension too large");
            return false;
        }
        type = ldl_be_p(c0 + pos);
        len = ldl_be_p(c0 + pos + 4);
        pos += 8;
        if (type == QCOW2_EXT_END) {
            break;
        }
        if (len > end - pos) {
            error_setg(errp, "Header extension too large");
            return false;
        }
        if (type == QCOW2_EXT_BACKING_FMT) {
            if (len > 15) {
                error_setg(errp, "ERROR: ext_backing_format: len=%" PRIu32
                           " too large (>=16)", len);
                return false;
            }
            g_free(s->backing_format);
            s->backing_format = g_strndup((const char *)c0 + pos, len);
        }
        if (type == QCOW2_EXT_BITMAPS) {
            if (!(s->autoclear & QCOW2_AUTOCLEAR_BITMAPS)) {
                /* stale: the bit says the extension is not to be trusted */
                pos += ROUND_UP(len, 8);
                continue;
            }
            if (!qcow2_parse_bitmaps_ext(bs, c0 + pos, len, errp)) {
                return false;
            }
        }
        ext = g_new0(Qcow2Ext, 1);
        ext->type = type;
        ext->len = len;
        ext->data = g_memdup(c0 + pos, len);
        g_ptr_array_add(s->exts, ext);
        pos += ROUND_UP(len, 8);
    }
    if (backing_offset) {
        if (backing_size > QCOW2_MAX_BACKING_NAME ||
            backing_offset > s->cluster_size ||
            backing_size > s->cluster_size - backing_offset) {
            error_setg(errp, "Backing file name too long");
            return false;
        }
        s->backing_file = g_strndup((const char *)c0 + backing_offset,
                                    backing_size);
    }
    return true;
}

int qcow2_update_header(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    g_autofree uint8_t *buf = g_malloc0(s->cluster_size);
    bool bitmaps_written = false;
    size_t pos = s->header_length, len;
    guint i;

    memcpy(buf, s->header_raw, s->header_length);
    stq_be_p(buf + 24, s->size);
    stl_be_p(buf + 36, s->l1_entries);
    stq_be_p(buf + 40, s->l1_table_offset);
    stq_be_p(buf + 48, s->reftable_offset);
    stl_be_p(buf + 56, s->reftable_clusters);
    if (s->version >= 3) {
        stq_be_p(buf + 72, s->incompat);
        stq_be_p(buf + 80, s->compat);
        stq_be_p(buf + 88, s->autoclear);
    }

    for (i = 0; i <= s->exts->len; i++) {
        Qcow2Ext *ext = i < s->exts->len ? g_ptr_array_index(s->exts, i)
                                         : NULL;
        uint32_t type = ext ? ext->type : QCOW2_EXT_BITMAPS;

        if (type == QCOW2_EXT_BITMAPS) {
            if (!s->has_bitmaps || bitmaps_written) {
                continue;
            }
            bitmaps_written = true;
            len = 24;
        } else {
            len = ext->len;
        }
        if (pos + 8 + ROUND_UP(len, 8) + 8 > s->cluster_size) {
            return -ENOSPC;
        }
        stl_be_p(buf + pos, type);
        stl_be_p(buf + pos + 4, len);
        if (type == QCOW2_EXT_BITMAPS) {
            qcow2_format_bitmaps_ext(s, buf + pos + 8);
        } else if (len) {
            memcpy(buf + pos + 8, ext->data, len);
        }
        pos += 8 + ROUND_UP(len, 8);
    }
    pos += 8;                   /* end of extensions (zeroes) */

    if (s->backing_file) {
        len = strlen(s->backing_file);
        if (pos + len > s->cluster_size) {
            return -ENOSPC;
        }
        memcpy(buf + pos, s->backing_file, len);
        stq_be_p(buf + 8, pos);
        stl_be_p(buf + 16, len);
    }
    return bdrv_pwrite(bs->file, 0, s->cluster_size, buf, 0);
}

bool qcow2_read_header(BlockDriverState *bs, int flags, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t hdr[QCOW2_V3_HEADER_LEN];
    g_autofree uint8_t *c0 = NULL;
    int ret;

    s->exts = g_ptr_array_new_with_free_func(qcow2_ext_free);
    ret = bdrv_pread(bs->file, 0, sizeof(hdr), hdr, 0);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read qcow2 header");
        return false;
    }
    if (!parse_header(bs, hdr, errp)) {
        return false;
    }
    c0 = g_malloc(s->cluster_size);
    ret = bdrv_pread(bs->file, 0, s->cluster_size, c0, 0);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read qcow2 header");
        return false;
    }
    s->header_raw = g_memdup(c0, s->header_length);
    return check_header(bs, flags, errp) && read_extensions(bs, c0, errp);
}

int qcow2_clear_unknown_autoclear(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t known = s->has_bitmaps ? QCOW2_AUTOCLEAR_BITMAPS : 0;

    if (!(s->autoclear & ~known)) {
        return 0;
    }
    s->autoclear &= known;
    return qcow2_update_header(bs);
}
