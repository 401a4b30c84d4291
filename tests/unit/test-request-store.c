/* test-request-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "lp-request-store.h"

typedef struct
{
  guint position;
  guint removed;
  guint added;
} Change;

/* Follows a model through its items-changed signals alone, so a wrong
 * position or count shows up as a mirror that differs from the model. */
typedef struct
{
  GListModel *model;
  GPtrArray  *mirror;
  GArray     *changes;
  GPtrArray  *finished;
} Watch;

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Watch      *watch)
{
  Change change = { position, removed, added };

  g_array_append_val (watch->changes, change);
  g_assert_cmpuint (position + removed, <=, watch->mirror->len);
  g_ptr_array_remove_range (watch->mirror, position, removed);
  for (guint i = 0; i < added; i++)
    g_ptr_array_insert (watch->mirror, position + i, g_list_model_get_item (model, position + i));
}

static void
on_record_finished (LpRequestStore  *store,
                    LpRequestRecord *record,
                    Watch           *watch)
{
  g_ptr_array_add (watch->finished, g_object_ref (record));
}

static Watch *
watch_new (LpRequestStore *store)
{
  Watch *watch = g_new0 (Watch, 1);

  watch->model = G_LIST_MODEL (store);
  watch->mirror = g_ptr_array_new_with_free_func (g_object_unref);
  watch->changes = g_array_new (FALSE, FALSE, sizeof (Change));
  watch->finished = g_ptr_array_new_with_free_func (g_object_unref);
  g_signal_connect (store, "items-changed", G_CALLBACK (on_items_changed), watch);
  g_signal_connect (store, "record-finished", G_CALLBACK (on_record_finished), watch);

  return watch;
}

static void
watch_free (Watch *watch)
{
  g_signal_handlers_disconnect_by_data (watch->model, watch);
  g_ptr_array_unref (watch->mirror);
  g_array_unref (watch->changes);
  g_ptr_array_unref (watch->finished);
  g_free (watch);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Watch, watch_free)

static void
assert_change (Watch *watch,
               guint  index,
               guint  position,
               guint  removed,
               guint  added)
{
  Change *change;

  g_assert_cmpuint (index, <, watch->changes->len);
  change = &g_array_index (watch->changes, Change, index);
  g_assert_cmpuint (change->position, ==, position);
  g_assert_cmpuint (change->removed, ==, removed);
  g_assert_cmpuint (change->added, ==, added);
}

/* The model holds records with these paths, newest first, and the
 * mirror agrees. */
static void
assert_paths (Watch      *watch,
              const char *first,
              ...)
{
  va_list args;
  const char *path = first;
  guint n = 0;

  va_start (args, first);
  for (; path != NULL; path = va_arg (args, const char *), n++)
    {
      g_autoptr(LpRequestRecord) record = g_list_model_get_item (watch->model, n);

      g_assert_nonnull (record);
      g_assert_cmpstr (lp_request_record_get_path (record), ==, path);
      g_assert_true (g_ptr_array_index (watch->mirror, n) == record);
    }
  va_end (args);

  g_assert_cmpuint (g_list_model_get_n_items (watch->model), ==, n);
  g_assert_cmpuint (watch->mirror->len, ==, n);
}

static guint64
sum_of_sizes (LpRequestStore *store)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (store));
  guint64 sum = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(LpRequestRecord) record = g_list_model_get_item (G_LIST_MODEL (store), i);

      sum += lp_request_record_get_size (record);
    }

  return sum;
}

static void
add_finished (LpRequestStore *store,
              const char     *path,
              guint           status)
{
  g_autoptr(LpRequestRecord) record = lp_request_store_begin (store, "GET", path);

  lp_request_record_finish (record, status, NULL);
}

static char *
repeat (char  c,
        gsize n)
{
  char *s = g_malloc (n + 1);

  memset (s, c, n);
  s[n] = '\0';

  return s;
}

