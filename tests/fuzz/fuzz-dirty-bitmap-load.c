/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: arbitrary bytes into the dirty-bitmap section loader. */

/*
 * Input: one option byte, then the payloads of any number of dirty-bitmap
 * sections back to back (what follows a START/PART/END section header in
 * a migration stream).  The loader's load_state handler is called on a
 * buffer QEMUFile until it fails or the input is used up.
 *
 * Option byte:
 *   0x01  set a block-bitmap-mapping first (see fuzz_mapping())
 *   0x02  run dirty_bitmap_mig_before_vm_start() after the first section,
 *         as the destination does at postcopy RUN
 *   0x04  run dirty_bitmap_mig_cancel_incoming() at the end
 *   0x08  after each section, remove every bitmap QMP could remove (not
 *         busy, not the pre-existing one), as an operator might while
 *         the load goes on
 *   0x10  after the first section, flip the block-bitmap-mapping (set
 *         it if unset, else clear it), which cancels bitmap migration
 *
 * Nodes (null-co): "drive0" 1 GiB with a bitmap "existing" (64 KiB) that
 * no stream may touch; "node1" of 104858112 bytes (an odd size); "empty0"
 * of 0 bytes.
 *
 * The module is compiled into this file so that every input starts from a
 * fresh load state, as a fresh destination process would.  After each
 * input the invariants are checked: the pre-existing bitmap unchanged, no
 * bitmap left busy, node references back to where they were.
 *
 * Rejected inputs print QEMU's error messages; run libFuzzer with
 * -close_fd_mask=2 to keep them out of its output.
 *
 * Built as a libFuzzer target with -Dfuzzing=true, and always as
 * fuzz-dirty-bitmap-regress, whose main() feeds every file of
 * corpus-dirty-bitmap/ through the same entry point (file name prefixes
 * "ok-", "cancel-" and "fail-" also say how the load must end).
 */

#include "qemu/osdep.h"
#include "../../migration/block-dirty-bitmap.c"
#include "migration/savevm.h"

#include "qapi/qapi-types-migration.h"
#include "qapi/util.h"

/*
 * The module's internals this harness touches: this tree's, or QEMU
 * 7.2's when scripts/check-module.sh builds the tree with QEMU's file.
 * Both keep the stream's current names and state under these names.
 */
#define FUZZ_FORGET_NAMES(s) do {                                   \
        (s)->node_alias[0] = '\0';                                   \
        (s)->bitmap_alias[0] = '\0';                                 \
        (s)->bitmap_name[0] = '\0';                                  \
        (s)->bs = NULL;                                              \
        (s)->bitmap = NULL;                                          \
        (s)->cancelled = false;                                      \
    } while (0)

#ifdef DBM_CHUNK_BYTES
#define FUZZ_HANDLERS   (&dbm_handlers)
#define FUZZ_OPAQUE     (&dbm)
#define FUZZ_LOAD_CANCELLED (dbm.in.cancelled)

/* Forget the stream's names and flags, as a fresh process would. */
static void fuzz_forget_load_state(void)
{
    DBMIn *s = &dbm.in;

    dirty_bitmap_mig_cancel_incoming();
    /* A new migration's figures start from zero (load_setup). */
    dbm_handlers.load_setup(NULL, &dbm);
    assert(QTAILQ_EMPTY(&s->owned) && QTAILQ_EMPTY(&s->dropped));
    assert(!s->unref->len && !g_hash_table_size(s->by_name));
    FUZZ_FORGET_NAMES(s);
    s->cur = NULL;
    s->failed = false;
    s->vm_started = false;
}
#else
#define FUZZ_HANDLERS   (&savevm_dirty_bitmap_handlers)
#define FUZZ_OPAQUE     (&dbm_state)
#define FUZZ_LOAD_CANCELLED (dbm_state.load.cancelled)

static void fuzz_forget_load_state(void)
{
    DBMLoadState *s = &dbm_state.load;

    qemu_mutex_lock(&s->lock);
    cancel_incoming_locked(s);
    assert(!s->bitmaps);
    qemu_mutex_unlock(&s->lock);
    FUZZ_FORGET_NAMES(s);
    s->flags = 0;
    s->bmap_inner = NULL;
    s->before_vm_start_handled = false;
}
#endif

#define FUZZ_OPT_MAPPING        0x01
#define FUZZ_OPT_VM_START       0x02
#define FUZZ_OPT_CANCEL         0x04
#define FUZZ_OPT_REMOVE         0x08
#define FUZZ_OPT_REMAP          0x10

/* How one input ended. */
typedef enum FuzzOutcome {
    FUZZ_OK,          /* every section loaded, bitmaps not cancelled */
    FUZZ_CANCELLED,   /* loaded, but bitmap migration was cancelled */
    FUZZ_FAILED,      /* a section load returned an error */
} FuzzOutcome;

