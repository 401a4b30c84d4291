/* lp-tool-contract.c
 *
 * The prompt side of the tool emulation: the contract that teaches the
 * model the action-block format and lists the client's tools, and the
 * projection of earlier calls and results back into text.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lp-tool-contract"

#include "config.h"

#include <string.h>

#include "lp-tool-private.h"

/* Claude Code sends about 25 tools with descriptions of several
 * kilobytes; one short line each keeps the contract readable. */
#define DESCRIPTION_MAX_CHARS 200

static const struct
{
  const char *name;  /* normalised */
  LpToolKind  kind;
} kind_table[] = {
  { "bash", LP_TOOL_KIND_SHELL },
  { "shell", LP_TOOL_KIND_SHELL },
  { "terminal", LP_TOOL_KIND_SHELL },
  { "runcommand", LP_TOOL_KIND_SHELL },
  { "executecommand", LP_TOOL_KIND_SHELL },
  { "runshellcommand", LP_TOOL_KIND_SHELL },
  { "runterminalcommand", LP_TOOL_KIND_SHELL },
  { "exec", LP_TOOL_KIND_SHELL },
  { "command", LP_TOOL_KIND_SHELL },
  { "powershell", LP_TOOL_KIND_SHELL },
  { "cmd", LP_TOOL_KIND_SHELL },
  { "read", LP_TOOL_KIND_READ },
  { "readfile", LP_TOOL_KIND_READ },
  { "openfile", LP_TOOL_KIND_READ },
  { "viewfile", LP_TOOL_KIND_READ },
  { "loadfile", LP_TOOL_KIND_READ },
  { "cat", LP_TOOL_KIND_READ },
  { "grep", LP_TOOL_KIND_SEARCH },
  { "glob", LP_TOOL_KIND_SEARCH },
  { "find", LP_TOOL_KIND_SEARCH },
  { "ls", LP_TOOL_KIND_SEARCH },
  { "listfiles", LP_TOOL_KIND_SEARCH },
  { "listdir", LP_TOOL_KIND_SEARCH },
  { "search", LP_TOOL_KIND_SEARCH },
  { "searchfile", LP_TOOL_KIND_SEARCH },
  { "searchfiles", LP_TOOL_KIND_SEARCH },
  { "edit", LP_TOOL_KIND_EDIT },
  { "multiedit", LP_TOOL_KIND_EDIT },
  { "editfile", LP_TOOL_KIND_EDIT },
  { "patch", LP_TOOL_KIND_EDIT },
  { "patchfile", LP_TOOL_KIND_EDIT },
  { "applypatch", LP_TOOL_KIND_EDIT },
  { "writepatch", LP_TOOL_KIND_EDIT },
  { "modifyfile", LP_TOOL_KIND_EDIT },
  { "strreplace", LP_TOOL_KIND_EDIT },
  { "write", LP_TOOL_KIND_WRITE },
  { "writefile", LP_TOOL_KIND_WRITE },
  { "createfile", LP_TOOL_KIND_WRITE },
  { "savefile", LP_TOOL_KIND_WRITE },
  { "websearch", LP_TOOL_KIND_WEB_SEARCH },
  { "searchweb", LP_TOOL_KIND_WEB_SEARCH },
  { "internetsearch", LP_TOOL_KIND_WEB_SEARCH },
  { "googlesearch", LP_TOOL_KIND_WEB_SEARCH },
  { "webfetch", LP_TOOL_KIND_WEB_FETCH },
  { "fetch", LP_TOOL_KIND_WEB_FETCH },
  { "fetchurl", LP_TOOL_KIND_WEB_FETCH },
  { "webextract", LP_TOOL_KIND_WEB_FETCH },
  { "openurl", LP_TOOL_KIND_WEB_FETCH },
  { "readurl", LP_TOOL_KIND_WEB_FETCH },
};

/* The routing guide, in the order it is printed. */
static const struct
{
  LpToolKind  kind;
  const char *purpose;
} routes[] = {
  { LP_TOOL_KIND_READ, "read a file" },
  { LP_TOOL_KIND_SEARCH, "find files or search their contents" },
  { LP_TOOL_KIND_EDIT, "change part of an existing file" },
  { LP_TOOL_KIND_WRITE, "create or overwrite a file" },
  { LP_TOOL_KIND_SHELL, "run shell commands, builds and tests" },
  { LP_TOOL_KIND_WEB_SEARCH, "look up current information on the web" },
  { LP_TOOL_KIND_WEB_FETCH, "fetch a web page" },
};

