/* test-model-catalog.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "lp-error.h"
#include "lp-model-catalog.h"

/* Shaped like Lingma's config/queryModels answer, with the awkward
 * cases mixed in. */
static const char lingma_models[] =
  "{"
  "  \"chat\": {"
  "    \"models\": ["
  "      {\"key\": \"org_auto\", \"displayName\": \"Auto\"},"
  "      {\"key\": \"kmodel\", \"displayName\": \"Kimi-K2.6\", \"config\": {\"id\": \"x\"}},"
  "      {\"modelId\": \"dashscope_qwen3_coder\", \"name\": \"  Qwen3-Coder \"},"
  "      {\"id\": \"dashscope_qmodel\"},"
  "      {\"id\": \"not-a-thing\"},"
  "      {\"id\": \"   \", \"key\": \"kmodel2\", \"title\": \"kimi-k2.6\"}"
  "    ]"
  "  },"
  "  \"inline\": [{\"id\": \"inline_coder\"}],"
  "  \"extra\": {\"scene\": \"ignored\", \"list\": [{\"id\": \"mmodel\", \"label\": \"MiniMax-M2.7\"}]},"
  "  \"numbers\": [{\"id\": 42, \"name\": \"Numeric\"}]"
  "}";

typedef struct
{
  guint position;
  guint removed;
  guint added;
} Change;

typedef struct
{
  GArray *changes;
  guint   n_last_updated;
  guint   n_n_items;
} Recorder;

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Recorder   *recorder)
{
  Change change = { position, removed, added };

  g_array_append_val (recorder->changes, change);
}

static void
on_notify (GObject    *object,
           GParamSpec *pspec,
           Recorder   *recorder)
{
  if (g_str_equal (pspec->name, "last-updated"))
    recorder->n_last_updated++;
  else if (g_str_equal (pspec->name, "n-items"))
    recorder->n_n_items++;
}

static LpModelCatalog *
catalog_from (const char *json)
{
  g_autoptr(LpModelCatalog) catalog = lp_model_catalog_new ();
  g_autoptr(JsonNode) root = json_from_string (json, NULL);
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (root);
  g_assert_true (lp_model_catalog_update_from_json (catalog, root, &error));
  g_assert_no_error (error);

  return g_steal_pointer (&catalog);
}

static void
assert_model (LpModelCatalog *catalog,
              guint           position,
              const char     *id,
              const char     *internal_id,
              const char     *scene)
{
  g_autoptr(LpModelInfo) info = g_list_model_get_item (G_LIST_MODEL (catalog), position);

  g_assert_nonnull (info);
  g_assert_cmpstr (lp_model_info_get_id (info), ==, id);
  g_assert_cmpstr (lp_model_info_get_display_name (info), ==, id);
  g_assert_cmpstr (lp_model_info_get_internal_id (info), ==, internal_id);
  g_assert_cmpstr (lp_model_info_get_scene (info), ==, scene);
}

static void
test_tree_walk (void)
{
  g_autoptr(LpModelCatalog) catalog = catalog_from (lingma_models);

  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (catalog)) == LP_TYPE_MODEL_INFO);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (catalog)), ==, 6);
  g_assert_false (lp_model_catalog_is_empty (catalog));

  /* Document order; "not-a-thing" has neither a name nor a model-like
   * id; the duplicate "kimi-k2.6" loses to the first; the numeric id is
   * not an id. */
  assert_model (catalog, 0, "Auto", "org_auto", "chat");
  assert_model (catalog, 1, "Kimi-K2.6", "kmodel", "chat");
  assert_model (catalog, 2, "Qwen3-Coder", "dashscope_qwen3_coder", "chat");
  assert_model (catalog, 3, "dashscope_qmodel", "dashscope_qmodel", "chat");
  assert_model (catalog, 4, "inline_coder", "inline_coder", "inline");
  assert_model (catalog, 5, "MiniMax-M2.7", "mmodel", "extra");
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (catalog), 6));
}

