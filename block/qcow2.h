/* SPDX-License-Identifier: GPL-2.0-or-later */
/* qcow2 format driver: on-disk layout constants and the shared state. */
#ifndef BLOCK_QCOW2_H
#define BLOCK_QCOW2_H

#include "block/block_int.h"

/*
 * The format is docs/interop/qcow2.txt of QEMU 7.2 (all fields big endian).
 * Limits below are the ones QEMU 7.2 enforces, so that an image either
 * opens in both or is refused by both.
 */
#define QCOW2_MAGIC             0x514649fbu     /* "QFI\xfb" */
#define QCOW2_V2_HEADER_LEN     72
#define QCOW2_V3_HEADER_LEN     104
#define QCOW2_MIN_CLUSTER_BITS  9
#define QCOW2_MAX_CLUSTER_BITS  21
#define QCOW2_MAX_REFTABLE_BYTES  (8 * MiB)
#define QCOW2_MAX_L1_BYTES        (32 * MiB)
#define QCOW2_MAX_BACKING_NAME  1023
#define QCOW2_MAX_SNAPSHOTS     65536

/* Header extension types. */
#define QCOW2_EXT_END           0x00000000u
#define QCOW2_EXT_BACKING_FMT   0xe2792acau
#define QCOW2_EXT_FEATURE_NAMES 0x6803f857u
#define QCOW2_EXT_BITMAPS       0x23852875u
#define QCOW2_EXT_CRYPTO        0x0537be77u
#define QCOW2_EXT_DATA_FILE     0x44415441u

/* Feature bits. */
#define QCOW2_INCOMPAT_DIRTY        (1ull << 0)
#define QCOW2_INCOMPAT_CORRUPT      (1ull << 1)
#define QCOW2_INCOMPAT_DATA_FILE    (1ull << 2)
#define QCOW2_INCOMPAT_COMPRESSION  (1ull << 3)
#define QCOW2_INCOMPAT_EXTL2        (1ull << 4)
#define QCOW2_INCOMPAT_KNOWN        0x1full
#define QCOW2_COMPAT_LAZY_REFCOUNTS (1ull << 0)
#define QCOW2_AUTOCLEAR_BITMAPS     (1ull << 0)
#define QCOW2_AUTOCLEAR_DATA_RAW    (1ull << 1)

/* L1, L2, refcount table and bitmap table entries. */
#define QCOW2_OFFSET_MASK       0x00fffffffffffe00ull   /* bits 9..55 */
#define QCOW2_OFLAG_COPIED      (1ull << 63)
#define QCOW2_OFLAG_COMPRESSED  (1ull << 62)
#define QCOW2_OFLAG_ZERO        (1ull << 0)
#define QCOW2_L1E_RESERVED      0x7f000000000001ffull
#define QCOW2_L2E_RESERVED      0x3f000000000001feull
#define QCOW2_REFT_RESERVED     0x00000000000001ffull
#define QCOW2_BMT_RESERVED      0xff000000000001feull
#define QCOW2_BMT_ALL_ONES      (1ull << 0)

/* Bitmaps extension limits (QEMU 7.2's). */
#define QCOW2_MAX_BITMAPS       65535
#define QCOW2_MAX_BITMAP_DIR    (1024 * QCOW2_MAX_BITMAPS)
#define QCOW2_BME_MAX_TABLE_SIZE  0x8000000u
#define QCOW2_BME_MAX_PHYS_SIZE   0x20000000u
#define QCOW2_BME_MIN_GRAN_BITS   9
#define QCOW2_BME_MAX_GRAN_BITS   31
#define QCOW2_BME_MAX_NAME_SIZE   1023
#define QCOW2_BME_FLAG_IN_USE     (1u << 0)
#define QCOW2_BME_FLAG_AUTO       (1u << 1)
#define QCOW2_BME_FLAG_EXTRA_COMPAT (1u << 2)
#define QCOW2_BME_RESERVED_FLAGS  (~7u)
#define QCOW2_BME_TYPE_DIRTY      1