static void
test_newest_first (void)
{
  g_autoptr(LpRequestStore) store = lp_request_store_new (10, G_MAXUINT64);
  g_autoptr(Watch) watch = watch_new (store);
  g_autoptr(LpRequestRecord) record = NULL;

  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (store)) == LP_TYPE_REQUEST_RECORD);

  add_finished (store, "/a", 200);
  add_finished (store, "/b", 200);
  record = lp_request_store_begin (store, "POST", "/c");

  assert_paths (watch, "/c", "/b", "/a", NULL);
  g_assert_cmpuint (watch->changes->len, ==, 3);
  for (guint i = 0; i < 3; i++)
    assert_change (watch, i, 0, 0, 1);

  g_assert_true (lp_request_record_get_in_flight (record));
  g_assert_cmpuint (lp_request_record_get_status (record), ==, 0);
  g_assert_cmpstr (lp_request_record_get_method (record), ==, "POST");
  g_assert_null (g_list_model_get_item (G_LIST_MODEL (store), 3));
}

static void
test_evict_by_count (void)
{
  g_autoptr(LpRequestStore) store = lp_request_store_new (3, G_MAXUINT64);
  g_autoptr(Watch) watch = watch_new (store);

  add_finished (store, "/a", 200);
  add_finished (store, "/b", 200);
  add_finished (store, "/c", 200);
  add_finished (store, "/d", 200);

  assert_paths (watch, "/d", "/c", "/b", NULL);
  g_assert_cmpuint (watch->changes->len, ==, 5);
  assert_change (watch, 3, 0, 0, 1);
  assert_change (watch, 4, 3, 1, 0);
  g_assert_cmpuint (lp_request_store_get_total_bytes (store), ==, sum_of_sizes (store));
}

static void
test_in_flight_kept (void)
{
  g_autoptr(LpRequestStore) store = lp_request_store_new (2, G_MAXUINT64);
  g_autoptr(Watch) watch = watch_new (store);
  g_autoptr(LpRequestRecord) a = lp_request_store_begin (store, "POST", "/a");
  g_autoptr(LpRequestRecord) e = NULL;
  g_autoptr(LpRequestRecord) f = NULL;

  add_finished (store, "/b", 200);
  add_finished (store, "/c", 200);

  /* /b, not the older /a still in flight, made room for /c. */
  assert_paths (watch, "/c", "/a", NULL);
  assert_change (watch, 3, 1, 1, 0);

  lp_request_record_finish (a, 200, NULL);
  assert_paths (watch, "/c", "/a", NULL);

  add_finished (store, "/d", 200);
  assert_paths (watch, "/d", "/c", NULL);

  /* Nothing can go while everything is in flight; a record goes as soon
   * as it finishes. */
  e = lp_request_store_begin (store, "POST", "/e");
  f = lp_request_store_begin (store, "POST", "/f");
  assert_paths (watch, "/f", "/e", NULL);
  g_clear_object (&a);
  a = lp_request_store_begin (store, "POST", "/g");
  assert_paths (watch, "/g", "/f", "/e", NULL);
  lp_request_record_finish (f, 200, NULL);
  assert_paths (watch, "/g", "/e", NULL);
  g_assert_cmpuint (lp_request_store_get_total_bytes (store), ==, sum_of_sizes (store));
}

static void
test_runtime_limit (void)
{
  g_autoptr(LpRequestStore) store = lp_request_store_new (10, G_MAXUINT64);
  g_autoptr(Watch) watch = watch_new (store);
  g_autoptr(LpRequestRecord) busy = NULL;
  guint n_changes;

  add_finished (store, "/a", 200);
  add_finished (store, "/b", 200);
  busy = lp_request_store_begin (store, "POST", "/busy");
  add_finished (store, "/c", 200);
  add_finished (store, "/d", 200);
  assert_paths (watch, "/d", "/c", "/busy", "/b", "/a", NULL);
  n_changes = watch->changes->len;

  /* Two runs around the record in flight, the later positions first. */
  lp_request_store_set_max_records (store, 1);
  g_assert_cmpuint (lp_request_store_get_max_records (store), ==, 1);
  assert_paths (watch, "/busy", NULL);
  g_assert_cmpuint (watch->changes->len, ==, n_changes + 2);
  assert_change (watch, n_changes, 3, 2, 0);
  assert_change (watch, n_changes + 1, 0, 2, 0);

  g_object_set (store, "max-records", 5, NULL);
  add_finished (store, "/e", 200);
  add_finished (store, "/f", 200);
  assert_paths (watch, "/f", "/e", "/busy", NULL);

  /* The same through the byte limit. */
  lp_request_store_set_max_bytes (store, 1);
  g_assert_cmpuint (lp_request_store_get_max_bytes (store), ==, 1);
  assert_paths (watch, "/busy", NULL);
  g_assert_cmpuint (lp_request_store_get_total_bytes (store), ==,
                    lp_request_record_get_size (busy));
}

