/* sim-models.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lingma-sim"

#include "config.h"

#include <string.h>

#include "lp-error.h"
#include "sim-json.h"
#include "sim-models.h"

/* Nested like Lingma's answer: scenes holding model lists, display names
 * that differ from the internal ids. */
static const char default_tree[] =
  "{"
  "\"chat\":{\"models\":["
    "{\"key\":\"org_auto\",\"displayName\":\"Auto\"},"
    "{\"key\":\"kmodel\",\"displayName\":\"Kimi-K2.6\"},"
    "{\"key\":\"mmodel\",\"displayName\":\"MiniMax-M2.7\"},"
    "{\"key\":\"dashscope_qwen3_coder\",\"displayName\":\"Qwen3-Coder\"},"
    "{\"key\":\"dashscope_qwen_max_latest\",\"displayName\":\"Qwen3-Max\"}"
  "],\"default\":\"org_auto\"},"
  "\"inline\":{\"models\":["
    "{\"key\":\"dashscope_qwen3_coder\",\"displayName\":\"Qwen3-Coder\"},"
    "{\"key\":\"dashscope_qmodel\",\"displayName\":\"Qwen3.6-Plus\"}"
  "]}"
  "}";

struct _SimModels
{
  JsonNode   *tree;
  GHashTable *ids;      /* internal id → itself */
  GPtrArray  *ordered;  /* internal ids in tree order, borrowed from @ids */
};

static const char *
first_string_member (JsonObject         *object,
                     const char * const *keys)
{
  for (guint i = 0; keys[i] != NULL; i++)
    {
      const char *value = sim_json_get_string (object, keys[i]);

      if (value != NULL && *value != '\0')
        return value;
    }

  return NULL;
}

static gboolean
looks_like_model_id (const char *id)
{
  static const char * const hints[] = { "qwen", "model", "auto", "coder", NULL };
  g_autofree char *lower = g_ascii_strdown (id, -1);

  for (guint i = 0; hints[i] != NULL; i++)
    if (strstr (lower, hints[i]) != NULL)
      return TRUE;

  return FALSE;
}

/* Collects ids with the rule a client walking the tree uses (an id next
 * to a name, or an id that looks like a model), so that every model a
 * client can list is one set_model accepts. */
static void
collect_ids (SimModels *self,
             JsonNode  *node)
{
  static const char * const id_keys[] = { "id", "modelId", "key", NULL };
  static const char * const name_keys[] = { "name", "label", "displayName", "title", NULL };

  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        collect_ids (self, json_array_get_element (array, i));
    }
  else if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *object = json_node_get_object (node);
      g_autoptr(GList) members = json_object_get_members (object);
      g_autofree char *id = g_strdup (first_string_member (object, id_keys));

      if (id != NULL)
        g_strstrip (id);

      if (id != NULL && *id != '\0' &&
          (first_string_member (object, name_keys) != NULL || looks_like_model_id (id)) &&
          !g_hash_table_contains (self->ids, id))
        {
          g_ptr_array_add (self->ordered, id);
          g_hash_table_add (self->ids, g_steal_pointer (&id));
        }

      for (GList *l = members; l != NULL; l = l->next)
        collect_ids (self, json_object_get_member (object, l->data));
    }
}

static SimModels *
sim_models_new (JsonNode *tree)
{
  SimModels *self = g_new0 (SimModels, 1);

  self->tree = tree;
  self->ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->ordered = g_ptr_array_new ();
  collect_ids (self, tree);

  return self;
}

SimModels *
sim_models_new_default (void)
{
  JsonNode *tree = json_from_string (default_tree, NULL);
  SimModels *self;

  g_assert (tree != NULL);
  self = sim_models_new (tree);
  g_assert (self->ordered->len > 0);

  return self;
}

SimModels *
sim_models_new_from_file (const char  *path,
                          GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  SimModels *self;

  g_return_val_if_fail (path != NULL, NULL);

  if (!json_parser_load_from_file (parser, path, &local_error))
    {
      g_set_error (error, LP_ERROR, LP_ERROR_CONFIG,
                   "cannot read the model list %s: %s", path, local_error->message);
      return NULL;
    }

  self = sim_models_new (json_node_copy (json_parser_get_root (parser)));
  if (self->ordered->len == 0)
    {
      g_set_error (error, LP_ERROR, LP_ERROR_CONFIG,
                   "the model list %s names no model (objects with \"key\", \"id\" or \"modelId\")",
                   path);
      sim_models_free (self);
      return NULL;
    }

  return self;
}

void
sim_models_free (SimModels *self)
{
  if (self == NULL)
    return;

  g_ptr_array_unref (self->ordered);
  g_hash_table_unref (self->ids);
  json_node_unref (self->tree);
  g_free (self);
}

JsonNode *
sim_models_get_tree (SimModels *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->tree;
}

gboolean
sim_models_contains (SimModels  *self,
                     const char *internal_id)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return internal_id != NULL && g_hash_table_contains (self->ids, internal_id);
}

const char *
sim_models_get_default_id (SimModels *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  /* Both constructors refuse a tree without ids. */
  return g_ptr_array_index (self->ordered, 0);
}
