/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: arbitrary bytes opened as a qcow2 image, read-write. */

/*
 * The input (at most 4 MiB) is written to a scratch file, which is opened
 * with driver=qcow2 read-write, so that the bitmaps extension is read,
 * the bitmaps load and get marked IN_USE. When the open succeeds, a few
 * reads, writes, zero writes and discards run, the format-specific image
 * info is queried, and the node is closed, which stores the bitmaps.
 * Nothing may crash, assert, hang or allocate without bound; a failed
 * open leaves the file as it was.
 *
 * Built as a libFuzzer target with -Dfuzzing=true, and always as
 * fuzz-qcow2-regress, whose main() feeds every file of corpus-qcow2/
 * through the same entry point (name prefixes "ok-" and "fail-" say
 * whether the open must succeed). gen-qcow2-corpus.py makes the corpus
 * with qemu-img.
 */

#include "qemu/osdep.h"
#include "qemu/main-loop.h"
#include "qapi/error.h"
#include "qapi/qapi-types-block-core.h"
#include "block/block_int.h"

#define FUZZ_MAX_INPUT (4 * MiB)

static char *scratch;

static const BdrvChildClass fuzz_child = {
    .parent_is_bds = false,
};

static void fuzz_init(void)
{
    int fd;

    if (scratch) {
        return;
    }
    /* The block layer's global state is the BQL holder's, as in QEMU. */
    qemu_mutex_lock_iothread();
    bdrv_init();
    fd = g_file_open_tmp("fuzz-qcow2-XXXXXX", &scratch, NULL);
    g_assert(fd >= 0);
    close(fd);
}

/* Replace the scratch file's contents (g_file_set_contents may fsync). */
static void write_scratch(const uint8_t *data, size_t size)
{
    int fd = open(scratch, O_WRONLY | O_TRUNC);

    g_assert(fd >= 0);
    g_assert(size == 0 || pwrite(fd, data, size, 0) == (ssize_t)size);
    close(fd);
}

/* Guest I/O at the start, the middle and the end of the disk. */
static void fuzz_io(BlockDriverState *bs)
{
    BdrvChild *c = bdrv_root_attach_child(bs, "root", &fuzz_child, 0, NULL,
                                          &error_abort);
    int64_t len = bdrv_getlength(bs);
    int64_t offs[3] = { 0, len / 2, len - 4096 };
    g_autofree uint8_t *buf = g_malloc(64 * KiB);
    size_t i;

    memset(buf, 0x5a, 64 * KiB);
    for (i = 0; i < ARRAY_SIZE(offs); i++) {
        int64_t off = QEMU_ALIGN_DOWN(MAX(offs[i], 0), 512);
        int64_t n = MIN(64 * KiB, len - off);

        if (n <= 0) {
            continue;
        }
        bdrv_pread(c, off, n, buf, 0);
        bdrv_pwrite(c, off, MIN(n, 1000), buf, 0);
        bdrv_pwrite_zeroes(c, off, n, i ? BDRV_REQ_MAY_UNMAP : 0);
        bdrv_pdiscard(c, off, n);
        bdrv_pread(c, off, n, buf, 0);
    }
    bdrv_root_unref_child(c);
}

/* Returns whether the image opened. */
static bool fuzz_one_input(const uint8_t *data, size_t size)
{
    g_autofree gchar *contents = NULL;
    BlockDriverState *bs;
    ImageInfoSpecific *info;
    Error *err = NULL;
    json_t *opts;
    gsize len;

    fuzz_init();
    if (size > FUZZ_MAX_INPUT) {
        return false;
    }
    write_scratch(data, size);
    /* no-flush: fdatasync would make each input take milliseconds */
    opts = json_pack("{s:s, s:s, s:{s:b}, s:{s:s, s:s}}", "driver", "qcow2",
                     "discard", "unmap", "cache", "no-flush", 1, "file",
                     "driver", "file", "filename", scratch);
    bs = bdrv_open(NULL, NULL, opts, BDRV_O_RDWR, &err);
    if (!bs) {
        error_free(err);
        g_assert(g_file_get_contents(scratch, &contents, &len, NULL));
        g_assert_cmpuint(len, ==, size);
        g_assert(memcmp(contents, data, size) == 0);
        return false;
    }
    fuzz_io(bs);
    info = bs->drv->bdrv_get_specific_info(bs, &err);
    qapi_free_ImageInfoSpecific(info);
    error_free(err);
    bdrv_unref(bs);
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_one_input(data, size);
    return 0;
}

#ifdef FUZZ_REGRESSION_MAIN
/* Regression runner: each corpus file is one GTest case. */

static void replay_corpus_file(gconstpointer opaque)
{
    const char *path = opaque;
    g_autofree char *name = g_path_get_basename(path);
    g_autofree char *data = NULL;
    gsize len;
    bool opened;

    g_assert(g_file_get_contents(path, &data, &len, NULL));
    opened = fuzz_one_input((const uint8_t *)data, len);
    if (g_str_has_prefix(name, "ok-")) {
        g_assert(opened);
    } else if (g_str_has_prefix(name, "fail-")) {
        g_assert(!opened);
    }
}

int main(int argc, char **argv)
{
    const char *corpus = g_getenv("QCOW2_FUZZ_CORPUS") ?:
                         "tests/fuzz/corpus-qcow2";
    g_autoptr(GDir) dir = g_dir_open(corpus, 0, NULL);
    GSList *names = NULL, *l;
    const char *name;
    int ret;

    g_test_init(&argc, &argv, NULL);
    g_assert_nonnull(dir);
    while ((name = g_dir_read_name(dir))) {
        names = g_slist_insert_sorted(names, g_strdup(name),
                                      (GCompareFunc)strcmp);
    }
    g_assert_nonnull(names);
    for (l = names; l; l = l->next) {
        g_autofree char *test = g_strdup_printf("/qcow2/fuzz-corpus/%s",
                                                (char *)l->data);

        g_test_add_data_func_full(test, g_build_filename(corpus, l->data,
                                                         NULL),
                                  replay_corpus_file, g_free);
    }
    ret = g_test_run();
    g_slist_free_full(names, g_free);
    if (scratch) {
        unlink(scratch);
    }
    return ret;
}
#endif