/* What a guest cluster maps to. */
typedef enum Qcow2ClusterType {
    QCOW2_CLUSTER_UNALLOCATED,  /* read from backing or as zeroes */
    QCOW2_CLUSTER_ZERO_PLAIN,   /* reads as zeroes, no host cluster */
    QCOW2_CLUSTER_ZERO_ALLOC,   /* reads as zeroes, host cluster reserved */
    QCOW2_CLUSTER_NORMAL,       /* data at the host offset */
    QCOW2_CLUSTER_COMPRESSED,   /* compressed data (read-only) */
} Qcow2ClusterType;

/* One raw header extension, kept in the image's order. */
typedef struct Qcow2Ext {
    uint32_t type;
    uint32_t len;               /* bytes of @data, without padding */
    uint8_t *data;
} Qcow2Ext;

/*
 * A small write-through cache of cluster-sized tables (L2 tables or
 * refcount blocks). A pointer from qcow2_cache_get() is valid until the
 * next call on the same cache.
 */
#define QCOW2_CACHE_ENTRIES 16
typedef struct Qcow2Cache {
    uint64_t offset[QCOW2_CACHE_ENTRIES];   /* host offset, 0 = empty */
    uint64_t used[QCOW2_CACHE_ENTRIES];     /* LRU stamp */
    uint8_t *buf[QCOW2_CACHE_ENTRIES];      /* cluster_size bytes each */
    uint64_t clock;
} Qcow2Cache;

/* One bitmap directory entry, as read from (or to be written to) the image. */
typedef struct Qcow2Bitmap {
    uint64_t table_offset;      /* bitmap table, cluster aligned */
    uint32_t table_size;        /* entries */
    uint32_t flags;             /* QCOW2_BME_FLAG_* and unknown bits */
    uint8_t type;
    uint8_t granularity_bits;
    uint32_t extra_data_size;
    uint8_t *extra_data;
    char *name;
} Qcow2Bitmap;

typedef struct BDRVQcow2State {
    /* Header fields (host order). */
    uint32_t version;           /* 2 or 3 */
    uint32_t cluster_bits;      /* 9..21 */
    uint32_t cluster_size;
    uint32_t l2_bits;           /* log2(entries in an L2 table) */
    uint64_t size;              /* virtual disk size in bytes */
    uint32_t crypt_method;
    uint32_t l1_entries;           /* entries */
    uint64_t l1_table_offset;
    uint64_t reftable_offset;
    uint32_t reftable_clusters;
    uint32_t snapshot_count;
    uint64_t snapshot_table_offset;
    uint64_t incompat;
    uint64_t compat;
    uint64_t autoclear;
    uint32_t refcount_order;    /* 0..6 */
    uint32_t header_length;
    uint8_t *header_raw;        /* header_length bytes as read (unknowns) */
    char *backing_file;         /* NULL if none */
    char *backing_format;       /* from the backing format extension */
    GPtrArray *exts;            /* Qcow2Ext, except the bitmaps extension */

    /* Derived. */
    uint32_t refcount_bits;
    uint64_t refcount_max;
    uint32_t refblock_bits;     /* log2(entries in a refcount block) */
    uint64_t *l1_table;         /* l1_entries entries, host order */
    uint64_t *reftable;   /* reftable_entries entries, host order */
    uint32_t reftable_entries;
    uint64_t free_cluster_index;    /* no free cluster below this one */
    Qcow2Cache l2_cache;
    Qcow2Cache refblock_cache;

    /* Bitmaps extension (valid only if has_bitmaps). */
    bool has_bitmaps;
    uint32_t nb_bitmaps;
    uint64_t bitmap_directory_size;
    uint64_t bitmap_directory_offset;

    bool write_user;            /* we hold BLK_PERM_WRITE on bs->file */
} BDRVQcow2State;

static inline uint64_t qcow2_offset_into_cluster(BDRVQcow2State *s,
                                                 uint64_t offset)
{
    return offset & (s->cluster_size - 1);
}

static inline uint64_t qcow2_size_to_clusters(BDRVQcow2State *s,
                                              uint64_t size)
{
    return (size + s->cluster_size - 1) >> s->cluster_bits;
}

