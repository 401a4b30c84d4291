/* lp-request-store.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lp-request-store"

#include "config.h"

#include "lp-request-store.h"

#define DEFAULT_MAX_RECORDS 200
#define DEFAULT_MAX_BYTES   (G_GUINT64_CONSTANT (64) * 1024 * 1024)

typedef struct
{
  LpRequestStore  *store;   /* borrowed: the store owns the entry */
  LpRequestRecord *record;
  gsize            size;    /* the record's size as counted in total_bytes */
} Entry;

struct _LpRequestStore
{
  GObject    parent_instance;

  GPtrArray *entries;        /* (element-type Entry) newest first */
  guint64    total_bytes;
  guint64    max_bytes;
  guint64    body_cap;
  guint64    total_requests;
  guint64    failed_requests;
  guint      max_records;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (LpRequestStore, lp_request_store, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_MAX_RECORDS,
  PROP_MAX_BYTES,
  PROP_BODY_CAP,
  PROP_TOTAL_BYTES,
  PROP_TOTAL_REQUESTS,
  PROP_FAILED_REQUESTS,
  PROP_N_ITEMS,
  N_PROPS
};

enum {
  RECORD_FINISHED,
  N_SIGNALS
};

static GParamSpec *properties [N_PROPS];
static guint signals [N_SIGNALS];

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  g_signal_handlers_disconnect_by_data (entry->record, entry);
  g_object_unref (entry->record);
  g_free (entry);
}

static void
remove_run (LpRequestStore *self,
            guint           position,
            guint           n_removed)
{
  if (n_removed == 0)
    return;

  for (guint i = position; i < position + n_removed; i++)
    {
      Entry *entry = g_ptr_array_index (self->entries, i);

      self->total_bytes -= entry->size;
    }

  g_ptr_array_remove_range (self->entries, position, n_removed);
  g_list_model_items_changed (G_LIST_MODEL (self), position, n_removed, 0);
}

/* Removes finished records, oldest first, while over a limit or, with
 * @all, every one. Records in flight split the removal into runs, each
 * announced by its own items-changed, highest position first so that
 * the positions still to come stay valid. */
static void
lp_request_store_remove_finished (LpRequestStore *self,
                                  gboolean        all)
{
  guint old_n = self->entries->len;
  guint64 old_bytes = self->total_bytes;
  guint n = old_n;
  guint64 bytes = old_bytes;
  guint run_start = 0;
  guint run_len = 0;
  guint i = old_n;

  while (i > 0 && (all || n > self->max_records || bytes > self->max_bytes))
    {
      Entry *entry = g_ptr_array_index (self->entries, --i);

      if (lp_request_record_get_in_flight (entry->record))
        {
          remove_run (self, run_start, run_len);
          run_len = 0;
          continue;
        }

      run_start = i;
      run_len++;
      n--;
      bytes -= entry->size;
    }

  remove_run (self, run_start, run_len);

  if (self->entries->len != old_n)
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_N_ITEMS]);
  if (self->total_bytes != old_bytes)
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_TOTAL_BYTES]);
}

static void
on_record_size_changed (LpRequestRecord *record,
                        GParamSpec      *pspec,
                        Entry           *entry)
{
  LpRequestStore *self = entry->store;
  gsize size;

  g_assert (LP_IS_REQUEST_STORE (self));

  size = lp_request_record_get_size (record);
  if (size == entry->size)
    return;

  self->total_bytes = self->total_bytes - entry->size + size;
  entry->size = size;
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_TOTAL_BYTES]);

  /* May free @entry. */
  lp_request_store_remove_finished (self, FALSE);
}

static void
on_record_in_flight_changed (LpRequestRecord *record,
                             GParamSpec      *pspec,
                             Entry           *entry)
{
  LpRequestStore *self = entry->store;

  g_assert (LP_IS_REQUEST_STORE (self));

  if (lp_request_record_get_in_flight (record))
    return;

  if (lp_request_record_get_status (record) >= 400)
    {
      self->failed_requests++;
      g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_FAILED_REQUESTS]);
    }

  g_signal_emit (self, signals [RECORD_FINISHED], 0, record);

  /* Now evictable: the limits may have been waiting on it. */
  lp_request_store_remove_finished (self, FALSE);
}

static void
lp_request_store_finalize (GObject *object)
{
  LpRequestStore *self = (LpRequestStore *)object;

  g_clear_pointer (&self->entries, g_ptr_array_unref);

  G_OBJECT_CLASS (lp_request_store_parent_class)->finalize (object);
}