static void
test_scenes (void)
{
  g_autoptr(LpModelCatalog) catalog = catalog_from (
    "[{\"scene\": \"agent\", \"models\": [{\"id\": \"a\", \"name\": \"A\"}],"
    "  \"chat\": [{\"id\": \"c\", \"name\": \"C\"}],"
    "  \"Quest\": {\"nested\": [{\"id\": \"q\", \"name\": \"Q\"}]}},"
    " {\"sceneId\": \"from-scene-id\", \"id\": \"s\", \"name\": \"S\"},"
    " {\"category\": \"from-category\", \"id\": \"k\", \"name\": \"K\"},"
    " {\"id\": \"n\", \"name\": \"N\"},"
    " {\"scene\": \"\", \"sceneId\": \"second\", \"id\": \"e\", \"name\": \"E\"}]");

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (catalog)), ==, 7);
  assert_model (catalog, 0, "A", "a", "agent");
  assert_model (catalog, 1, "C", "c", "chat");
  assert_model (catalog, 2, "Q", "q", "Quest");
  assert_model (catalog, 3, "S", "s", "from-scene-id");
  assert_model (catalog, 4, "K", "k", "from-category");
  assert_model (catalog, 5, "N", "n", "");
  assert_model (catalog, 6, "E", "e", "second");
}

static void
test_deterministic (void)
{
  g_autoptr(LpModelCatalog) catalog = catalog_from (
    "{\"b\": [{\"id\": \"first\", \"name\": \"Same\"}],"
    " \"a\": [{\"id\": \"second\", \"name\": \"SAME\"}, {\"id\": \"z\", \"name\": \"Zed\"}]}");

  for (guint round = 0; round < 3; round++)
    {
      g_autoptr(JsonNode) root = json_from_string (
        "{\"b\": [{\"id\": \"first\", \"name\": \"Same\"}],"
        " \"a\": [{\"id\": \"second\", \"name\": \"SAME\"}, {\"id\": \"z\", \"name\": \"Zed\"}]}",
        NULL);

      g_assert_true (lp_model_catalog_update_from_json (catalog, root, NULL));
      g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (catalog)), ==, 2);
      assert_model (catalog, 0, "Same", "first", "b");
      assert_model (catalog, 1, "Zed", "z", "a");
    }

  /* The losing duplicate's internal id is unknown, not an alias. */
  g_assert_null (lp_model_catalog_display_name_for (catalog, "second"));
}

static void
test_resolve (void)
{
  g_autoptr(LpModelCatalog) catalog = catalog_from (lingma_models);
  g_autoptr(GHashTable) aliases = g_hash_table_new (g_str_hash, g_str_equal);
  gboolean known = FALSE;
  char *id;

  g_hash_table_insert (aliases, (char *) "Sonnet", (char *) "qwen3-coder");
  g_hash_table_insert (aliases, (char *) "fast", (char *) "MMODEL");
  g_hash_table_insert (aliases, (char *) "gone", (char *) "no-such-model");

#define ASSERT_RESOLVE(requested, default_model, with_aliases, expected, expected_known) \
  G_STMT_START { \
    known = !(expected_known); \
    id = lp_model_catalog_resolve (catalog, requested, default_model, \
                                   (with_aliases) ? aliases : NULL, &known); \
    g_assert_cmpstr (id, ==, expected); \
    g_assert_cmpint (known, ==, expected_known); \
    g_free (id); \
  } G_STMT_END

  /* By display name, then by internal id, ignoring case. */
  ASSERT_RESOLVE ("Kimi-K2.6", NULL, FALSE, "kmodel", TRUE);
  ASSERT_RESOLVE ("kimi-k2.6", NULL, FALSE, "kmodel", TRUE);
  ASSERT_RESOLVE ("QWEN3-CODER", "Auto", FALSE, "dashscope_qwen3_coder", TRUE);
  ASSERT_RESOLVE ("KMODEL", NULL, FALSE, "kmodel", TRUE);
  ASSERT_RESOLVE ("mmodel", NULL, FALSE, "mmodel", TRUE);

  /* Through an alias, whose target resolves the same way. */
  ASSERT_RESOLVE ("sonnet", NULL, TRUE, "dashscope_qwen3_coder", TRUE);
  ASSERT_RESOLVE ("Sonnet", NULL, TRUE, "dashscope_qwen3_coder", TRUE);
  ASSERT_RESOLVE ("FAST", NULL, TRUE, "mmodel", TRUE);
  ASSERT_RESOLVE ("sonnet", NULL, FALSE, "org_auto", FALSE);

  /* Unknown or blank names fall back to the default. */
  ASSERT_RESOLVE ("claude-opus-4-8", "MiniMax-M2.7", TRUE, "mmodel", FALSE);
  ASSERT_RESOLVE ("gpt-4o", "kmodel", FALSE, "kmodel", FALSE);
  ASSERT_RESOLVE ("gone", "Kimi-K2.6", TRUE, "kmodel", FALSE);
  ASSERT_RESOLVE ("", "Kimi-K2.6", FALSE, "kmodel", TRUE);
  ASSERT_RESOLVE (NULL, "kimi-k2.6", FALSE, "kmodel", TRUE);
  ASSERT_RESOLVE (NULL, "fast", TRUE, "mmodel", TRUE);

  /* An unknown default falls back to "Auto". */
  ASSERT_RESOLVE ("gpt-4o", "nope", FALSE, "org_auto", FALSE);
  ASSERT_RESOLVE (NULL, NULL, FALSE, "org_auto", TRUE);
  ASSERT_RESOLVE ("", "", FALSE, "org_auto", TRUE);

  /* out_known is optional. */
  id = lp_model_catalog_resolve (catalog, "Kimi-K2.6", NULL, NULL, NULL);
  g_assert_cmpstr (id, ==, "kmodel");
  g_free (id);

#undef ASSERT_RESOLVE
}

