/* lp-tool-parser.c
 *
 * Finds the action blocks in a model reply and turns them into tool
 * calls. Tolerant of what models get wrong (plain ```json fences, smart
 * quotes, trailing commas, raw newlines in strings, stringified
 * arguments, near-miss tool names) but strict about what would make a
 * wrong call: a block must name a tool the client declared, and its
 * arguments must fit that tool's schema (W24).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lp-tool-parser"

#include "config.h"

#include <math.h>
#include <string.h>

#include "lp-json.h"
#include "lp-tool-private.h"

/* Far deeper than any tool call; json-glib recurses once per level and
 * overflows the stack on a few ten thousand. */
#define MAX_JSON_DEPTH 128

typedef enum
{
  BLOCK_NONE,
  BLOCK_ACTION, /* ```json action or ```action: meant as a call */
  BLOCK_PLAIN,  /* ```json: a call only if it names a known tool */
} BlockStyle;

typedef struct
{
  const LpChatRequest *request;
  GPtrArray           *known;   /* (element-type LpToolDef) */
  GString             *problem;
} Parser;

typedef struct
{
  gsize       start;  /* the opening fence */
  gsize       end;    /* just after the closing fence */
  LpToolCall *call;   /* (owned) */
} Found;

void
lp_tool_parse_free (LpToolParse *parse)
{
  if (parse == NULL)
    return;

  g_ptr_array_unref (parse->calls);
  g_free (parse->text);
  g_free (parse->problem);
  g_free (parse);
}

static void
add_problem (Parser     *self,
             const char *format,
             ...) G_GNUC_PRINTF (2, 3);

static void
add_problem (Parser     *self,
             const char *format,
             ...)
{
  va_list args;

  if (self->problem->len > 0)
    g_string_append (self->problem, "; ");

  va_start (args, format);
  g_string_append_vprintf (self->problem, format, args);
  va_end (args);
}

/* The style of the fence at @fence ("```" + info string + newline), and
 * where its content starts. */
static BlockStyle
opening_style (const char  *fence,
               const char **content)
{
  const char *info = fence + strlen (LP_TOOL_BLOCK_CLOSE);
  const char *newline = strchr (info, '\n');
  g_autofree char *words = NULL;
  g_autofree char *lower = NULL;

  if (newline == NULL)
    return BLOCK_NONE;

  words = g_strstrip (g_strndup (info, newline - info));
  lower = g_ascii_strdown (words, -1);
  *content = newline + 1;

  if (g_strcmp0 (lower, "json action") == 0 || g_strcmp0 (lower, "action") == 0)
    return BLOCK_ACTION;
  if (g_strcmp0 (lower, "json") == 0)
    return BLOCK_PLAIN;

  return BLOCK_NONE;
}

/* The closing fence: the first ``` outside JSON strings, so a string that
 * itself holds a fence (a Markdown file being written) does not end the
 * block. When the quotes do not balance, the first line that is only a
 * fence. */
static const char *
find_closing (const char *content)
{
  gboolean in_string = FALSE;
  const char *p;

  for (p = content; *p; p++)
    {
      if (in_string)
        {
          if (*p == '\\' && p[1] != '\0')
            p++;
          else if (*p == '"')
            in_string = FALSE;
        }
      else if (*p == '"')
        in_string = TRUE;
      else if (g_str_has_prefix (p, LP_TOOL_BLOCK_CLOSE))
        return p;
    }

  for (p = content; (p = strstr (p, LP_TOOL_BLOCK_CLOSE)) != NULL; p++)
    {
      const char *q = p + strlen (LP_TOOL_BLOCK_CLOSE);

      while (*q == ' ' || *q == '\t' || *q == '\r')
        q++;
      if ((p == content || p[-1] == '\n') && (*q == '\n' || *q == '\0'))
        return p;
    }

  return NULL;
}

/* TRUE when @text is one JSON object and nothing else, nested no deeper
 * than MAX_JSON_DEPTH. json-glib would silently take the last of several
 * objects, and crash on deep nesting. */
