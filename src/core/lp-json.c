/* lp-json.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lp-json"

#include "config.h"

#include <math.h>
#include <string.h>

#include "lp-error.h"
#include "lp-json.h"

void
lp_json_error (GError     **error,
               const char  *where,
               const char  *member,
               const char  *format,
               ...)
{
  g_autoptr(GString) message = g_string_new (NULL);
  va_list args;

  if (where != NULL && *where != '\0')
    g_string_append (message, where);
  if (member != NULL)
    {
      if (message->len > 0)
        g_string_append_c (message, '.');
      g_string_append (message, member);
    }
  g_string_append (message, ": ");

  va_start (args, format);
  g_string_append_vprintf (message, format, args);
  va_end (args);

  g_set_error_literal (error, LP_ERROR, LP_ERROR_INVALID_REQUEST, message->str);
}

char *
lp_json_path_index (const char *where,
                    const char *member,
                    guint       index)
{
  g_return_val_if_fail (member != NULL, NULL);

  if (where == NULL || *where == '\0')
    return g_strdup_printf ("%s[%u]", member, index);

  return g_strdup_printf ("%s.%s[%u]", where, member, index);
}

JsonNode *
lp_json_get_member (JsonObject *object,
                    const char *member)
{
  JsonNode *node;

  g_return_val_if_fail (object != NULL, NULL);
  g_return_val_if_fail (member != NULL, NULL);

  node = json_object_get_member (object, member);
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;

  return node;
}

static gboolean
holds_value_of_type (JsonNode *node,
                     GType     type)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

gboolean
lp_json_node_is_string (JsonNode *node)
{
  g_return_val_if_fail (node != NULL, FALSE);

  return holds_value_of_type (node, G_TYPE_STRING);
}

gboolean
lp_json_get_string (JsonObject   *object,
                    const char   *where,
                    const char   *member,
                    const char  **out,
                    GError      **error)
{
  JsonNode *node = lp_json_get_member (object, member);

  if (node == NULL)
    return TRUE;

  if (!holds_value_of_type (node, G_TYPE_STRING))
    {
      lp_json_error (error, where, member, "expected a string");
      return FALSE;
    }

  *out = json_node_get_string (node);
  return TRUE;
}

gboolean
lp_json_get_int (JsonObject  *object,
                 const char  *where,
                 const char  *member,
                 gint64      *out,
                 GError     **error)
{
  /* 2^53: beyond it a double no longer holds every integer exactly. */
  const double max_exact = 9007199254740992.0;
  JsonNode *node = lp_json_get_member (object, member);

  if (node == NULL)
    return TRUE;

  if (holds_value_of_type (node, G_TYPE_INT64))
    {
      *out = json_node_get_int (node);
      return TRUE;
    }

  if (holds_value_of_type (node, G_TYPE_DOUBLE))
    {
      double value = json_node_get_double (node);

      if (value == floor (value) && fabs (value) <= max_exact)
        {
          *out = (gint64) value;
          return TRUE;
        }
    }

  lp_json_error (error, where, member, "expected an integer");
  return FALSE;
}

gboolean
lp_json_get_double (JsonObject  *object,
                    const char  *where,
                    const char  *member,
                    double      *out,
                    GError     **error)
{
  JsonNode *node = lp_json_get_member (object, member);

  if (node == NULL)
    return TRUE;

  if (holds_value_of_type (node, G_TYPE_INT64))
    {
      *out = (double) json_node_get_int (node);
      return TRUE;
    }

  if (holds_value_of_type (node, G_TYPE_DOUBLE))
    {
      *out = json_node_get_double (node);
      return TRUE;
    }

  lp_json_error (error, where, member, "expected a number");
  return FALSE;
}

gboolean
lp_json_get_boolean (JsonObject  *object,
                     const char  *where,
                     const char  *member,
                     gboolean    *out,
                     GError     **error)
{
  JsonNode *node = lp_json_get_member (object, member);

  if (node == NULL)
    return TRUE;

  if (!holds_value_of_type (node, G_TYPE_BOOLEAN))
    {
      lp_json_error (error, where, member, "expected a boolean");
      return FALSE;
    }

  *out = json_node_get_boolean (node);
  return TRUE;
}