static void
set_body (LpRequestRecord *record,
          const char      *body)
{
  const char *names[] = { NULL };
  const char *values[] = { NULL };

  lp_request_record_set_request (record, names, values, body, strlen (body));
}

static void
test_evict_by_bytes (void)
{
  g_autoptr(LpRequestStore) store = lp_request_store_new (100, G_MAXUINT64);
  g_autoptr(Watch) watch = watch_new (store);
  g_autoptr(LpRequestRecord) growing = NULL;
  g_autofree char *body = repeat ('x', 10000);
  g_autofree char *chunk = NULL;
  const char *paths[] = { "/a", "/b", "/c" };
  gsize one = 0;

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(LpRequestRecord) record = lp_request_store_begin (store, "POST", paths[i]);

      set_body (record, body);
      lp_request_record_finish (record, 200, NULL);
      one = lp_request_record_get_size (record);
    }

  g_assert_cmpuint (one, >, 10000);
  g_assert_cmpuint (lp_request_store_get_total_bytes (store), ==, 3 * one);
  g_assert_cmpuint (sum_of_sizes (store), ==, 3 * one);

  lp_request_store_set_max_bytes (store, 2 * one + one / 2);
  assert_paths (watch, "/c", "/b", NULL);
  g_assert_cmpuint (lp_request_store_get_total_bytes (store), ==, 2 * one);

  /* A record in flight growing past the budget pushes out finished ones
   * but stays itself. */
  growing = lp_request_store_begin (store, "POST", "/stream");
  assert_paths (watch, "/stream", "/c", "/b", NULL);
  chunk = repeat ('y', one);
  lp_request_record_append_raw (growing, chunk, one);
  assert_paths (watch, "/stream", "/c", NULL);
  lp_request_record_append_raw (growing, chunk, one);
  assert_paths (watch, "/stream", NULL);
  lp_request_record_append_raw (growing, chunk, one);
  assert_paths (watch, "/stream", NULL);
  g_assert_cmpuint (lp_request_store_get_total_bytes (store), ==,
                    lp_request_record_get_size (growing));

  /* Over budget on its own: it goes once finished. */
  lp_request_record_finish (growing, 200, NULL);
  assert_paths (watch, NULL);
  g_assert_cmpuint (lp_request_store_get_total_bytes (store), ==, 0);
}

static void
test_raw_growth (void)
{
  g_autoptr(LpRequestStore) store = lp_request_store_new (10, G_MAXUINT64);
  g_autoptr(LpRequestRecord) record = lp_request_store_begin (store, "POST", "/v1/messages");
  const char event[] = "event: ping\ndata: {\"type\":\"ping\"}\n\n";
  gsize size = lp_request_record_get_size (record);
  guint64 total = lp_request_store_get_total_bytes (store);

  g_assert_cmpuint (total, ==, size);
  g_assert_cmpint (lp_request_record_get_ttfb_ms (record), ==, -1);

  for (guint i = 1; i <= 3; i++)
    {
      lp_request_record_append_raw (record, event, strlen (event));
      g_assert_cmpuint (lp_request_record_get_size (record), ==, size + i * strlen (event));
      g_assert_cmpuint (lp_request_store_get_total_bytes (store), ==, total + i * strlen (event));
      g_assert_cmpuint (lp_request_record_get_bytes_out (record), ==, i * strlen (event));
    }

  g_assert_cmpint (lp_request_record_get_ttfb_ms (record), >=, 0);
  g_assert_cmpuint (strlen (lp_request_record_get_response_raw (record)), ==, 3 * strlen (event));
  g_assert_true (g_str_has_prefix (lp_request_record_get_response_raw (record), event));

  /* A bodiless request records nothing. */
  lp_request_record_set_request (record, (const char *[]) { "Host", NULL },
                                 (const char *[]) { "localhost", NULL }, NULL, 0);
  g_assert_cmpstr (lp_request_record_get_request_body (record), ==, "");
  g_assert_cmpstr (lp_request_record_get_request_headers (record), ==, "Host: localhost");
  size = lp_request_record_get_size (record);
  total = lp_request_store_get_total_bytes (store);
  g_assert_cmpuint (total, ==, size);

  /* The assembled result of a stream does not change what was sent. */
  lp_request_record_set_response_body (record, "{\"content\":[]}", 14);
  g_assert_cmpuint (lp_request_record_get_bytes_out (record), ==, 3 * strlen (event));
  g_assert_cmpstr (lp_request_record_get_response_body (record), ==, "{\"content\":[]}");
  g_assert_cmpuint (lp_request_store_get_total_bytes (store), ==,
                    lp_request_record_get_size (record));
}