static gboolean
is_single_object (const char *text)
{
  gboolean in_string = FALSE;
  guint depth = 0;
  const char *p = text;

  while (g_ascii_isspace (*p))
    p++;
  if (*p != '{')
    return FALSE;

  for (; *p; p++)
    {
      if (in_string)
        {
          if (*p == '\\' && p[1] != '\0')
            p++;
          else if (*p == '"')
            in_string = FALSE;
          continue;
        }

      if (*p == '"')
        in_string = TRUE;
      else if ((*p == '{' || *p == '[') && ++depth > MAX_JSON_DEPTH)
        return FALSE;
      else if ((*p == '}' || *p == ']') && --depth == 0)
        break;
    }

  if (*p == '\0')
    return FALSE;

  for (p++; g_ascii_isspace (*p); p++)
    ;

  return *p == '\0';
}

static gboolean
is_smart_quote (const char *p)
{
  /* U+201C and U+201D */
  return (guchar) p[0] == 0xE2 && (guchar) p[1] == 0x80 && ((guchar) p[2] == 0x9C || (guchar) p[2] == 0x9D);
}

static void
append_string_char (GString    *out,
                    const char *p)
{
  switch (*p)
    {
    case '\n':
      g_string_append (out, "\\n");
      break;
    case '\r':
      g_string_append (out, "\\r");
      break;
    case '\t':
      g_string_append (out, "\\t");
      break;
    default:
      g_string_append_c (out, *p);
      break;
    }
}

/* What models get wrong most: typographic quotes as delimiters, a comma
 * before } or ], raw control characters inside strings. Typographic quotes
 * inside a properly quoted string are content and stay. */
static char *
repair_json (const char *text)
{
  enum { OUTSIDE, IN_ASCII, IN_SMART } state = OUTSIDE;
  GString *out = g_string_sized_new (strlen (text));

  for (const char *p = text; *p; p++)
    {
      switch (state)
        {
        case OUTSIDE:
          if (*p == '"')
            {
              state = IN_ASCII;
              g_string_append_c (out, '"');
            }
          else if (is_smart_quote (p))
            {
              state = IN_SMART;
              g_string_append_c (out, '"');
              p += 2;
            }
          else if (*p == ',')
            {
              const char *q = p + 1;

              while (g_ascii_isspace (*q))
                q++;
              if (*q != '}' && *q != ']')
                g_string_append_c (out, ',');
            }
          else
            g_string_append_c (out, *p);
          break;

        case IN_ASCII:
          if (*p == '\\' && p[1] != '\0')
            {
              g_string_append_len (out, p, 2);
              p++;
            }
          else if (*p == '"')
            {
              state = OUTSIDE;
              g_string_append_c (out, '"');
            }
          else
            append_string_char (out, p);
          break;

        case IN_SMART:
          if (is_smart_quote (p))
            {
              state = OUTSIDE;
              g_string_append_c (out, '"');
              p += 2;
            }
          else if (*p == '\\' && p[1] != '\0')
            {
              g_string_append_len (out, p, 2);
              p++;
            }
          else if (*p == '"')
            g_string_append (out, "\\\"");
          else
            append_string_char (out, p);
          break;

        default:
          g_assert_not_reached ();
        }
    }

  return g_string_free (out, FALSE);
}

/* json-glib 1.6 writes a double as "%.17g" and appends ".0" when that has
 * no dot, which turns 1e+20 into the invalid 1e+20.0. */
static gboolean
is_writable_double (double value)
{
  char buffer[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (value))
    return FALSE;

  g_ascii_formatd (buffer, sizeof buffer, "%.17g", value);

  return strchr (buffer, '.') != NULL || strpbrk (buffer, "eE") == NULL;
}

/* FALSE for what json-glib accepts but cannot write back as JSON: a lone
 * surrogate escape ("\ud800") becomes bytes that are not UTF-8, 1e999
 * becomes infinity, and some doubles come out malformed. Depth is bounded
 * by is_single_object(). */
static gboolean
is_sendable (JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      const char *member;
      JsonNode *value;

      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, &member, &value))
        {
          if (!g_utf8_validate (member, -1, NULL) || !is_sendable (value))
            return FALSE;
        }
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          if (!is_sendable (json_array_get_element (array, i)))
            return FALSE;
        }
    }
  else if (lp_tool_json_string (node) != NULL)
    return g_utf8_validate (lp_tool_json_string (node), -1, NULL);
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_DOUBLE)
    return is_writable_double (json_node_get_double (node));

  return TRUE;
}

