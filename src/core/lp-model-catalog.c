/* lp-model-catalog.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lp-model-catalog"

#include "config.h"

#include <string.h>

#include "lp-error.h"
#include "lp-model-catalog.h"

struct _LpModelCatalog
{
  GObject     parent_instance;

  GPtrArray  *models;          /* (element-type LpModelInfo) in document order */
  GHashTable *by_name;         /* lower-cased id → borrowed LpModelInfo */
  GHashTable *by_internal_id;  /* lower-cased internal id → borrowed LpModelInfo */
  gint64      last_updated;    /* unix µs, 0 before the first update */
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (LpModelCatalog, lp_model_catalog, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_N_ITEMS,
  PROP_LAST_UPDATED,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

static const char * const id_keys[] = { "id", "modelId", "key", NULL };
static const char * const name_keys[] = { "name", "label", "displayName", "title", NULL };
static const char * const scene_keys[] = { "scene", "sceneId", "category", NULL };

/* Members whose key names the scene of everything below them. */
static const char * const scene_members[] = {
  "assistant", "chat", "developer", "inline", "quest", NULL
};

/* Lingma lists some models by id alone; these words mark such an id as
 * a model rather than some other keyed object. */
static const char * const model_id_words[] = { "qwen", "model", "auto", "coder", NULL };

typedef struct
{
  GPtrArray  *models;
  GHashTable *by_name;
  GHashTable *by_internal_id;
} Tables;

static void
tables_init (Tables *tables)
{
  tables->models = g_ptr_array_new_with_free_func (g_object_unref);
  tables->by_name = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  tables->by_internal_id = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

static void
tables_clear (Tables *tables)
{
  g_clear_pointer (&tables->by_name, g_hash_table_unref);
  g_clear_pointer (&tables->by_internal_id, g_hash_table_unref);
  g_clear_pointer (&tables->models, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Tables, tables_clear)

/* The first member among @keys holding a non-blank string, trimmed. */
static char *
dup_first_string (JsonObject         *object,
                  const char * const *keys)
{
  for (guint i = 0; keys[i] != NULL; i++)
    {
      JsonNode *node = json_object_get_member (object, keys[i]);
      g_autofree char *value = NULL;

      if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
          json_node_get_value_type (node) != G_TYPE_STRING)
        continue;

      value = g_strstrip (g_strdup (json_node_get_string (node)));
      if (*value != '\0')
        return g_steal_pointer (&value);
    }

  return NULL;
}

static gboolean
in_word_list (const char         *word,
              const char * const *list)
{
  for (guint i = 0; list[i] != NULL; i++)
    {
      if (g_ascii_strcasecmp (word, list[i]) == 0)
        return TRUE;
    }

  return FALSE;
}

static gboolean
looks_like_model_id (const char *id)
{
  g_autofree char *lower = g_ascii_strdown (id, -1);

  for (guint i = 0; model_id_words[i] != NULL; i++)
    {
      if (strstr (lower, model_id_words[i]) != NULL)
        return TRUE;
    }

  return FALSE;
}

static void
tables_add (Tables     *tables,
            const char *name,
            const char *internal_id,
            const char *scene)
{
  g_autofree char *name_key = g_ascii_strdown (name, -1);
  g_autofree char *internal_key = g_ascii_strdown (internal_id, -1);
  LpModelInfo *info;

  /* The first entry wins, so the answer does not depend on hash order. */
  if (g_hash_table_contains (tables->by_name, name_key))
    return;

  info = lp_model_info_new (name, internal_id, scene);
  g_ptr_array_add (tables->models, info);
  g_hash_table_insert (tables->by_name, g_steal_pointer (&name_key), info);
  if (!g_hash_table_contains (tables->by_internal_id, internal_key))
    g_hash_table_insert (tables->by_internal_id, g_steal_pointer (&internal_key), info);
}

/* The shape of config/queryModels is not fixed, so every object in the
 * tree that carries an id is considered, and the scene is inherited from
 * the member keys above it. */
static void
walk (Tables     *tables,
      const char *scene,
      JsonNode   *node)
{
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);
      guint n = json_array_get_length (array);

      for (guint i = 0; i < n; i++)
        walk (tables, scene, json_array_get_element (array, i));
    }
  else if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *object = json_node_get_object (node);
      g_autofree char *id = dup_first_string (object, id_keys);
      g_autofree char *name = dup_first_string (object, name_keys);
      g_autofree char *own_scene = NULL;
      const char *current_scene = scene;
      JsonObjectIter iter;
      const char *member_name;
      JsonNode *member;

      if (*current_scene == '\0')
        {
          own_scene = dup_first_string (object, scene_keys);
          if (own_scene != NULL)
            current_scene = own_scene;
        }

      if (id != NULL && (name != NULL || looks_like_model_id (id)))
        tables_add (tables, name != NULL ? name : id, id, current_scene);

      json_object_iter_init_ordered (&iter, object);
      while (json_object_iter_next_ordered (&iter, &member_name, &member))
        {
          const char *next_scene = current_scene;

          if (*current_scene == '\0' || in_word_list (member_name, scene_members))
            next_scene = member_name;

          walk (tables, next_scene, member);
        }
    }
}