static inline uint64_t qcow2_align_up(BDRVQcow2State *s, uint64_t size)
{
    return qcow2_size_to_clusters(s, size) << s->cluster_bits;
}

/* qcow2-header.c */
/*
 * Read and check the header, the extensions and the backing file name
 * (QEMU's limits and messages) into the state; writes nothing.
 */
bool qcow2_read_header(BlockDriverState *bs, int flags, Error **errp);
/* Rewrite the header cluster from the state (header, extensions, names). */
int qcow2_update_header(BlockDriverState *bs);
/* Before a writer's first write: clear autoclear bits it does not keep. */
int qcow2_clear_unknown_autoclear(BlockDriverState *bs);

/* qcow2-cluster.c (L1/L2 mapping and the table cache) */
void qcow2_cache_init(BDRVQcow2State *s, Qcow2Cache *c);
void qcow2_cache_destroy(Qcow2Cache *c);
/* Forget a table whose cluster was freed or rewritten elsewhere. */
void qcow2_cache_forget(Qcow2Cache *c, uint64_t offset);
int qcow2_cache_get(BlockDriverState *bs, Qcow2Cache *c, uint64_t offset,
                    uint8_t **table);
/* Store one 64-bit big-endian entry of a cached table and write it out. */
int qcow2_cache_set_entry64(BlockDriverState *bs, Qcow2Cache *c,
                            uint64_t offset, int index, uint64_t value);
/* Write bytes [start, start + len) of a cached table to the file. */
int qcow2_cache_write(BlockDriverState *bs, Qcow2Cache *c, uint64_t offset,
                      int start, int len);

int qcow2_get_cluster(BlockDriverState *bs, uint64_t guest_offset,
                      uint64_t *host_offset, Qcow2ClusterType *type);
int qcow2_co_preadv(BlockDriverState *bs, int64_t offset, int64_t bytes,
                    void *buf);
int qcow2_co_pwritev(BlockDriverState *bs, int64_t offset, int64_t bytes,
                     const void *buf);
int qcow2_co_pwrite_zeroes(BlockDriverState *bs, int64_t offset,
                           int64_t bytes, BdrvRequestFlags flags);
int qcow2_co_pdiscard(BlockDriverState *bs, int64_t offset, int64_t bytes);
/*
 * Unmap every guest cluster from @start (cluster aligned) on and release
 * its host cluster; L2 tables left mapping nothing are freed and their
 * L1 entries cleared (the L1 table keeps its size).
 */
int qcow2_unmap_from(BlockDriverState *bs, uint64_t start);

/* qcow2-resize.c */
int qcow2_truncate(BlockDriverState *bs, int64_t offset, bool exact,
                   Error **errp);

/* qcow2-compress.c */
/* Host byte range of a compressed cluster's data (from its L2 entry). */
void qcow2_compressed_range(BDRVQcow2State *s, uint64_t entry,
                            uint64_t *offset, uint64_t *len);
/* Inflate the compressed cluster of L2 entry @entry into @out. */
int qcow2_read_compressed(BlockDriverState *bs, uint64_t entry,
                          uint8_t *out);

/* qcow2-repair.c */
/*
 * Rebuild the refcounts of a dirty image (lazy refcounts after a crash)
 * and clear the dirty bit; writes nothing unless every reference checks.
 */
bool qcow2_repair_refcounts(BlockDriverState *bs, Error **errp);

/* qcow2-refcount.c */
/* Set entry @i of refcount block @blk; @start/@len: the bytes changed. */
void qcow2_refblock_set(BDRVQcow2State *s, uint8_t *blk, uint64_t i,
                        uint64_t value, int *start, int *len);
int qcow2_get_refcount(BlockDriverState *bs, uint64_t cluster_index,
                       uint64_t *refcount);
/* Add @delta to the refcount of every cluster of [offset, offset + len). */
int qcow2_update_refcount(BlockDriverState *bs, uint64_t offset,
                          uint64_t len, int delta);