static JsonNode *
parse_object (const char *text)
{
  JsonNode *node;

  if (!is_single_object (text) || lp_json_check_shape (text, strlen (text), LP_JSON_MAX_DEPTH) != LP_JSON_SHAPE_OK)
    return NULL;

  node = json_from_string (text, NULL);
  if (node != NULL && (!JSON_NODE_HOLDS_OBJECT (node) || !is_sendable (node)))
    g_clear_pointer (&node, json_node_unref);

  return node;
}

/* One JSON object, as written or after repair_json(); NULL otherwise. */
static JsonNode *
parse_block_json (const char *text)
{
  g_autofree char *repaired = NULL;
  JsonNode *node;

  if ((node = parse_object (text)) != NULL)
    return node;

  repaired = repair_json (text);

  return parse_object (repaired);
}

/* Exact, then case-insensitive, then normalised ("mcp__", separators).
 * Explicit action blocks may also use a well-known alias ("bash",
 * "read_file", "edit"…), but only when exactly one known tool is of that
 * kind: "search" must not pick one of Glob and Grep at random. */
static const LpToolDef *
resolve_tool (Parser     *self,
              const char *name,
              gboolean    allow_alias)
{
  g_autofree char *key = lp_tool_normalize_name (name);
  const LpToolDef *match = NULL;
  LpToolKind kind;

  for (guint i = 0; i < self->known->len; i++)
    {
      const LpToolDef *tool = g_ptr_array_index (self->known, i);

      if (strcmp (tool->name, name) == 0)
        return tool;
    }

  for (guint i = 0; i < self->known->len; i++)
    {
      const LpToolDef *tool = g_ptr_array_index (self->known, i);

      if (g_ascii_strcasecmp (tool->name, name) == 0)
        return tool;
    }

  for (guint i = 0; i < self->known->len; i++)
    {
      const LpToolDef *tool = g_ptr_array_index (self->known, i);
      g_autofree char *tool_key = lp_tool_normalize_name (tool->name);

      if (*key && strcmp (tool_key, key) == 0)
        return tool;
    }

  if (!allow_alias || (kind = lp_tool_kind_for_name (name)) == LP_TOOL_KIND_OTHER)
    return NULL;

  for (guint i = 0; i < self->known->len; i++)
    {
      const LpToolDef *tool = g_ptr_array_index (self->known, i);

      if (lp_tool_kind_for_name (tool->name) != kind)
        continue;
      if (match != NULL)
        return NULL;
      match = tool;
    }

  return match;
}

static const char * const argument_keys[] = { "parameters", "arguments", "input" };

/* The arguments object: the first of "parameters", "arguments" and
 * "input" (a string holding an object is parsed), else every other
 * top-level member. NULL with a problem when the member is unusable. */
static JsonObject *
extract_arguments (Parser          *self,
                   const LpToolDef *tool,
                   JsonObject      *block)
{
  JsonObject *arguments;
  JsonObjectIter iter;
  const char *member;
  JsonNode *value;

  for (guint i = 0; i < G_N_ELEMENTS (argument_keys); i++)
    {
      JsonNode *node = json_object_get_member (block, argument_keys[i]);
      const char *string;

      if (node == NULL)
        continue;

      if (JSON_NODE_HOLDS_OBJECT (node))
        return json_object_ref (json_node_get_object (node));

      if (JSON_NODE_HOLDS_NULL (node))
        return json_object_new ();

      if ((string = lp_tool_json_string (node)) != NULL)
        {
          g_autoptr(JsonNode) parsed = parse_block_json (string);

          if (parsed != NULL)
            return json_object_ref (json_node_get_object (parsed));
        }

      add_problem (self, "%s: \"%s\" is not a JSON object", tool->name, argument_keys[i]);
      return NULL;
    }

  arguments = json_object_new ();
  json_object_iter_init_ordered (&iter, block);
  while (json_object_iter_next_ordered (&iter, &member, &value))
    {
      if (strcmp (member, "tool") != 0 && strcmp (member, "name") != 0 && strcmp (member, "id") != 0)
        json_object_set_member (arguments, member, json_node_copy (value));
    }

  return arguments;
}