static void
lp_model_catalog_finalize (GObject *object)
{
  LpModelCatalog *self = (LpModelCatalog *)object;

  g_clear_pointer (&self->by_name, g_hash_table_unref);
  g_clear_pointer (&self->by_internal_id, g_hash_table_unref);
  g_clear_pointer (&self->models, g_ptr_array_unref);

  G_OBJECT_CLASS (lp_model_catalog_parent_class)->finalize (object);
}

static void
lp_model_catalog_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  LpModelCatalog *self = LP_MODEL_CATALOG (object);

  switch (prop_id)
    {
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->models->len);
      break;

    case PROP_LAST_UPDATED:
      g_value_set_int64 (value, self->last_updated);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lp_model_catalog_class_init (LpModelCatalogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = lp_model_catalog_finalize;
  object_class->get_property = lp_model_catalog_get_property;

  properties [PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL,
                       0, G_MAXUINT, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  /**
   * LpModelCatalog:last-updated:
   *
   * When Lingma's list was last applied, in unix microseconds; 0 before.
   */
  properties [PROP_LAST_UPDATED] =
    g_param_spec_int64 ("last-updated", NULL, NULL,
                        0, G_MAXINT64, 0,
                        (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
lp_model_catalog_init (LpModelCatalog *self)
{
  Tables tables;

  tables_init (&tables);
  self->models = tables.models;
  self->by_name = tables.by_name;
  self->by_internal_id = tables.by_internal_id;
}

static GType
lp_model_catalog_get_item_type (GListModel *model)
{
  return LP_TYPE_MODEL_INFO;
}

static guint
lp_model_catalog_get_n_items (GListModel *model)
{
  return LP_MODEL_CATALOG (model)->models->len;
}

static gpointer
lp_model_catalog_get_item (GListModel *model,
                           guint       position)
{
  LpModelCatalog *self = LP_MODEL_CATALOG (model);

  if (position >= self->models->len)
    return NULL;

  return g_object_ref (g_ptr_array_index (self->models, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = lp_model_catalog_get_item_type;
  iface->get_n_items = lp_model_catalog_get_n_items;
  iface->get_item = lp_model_catalog_get_item;
}

LpModelCatalog *
lp_model_catalog_new (void)
{
  return g_object_new (LP_TYPE_MODEL_CATALOG, NULL);
}

/**
 * lp_model_catalog_update_from_json:
 * @self: a #LpModelCatalog
 * @query_models_result: the result of Lingma's config/queryModels
 * @error: return location for a #GError
 *
 * Replaces the catalog with the models found anywhere in
 * @query_models_result, in the order they appear. When two entries share
 * a name (case-insensitively), the first one wins.
 *
 * Emits #GListModel::items-changed once, then notifies
 * #LpModelCatalog:last-updated. An answer without any model is an
 * %LP_ERROR_UPSTREAM error and leaves the catalog as it was, so a
 * transient empty answer does not make every model unknown.
 *
 * Returns: %TRUE on success
 */
gboolean
lp_model_catalog_update_from_json (LpModelCatalog  *self,
                                   JsonNode        *query_models_result,
                                   GError         **error)
{
  g_auto(Tables) tables = { NULL };
  guint old_n;

  g_return_val_if_fail (LP_IS_MODEL_CATALOG (self), FALSE);
  g_return_val_if_fail (query_models_result != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  tables_init (&tables);
  walk (&tables, "", query_models_result);

  if (tables.models->len == 0)
    {
      g_set_error_literal (error, LP_ERROR, LP_ERROR_UPSTREAM,
                           "Lingma listed no models");
      return FALSE;
    }

  old_n = self->models->len;

  g_clear_pointer (&self->by_name, g_hash_table_unref);
  g_clear_pointer (&self->by_internal_id, g_hash_table_unref);
  g_clear_pointer (&self->models, g_ptr_array_unref);
  self->models = g_steal_pointer (&tables.models);
  self->by_name = g_steal_pointer (&tables.by_name);
  self->by_internal_id = g_steal_pointer (&tables.by_internal_id);
  self->last_updated = g_get_real_time ();

  g_list_model_items_changed (G_LIST_MODEL (self), 0, old_n, self->models->len);
  if (old_n != self->models->len)
    g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_N_ITEMS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties [PROP_LAST_UPDATED]);

  return TRUE;
}

gboolean
lp_model_catalog_is_empty (LpModelCatalog *self)
{
  g_return_val_if_fail (LP_IS_MODEL_CATALOG (self), TRUE);

  return self->models->len == 0;
}

gint64
lp_model_catalog_get_last_updated (LpModelCatalog *self)
{
  g_return_val_if_fail (LP_IS_MODEL_CATALOG (self), 0);

  return self->last_updated;
}

/* By name clients use, then by Lingma's internal id; both ignore case. */
static LpModelInfo *
lp_model_catalog_lookup (LpModelCatalog *self,
                         const char     *name)
{
  g_autofree char *key = g_ascii_strdown (name, -1);
  LpModelInfo *info;

  info = g_hash_table_lookup (self->by_name, key);
  if (info == NULL)
    info = g_hash_table_lookup (self->by_internal_id, key);

  return info;
}

static const char *
alias_target (GHashTable *aliases,
              const char *name)
{
  GHashTableIter iter;
  gpointer key;
  gpointer value;

  if (aliases == NULL)
    return NULL;

  /* An exact key first, so a table with case-insensitive hashing (or a
   * key differing only in case) gives a stable answer. */
  if ((value = g_hash_table_lookup (aliases, name)) != NULL)
    return value;

  g_hash_table_iter_init (&iter, aliases);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (g_ascii_strcasecmp (key, name) == 0)
        return value;
    }

  return NULL;
}

static LpModelInfo *
lp_model_catalog_lookup_with_aliases (LpModelCatalog *self,
                                      const char     *name,
                                      GHashTable     *aliases)
{
  LpModelInfo *info = lp_model_catalog_lookup (self, name);
  const char *target;

  if (info == NULL && (target = alias_target (aliases, name)) != NULL)
    info = lp_model_catalog_lookup (self, target);

  return info;
}

/**
 * lp_model_catalog_resolve:
 * @self: a #LpModelCatalog
 * @requested: (nullable): the model the client asked for
 * @default_model: (nullable): the configured default model
 * @aliases: (nullable) (element-type utf8 utf8): client name → model name
 *   or internal id; keys match ignoring ASCII case
 * @out_known: (out) (optional): whether @requested was found
 *
 * Translates a client's model into the internal id to send to Lingma.
 * A name is looked up by the name clients see, then by internal id, then
 * through @aliases, all ignoring case. A blank or unknown @requested
 * (clients send names like "gpt-4o") falls back to @default_model looked
 * up the same way, then to the model named "Auto", then to the first.
 *
 * @out_known is %FALSE only when a non-blank @requested was not found,
 * which tells the caller a refreshed catalog might know it.
 *
 * Returns: (transfer full) (nullable): the internal id, or %NULL when
 *   the catalog is empty
 */
char *
lp_model_catalog_resolve (LpModelCatalog *self,
                          const char     *requested,
                          const char     *default_model,
                          GHashTable     *aliases,
                          gboolean       *out_known)
{
  LpModelInfo *info = NULL;
  gboolean known = TRUE;

  g_return_val_if_fail (LP_IS_MODEL_CATALOG (self), NULL);

  if (requested != NULL && *requested != '\0')
    {
      info = lp_model_catalog_lookup_with_aliases (self, requested, aliases);
      known = info != NULL;
    }

  if (info == NULL && default_model != NULL && *default_model != '\0')
    info = lp_model_catalog_lookup_with_aliases (self, default_model, aliases);

  if (info == NULL)
    info = g_hash_table_lookup (self->by_name, "auto");

  if (info == NULL && self->models->len > 0)
    info = g_ptr_array_index (self->models, 0);

  if (out_known != NULL)
    *out_known = known;

  return info != NULL ? g_strdup (lp_model_info_get_internal_id (info)) : NULL;
}

/**
 * lp_model_catalog_display_name_for:
 * @self: a #LpModelCatalog
 * @internal_id: an id Lingma knows a model by
 *
 * Returns: (nullable): the name clients know the model by, valid until
 *   the next update, or %NULL
 */
const char *
lp_model_catalog_display_name_for (LpModelCatalog *self,
                                   const char     *internal_id)
{
  g_autofree char *key = NULL;
  LpModelInfo *info;

  g_return_val_if_fail (LP_IS_MODEL_CATALOG (self), NULL);
  g_return_val_if_fail (internal_id != NULL, NULL);

  key = g_ascii_strdown (internal_id, -1);
  info = g_hash_table_lookup (self->by_internal_id, key);

  return info != NULL ? lp_model_info_get_id (info) : NULL;
}

/**
 * lp_model_catalog_to_openai_list:
 * @self: a #LpModelCatalog
 * @created: the "created" time to report, unix seconds
 *
 * The body of GET /v1/models. Each model's "id" is the name clients
 * send back, not Lingma's internal id.
 *
 * Returns: (transfer full): a JSON object node
 */
JsonNode *
lp_model_catalog_to_openai_list (LpModelCatalog *self,
                                 gint64          created)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (LP_IS_MODEL_CATALOG (self), NULL);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "object");
  json_builder_add_string_value (builder, "list");
  json_builder_set_member_name (builder, "data");
  json_builder_begin_array (builder);

  for (guint i = 0; i < self->models->len; i++)
    {
      LpModelInfo *info = g_ptr_array_index (self->models, i);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, lp_model_info_get_id (info));
      json_builder_set_member_name (builder, "object");
      json_builder_add_string_value (builder, "model");
      json_builder_set_member_name (builder, "created");
      json_builder_add_int_value (builder, created);
      json_builder_set_member_name (builder, "owned_by");
      json_builder_add_string_value (builder, "lingma");
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, lp_model_info_get_display_name (info));
      json_builder_end_object (builder);
    }

  json_builder_end_array (builder);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}
