/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qcow2: reading compressed clusters (zlib, raw deflate). */

/*
 * A compressed cluster's L2 entry (x = 62 - (cluster_bits - 8)):
 *   bits 0 .. x-1   host byte offset of the compressed data
 *   bits x .. 61    number of 512-byte sectors it takes, minus one,
 *                   counted from the sector that holds the offset
 * The data is a raw deflate stream that inflates to one whole cluster;
 * what follows it in its last sector is not part of it. Every host
 * cluster the sectors touch holds one reference per compressed cluster.
 * Images are compressed by qemu-img convert -c; minivmm never writes
 * compressed clusters, it replaces them when the guest writes.
 */

#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include <gio/gio.h>
#include "qcow2.h"

void qcow2_compressed_range(BDRVQcow2State *s, uint64_t entry,
                            uint64_t *offset, uint64_t *len)
{
    int shift = 62 - (s->cluster_bits - 8);
    uint64_t sectors = ((entry >> shift) &
                        ((1ull << (s->cluster_bits - 8)) - 1)) + 1;

    *offset = entry & ((1ull << shift) - 1);
    *len = sectors * 512 - (*offset & 511);
}

int qcow2_read_compressed(BlockDriverState *bs, uint64_t entry, uint8_t *out)
{
    BDRVQcow2State *s = bs->opaque;
    g_autoptr(GConverter) inflater = NULL;
    g_autoptr(GError) err = NULL;
    g_autofree uint8_t *in = NULL;
    gsize nread = 0, written = 0;
    uint64_t offset, len;
    int ret;

    if (s->incompat & QCOW2_INCOMPAT_COMPRESSION) {
        error_report("qcow2: zstd compressed clusters are not supported");
        return -ENOTSUP;
    }
    qcow2_compressed_range(s, entry, &offset, &len);
    in = g_malloc(len);
    ret = bdrv_pread(bs->file, offset, len, in, 0);
    if (ret < 0) {
        return ret;
    }
    inflater = G_CONVERTER(g_zlib_decompressor_new(
        G_ZLIB_COMPRESSOR_FORMAT_RAW));
    /* Stops once the cluster is full: the rest of the sector is junk. */
    g_converter_convert(inflater, in, len, out, s->cluster_size,
                        G_CONVERTER_INPUT_AT_END, &nread, &written, &err);
    if (written != s->cluster_size) {
        error_report("qcow2: bad compressed cluster at offset %#" PRIx64
                     ": %s", offset, err ? err->message : "too short");
        return -EIO;
    }
    return 0;
}