char *
lp_tool_normalize_name (const char *name)
{
  g_autofree char *lower = NULL;
  const char *p;
  GString *out;

  g_return_val_if_fail (name != NULL, NULL);

  lower = g_ascii_strdown (name, -1);
  p = lower;
  if (g_str_has_prefix (p, "mcp__"))
    p += 5;
  else if (g_str_has_prefix (p, "mcp_") || g_str_has_prefix (p, "mcp-"))
    p += 4;

  out = g_string_new (NULL);
  for (; *p; p++)
    {
      if (*p != '-' && *p != '_' && *p != ' ' && *p != '.')
        g_string_append_c (out, *p);
    }

  return g_string_free (out, FALSE);
}

LpToolKind
lp_tool_kind_for_name (const char *name)
{
  g_autofree char *key = NULL;

  g_return_val_if_fail (name != NULL, LP_TOOL_KIND_OTHER);

  key = lp_tool_normalize_name (name);
  for (guint i = 0; i < G_N_ELEMENTS (kind_table); i++)
    {
      if (strcmp (kind_table[i].name, key) == 0)
        return kind_table[i].kind;
    }

  return LP_TOOL_KIND_OTHER;
}

GPtrArray *
lp_tool_known_tools (const LpChatRequest *request)
{
  GPtrArray *known;

  g_return_val_if_fail (request != NULL, NULL);

  known = g_ptr_array_new_with_free_func ((GDestroyNotify) lp_tool_def_free);

  if (request->tools->len > 0)
    {
      for (guint i = 0; i < request->tools->len; i++)
        {
          const LpToolDef *tool = g_ptr_array_index (request->tools, i);

          g_ptr_array_add (known, lp_tool_def_new (tool->name, tool->description, tool->input_schema));
        }

      return known;
    }

  for (guint i = 0; i < request->messages->len; i++)
    {
      const LpMessage *message = g_ptr_array_index (request->messages, i);

      for (guint j = 0; j < message->tool_calls->len; j++)
        {
          const LpToolCall *call = g_ptr_array_index (message->tool_calls, j);
          gboolean seen = FALSE;

          for (guint k = 0; k < known->len && !seen; k++)
            seen = strcmp (((LpToolDef *) g_ptr_array_index (known, k))->name, call->name) == 0;

          if (!seen && *call->name)
            g_ptr_array_add (known, lp_tool_def_new (call->name, "", NULL));
        }
    }

  return known;
}

gboolean
lp_tools_active (const LpChatRequest *request)
{
  g_return_val_if_fail (request != NULL, FALSE);

  return request->tools->len > 0 || lp_chat_request_has_tool_history (request);
}

JsonObject *
lp_tool_schema (const LpToolDef *tool)
{
  g_return_val_if_fail (tool != NULL, NULL);

  if (tool->input_schema == NULL || !JSON_NODE_HOLDS_OBJECT (tool->input_schema))
    return NULL;

  return json_node_get_object (tool->input_schema);
}