typedef struct
{
  guint n_truncated;
  guint n_raw;
  guint n_model;
  guint n_other;
} Notifies;

static void
on_record_notify (GObject    *object,
                  GParamSpec *pspec,
                  Notifies   *notifies)
{
  if (g_str_equal (pspec->name, "truncated"))
    notifies->n_truncated++;
  else if (g_str_equal (pspec->name, "response-raw"))
    notifies->n_raw++;
  else if (g_str_equal (pspec->name, "model"))
    notifies->n_model++;
  else
    notifies->n_other++;
}

static void
test_body_cap (void)
{
  g_autoptr(LpRequestStore) store = lp_request_store_new (10, G_MAXUINT64);
  g_autoptr(LpRequestRecord) record = NULL;
  g_autoptr(LpRequestRecord) later = NULL;
  g_autofree char *body = repeat ('x', 250);
  g_autofree char *expected = NULL;
  Notifies notifies = { 0 };

  lp_request_store_set_body_cap (store, 100);
  g_assert_cmpuint (lp_request_store_get_body_cap (store), ==, 100);
  record = lp_request_store_begin (store, "POST", "/v1/chat/completions");
  g_assert_cmpuint (lp_request_record_get_body_cap (record), ==, 100);
  g_signal_connect (record, "notify", G_CALLBACK (on_record_notify), &notifies);

  g_assert_false (lp_request_record_get_truncated (record));
  set_body (record, body);
  expected = g_strdup_printf ("%.100s\n… [truncated: 150 more bytes]", body);
  g_assert_cmpstr (lp_request_record_get_request_body (record), ==, expected);
  g_assert_cmpuint (lp_request_record_get_bytes_in (record), ==, 250);
  g_assert_true (lp_request_record_get_truncated (record));
  g_assert_cmpuint (notifies.n_truncated, ==, 1);

  /* A response under the cap is kept whole. */
  lp_request_record_set_response_body (record, "{\"ok\":true}", 11);
  g_assert_cmpstr (lp_request_record_get_response_body (record), ==, "{\"ok\":true}");
  g_assert_cmpuint (lp_request_record_get_bytes_out (record), ==, 11);
  g_assert_cmpuint (notifies.n_truncated, ==, 1);

  /* A later cap applies to later records only. */
  lp_request_store_set_body_cap (store, 1000);
  later = lp_request_store_begin (store, "POST", "/v1/messages");
  set_body (later, body);
  g_assert_cmpstr (lp_request_record_get_request_body (later), ==, body);
  g_assert_false (lp_request_record_get_truncated (later));
  g_assert_cmpuint (lp_request_record_get_body_cap (record), ==, 100);
}

static void
test_body_cap_utf8 (void)
{
  g_autoptr(LpRequestRecord) record = lp_request_record_new ("POST", "/", 101);
  g_autoptr(GString) body = g_string_new (NULL);

  /* 2-byte characters: byte 101 would split one. */
  for (guint i = 0; i < 60; i++)
    g_string_append (body, "é");

  set_body (record, body->str);
  g_assert_true (g_utf8_validate (lp_request_record_get_request_body (record), -1, NULL));
  g_assert_true (g_str_has_suffix (lp_request_record_get_request_body (record),
                                   "é\n… [truncated: 20 more bytes]"));
  g_assert_cmpuint (strlen (lp_request_record_get_request_body (record)),
                    ==, 100 + strlen ("\n… [truncated: 20 more bytes]"));
}