/* Allocate @size bytes of contiguous clusters; returns the offset. */
int64_t qcow2_alloc_clusters(BlockDriverState *bs, uint64_t size);
/* Drop one reference on [offset, offset + len), cluster aligned. */
void qcow2_free_clusters(BlockDriverState *bs, uint64_t offset, uint64_t len);
/*
 * Refuse (-EIO, reported) a write of guest data or of an L2 table or
 * refcount block that would land on the header, the L1 table, the
 * refcount table or the bitmap directory: a hostile image's pointers.
 */
int qcow2_check_metadata_overlap(BlockDriverState *bs, uint64_t offset,
                                 uint64_t len);
/* Does [offset, offset + len) lie in the image and not on the header? */
bool qcow2_range_in_file(BlockDriverState *bs, uint64_t offset,
                         uint64_t len);

/* qcow2-bitmap-dir.c */
/* Bytes a directory entry takes (8-aligned). */
uint64_t qcow2_bitmap_entry_size(uint64_t extra, uint64_t name_size);
/* Entries of the table of a bitmap of @granularity on @disk_size bytes. */
uint64_t qcow2_bitmap_table_size(BDRVQcow2State *s, uint64_t disk_size,
                                 uint32_t granularity);
Qcow2Bitmap *qcow2_find_bitmap(GPtrArray *list, const char *name);
/* Serialise a directory; its size goes to @size. */
uint8_t *qcow2_format_bitmap_dir(GPtrArray *list, uint64_t *size);
/* Read a bitmap table (host order) and check its entries; -EINVAL. */
int qcow2_read_bitmap_table(BlockDriverState *bs, const Qcow2Bitmap *bm,
                            uint64_t **table);
/* Write @list as a new directory, point the header at it, free the old. */
int qcow2_write_bitmap_dir(BlockDriverState *bs, GPtrArray *list);
/* Release the clusters of a bitmap's table and data. */
void qcow2_free_bitmap_clusters(BlockDriverState *bs, const Qcow2Bitmap *bm);

/* qcow2-bitmap.c */
/*
 * Read the image's bitmaps into memory, writing nothing to the image;
 * @loaded gets those created, for qcow2_unload_dirty_bitmaps() should
 * taking the image fail later.
 */
bool qcow2_load_dirty_bitmaps(BlockDriverState *bs, GPtrArray **loaded,
                              Error **errp);
void qcow2_unload_dirty_bitmaps(GPtrArray *loaded);
bool qcow2_store_persistent_dirty_bitmaps(BlockDriverState *bs,
                                          bool release_stored, Error **errp);
/*
 * Set IN_USE in the image on every entry whose bitmap is loaded,
 * persistent and consistent (a node that became writable).
 */
bool qcow2_mark_bitmaps_in_use(BlockDriverState *bs, Error **errp);
/* May the disk be resized? Every bitmap of the image loaded and usable. */
bool qcow2_truncate_bitmaps_check(BlockDriverState *bs, Error **errp);
bool qcow2_supports_persistent_dirty_bitmap(BlockDriverState *bs);
bool qcow2_co_can_store_new_dirty_bitmap(BlockDriverState *bs,
                                         const char *name,
                                         uint32_t granularity,
                                         Error **errp);
int qcow2_co_remove_persistent_dirty_bitmap(BlockDriverState *bs,
                                            const char *name, Error **errp);
/* Parse the bitmaps extension payload into the state. */
bool qcow2_parse_bitmaps_ext(BlockDriverState *bs, const uint8_t *data,
                             uint32_t len, Error **errp);
/* Serialise the bitmaps extension payload (24 bytes). */
void qcow2_format_bitmaps_ext(BDRVQcow2State *s, uint8_t *data);
/* Read and check the bitmap directory (for query and load). */
bool qcow2_read_bitmap_list(BlockDriverState *bs, GPtrArray **list,
                            Error **errp);
void qcow2_bitmap_free(gpointer p);
/* The image's bitmaps as Qcow2BitmapInfoList, for image info. */
bool qcow2_get_bitmap_info_list(BlockDriverState *bs, void **info_list,
                                Error **errp);

#endif /* BLOCK_QCOW2_H */