static gboolean
is_type (JsonNode   *value,
         const char *type)
{
  GType value_type = JSON_NODE_HOLDS_VALUE (value) ? json_node_get_value_type (value) : G_TYPE_INVALID;

  if (strcmp (type, "string") == 0)
    return value_type == G_TYPE_STRING;
  if (strcmp (type, "integer") == 0)
    return value_type == G_TYPE_INT64;
  if (strcmp (type, "number") == 0)
    return value_type == G_TYPE_INT64 || value_type == G_TYPE_DOUBLE;
  if (strcmp (type, "boolean") == 0)
    return value_type == G_TYPE_BOOLEAN;
  if (strcmp (type, "array") == 0)
    return JSON_NODE_HOLDS_ARRAY (value);
  if (strcmp (type, "object") == 0)
    return JSON_NODE_HOLDS_OBJECT (value);
  if (strcmp (type, "null") == 0)
    return JSON_NODE_HOLDS_NULL (value);

  /* A type this checker does not know: the client will judge. */
  return TRUE;
}

/* Models quote numbers and booleans, write 5.0 for an integer, and
 * stringify nested arrays and objects; each is converted when the
 * result is unambiguous. NULL when @value cannot become @type. */
static JsonNode *
coerce (JsonNode   *value,
        const char *type)
{
  const char *string = lp_tool_json_string (value);

  if (strcmp (type, "integer") == 0)
    {
      gint64 number;

      if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_DOUBLE)
        {
          double d = json_node_get_double (value);

          if (d == floor (d) && fabs (d) < 9007199254740992.0)
            return json_node_init_int (json_node_alloc (), (gint64) d);
        }
      if (string != NULL && g_ascii_string_to_signed (string, 10, G_MININT64, G_MAXINT64, &number, NULL))
        return json_node_init_int (json_node_alloc (), number);
    }
  else if (strcmp (type, "number") == 0 && string != NULL && *string)
    {
      char *end = NULL;
      double d = g_ascii_strtod (string, &end);

      if (end != NULL && *end == '\0' && is_writable_double (d))
        return json_node_init_double (json_node_alloc (), d);
    }
  else if (strcmp (type, "boolean") == 0 && string != NULL)
    {
      if (strcmp (string, "true") == 0 || strcmp (string, "false") == 0)
        return json_node_init_boolean (json_node_alloc (), strcmp (string, "true") == 0);
    }
  else if ((strcmp (type, "array") == 0 || strcmp (type, "object") == 0) && string != NULL)
    {
      g_autofree char *wrapped = g_strdup_printf ("{\"v\":%s}", string);
      g_autoptr(JsonNode) parsed = parse_object (wrapped);
      JsonNode *inner = parsed ? json_object_get_member (json_node_get_object (parsed), "v") : NULL;

      if (inner != NULL && is_type (inner, type))
        return json_node_copy (inner);
    }

  return NULL;
}

/* @value checked against the property schema @property: a copy, possibly
 * converted, or NULL when it does not fit. */
static JsonNode *
check_value (JsonNode   *value,
             JsonObject *property)
{
  JsonNode *type = property ? json_object_get_member (property, "type") : NULL;
  g_autoptr(GPtrArray) types = g_ptr_array_new ();

  if (lp_tool_json_string (type) != NULL)
    g_ptr_array_add (types, (gpointer) lp_tool_json_string (type));
  else if (type != NULL && JSON_NODE_HOLDS_ARRAY (type))
    {
      JsonArray *list = json_node_get_array (type);

      for (guint i = 0; i < json_array_get_length (list); i++)
        {
          const char *name = lp_tool_json_string (json_array_get_element (list, i));

          if (name != NULL)
            g_ptr_array_add (types, (gpointer) name);
        }
    }

  if (types->len == 0)
    return json_node_copy (value);

  for (guint i = 0; i < types->len; i++)
    {
      if (is_type (value, g_ptr_array_index (types, i)))
        return json_node_copy (value);
    }

  for (guint i = 0; i < types->len; i++)
    {
      JsonNode *converted = coerce (value, g_ptr_array_index (types, i));

      if (converted != NULL)
        return converted;
    }

  return NULL;
}

static gboolean
is_required (JsonArray  *required,
             const char *name)
{
  for (guint i = 0; required != NULL && i < json_array_get_length (required); i++)
    {
      if (g_strcmp0 (lp_tool_json_string (json_array_get_element (required, i)), name) == 0)
        return TRUE;
    }

  return FALSE;
}