gboolean
lp_json_get_object (JsonObject   *object,
                    const char   *where,
                    const char   *member,
                    JsonObject  **out,
                    GError      **error)
{
  JsonNode *node = lp_json_get_member (object, member);

  if (node == NULL)
    return TRUE;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      lp_json_error (error, where, member, "expected an object");
      return FALSE;
    }

  *out = json_node_get_object (node);
  return TRUE;
}

gboolean
lp_json_get_array (JsonObject  *object,
                   const char  *where,
                   const char  *member,
                   JsonArray  **out,
                   GError     **error)
{
  JsonNode *node = lp_json_get_member (object, member);

  if (node == NULL)
    return TRUE;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      lp_json_error (error, where, member, "expected an array");
      return FALSE;
    }

  *out = json_node_get_array (node);
  return TRUE;
}

static gboolean
is_blank (const char *data,
          gsize       length)
{
  for (gsize i = 0; i < length; i++)
    if (!g_ascii_isspace (data[i]))
      return FALSE;

  return TRUE;
}

LpJsonShape
lp_json_check_shape (const char *data,
                     gsize       length,
                     guint       max_depth)
{
  gboolean in_string = FALSE;
  gboolean closed = FALSE;
  guint depth = 0;

  g_return_val_if_fail (data != NULL || length == 0, LP_JSON_SHAPE_NOT_SINGLE);

  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }

      if (depth == 0 && !g_ascii_isspace (c))
        {
          /* Only one container, and nothing but space around it. */
          if (closed || (c != '{' && c != '['))
            return LP_JSON_SHAPE_NOT_SINGLE;
        }

      if (c == '"')
        in_string = TRUE;
      else if (c == '[' || c == '{')
        {
          if (++depth > max_depth)
            return LP_JSON_SHAPE_TOO_DEEP;
        }
      else if ((c == ']' || c == '}') && depth > 0)
        {
          if (--depth == 0)
            closed = TRUE;
        }
    }

  /* An unbalanced container is left for the parser to reject. */
  return depth > 0 || closed ? LP_JSON_SHAPE_OK : LP_JSON_SHAPE_NOT_SINGLE;
}

JsonNode *
lp_json_parse_body (const char  *data,
                    gsize        length,
                    GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  switch (lp_json_check_shape (data, length, LP_JSON_MAX_DEPTH))
    {
    case LP_JSON_SHAPE_TOO_DEEP:
      lp_json_error (error, NULL, "request body", "invalid JSON (nested deeper than %u levels)",
                     LP_JSON_MAX_DEPTH);
      return NULL;

    case LP_JSON_SHAPE_NOT_SINGLE:
      if (!is_blank (data, length))
        {
          lp_json_error (error, NULL, "request body", "invalid JSON (expected one object or array)");
          return NULL;
        }
      break;

    case LP_JSON_SHAPE_OK:
    default:
      break;
    }

  parser = json_parser_new ();
  if (length > 0 && !json_parser_load_from_data (parser, data, length, &local_error))
    {
      lp_json_error (error, NULL, "request body", "invalid JSON (%s)", local_error->message);
      return NULL;
    }

  root = length > 0 ? json_parser_get_root (parser) : NULL;
  if (root == NULL)
    {
      lp_json_error (error, NULL, "request body", "invalid JSON (empty)");
      return NULL;
    }

  return json_node_ref (root);
}

gboolean
lp_json_require_string (JsonObject   *object,
                        const char   *where,
                        const char   *member,
                        const char  **out,
                        GError      **error)
{
  const char *value = NULL;

  if (!lp_json_get_string (object, where, member, &value, error))
    return FALSE;

  if (value == NULL)
    {
      lp_json_error (error, where, member, "field is required");
      return FALSE;
    }

  *out = value;
  return TRUE;
}