static void
lp_request_store_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  LpRequestStore *self = LP_REQUEST_STORE (object);

  switch (prop_id)
    {
    case PROP_MAX_RECORDS:
      g_value_set_uint (value, self->max_records);
      break;

    case PROP_MAX_BYTES:
      g_value_set_uint64 (value, self->max_bytes);
      break;

    case PROP_BODY_CAP:
      g_value_set_uint64 (value, self->body_cap);
      break;

    case PROP_TOTAL_BYTES:
      g_value_set_uint64 (value, self->total_bytes);
      break;

    case PROP_TOTAL_REQUESTS:
      g_value_set_uint64 (value, self->total_requests);
      break;

    case PROP_FAILED_REQUESTS:
      g_value_set_uint64 (value, self->failed_requests);
      break;

    case PROP_N_ITEMS:
      g_value_set_uint (value, self->entries->len);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lp_request_store_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  LpRequestStore *self = LP_REQUEST_STORE (object);

  switch (prop_id)
    {
    case PROP_MAX_RECORDS:
      lp_request_store_set_max_records (self, g_value_get_uint (value));
      break;

    case PROP_MAX_BYTES:
      lp_request_store_set_max_bytes (self, g_value_get_uint64 (value));
      break;

    case PROP_BODY_CAP:
      lp_request_store_set_body_cap (self, g_value_get_uint64 (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lp_request_store_class_init (LpRequestStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = lp_request_store_finalize;
  object_class->get_property = lp_request_store_get_property;
  object_class->set_property = lp_request_store_set_property;

  /**
   * LpRequestStore:max-records:
   *
   * How many records to keep. Lowering it evicts at once.
   */
  properties [PROP_MAX_RECORDS] =
    g_param_spec_uint ("max-records", NULL, NULL,
                       1, G_MAXUINT, DEFAULT_MAX_RECORDS,
                       (G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                        G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LpRequestStore:max-bytes:
   *
   * How much memory the records may hold together. Lowering it evicts
   * at once.
   */
  properties [PROP_MAX_BYTES] =
    g_param_spec_uint64 ("max-bytes", NULL, NULL,
                         1, G_MAXUINT64, DEFAULT_MAX_BYTES,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                          G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LpRequestStore:body-cap:
   *
   * The #LpRequestRecord:body-cap of records begun from now on.
   */
  properties [PROP_BODY_CAP] =
    g_param_spec_uint64 ("body-cap", NULL, NULL,
                         0, G_MAXUINT64, LP_REQUEST_RECORD_BODY_CAP,
                         (G_PARAM_READWRITE | G_PARAM_CONSTRUCT |
                          G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LpRequestStore:total-bytes:
   *
   * The approximate memory the kept records hold.
   */
  properties [PROP_TOTAL_BYTES] =
    g_param_spec_uint64 ("total-bytes", NULL, NULL,
                         0, G_MAXUINT64, 0,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LpRequestStore:total-requests:
   *
   * Requests begun since the store was created, evicted ones included.
   */
  properties [PROP_TOTAL_REQUESTS] =
    g_param_spec_uint64 ("total-requests", NULL, NULL,
                         0, G_MAXUINT64, 0,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LpRequestStore:failed-requests:
   *
   * Requests that finished with a status of 400 or more.
   */
  properties [PROP_FAILED_REQUESTS] =
    g_param_spec_uint64 ("failed-requests", NULL, NULL,
                         0, G_MAXUINT64, 0,
                         (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  properties [PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * LpRequestStore::record-finished:
   * @self: a #LpRequestStore
   * @record: the #LpRequestRecord that finished
   *
   * Emitted when a record of this store finishes.
   */
  signals [RECORD_FINISHED] =
    g_signal_new ("record-finished",
                  G_TYPE_FROM_CLASS (klass),
                  G_SIGNAL_RUN_LAST,
                  0,
                  NULL, NULL,
                  NULL,
                  G_TYPE_NONE, 1, LP_TYPE_REQUEST_RECORD);
}

static void
lp_request_store_init (LpRequestStore *self)
{
  self->entries = g_ptr_array_new_with_free_func (entry_free);
}

static GType
lp_request_store_get_item_type (GListModel *model)
{
  return LP_TYPE_REQUEST_RECORD;
}

static guint
lp_request_store_get_n_items (GListModel *model)
{
  return LP_REQUEST_STORE (model)->entries->len;
}

static gpointer
lp_request_store_get_item (GListModel *model,
                           guint       position)
{
  LpRequestStore *self = LP_REQUEST_STORE (model);
  Entry *entry;

  if (position >= self->entries->len)
    return NULL;

  entry = g_ptr_array_index (self->entries, position);

  return g_object_ref (entry->record);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = lp_request_store_get_item_type;
  iface->get_n_items = lp_request_store_get_n_items;
  iface->get_item = lp_request_store_get_item;
}

LpRequestStore *
lp_request_store_new (guint   max_records,
                      guint64 max_bytes)
{
  g_return_val_if_fail (max_records > 0, NULL);
  g_return_val_if_fail (max_bytes > 0, NULL);

  return g_object_new (LP_TYPE_REQUEST_STORE,
                       "max-records", max_records,
                       "max-bytes", max_bytes,
                       NULL);
}

/**
 * lp_request_store_begin:
 * @self: a #LpRequestStore
 * @method: the HTTP method
 * @path: the request path without the query
 *
 * Starts a record for a new request and puts it at position 0. It stays
 * in the store at least until lp_request_record_finish() is called on it.
 *
 * Returns: (transfer full): the new in-flight record; the caller fills
 *   it in, finishes it and drops its reference
 */
LpRequestRecord *
lp_request_store_begin (LpRequestStore *self,
                        const char     *method,
                        const char     *path)
{
  Entry *entry;

  g_return_val_if_fail (LP_IS_REQUEST_STORE (self), NULL);
  g_return_val_if_fail (method != NULL, NULL);
  g_return_val_if_fail (path != NULL, NULL);

  entry = g_new0 (Entry, 1);
  entry->store = self;
  entry->record = lp_request_record_new (method, path, self->body_cap);
  entry->size = lp_request_record_get_size (entry->record);
  g_signal_connect (entry->record, "notify::size",
                    G_CALLBACK (on_record_size_changed), entry);
  g_signal_connect (entry->record, "notify::in-flight",
                    G_CALLBACK (on_record_in_flight_changed), entry);

  g_object_freeze_notify (G_OBJECT (self));

  g_ptr_array_insert (self->entries, 0, entry);
  self->total_bytes += entry->size;
  self->total_requests++;
  g_list_model_items_changed (G_LIST_MODEL (self), 0, 0, 1);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_N_ITEMS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_TOTAL_BYTES]);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_TOTAL_REQUESTS]);

  lp_request_store_remove_finished (self, FALSE);

  g_object_thaw_notify (G_OBJECT (self));

  return g_object_ref (entry->record);
}

/**
 * lp_request_store_clear:
 * @self: a #LpRequestStore
 *
 * Removes every finished record. Requests still in flight stay, so their
 * outcome is not lost. The counters are not reset.
 */
void
lp_request_store_clear (LpRequestStore *self)
{
  g_return_if_fail (LP_IS_REQUEST_STORE (self));

  lp_request_store_remove_finished (self, TRUE);
}

/**
 * lp_request_store_to_json:
 * @self: a #LpRequestStore
 * @limit: the most records to include, 0 for all
 *
 * The records for GET /debug/requests, newest first, each as
 * lp_request_record_to_json() renders it.
 *
 * Returns: (transfer full): a JSON array node
 */
JsonNode *
lp_request_store_to_json (LpRequestStore *self,
                          guint           limit)
{
  JsonArray *array;
  JsonNode *node;
  guint n;

  g_return_val_if_fail (LP_IS_REQUEST_STORE (self), NULL);

  n = self->entries->len;
  if (limit > 0)
    n = MIN (n, limit);

  array = json_array_sized_new (n);
  for (guint i = 0; i < n; i++)
    {
      Entry *entry = g_ptr_array_index (self->entries, i);

      json_array_add_element (array, lp_request_record_to_json (entry->record));
    }

  node = json_node_init_array (json_node_alloc (), array);
  json_array_unref (array);

  return node;
}

guint
lp_request_store_get_max_records (LpRequestStore *self)
{
  g_return_val_if_fail (LP_IS_REQUEST_STORE (self), 0);

  return self->max_records;
}

void
lp_request_store_set_max_records (LpRequestStore *self,
                                  guint           max_records)
{
  g_return_if_fail (LP_IS_REQUEST_STORE (self));
  g_return_if_fail (max_records > 0);

  if (self->max_records == max_records)
    return;

  self->max_records = max_records;
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_MAX_RECORDS]);
  lp_request_store_remove_finished (self, FALSE);
}

guint64
lp_request_store_get_max_bytes (LpRequestStore *self)
{
  g_return_val_if_fail (LP_IS_REQUEST_STORE (self), 0);

  return self->max_bytes;
}

void
lp_request_store_set_max_bytes (LpRequestStore *self,
                                guint64         max_bytes)
{
  g_return_if_fail (LP_IS_REQUEST_STORE (self));
  g_return_if_fail (max_bytes > 0);

  if (self->max_bytes == max_bytes)
    return;

  self->max_bytes = max_bytes;
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_MAX_BYTES]);
  lp_request_store_remove_finished (self, FALSE);
}

guint64
lp_request_store_get_body_cap (LpRequestStore *self)
{
  g_return_val_if_fail (LP_IS_REQUEST_STORE (self), 0);

  return self->body_cap;
}

void
lp_request_store_set_body_cap (LpRequestStore *self,
                               guint64         body_cap)
{
  g_return_if_fail (LP_IS_REQUEST_STORE (self));

  if (self->body_cap == body_cap)
    return;

  self->body_cap = body_cap;
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_BODY_CAP]);
}

guint64
lp_request_store_get_total_bytes (LpRequestStore *self)
{
  g_return_val_if_fail (LP_IS_REQUEST_STORE (self), 0);

  return self->total_bytes;
}

guint64
lp_request_store_get_total_requests (LpRequestStore *self)
{
  g_return_val_if_fail (LP_IS_REQUEST_STORE (self), 0);

  return self->total_requests;
}

guint64
lp_request_store_get_failed_requests (LpRequestStore *self)
{
  g_return_val_if_fail (LP_IS_REQUEST_STORE (self), 0);

  return self->failed_requests;
}