static void
test_raw_cap (void)
{
  g_autoptr(LpRequestRecord) record = lp_request_record_new ("POST", "/", 100);
  g_autoptr(LpRequestRecord) split = lp_request_record_new ("POST", "/", 10);
  g_autofree char *chunk = repeat ('r', 60);
  g_autofree char *expected = NULL;
  Notifies notifies = { 0 };

  g_signal_connect (record, "notify", G_CALLBACK (on_record_notify), &notifies);

  lp_request_record_append_raw (record, chunk, 60);
  g_assert_false (lp_request_record_get_truncated (record));
  lp_request_record_append_raw (record, chunk, 60);
  expected = g_strdup_printf ("%s%.40s\n… [truncated: 20 more bytes]", chunk, chunk);
  g_assert_cmpstr (lp_request_record_get_response_raw (record), ==, expected);
  g_assert_true (lp_request_record_get_truncated (record));

  /* Past the cap only the count grows. */
  lp_request_record_append_raw (record, chunk, 30);
  g_free (expected);
  expected = g_strdup_printf ("%s%.40s\n… [truncated: 50 more bytes]", chunk, chunk);
  g_assert_cmpstr (lp_request_record_get_response_raw (record), ==, expected);
  g_assert_cmpuint (lp_request_record_get_bytes_out (record), ==, 150);
  g_assert_cmpuint (notifies.n_raw, ==, 3);
  g_assert_cmpuint (notifies.n_truncated, ==, 1);
  g_assert_cmpuint (lp_request_record_get_size (record), ==,
                    lp_request_record_get_size (split) +
                    strlen (lp_request_record_get_response_raw (record)));

  /* A character split across chunks is not split by the cut either. */
  lp_request_record_append_raw (split, "aaaaaaaaa", 9);
  lp_request_record_append_raw (split, "é", 2);
  g_assert_cmpstr (lp_request_record_get_response_raw (split), ==,
                   "aaaaaaaaa\n… [truncated: 2 more bytes]");
}

static void
test_record_notifies (void)
{
  g_autoptr(LpRequestRecord) record = lp_request_record_new ("POST", "/v1/messages", 1000);
  g_autofree char *model = NULL;
  Notifies notifies = { 0 };
  guint other;

  g_signal_connect (record, "notify", G_CALLBACK (on_record_notify), &notifies);

  lp_request_record_set_model (record, "Kimi-K2.6");
  lp_request_record_set_model (record, "Kimi-K2.6");
  g_assert_cmpuint (notifies.n_model, ==, 1);
  g_object_get (record, "model", &model, NULL);
  g_assert_cmpstr (model, ==, "Kimi-K2.6");

  /* Unchanged values are not announced. */
  other = notifies.n_other;
  lp_request_record_set_tokens (record, 0, 0);
  lp_request_record_set_retry_reason (record, NULL);
  g_assert_cmpuint (notifies.n_other, ==, other);

  lp_request_record_set_tokens (record, 10, 0);
  g_assert_cmpuint (notifies.n_other, ==, other + 1);
  lp_request_record_mark_first_byte (record);
  g_assert_cmpuint (notifies.n_other, ==, other + 2);
  lp_request_record_mark_first_byte (record);
  g_assert_cmpuint (notifies.n_other, ==, other + 2);
}