typedef struct FuzzNode {
    const char *name;
    int64_t size;
    BlockDriverState *bs;
    int refcnt;                 /* after setup */
} FuzzNode;

static FuzzNode fuzz_nodes[] = {
    { .name = "drive0", .size = 1 * GiB },
    { .name = "node1", .size = 104858112 },
    { .name = "empty0", .size = 0 },
};

static BdrvDirtyBitmap *fuzz_existing;
static char *fuzz_existing_sha;

static BitmapMigrationBitmapAlias *fuzz_bitmap_alias(const char *name,
                                                     const char *alias,
                                                     int persistent)
{
    BitmapMigrationBitmapAlias *bmba = g_new0(BitmapMigrationBitmapAlias, 1);

    bmba->name = g_strdup(name);
    bmba->alias = g_strdup(alias);
    if (persistent >= 0) {
        bmba->has_transform = true;
        bmba->transform = g_new0(BitmapMigrationBitmapAliasTransform, 1);
        bmba->transform->has_persistent = true;
        bmba->transform->persistent = persistent;
    }
    return bmba;
}

/*
 * drive0 is known as "drive0" with bitmaps bmA -> bmA (persistent forced
 * on) and bmB -> "bm-b"; node1 as "n1" with odd -> odd.  empty0 is not
 * mapped.
 */
static BitmapMigrationNodeAliasList *fuzz_mapping(void)
{
    BitmapMigrationNodeAliasList *list = NULL;
    BitmapMigrationNodeAlias *n;

    n = g_new0(BitmapMigrationNodeAlias, 1);
    n->node_name = g_strdup("node1");
    n->alias = g_strdup("n1");
    QAPI_LIST_PREPEND(n->bitmaps, fuzz_bitmap_alias("odd", "odd", -1));
    QAPI_LIST_PREPEND(list, n);

    n = g_new0(BitmapMigrationNodeAlias, 1);
    n->node_name = g_strdup("drive0");
    n->alias = g_strdup("drive0");
    QAPI_LIST_PREPEND(n->bitmaps, fuzz_bitmap_alias("bmB", "bm-b", -1));
    QAPI_LIST_PREPEND(n->bitmaps, fuzz_bitmap_alias("bmA", "bmA", 1));
    QAPI_LIST_PREPEND(list, n);

    return list;
}

static void fuzz_set_mapping(bool on)
{
    MigrationParameters *p = &migrate_get_current()->parameters;

    qapi_free_BitmapMigrationNodeAliasList(p->block_bitmap_mapping);
    p->block_bitmap_mapping = on ? fuzz_mapping() : NULL;
    p->has_block_bitmap_mapping = on;
}

static void fuzz_setup(void)
{
    static bool done;
    size_t i;

    if (done) {
        return;
    }
    done = true;

    qemu_init_main_loop(&error_abort);
    qemu_mutex_lock_iothread();
    bdrv_init();
    migration_object_init();    /* registers the dirty-bitmap section */

    for (i = 0; i < G_N_ELEMENTS(fuzz_nodes); i++) {
        FuzzNode *n = &fuzz_nodes[i];
        json_t *opts = json_pack("{s:s, s:s, s:I}", "driver", "null-co",
                                 "node-name", n->name, "size",
                                 (json_int_t)n->size);

        n->bs = bdrv_open(NULL, NULL, opts, BDRV_O_RDWR, &error_abort);
    }

    fuzz_existing = bdrv_create_dirty_bitmap(fuzz_nodes[0].bs, 65536,
                                             "existing", &error_abort);
    bdrv_set_dirty_bitmap(fuzz_existing, 0, 65536);
    fuzz_existing_sha = bdrv_dirty_bitmap_sha256(fuzz_existing, &error_abort);

    for (i = 0; i < G_N_ELEMENTS(fuzz_nodes); i++) {
        fuzz_nodes[i].refcnt = fuzz_nodes[i].bs->refcnt;
    }

}

/* Drop what the input left behind and start the next one afresh. */
static void fuzz_reset(void)
{
    g_autofree char *sha = NULL;
    size_t i;

    /* Drops the bitmaps this input left loading; done again below. */
    dirty_bitmap_mig_cancel_incoming();

    for (i = 0; i < G_N_ELEMENTS(fuzz_nodes); i++) {
        BlockDriverState *bs = fuzz_nodes[i].bs;
        BdrvDirtyBitmap *bm, *next;

        for (bm = bdrv_dirty_bitmap_first(bs); bm; bm = next) {
            next = bdrv_dirty_bitmap_next(bm);
            if (bm == fuzz_existing) {
                continue;
            }
            /* Complete bitmaps are handed over: neither busy nor frozen. */
            assert(!bdrv_dirty_bitmap_check(bm, BDRV_BITMAP_BUSY, NULL));
            assert(!bdrv_dirty_bitmap_has_successor(bm));
            bdrv_release_dirty_bitmap(bm);
        }
        assert(bs->refcnt == fuzz_nodes[i].refcnt);
    }

    assert(!bdrv_dirty_bitmap_check(fuzz_existing, BDRV_BITMAP_BUSY, NULL));
    assert(bdrv_dirty_bitmap_enabled(fuzz_existing));
    sha = bdrv_dirty_bitmap_sha256(fuzz_existing, &error_abort);
    assert(!strcmp(sha, fuzz_existing_sha));

    fuzz_forget_load_state();
    fuzz_set_mapping(false);
}