gboolean
lp_json_require_name (JsonObject  *object,
                      const char  *where,
                      const char  *member,
                      char       **out,
                      GError     **error)
{
  const char *value = NULL;
  g_autofree char *name = NULL;

  if (!lp_json_require_string (object, where, member, &value, error))
    return FALSE;

  name = g_strstrip (g_strdup (value));
  if (*name == '\0')
    {
      lp_json_error (error, where, member, "must not be empty");
      return FALSE;
    }

  *out = g_steal_pointer (&name);
  return TRUE;
}

static gboolean
text_is_blank (const char *text)
{
  while (g_ascii_isspace (*text))
    text++;

  return *text == '\0';
}

JsonNode *
lp_json_parse_arguments (const char *text)
{
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *object;
  JsonNode *root = NULL;
  JsonNode *node;

  g_return_val_if_fail (text != NULL, NULL);

  parser = json_parser_new ();
  if (lp_json_check_shape (text, strlen (text), LP_JSON_MAX_DEPTH) == LP_JSON_SHAPE_OK &&
      json_parser_load_from_data (parser, text, -1, NULL))
    {
      root = json_parser_get_root (parser);
      if (root != NULL && JSON_NODE_HOLDS_OBJECT (root))
        return json_node_ref (root);
    }

  object = json_object_new ();
  /* json-glib loads blank input without error as a document without a
   * root: that is a call without arguments, not a broken one. */
  if (root != NULL || !text_is_blank (text))
    json_object_set_string_member (object, "_raw", text);

  node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (node, object);

  return node;
}

JsonNode *
lp_json_get_arguments (JsonObject  *object,
                       const char  *where,
                       const char  *member,
                       const char  *expected,
                       GError     **error)
{
  JsonNode *raw;

  g_return_val_if_fail (object != NULL, NULL);
  g_return_val_if_fail (member != NULL, NULL);
  g_return_val_if_fail (expected != NULL, NULL);

  raw = lp_json_get_member (object, member);
  if (raw == NULL)
    return lp_json_parse_arguments ("");
  if (JSON_NODE_HOLDS_OBJECT (raw))
    return json_node_ref (raw);
  if (lp_json_node_is_string (raw))
    return lp_json_parse_arguments (json_node_get_string (raw));

  lp_json_error (error, where, member, "expected %s", expected);
  return NULL;
}

void
lp_json_join_text (GString    *joined,
                   const char *text,
                   const char *separator)
{
  const char *start;
  const char *end;

  g_return_if_fail (joined != NULL);
  g_return_if_fail (separator != NULL);

  if (text == NULL)
    return;

  for (start = text; g_ascii_isspace (*start); start++)
    ;
  for (end = start + strlen (start); end > start && g_ascii_isspace (end[-1]); end--)
    ;
  if (end == start)
    return;

  if (joined->len > 0)
    g_string_append (joined, separator);
  g_string_append_len (joined, start, end - start);
}

void
lp_json_append_string (GString    *out,
                       const char *text)
{
  g_autofree char *repaired = NULL;
  const char *run;
  const char *p;

  g_return_if_fail (out != NULL);

  if (text == NULL)
    text = "";
  if (!g_utf8_validate (text, -1, NULL))
    text = repaired = g_utf8_make_valid (text, -1);

  g_string_append_c (out, '"');

  /* Copy runs of plain bytes in one go; only quotes, backslashes and
   * control characters need escapes. */
  for (run = p = text; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      if (c >= 0x20 && c != '"' && c != '\\')
        continue;

      g_string_append_len (out, run, p - run);
      run = p + 1;

      switch (c)
        {
        case '"':  g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\b': g_string_append (out, "\\b"); break;
        case '\f': g_string_append (out, "\\f"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        default:   g_string_append_printf (out, "\\u%04x", c); break;
        }
    }
  g_string_append_len (out, run, p - run);

  g_string_append_c (out, '"');
}

static void
append_double (GString *out,
               double   value)
{
  static const char * const formats[] = { "%.15g", "%.16g", "%.17g" };
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (value))
    {
      g_string_append (out, "null");
      return;
    }

  /* The shortest of these that reads back as the same double: 0.7 stays
   * "0.7" instead of json-glib's "0.69999999999999996". */
  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_ascii_formatd (buffer, sizeof buffer, formats[i], value);
      if (g_ascii_strtod (buffer, NULL) == value)
        break;
    }

  g_string_append (out, buffer);
}