/* The arguments the client will accept: required members present, types
 * right (after coerce()), members the schema does not declare dropped
 * unless it allows extra ones. A null for a member that cannot be null
 * counts as absent. NULL with a problem otherwise. */
static JsonObject *
check_arguments (Parser          *self,
                 const LpToolDef *tool,
                 JsonObject      *arguments)
{
  JsonObject *schema = lp_tool_schema (tool);
  JsonObject *properties = lp_tool_schema_get_object (schema, "properties");
  JsonArray *required = lp_tool_schema_get_array (schema, "required");
  JsonNode *additional = schema ? json_object_get_member (schema, "additionalProperties") : NULL;
  gboolean allow_extra;
  g_autoptr(JsonObject) checked = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  if (schema == NULL)
    return json_object_ref (arguments);

  allow_extra = properties == NULL ||
                (additional != NULL && JSON_NODE_HOLDS_VALUE (additional) &&
                 json_node_get_value_type (additional) == G_TYPE_BOOLEAN &&
                 json_node_get_boolean (additional));

  json_object_iter_init_ordered (&iter, arguments);
  while (json_object_iter_next_ordered (&iter, &name, &value))
    {
      JsonObject *property = lp_tool_schema_get_object (properties, name);
      JsonNode *fitted;

      if (properties == NULL || !json_object_has_member (properties, name))
        {
          if (allow_extra || is_required (required, name))
            json_object_set_member (checked, name, json_node_copy (value));
          continue;
        }

      if ((fitted = check_value (value, property)) == NULL)
        {
          g_autoptr(GString) type = g_string_new (NULL);

          if (JSON_NODE_HOLDS_NULL (value))
            continue;

          lp_tool_append_type (type, property);
          add_problem (self, "%s: parameter \"%s\" must be %s", tool->name, name, type->str);
          return NULL;
        }

      json_object_set_member (checked, name, fitted);
    }

  for (guint i = 0; required != NULL && i < json_array_get_length (required); i++)
    {
      const char *required_name = lp_tool_json_string (json_array_get_element (required, i));

      if (required_name != NULL && !json_object_has_member (checked, required_name))
        {
          add_problem (self, "%s: missing required parameter \"%s\"", tool->name, required_name);
          return NULL;
        }
    }

  return g_steal_pointer (&checked);
}

/* The call @content describes, or NULL. Only explicit action blocks
 * report why they were not taken; a plain ```json block that is not a
 * call is just part of the answer. */
static LpToolCall *
parse_block (Parser     *self,
             BlockStyle  style,
             const char *content)
{
  g_autoptr(JsonNode) root = parse_block_json (content);
  g_autoptr(JsonObject) arguments = NULL;
  g_autoptr(JsonObject) checked = NULL;
  g_autofree char *name = NULL;
  g_autofree char *id = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *block;
  const LpToolDef *tool;
  gboolean has_arguments = FALSE;

  if (root == NULL)
    {
      if (style == BLOCK_ACTION)
        add_problem (self, "an action block is not one valid JSON object");
      return NULL;
    }

  block = json_node_get_object (root);
  for (guint i = 0; i < G_N_ELEMENTS (argument_keys); i++)
    has_arguments |= json_object_has_member (block, argument_keys[i]);

  if (lp_tool_json_string (json_object_get_member (block, "tool")) != NULL)
    name = g_strstrip (g_strdup (lp_tool_json_string (json_object_get_member (block, "tool"))));
  else if ((style == BLOCK_ACTION || has_arguments) &&
           lp_tool_json_string (json_object_get_member (block, "name")) != NULL)
    /* In a plain block a "name" alone is more likely data (package.json). */
    name = g_strstrip (g_strdup (lp_tool_json_string (json_object_get_member (block, "name"))));

  if (name == NULL || *name == '\0')
    {
      if (style == BLOCK_ACTION)
        add_problem (self, "an action block does not name a tool");
      return NULL;
    }

  if ((tool = resolve_tool (self, name, style == BLOCK_ACTION)) == NULL)
    {
      if (style == BLOCK_ACTION)
        add_problem (self, "unknown tool \"%s\"", name);
      return NULL;
    }

  if ((arguments = extract_arguments (self, tool, block)) == NULL ||
      (checked = check_arguments (self, tool, arguments)) == NULL)
    return NULL;

  id = lp_new_id (self->request->dialect == LP_DIALECT_OPENAI ? "call_" : "toolu_");
  node = json_node_init_object (json_node_alloc (), checked);

  return lp_tool_call_new (id, tool->name, node);
}