static void
test_resolve_without_auto (void)
{
  g_autoptr(LpModelCatalog) catalog = catalog_from (
    "{\"chat\": [{\"id\": \"k\", \"name\": \"Kimi\"}, {\"id\": \"m\", \"name\": \"MiniMax\"}]}");
  g_autoptr(LpModelCatalog) empty = lp_model_catalog_new ();
  gboolean known = TRUE;
  g_autofree char *id = NULL;
  g_autofree char *none = NULL;

  id = lp_model_catalog_resolve (catalog, "gpt-4o", "nope", NULL, &known);
  g_assert_cmpstr (id, ==, "k");
  g_assert_false (known);

  g_assert_true (lp_model_catalog_is_empty (empty));
  none = lp_model_catalog_resolve (empty, "Kimi", "Kimi", NULL, &known);
  g_assert_null (none);
  g_assert_false (known);
}

static void
test_display_name_for (void)
{
  g_autoptr(LpModelCatalog) catalog = catalog_from (lingma_models);

  g_assert_cmpstr (lp_model_catalog_display_name_for (catalog, "kmodel"), ==, "Kimi-K2.6");
  g_assert_cmpstr (lp_model_catalog_display_name_for (catalog, "DASHSCOPE_QWEN3_CODER"), ==,
                   "Qwen3-Coder");
  g_assert_cmpstr (lp_model_catalog_display_name_for (catalog, "dashscope_qmodel"), ==,
                   "dashscope_qmodel");
  g_assert_null (lp_model_catalog_display_name_for (catalog, "Kimi-K2.6"));
  g_assert_null (lp_model_catalog_display_name_for (catalog, "kmodel2"));
}

static void
test_openai_list (void)
{
  g_autoptr(LpModelCatalog) catalog = catalog_from (
    "{\"chat\": [{\"key\": \"kmodel\", \"displayName\": \"Kimi-K2.6\"},"
    "            {\"key\": \"org_auto\", \"displayName\": \"Auto\"}]}");
  g_autoptr(JsonNode) list = lp_model_catalog_to_openai_list (catalog, 1700000000);
  g_autofree char *json = json_to_string (list, FALSE);
  g_autoptr(LpModelCatalog) empty = lp_model_catalog_new ();
  g_autoptr(JsonNode) empty_list = lp_model_catalog_to_openai_list (empty, 1);
  g_autofree char *empty_json = json_to_string (empty_list, FALSE);

  g_assert_cmpstr (json, ==,
                   "{\"object\":\"list\",\"data\":["
                   "{\"id\":\"Kimi-K2.6\",\"object\":\"model\",\"created\":1700000000,"
                   "\"owned_by\":\"lingma\",\"name\":\"Kimi-K2.6\"},"
                   "{\"id\":\"Auto\",\"object\":\"model\",\"created\":1700000000,"
                   "\"owned_by\":\"lingma\",\"name\":\"Auto\"}]}");
  g_assert_cmpstr (empty_json, ==, "{\"object\":\"list\",\"data\":[]}");
}

