/* sim-prompt.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lingma-sim"

#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "lp-error.h"
#include "sim-json.h"
#include "sim-prompt.h"

#define LINGMA_FILE_URI_PREFIX "lingma:///agent/file?"

static void
sim_image_free (SimImage *image)
{
  g_free (image->mime_type);
  g_free (image->problem);
  g_free (image->url);
  g_free (image);
}

/* g_base64_decode() skips junk silently; a client sending junk must be told. */
static gboolean
is_base64 (const char *data)
{
  gsize len = strlen (data);
  gsize padding = 0;

  if (len == 0 || len % 4 != 0)
    return FALSE;

  for (gsize i = 0; i < len; i++)
    {
      char c = data[i];

      if (c == '=')
        {
          if (i < len - 2)
            return FALSE;
          padding++;
        }
      else if (padding > 0 || !(g_ascii_isalnum (c) || c == '+' || c == '/'))
        return FALSE;
    }

  return TRUE;
}

static void
inspect_file (SimImage   *image,
              const char *path)
{
  GStatBuf st;

  if (path == NULL || !g_path_is_absolute (path))
    image->problem = g_strdup ("unreadable image: no absolute file path");
  else if (g_stat (path, &st) != 0 || !S_ISREG (st.st_mode))
    image->problem = g_strdup_printf ("unreadable image: %s does not exist", path);
  else if (g_access (path, R_OK) != 0)
    image->problem = g_strdup_printf ("unreadable image: %s cannot be read", path);
  else if (st.st_size == 0)
    image->problem = g_strdup_printf ("unreadable image: %s is empty", path);
  else
    image->size = st.st_size;
}

static void
inspect_uri (SimImage   *image,
             const char *uri)
{
  if (g_str_has_prefix (uri, LINGMA_FILE_URI_PREFIX))
    {
      g_autoptr(GHashTable) query = NULL;

      query = g_uri_parse_params (uri + strlen (LINGMA_FILE_URI_PREFIX), -1, "&",
                                  G_URI_PARAMS_WWW_FORM, NULL);
      inspect_file (image, query != NULL ? g_hash_table_lookup (query, "path") : NULL);
    }
  else if (g_str_has_prefix (uri, "file:"))
    {
      g_autofree char *path = g_filename_from_uri (uri, NULL, NULL);

      inspect_file (image, path);
    }
  else if (g_str_has_prefix (uri, "http://") || g_str_has_prefix (uri, "https://"))
    image->url = g_strdup (uri);
  else
    image->problem = g_strdup ("unreadable image: unsupported uri");
}

static SimImage *
sim_image_new_from_item (JsonObject *item)
{
  SimImage *image = g_new0 (SimImage, 1);
  const char *mime_type = sim_json_get_string (item, "mimeType");
  const char *data = sim_json_get_string (item, "data");
  const char *uri = sim_json_get_string (item, "uri");

  image->mime_type = g_strdup (mime_type != NULL && *mime_type != '\0' ? mime_type : "no mimeType");

  if (data != NULL && *data != '\0')
    {
      if (is_base64 (data))
        g_free (g_base64_decode (data, &image->size));
      if (image->size == 0)
        image->problem = g_strdup ("unreadable image: data is not base64");
    }
  else if (uri != NULL && *uri != '\0')
    inspect_uri (image, uri);
  else
    image->problem = g_strdup ("unreadable image: neither data nor uri");

  return image;
}

static char *
get_request_id (JsonObject *params)
{
  JsonNode *meta = json_object_get_member (params, "_meta");
  const char *request_id;

  if (meta == NULL || !JSON_NODE_HOLDS_OBJECT (meta))
    return NULL;

  request_id = sim_json_get_string (json_node_get_object (meta), "ai-coding/request-id");

  return g_strdup (request_id);
}

SimPrompt *
sim_prompt_new_from_params (JsonObject  *params,
                            GError     **error)
{
  g_autoptr(SimPrompt) self = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  JsonNode *prompt_node;
  JsonArray *items;

  g_return_val_if_fail (params != NULL, NULL);

  prompt_node = json_object_get_member (params, "prompt");
  if (prompt_node == NULL || !JSON_NODE_HOLDS_ARRAY (prompt_node) ||
      json_array_get_length (json_node_get_array (prompt_node)) == 0)
    {
      g_set_error_literal (error, LP_ERROR, LP_ERROR_INVALID_REQUEST,
                           "prompt must be a non-empty array of content blocks");
      return NULL;
    }

  self = g_new0 (SimPrompt, 1);
  self->images = g_ptr_array_new_with_free_func ((GDestroyNotify) sim_image_free);
  self->request_id = get_request_id (params);

  items = json_node_get_array (prompt_node);
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonNode *node = json_array_get_element (items, i);
      JsonObject *item;
      const char *type;

      if (!JSON_NODE_HOLDS_OBJECT (node) ||
          (type = sim_json_get_string (json_node_get_object (node), "type")) == NULL)
        {
          g_set_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST,
                       "prompt[%u] is not a content block with a type", i);
          return NULL;
        }

      item = json_node_get_object (node);
      if (g_str_equal (type, "text"))
        {
          const char *piece = sim_json_get_string (item, "text");

          if (piece == NULL)
            {
              g_set_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST,
                           "prompt[%u] is a text block without text", i);
              return NULL;
            }
          if (text->len > 0)
            g_string_append_c (text, '\n');
          g_string_append (text, piece);
        }
      else if (g_str_equal (type, "image"))
        g_ptr_array_add (self->images, sim_image_new_from_item (item));
    }

  self->text = g_string_free (g_steal_pointer (&text), FALSE);

  return g_steal_pointer (&self);
}

void
sim_prompt_free (SimPrompt *self)
{
  if (self == NULL)
    return;

  g_free (self->text);
  g_free (self->request_id);
  g_clear_pointer (&self->images, g_ptr_array_unref);
  g_free (self);
}