static void
test_to_json (void)
{
  g_autoptr(LpRequestStore) store = lp_request_store_new (10, G_MAXUINT64);
  g_autoptr(LpRequestRecord) record = NULL;
  g_autoptr(JsonNode) all = NULL;
  g_autoptr(JsonNode) one = NULL;
  const char *names[] = { "Authorization", "Content-Type", NULL };
  const char *values[] = { "Bearer sk-very-secret", "application/json", NULL };
  const char *body = "{\"model\":\"Kimi-K2.6\",\"messages\":[]}";
  JsonObject *object;
  g_autoptr(GDateTime) time = NULL;

  add_finished (store, "/health", 200);
  record = lp_request_store_begin (store, "POST", "/v1/messages");
  lp_request_record_set_request (record, names, values, body, strlen (body));
  lp_request_record_set_dialect (record, LP_DIALECT_ANTHROPIC);
  lp_request_record_set_model (record, "Kimi-K2.6");
  lp_request_record_append_raw (record, "event: message_start\n\n", 22);
  lp_request_record_set_response_body (record, "{\"type\":\"message\"}", 18);
  lp_request_record_set_tokens (record, 12, 34);
  lp_request_record_set_retry_reason (record, "missed tool use");
  lp_request_record_finish (record, 502, "Lingma failed");

  all = lp_request_store_to_json (store, 0);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (all));
  g_assert_cmpuint (json_array_get_length (json_node_get_array (all)), ==, 2);
  one = lp_request_store_to_json (store, 1);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (one)), ==, 1);

  object = json_array_get_object_element (json_node_get_array (one), 0);
  g_assert_cmpuint (json_object_get_size (object), ==, 22);
  g_assert_cmpstr (json_object_get_string_member (object, "id"), ==,
                   lp_request_record_get_id (record));
  g_assert_true (g_str_has_prefix (json_object_get_string_member (object, "id"), "req_"));
  time = g_date_time_new_from_iso8601 (json_object_get_string_member (object, "time"), NULL);
  g_assert_nonnull (time);
  g_assert_cmpint (g_date_time_to_unix (time), ==,
                   lp_request_record_get_started_at (record) / G_USEC_PER_SEC);
  g_assert_cmpint (json_object_get_int_member (object, "started_at"), ==,
                   lp_request_record_get_started_at (record));
  g_assert_cmpstr (json_object_get_string_member (object, "method"), ==, "POST");
  g_assert_cmpstr (json_object_get_string_member (object, "path"), ==, "/v1/messages");
  g_assert_cmpstr (json_object_get_string_member (object, "dialect"), ==, "anthropic");
  g_assert_cmpstr (json_object_get_string_member (object, "model"), ==, "Kimi-K2.6");
  g_assert_cmpint (json_object_get_int_member (object, "status"), ==, 502);
  g_assert_false (json_object_get_boolean_member (object, "in_flight"));
  g_assert_cmpint (json_object_get_int_member (object, "latency_ms"), >=, 0);
  g_assert_cmpint (json_object_get_int_member (object, "latency_ms"), ==,
                   lp_request_record_get_latency_ms (record));
  g_assert_cmpint (json_object_get_int_member (object, "ttfb_ms"), >=, 0);
  g_assert_cmpint (json_object_get_int_member (object, "ttfb_ms"), <=,
                   json_object_get_int_member (object, "latency_ms"));
  g_assert_cmpint (json_object_get_int_member (object, "bytes_in"), ==, strlen (body));
  g_assert_cmpint (json_object_get_int_member (object, "bytes_out"), ==, 22);
  g_assert_cmpint (json_object_get_int_member (object, "input_tokens"), ==, 12);
  g_assert_cmpint (json_object_get_int_member (object, "output_tokens"), ==, 34);
  g_assert_cmpstr (json_object_get_string_member (object, "request_headers"), ==,
                   "Authorization: Bearer [redacted]\nContent-Type: application/json");
  g_assert_cmpstr (json_object_get_string_member (object, "request_body"), ==, body);
  g_assert_cmpstr (json_object_get_string_member (object, "response_body"), ==,
                   "{\"type\":\"message\"}");
  g_assert_cmpstr (json_object_get_string_member (object, "response_raw"), ==,
                   "event: message_start\n\n");
  g_assert_cmpstr (json_object_get_string_member (object, "retry_reason"), ==, "missed tool use");
  g_assert_cmpstr (json_object_get_string_member (object, "error"), ==, "Lingma failed");
  g_assert_false (json_object_get_boolean_member (object, "truncated"));

  object = json_array_get_object_element (json_node_get_array (all), 1);
  g_assert_cmpstr (json_object_get_string_member (object, "path"), ==, "/health");
  g_assert_cmpstr (json_object_get_string_member (object, "dialect"), ==, "");
  g_assert_cmpint (json_object_get_int_member (object, "ttfb_ms"), ==, -1);
}