JsonObject *
lp_tool_schema_get_object (JsonObject *object,
                           const char *member)
{
  JsonNode *node;

  if (object == NULL || (node = json_object_get_member (object, member)) == NULL)
    return NULL;

  return JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

JsonArray *
lp_tool_schema_get_array (JsonObject *object,
                          const char *member)
{
  JsonNode *node;

  if (object == NULL || (node = json_object_get_member (object, member)) == NULL)
    return NULL;

  return JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

const char *
lp_tool_json_string (JsonNode *node)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;

  return json_node_get_string (node);
}

void
lp_tool_append_type (GString    *out,
                     JsonObject *property)
{
  JsonArray *values = lp_tool_schema_get_array (property, "enum");
  JsonNode *type;

  if (values != NULL && json_array_get_length (values) > 0)
    {
      for (guint i = 0; i < json_array_get_length (values); i++)
        {
          g_autofree char *value = json_to_string (json_array_get_element (values, i), FALSE);

          g_string_append_printf (out, "%s%s", i ? "|" : "", value);
        }
      return;
    }

  type = property ? json_object_get_member (property, "type") : NULL;
  if (lp_tool_json_string (type) != NULL)
    {
      g_string_append (out, lp_tool_json_string (type));
      return;
    }

  if (type != NULL && JSON_NODE_HOLDS_ARRAY (type))
    {
      JsonArray *types = json_node_get_array (type);
      guint appended = 0;

      for (guint i = 0; i < json_array_get_length (types); i++)
        {
          const char *name = lp_tool_json_string (json_array_get_element (types, i));

          if (name != NULL)
            g_string_append_printf (out, "%s%s", appended++ ? "|" : "", name);
        }
      if (appended > 0)
        return;
    }

  g_string_append (out, "any");
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* Required parameters in `required` order, then the optional ones sorted,
 * so the line never depends on hash or insertion order. */
static void
append_signature (GString         *out,
                  const LpToolDef *tool)
{
  JsonObject *schema = lp_tool_schema (tool);
  JsonObject *properties = lp_tool_schema_get_object (schema, "properties");
  JsonArray *required = lp_tool_schema_get_array (schema, "required");
  g_autoptr(GPtrArray) optional = g_ptr_array_new ();
  g_autoptr(GHashTable) listed = g_hash_table_new (g_str_hash, g_str_equal);
  guint n = 0;

  for (guint i = 0; required != NULL && i < json_array_get_length (required); i++)
    {
      const char *name = lp_tool_json_string (json_array_get_element (required, i));

      if (name == NULL || !g_hash_table_add (listed, (gpointer) name))
        continue;

      g_string_append_printf (out, "%s%s: ", n++ ? ", " : "", name);
      lp_tool_append_type (out, lp_tool_schema_get_object (properties, name));
    }

  if (properties != NULL)
    {
      JsonObjectIter iter;
      const char *name;

      json_object_iter_init_ordered (&iter, properties);
      while (json_object_iter_next_ordered (&iter, &name, NULL))
        {
          if (!g_hash_table_contains (listed, name))
            g_ptr_array_add (optional, (gpointer) name);
        }
    }
  g_ptr_array_sort (optional, compare_strings);

  for (guint i = 0; i < optional->len; i++)
    {
      const char *name = g_ptr_array_index (optional, i);

      g_string_append_printf (out, "%s%s?: ", n++ ? ", " : "", name);
      lp_tool_append_type (out, lp_tool_schema_get_object (properties, name));
    }
}

static gboolean
is_description_space (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* One line: white space collapsed, cut at a word boundary. Descriptions
 * run to kilobytes (Claude Code's do), so only what is kept is scanned. */
static char *
short_description (const char *description)
{
  GString *out = g_string_new (NULL);
  const char *p = description;
  glong chars = 0;

  while (*p != '\0')
    {
      const char *word;
      glong word_chars;
      gsize bytes;

      while (is_description_space (*p))
        p++;
      if (*p == '\0')
        break;

      word = p;
      while (*p != '\0' && !is_description_space (*p))
        p++;
      bytes = p - word;

      /* A list bullet opening the description. */
      if (out->len == 0 && bytes == 1 && (*word == '-' || *word == '*'))
        continue;

      word_chars = g_utf8_strlen (word, bytes);
      if (chars + (out->len ? 1 : 0) + word_chars > DESCRIPTION_MAX_CHARS)
        {
          if (out->len == 0)
            {
              /* One word longer than the limit: cut inside it. */
              const char *end = g_utf8_offset_to_pointer (word, DESCRIPTION_MAX_CHARS);

              g_string_append_len (out, word, end - word);
            }
          g_string_append (out, "…");
          break;
        }

      if (out->len)
        {
          g_string_append_c (out, ' ');
          chars++;
        }
      g_string_append_len (out, word, bytes);
      chars += word_chars;
    }

  return g_string_free (out, FALSE);
}

static void
append_tool_line (GString         *out,
                  const LpToolDef *tool)
{
  g_autofree char *description = short_description (tool->description);

  g_string_append_printf (out, "- %s(", tool->name);
  append_signature (out, tool);
  g_string_append_c (out, ')');
  if (*description)
    g_string_append_printf (out, " - %s", description);
  g_string_append_c (out, '\n');
}

static void
append_routes (GString         *out,
               const GPtrArray *tools)
{
  gboolean any = FALSE;

  for (guint r = 0; r < G_N_ELEMENTS (routes); r++)
    {
      guint n = 0;

      for (guint i = 0; i < tools->len; i++)
        {
          const LpToolDef *tool = g_ptr_array_index (tools, i);

          if (lp_tool_kind_for_name (tool->name) != routes[r].kind)
            continue;

          if (!any)
            g_string_append (out, "\nWhich tool for which job:\n");
          if (n++ == 0)
            g_string_append_printf (out, "- %s: %s", routes[r].purpose, tool->name);
          else
            g_string_append_printf (out, ", %s", tool->name);
          any = TRUE;
        }

      if (n > 0)
        g_string_append_c (out, '\n');
    }
}

static JsonNode *
example_value (const char *key,
               JsonObject *property)
{
  JsonArray *values = lp_tool_schema_get_array (property, "enum");
  g_autofree char *lower = g_ascii_strdown (key, -1);
  JsonNode *type = property ? json_object_get_member (property, "type") : NULL;
  const char *type_name = NULL;

  if (values != NULL && json_array_get_length (values) > 0)
    return json_node_copy (json_array_get_element (values, 0));

  if (type != NULL && JSON_NODE_HOLDS_ARRAY (type) && json_array_get_length (json_node_get_array (type)) > 0)
    type_name = lp_tool_json_string (json_array_get_element (json_node_get_array (type), 0));
  else
    type_name = lp_tool_json_string (type);

  if (g_strcmp0 (type_name, "integer") == 0 || g_strcmp0 (type_name, "number") == 0)
    return json_node_init_int (json_node_alloc (), 1);
  if (g_strcmp0 (type_name, "boolean") == 0)
    return json_node_init_boolean (json_node_alloc (), TRUE);
  if (g_strcmp0 (type_name, "array") == 0)
    {
      g_autoptr(JsonArray) empty = json_array_new ();
      return json_node_init_array (json_node_alloc (), empty);
    }
  if (g_strcmp0 (type_name, "object") == 0)
    {
      g_autoptr(JsonObject) empty = json_object_new ();
      return json_node_init_object (json_node_alloc (), empty);
    }

  if (strstr (lower, "path") != NULL || strstr (lower, "file") != NULL)
    return json_node_init_string (json_node_alloc (), "/path/to/file");
  if (strstr (lower, "command") != NULL || strcmp (lower, "cmd") == 0)
    return json_node_init_string (json_node_alloc (), "ls");
  if (strstr (lower, "url") != NULL)
    return json_node_init_string (json_node_alloc (), "https://example.com");
  if (strstr (lower, "pattern") != NULL)
    return json_node_init_string (json_node_alloc (), "TODO");
  if (strstr (lower, "query") != NULL)
    return json_node_init_string (json_node_alloc (), "release notes");

  return json_node_init_string (json_node_alloc (), "value");
}

/* An example call with every required parameter of @tool. */
static void
append_example (GString         *out,
                const LpToolDef *tool)
{
  JsonObject *schema = lp_tool_schema (tool);
  JsonObject *properties = lp_tool_schema_get_object (schema, "properties");
  JsonArray *required = lp_tool_schema_get_array (schema, "required");
  g_autoptr(JsonObject) parameters = json_object_new ();
  g_autoptr(JsonObject) call = json_object_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;

  for (guint i = 0; required != NULL && i < json_array_get_length (required); i++)
    {
      const char *name = lp_tool_json_string (json_array_get_element (required, i));

      if (name != NULL && !json_object_has_member (parameters, name))
        json_object_set_member (parameters, name,
                                example_value (name, lp_tool_schema_get_object (properties, name)));
    }

  json_object_set_string_member (call, "tool", tool->name);
  json_object_set_object_member (call, "parameters", g_steal_pointer (&parameters));
  root = json_node_init_object (json_node_alloc (), call);
  json = json_to_string (root, FALSE);

  g_string_append_printf (out, LP_TOOL_BLOCK_OPEN "\n%s\n" LP_TOOL_BLOCK_CLOSE "\n", json);
}

static const LpToolDef *
first_of_kind (const GPtrArray *tools,
               LpToolKind       kind)
{
  for (guint i = 0; i < tools->len; i++)
    {
      const LpToolDef *tool = g_ptr_array_index (tools, i);

      if (lp_tool_kind_for_name (tool->name) == kind)
        return tool;
    }

  return NULL;
}

static void
append_examples (GString         *out,
                 const GPtrArray *tools)
{
  const LpToolDef *read = first_of_kind (tools, LP_TOOL_KIND_READ);
  const LpToolDef *shell = first_of_kind (tools, LP_TOOL_KIND_SHELL);

  g_string_append (out, "\nExamples (the syntax only; do not run them unless the task needs it):\n");
  if (read == NULL && shell == NULL)
    append_example (out, g_ptr_array_index (tools, 0));
  if (read != NULL)
    append_example (out, read);
  if (shell != NULL)
    append_example (out, shell);
}

static gboolean
has_coding_tools (const GPtrArray *tools)
{
  for (guint i = 0; i < tools->len; i++)
    {
      switch (lp_tool_kind_for_name (((const LpToolDef *) g_ptr_array_index (tools, i))->name))
        {
        case LP_TOOL_KIND_SHELL:
        case LP_TOOL_KIND_READ:
        case LP_TOOL_KIND_SEARCH:
        case LP_TOOL_KIND_EDIT:
        case LP_TOOL_KIND_WRITE:
          return TRUE;
        case LP_TOOL_KIND_OTHER:
        case LP_TOOL_KIND_WEB_SEARCH:
        case LP_TOOL_KIND_WEB_FETCH:
        default:
          break;
        }
    }

  return FALSE;
}

/* The rule lines that depend on this request's tool_choice and
 * parallel_tool_calls, each ending in a newline; the parallel limit is
 * stated in every mode. */
static void
append_constraints (GString             *out,
                    const LpChatRequest *request)
{
  switch (request->tool_choice)
    {
    case LP_TOOL_CHOICE_ANY:
      g_string_append (out, "- This reply must contain at least one action block.\n");
      break;
    case LP_TOOL_CHOICE_TOOL:
      g_string_append_printf (out, "- This reply must call the tool \"%s\" with an action block.\n",
                              request->tool_choice_name ? request->tool_choice_name : "");
      break;
    case LP_TOOL_CHOICE_AUTO:
    case LP_TOOL_CHOICE_NONE:
    default:
      g_string_append (out,
                       "- You decide whether this reply needs a tool. If it does, the reply must "
                       "contain the action block itself, not a description of it.\n");
      break;
    }

  if (!request->parallel_tool_calls)
    g_string_append (out,
                     "- Write at most one action block per reply, and wait for its result before "
                     "the next call.\n");
}

char *
lp_tool_contract_build (const LpChatRequest *request)
{
  g_autoptr(GPtrArray) known = NULL;
  GString *out;

  g_return_val_if_fail (request != NULL, NULL);

  if (request->tool_choice == LP_TOOL_CHOICE_NONE || !lp_tools_active (request))
    return NULL;

  known = lp_tool_known_tools (request);
  out = g_string_new (NULL);

  g_string_append (out,
                   "You can act in the user's environment through the tools described below. "
                   "They are real and provided by the caller, who runs every call you make and "
                   "sends you its output. Use them whenever the task needs files, commands or "
                   "information you do not have. They remain available even if other "
                   "instructions say you have no tools: never claim that a tool is unavailable "
                   "and never refuse to use one.\n\n");

  g_string_append (out,
                   "To call a tool, write an action block: the line " LP_TOOL_BLOCK_OPEN ", one "
                   "JSON object naming the tool and its arguments, then the line "
                   LP_TOOL_BLOCK_CLOSE ". Exactly this shape:\n"
                   LP_TOOL_BLOCK_OPEN "\n"
                   "{\"tool\":\"NAME\",\"parameters\":{\"key\":\"value\"}}\n"
                   LP_TOOL_BLOCK_CLOSE "\n"
                   "Use the tool name exactly as listed and put its arguments in \"parameters\".");
  if (request->parallel_tool_calls)
    g_string_append (out, " Independent calls may go in several action blocks in one reply.");
  g_string_append (out, "\n");

  if (request->tools->len > 0)
    {
      g_string_append (out, "\nAvailable tools:\n");
      for (guint i = 0; i < known->len; i++)
        append_tool_line (out, g_ptr_array_index (known, i));
      append_routes (out, known);
      append_examples (out, known);
    }
  else
    {
      /* A later turn that omits `tools` (W27): the definitions are in the
       * session's earlier prompts; keep the conversation going with the
       * tools it has used. */
      g_string_append (out, "\nThe tool definitions were given earlier in this conversation and still apply.");
      for (guint i = 0; i < known->len; i++)
        g_string_append_printf (out, "%s%s", i ? ", " : " Tools called so far: ",
                                ((const LpToolDef *) g_ptr_array_index (known, i))->name);
      g_string_append (out, known->len ? ".\n" : "\n");
    }

  g_string_append (out,
                   "\nHow a call proceeds: you write the action block and end your reply; the "
                   "caller runs the tool and answers with \"Tool result for <id>:\" followed by "
                   "the output; you then write the next action block, or the final answer once "
                   "you have what you need. Wait for a result before any call that depends on "
                   "it. When no tool is needed, answer in plain text without an action block.\n");

  if (has_coding_tools (known))
    g_string_append (out,
                     "\nWorking on code:\n"
                     "- Read the relevant files before changing them.\n"
                     "- Find facts with the tools instead of asking the user; ask only for "
                     "decisions that are the user's to make.\n"
                     "- Make the smallest change that does what was asked, in the style of the "
                     "surrounding code.\n"
                     "- After a change, run the narrowest check that shows it works.\n");

  g_string_append (out,
                   "\nRules:\n"
                   "- Never ask the user to run a command, paste a file or open a page when a "
                   "tool can do it.\n"
                   "- Never describe a call you are about to make: write its action block.\n");

  append_constraints (out, request);
  g_string_truncate (out, out->len - 1);

  return g_string_free (out, FALSE);
}

char *
lp_tool_contract_reminder (const LpChatRequest *request)
{
  GString *out;

  g_return_val_if_fail (request != NULL, NULL);

  if (request->tool_choice == LP_TOOL_CHOICE_NONE || !lp_tools_active (request))
    return NULL;

  out = g_string_new ("Call tools with action blocks (" LP_TOOL_BLOCK_OPEN ", one JSON object, "
                      LP_TOOL_BLOCK_CLOSE ") as described earlier in this conversation.\n");
  append_constraints (out, request);
  g_string_truncate (out, out->len - 1);

  return g_string_free (out, FALSE);
}

static char *
format_call (const LpToolCall *call)
{
  g_autoptr(JsonObject) object = json_object_new ();
  g_autoptr(JsonNode) root = NULL;

  json_object_set_string_member (object, "tool", call->name);
  if (call->id != NULL && *call->id)
    json_object_set_string_member (object, "id", call->id);
  json_object_set_member (object, "parameters", json_node_copy (call->arguments));
  root = json_node_init_object (json_node_alloc (), object);

  return json_to_string (root, FALSE);
}

char *
lp_tool_project_assistant_turn (const LpMessage *message)
{
  GString *out;

  g_return_val_if_fail (message != NULL, NULL);

  out = g_string_new (message->text);
  for (guint i = 0; i < message->tool_calls->len; i++)
    {
      g_autofree char *json = format_call (g_ptr_array_index (message->tool_calls, i));

      if (out->len > 0)
        g_string_append (out, "\n\n");
      g_string_append_printf (out, LP_TOOL_BLOCK_OPEN "\n%s\n" LP_TOOL_BLOCK_CLOSE, json);
    }

  return g_string_free (out, FALSE);
}

char *
lp_tool_project_result (const LpMessage *message)
{
  g_return_val_if_fail (message != NULL, NULL);
  g_return_val_if_fail (message->role == LP_ROLE_TOOL_RESULT, NULL);

  /* Empty and failed results are reported too: dropping them leaves the
   * model waiting for an answer that never comes (W27). */
  return g_strdup_printf ("Tool %s%s%s:\n%s\n\n"
                          "Continue with the next action block, or give the final answer if "
                          "nothing else is needed.",
                          message->tool_is_error ? "error" : "result",
                          message->tool_call_id && *message->tool_call_id ? " for " : "",
                          message->tool_call_id && *message->tool_call_id ? message->tool_call_id : "",
                          *message->text ? message->text : "(no output)");
}