static void
found_clear (Found *found)
{
  g_clear_pointer (&found->call, lp_tool_call_free);
}

/* Appends @len bytes of @piece a blank line apart from what is already
 * there, without the white space around it, but keeping the indentation
 * of a piece that starts on a line of its own. */
static void
append_piece (GString    *text,
              const char *piece,
              gsize       len)
{
  const char *start = piece;
  const char *end = piece + len;
  const char *p;

  for (p = piece; p < end && g_ascii_isspace (*p); p++)
    {
      if (*p == '\n')
        start = p + 1;
    }
  if (start == piece)
    start = p;
  while (end > start && g_ascii_isspace (end[-1]))
    end--;

  if (end == start)
    return;

  if (text->len > 0)
    g_string_append (text, "\n\n");
  g_string_append_len (text, start, end - start);
}

LpToolParse *
lp_tool_parse_reply (const LpChatRequest *request,
                     const char          *reply)
{
  g_autoptr(GArray) found = NULL;
  g_autoptr(GPtrArray) known = NULL;
  g_autofree char *valid = NULL;
  g_autoptr(GString) text = NULL;
  Parser self = { 0 };
  LpToolParse *parse;
  const char *p;
  gsize pos = 0;

  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (reply != NULL, NULL);

  parse = g_new0 (LpToolParse, 1);
  parse->calls = g_ptr_array_new_with_free_func ((GDestroyNotify) lp_tool_call_free);

  /* Blocks are never calls when the client forbade tools (W24). */
  if (request->tool_choice == LP_TOOL_CHOICE_NONE || !lp_tools_active (request))
    {
      parse->text = g_strstrip (g_utf8_make_valid (reply, -1));
      return parse;
    }

  valid = g_utf8_make_valid (reply, -1);
  known = lp_tool_known_tools (request);
  found = g_array_new (FALSE, TRUE, sizeof (Found));
  g_array_set_clear_func (found, (GDestroyNotify) found_clear);
  self.request = request;
  self.known = known;
  self.problem = g_string_new (NULL);

  p = valid;
  while ((p = strstr (p, LP_TOOL_BLOCK_CLOSE)) != NULL)
    {
      const char *content = NULL;
      BlockStyle style = opening_style (p, &content);
      const char *closing;
      g_autofree char *body = NULL;
      Found block = { 0 };

      if (style == BLOCK_NONE)
        {
          p += strlen (LP_TOOL_BLOCK_CLOSE);
          continue;
        }

      if ((closing = find_closing (content)) == NULL)
        {
          if (style == BLOCK_ACTION)
            add_problem (&self, "an action block is not closed with " LP_TOOL_BLOCK_CLOSE);
          p = content;
          continue;
        }

      body = g_strndup (content, closing - content);
      block.start = p - valid;
      block.end = closing + strlen (LP_TOOL_BLOCK_CLOSE) - valid;
      block.call = parse_block (&self, style, body);
      if (block.call != NULL)
        g_array_append_val (found, block);

      p = valid + block.end;
    }

  text = g_string_new (NULL);
  for (guint i = 0; i < found->len; i++)
    {
      Found *block = &g_array_index (found, Found, i);

      append_piece (text, valid + pos, block->start - pos);
      pos = block->end;

      /* With parallel calls disabled the first call wins; the others'
       * blocks still leave the text, or the client would see them. */
      if (i == 0 || request->parallel_tool_calls)
        g_ptr_array_add (parse->calls, g_steal_pointer (&block->call));
    }
  append_piece (text, valid + pos, strlen (valid) - pos);

  parse->text = g_strstrip (g_string_free (g_steal_pointer (&text), FALSE));
  if (self.problem->len > 0)
    parse->problem = g_string_free (self.problem, FALSE);
  else
    g_string_free (self.problem, TRUE);

  return parse;
}