static void
test_in_flight_json (void)
{
  g_autoptr(LpRequestStore) store = lp_request_store_new (10, G_MAXUINT64);
  g_autoptr(LpRequestRecord) record = lp_request_store_begin (store, "GET", "/v1/models");
  g_autoptr(JsonNode) node = lp_request_record_to_json (record);
  JsonObject *object = json_node_get_object (node);

  g_assert_true (json_object_get_boolean_member (object, "in_flight"));
  g_assert_cmpint (json_object_get_int_member (object, "status"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (object, "latency_ms"), ==, -1);
  g_assert_cmpint (json_object_get_int_member (object, "ttfb_ms"), ==, -1);
}

static void
test_counters (void)
{
  g_autoptr(LpRequestStore) store = lp_request_store_new (2, G_MAXUINT64);
  g_autoptr(Watch) watch = watch_new (store);
  g_autoptr(LpRequestRecord) busy = NULL;
  guint64 total = 0;
  guint64 failed = 0;

  add_finished (store, "/a", 200);
  add_finished (store, "/b", 404);
  add_finished (store, "/c", 499);
  add_finished (store, "/d", 302);
  busy = lp_request_store_begin (store, "POST", "/busy");

  g_assert_cmpuint (lp_request_store_get_total_requests (store), ==, 5);
  g_assert_cmpuint (lp_request_store_get_failed_requests (store), ==, 2);
  g_object_get (store, "total-requests", &total, "failed-requests", &failed, NULL);
  g_assert_cmpuint (total, ==, 5);
  g_assert_cmpuint (failed, ==, 2);

  g_assert_cmpuint (watch->finished->len, ==, 4);
  g_assert_cmpstr (lp_request_record_get_path (g_ptr_array_index (watch->finished, 1)), ==, "/b");
  g_assert_cmpuint (lp_request_record_get_status (g_ptr_array_index (watch->finished, 1)), ==, 404);

  /* Clearing drops finished records only and keeps the counters. */
  lp_request_store_clear (store);
  assert_paths (watch, "/busy", NULL);
  g_assert_cmpuint (lp_request_store_get_total_requests (store), ==, 5);
  g_assert_cmpuint (lp_request_store_get_total_bytes (store), ==, lp_request_record_get_size (busy));

  lp_request_record_finish (busy, 500, "boom");
  g_assert_cmpuint (lp_request_store_get_failed_requests (store), ==, 3);
  g_assert_cmpuint (watch->finished->len, ==, 5);
  g_assert_true (g_ptr_array_index (watch->finished, 4) == busy);

  lp_request_store_clear (store);
  assert_paths (watch, NULL);
  g_assert_cmpuint (lp_request_store_get_total_bytes (store), ==, 0);
}

static void
test_record_outlives_store (void)
{
  LpRequestStore *store = lp_request_store_new (10, G_MAXUINT64);
  g_autoptr(LpRequestRecord) record = lp_request_store_begin (store, "POST", "/x");

  g_object_unref (store);
  lp_request_record_append_raw (record, "data", 4);
  lp_request_record_finish (record, 200, NULL);
  g_assert_cmpuint (lp_request_record_get_status (record), ==, 200);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/request-store/newest-first", test_newest_first);
  g_test_add_func ("/request-store/evict-by-count", test_evict_by_count);
  g_test_add_func ("/request-store/in-flight-kept", test_in_flight_kept);
  g_test_add_func ("/request-store/runtime-limit", test_runtime_limit);
  g_test_add_func ("/request-store/evict-by-bytes", test_evict_by_bytes);
  g_test_add_func ("/request-store/raw-growth", test_raw_growth);
  g_test_add_func ("/request-store/body-cap", test_body_cap);
  g_test_add_func ("/request-store/body-cap-utf8", test_body_cap_utf8);
  g_test_add_func ("/request-store/raw-cap", test_raw_cap);
  g_test_add_func ("/request-store/record-notifies", test_record_notifies);
  g_test_add_func ("/request-store/to-json", test_to_json);
  g_test_add_func ("/request-store/in-flight-json", test_in_flight_json);
  g_test_add_func ("/request-store/counters", test_counters);
  g_test_add_func ("/request-store/record-outlives-store", test_record_outlives_store);

  return g_test_run ();
}