static void
append_value (GString  *out,
              JsonNode *node)
{
  GType type = json_node_get_value_type (node);

  if (type == G_TYPE_INT64)
    g_string_append_printf (out, "%" G_GINT64_FORMAT, json_node_get_int (node));
  else if (type == G_TYPE_DOUBLE)
    append_double (out, json_node_get_double (node));
  else if (type == G_TYPE_BOOLEAN)
    g_string_append (out, json_node_get_boolean (node) ? "true" : "false");
  else if (type == G_TYPE_STRING)
    lp_json_append_string (out, json_node_get_string (node));
  else
    g_string_append (out, "null");
}

void
lp_json_append (GString  *out,
                JsonNode *node)
{
  g_return_if_fail (out != NULL);

  if (node == NULL)
    {
      g_string_append (out, "null");
      return;
    }

  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObjectIter iter;
        const char *name;
        JsonNode *member;
        gboolean first = TRUE;

        g_string_append_c (out, '{');
        json_object_iter_init_ordered (&iter, json_node_get_object (node));
        while (json_object_iter_next_ordered (&iter, &name, &member))
          {
            if (!first)
              g_string_append_c (out, ',');
            first = FALSE;
            lp_json_append_string (out, name);
            g_string_append_c (out, ':');
            lp_json_append (out, member);
          }
        g_string_append_c (out, '}');
      }
      break;

    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint length = json_array_get_length (array);

        g_string_append_c (out, '[');
        for (guint i = 0; i < length; i++)
          {
            if (i > 0)
              g_string_append_c (out, ',');
            lp_json_append (out, json_array_get_element (array, i));
          }
        g_string_append_c (out, ']');
      }
      break;

    case JSON_NODE_VALUE:
      append_value (out, node);
      break;

    case JSON_NODE_NULL:
    default:
      g_string_append (out, "null");
      break;
    }
}

char *
lp_json_to_string (JsonNode *node)
{
  GString *out = g_string_new (NULL);

  lp_json_append (out, node);

  return g_string_free (out, FALSE);
}

GStrv
lp_json_split_pieces (const char *text,
                      guint       n_pieces)
{
  GPtrArray *pieces;
  gsize length;
  gsize start = 0;

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (n_pieces > 0, NULL);

  length = strlen (text);
  pieces = g_ptr_array_new ();

  for (guint k = 1; k < n_pieces; k++)
    {
      gsize cut = length * k / n_pieces;

      /* Never split inside a multi-byte character: step past continuation bytes. */
      while (cut < length && ((guchar) text[cut] & 0xC0) == 0x80)
        cut++;

      if (cut > start && cut < length)
        {
          g_ptr_array_add (pieces, g_strndup (text + start, cut - start));
          start = cut;
        }
    }

  if (start < length)
    g_ptr_array_add (pieces, g_strdup (text + start));
  g_ptr_array_add (pieces, NULL);

  return (GStrv) g_ptr_array_free (pieces, FALSE);
}

char *
lp_json_output_instruction (JsonNode *schema)
{
  g_autofree char *schema_json = NULL;

  if (schema == NULL)
    return g_strdup ("Answer with a single valid JSON object and nothing else: "
                     "no prose before or after it, no Markdown code fences.");

  schema_json = lp_json_to_string (schema);

  return g_strdup_printf ("Answer with a single valid JSON value that matches the JSON Schema "
                          "below, and nothing else: no prose before or after it, no Markdown "
                          "code fences.\nJSON Schema: %s", schema_json);
}