/* What block-dirty-bitmap-remove would let go of, between two sections. */
static void fuzz_remove_idle_bitmaps(void)
{
    size_t i;

    for (i = 0; i < G_N_ELEMENTS(fuzz_nodes); i++) {
        BdrvDirtyBitmap *bm, *next;

        for (bm = bdrv_dirty_bitmap_first(fuzz_nodes[i].bs); bm; bm = next) {
            next = bdrv_dirty_bitmap_next(bm);
            if (bm != fuzz_existing && bdrv_dirty_bitmap_name(bm) &&
                !bdrv_dirty_bitmap_check(bm, BDRV_BITMAP_DEFAULT, NULL)) {
                bdrv_release_dirty_bitmap(bm);
            }
        }
    }
}

static FuzzOutcome fuzz_one_input(const uint8_t *data, size_t size)
{
    const SaveVMHandlers *ops = FUZZ_HANDLERS;
    FuzzOutcome outcome = FUZZ_OK;
    uint8_t opts;
    QEMUFile *f;
    int sections = 0;

    fuzz_setup();
    if (size < 1) {
        return FUZZ_OK;
    }
    opts = data[0];
    fuzz_set_mapping(opts & FUZZ_OPT_MAPPING);

    f = qemu_file_new_buffer_input(data + 1, size - 1);
    while (qemu_peek_byte(f, 0), !qemu_file_get_error(f)) {
        if (ops->load_state(f, FUZZ_OPAQUE, 1) < 0) {
            error_free(qemu_loadvm_section_error_take());
            outcome = FUZZ_FAILED;
            break;
        }
        if (++sections == 1 && (opts & FUZZ_OPT_VM_START)) {
            dirty_bitmap_mig_before_vm_start();
        }
        if (sections == 1 && (opts & FUZZ_OPT_REMAP)) {
            fuzz_set_mapping(!(opts & FUZZ_OPT_MAPPING));
        }
        if (opts & FUZZ_OPT_REMOVE) {
            fuzz_remove_idle_bitmaps();
        }
    }
    qemu_fclose(f);

    if (outcome == FUZZ_OK && FUZZ_LOAD_CANCELLED) {
        outcome = FUZZ_CANCELLED;
    }
    if (opts & FUZZ_OPT_CANCEL) {
        dirty_bitmap_mig_cancel_incoming();
    }

    fuzz_reset();
    return outcome;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_one_input(data, size);
    return 0;
}

#ifdef FUZZ_REGRESSION_MAIN
/* Regression runner: one GTest case per corpus file. */

static gint compare_paths(gconstpointer a, gconstpointer b)
{
    return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

static void test_corpus_file(gconstpointer opaque)
{
    const char *path = opaque;
    g_autofree char *base = g_path_get_basename(path);
    g_autofree char *data = NULL;
    size_t len;
    FuzzOutcome outcome;

    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    outcome = fuzz_one_input((const uint8_t *)data, len);

    if (g_str_has_prefix(base, "ok-")) {
        g_assert_cmpint(outcome, ==, FUZZ_OK);
    } else if (g_str_has_prefix(base, "cancel-")) {
        g_assert_cmpint(outcome, ==, FUZZ_CANCELLED);
    } else if (g_str_has_prefix(base, "fail-")) {
        g_assert_cmpint(outcome, ==, FUZZ_FAILED);
    }
}

int main(int argc, char **argv)
{
    const char *dir_name = getenv("DBM_FUZZ_CORPUS");
    g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GDir) dir = NULL;
    const char *name;
    guint i;

    g_test_init(&argc, &argv, NULL);

    if (!dir_name) {
        dir_name = "tests/fuzz/corpus-dirty-bitmap";
    }
    dir = g_dir_open(dir_name, 0, NULL);
    g_assert_nonnull(dir);
    while ((name = g_dir_read_name(dir))) {
        g_ptr_array_add(files, g_build_filename(dir_name, name, NULL));
    }
    g_ptr_array_sort(files, compare_paths);
    g_assert_cmpuint(files->len, >, 0);

    for (i = 0; i < files->len; i++) {
        const char *path = g_ptr_array_index(files, i);
        g_autofree char *base = g_path_get_basename(path);
        g_autofree char *test_path = g_strdup_printf("/dbm/fuzz-corpus/%s",
                                                     base);

        g_test_add_data_func(test_path, path, test_corpus_file);
    }

    return g_test_run();
}
#endif