static void
test_signals (void)
{
  g_autoptr(LpModelCatalog) catalog = lp_model_catalog_new ();
  g_autoptr(JsonNode) six = json_from_string (lingma_models, NULL);
  g_autoptr(JsonNode) two = json_from_string ("[{\"id\": \"a\", \"name\": \"A\"},"
                                              " {\"id\": \"b\", \"name\": \"B\"}]", NULL);
  Recorder recorder = { g_array_new (FALSE, FALSE, sizeof (Change)), 0, 0 };
  Change *change;
  gint64 before;

  g_signal_connect (catalog, "items-changed", G_CALLBACK (on_items_changed), &recorder);
  g_signal_connect (catalog, "notify", G_CALLBACK (on_notify), &recorder);
  g_assert_cmpint (lp_model_catalog_get_last_updated (catalog), ==, 0);

  before = g_get_real_time ();
  g_assert_true (lp_model_catalog_update_from_json (catalog, six, NULL));
  g_assert_cmpuint (recorder.changes->len, ==, 1);
  change = &g_array_index (recorder.changes, Change, 0);
  g_assert_cmpuint (change->position, ==, 0);
  g_assert_cmpuint (change->removed, ==, 0);
  g_assert_cmpuint (change->added, ==, 6);
  g_assert_cmpuint (recorder.n_last_updated, ==, 1);
  g_assert_cmpuint (recorder.n_n_items, ==, 1);
  g_assert_cmpint (lp_model_catalog_get_last_updated (catalog), >=, before);
  g_assert_cmpint (lp_model_catalog_get_last_updated (catalog), <=, g_get_real_time ());

  /* The same answer again: one change, no n-items notification. */
  g_assert_true (lp_model_catalog_update_from_json (catalog, six, NULL));
  g_assert_cmpuint (recorder.changes->len, ==, 2);
  change = &g_array_index (recorder.changes, Change, 1);
  g_assert_cmpuint (change->position, ==, 0);
  g_assert_cmpuint (change->removed, ==, 6);
  g_assert_cmpuint (change->added, ==, 6);
  g_assert_cmpuint (recorder.n_last_updated, ==, 2);
  g_assert_cmpuint (recorder.n_n_items, ==, 1);

  g_assert_true (lp_model_catalog_update_from_json (catalog, two, NULL));
  g_assert_cmpuint (recorder.changes->len, ==, 3);
  change = &g_array_index (recorder.changes, Change, 2);
  g_assert_cmpuint (change->removed, ==, 6);
  g_assert_cmpuint (change->added, ==, 2);
  g_assert_cmpuint (recorder.n_n_items, ==, 2);

  g_array_unref (recorder.changes);
}

static void
test_no_models (void)
{
  g_autoptr(LpModelCatalog) catalog = catalog_from ("[{\"id\": \"a\", \"name\": \"A\"}]");
  const char *answers[] = {
    "{\"models\": []}",
    "{\"list\": [{\"id\": \"plain\"}, {\"name\": \"no id\"}, {\"id\": 7, \"name\": \"x\"}]}",
    "\"qwen\"",
    "null",
  };
  Recorder recorder = { g_array_new (FALSE, FALSE, sizeof (Change)), 0, 0 };

  g_signal_connect (catalog, "items-changed", G_CALLBACK (on_items_changed), &recorder);
  g_signal_connect (catalog, "notify", G_CALLBACK (on_notify), &recorder);

  for (guint i = 0; i < G_N_ELEMENTS (answers); i++)
    {
      g_autoptr(JsonNode) root = json_from_string (answers[i], NULL);
      g_autoptr(GError) error = NULL;

      g_assert_nonnull (root);
      g_assert_false (lp_model_catalog_update_from_json (catalog, root, &error));
      g_assert_error (error, LP_ERROR, LP_ERROR_UPSTREAM);

      /* The previous list stays. */
      g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (catalog)), ==, 1);
    }

  g_assert_cmpuint (recorder.changes->len, ==, 0);
  g_assert_cmpuint (recorder.n_last_updated, ==, 0);
  g_array_unref (recorder.changes);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/model-catalog/tree-walk", test_tree_walk);
  g_test_add_func ("/model-catalog/scenes", test_scenes);
  g_test_add_func ("/model-catalog/deterministic", test_deterministic);
  g_test_add_func ("/model-catalog/resolve", test_resolve);
  g_test_add_func ("/model-catalog/resolve-without-auto", test_resolve_without_auto);
  g_test_add_func ("/model-catalog/display-name-for", test_display_name_for);
  g_test_add_func ("/model-catalog/openai-list", test_openai_list);
  g_test_add_func ("/model-catalog/signals", test_signals);
  g_test_add_func ("/model-catalog/no-models", test_no_models);

  return g_test_run ();
}
