/* sim-tools.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lingma-sim"

#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "sim-request.h"
#include "sim-tools.h"

#define TOOL_LIST_HEADER   "Available tools:"
#define RESULT_QUOTE_CHARS 500
#define UNDECLARED_TOOL    "sim_unknown_tool"

typedef struct
{
  char     *name;
  char     *type;      /* lower case; "" when the signature gives none */
  gboolean  optional;
} SimToolParam;

typedef struct
{
  char      *name;
  char      *description;
  GPtrArray *params;   /* (element-type SimToolParam) */
} SimTool;

/* What the contract's rules say about calling tools in this reply. */
typedef enum
{
  SIM_CHOICE_AUTO,     /* a call only when the request needs one */
  SIM_CHOICE_ANY,      /* "This reply must contain at least one action block." */
  SIM_CHOICE_TOOL,     /* "This reply must call the tool "NAME" with an action block." */
} SimChoice;

struct _SimContract
{
  GPtrArray *tools;        /* (element-type SimTool) */
  gsize      offset;       /* of the tool list: the transcript ends before it */
  SimChoice  choice;
  char      *forced_name;  /* for SIM_CHOICE_TOOL */
};

/* What a request asks for, and the words that tell which tool does it. */
typedef struct
{
  const char * const verbs[16];
  const char * const tool_words[8];
} Intent;

static const Intent intents[] = {
  { { "read", "show", "cat", "open", "view", "display", "print", "look", "contents",
      "读取", "查看", "打开", NULL },
    { "read", "view", "cat", "open", "file", NULL } },
  { { "write", "create", "save", "put", "store", "overwrite", "append", "edit",
      "写入", "创建", "保存", NULL },
    { "write", "create", "save", "edit", "patch", "file", NULL } },
  { { "run", "execute", "exec", "list", "ls", "launch", "start", "check", "运行", "执行",
      "列出", NULL },
    { "bash", "shell", "terminal", "command", "exec", "run", "cmd", NULL } },
  { { "search", "find", "grep", "locate", "搜索", "查找", NULL },
    { "search", "grep", "find", "glob", NULL } },
  { { "fetch", "download", "browse", "visit", "url", "website", "获取", NULL },
    { "fetch", "web", "url", "http", "browse", "extract", NULL } },
};

static void
sim_tool_param_free (SimToolParam *param)
{
  g_free (param->name);
  g_free (param->type);
  g_free (param);
}

static void
sim_tool_free (SimTool *tool)
{
  g_free (tool->name);
  g_free (tool->description);
  g_ptr_array_unref (tool->params);
  g_free (tool);
}

static gboolean
is_name_char (char c)
{
  return g_ascii_isalnum (c) || c == '_' || c == '-' || c == '.' || c == ':' || c == '$';
}

static SimToolParam *
parse_param (char *item)
{
  SimToolParam *param;
  char *q = item;

  while (is_name_char (*q) && *q != ':')
    q++;
  if (q == item)
    return NULL;

  param = g_new0 (SimToolParam, 1);
  param->name = g_strndup (item, q - item);
  if (*q == '?')
    {
      param->optional = TRUE;
      q++;
    }
  while (*q == ' ')
    q++;
  param->type = g_ascii_strdown (*q == ':' ? g_strstrip (q + 1) : "", -1);
  if (strstr (param->type, "optional") != NULL)
    param->optional = TRUE;

  return param;
}

/* Splits @sig on commas outside brackets and quotes. */
static GPtrArray *
parse_params (const char *sig)
{
  GPtrArray *params = g_ptr_array_new_with_free_func ((GDestroyNotify) sim_tool_param_free);
  const char *start = sig;
  int depth = 0;
  char quote = 0;

  for (const char *p = sig;; p++)
    {
      if (quote != 0 && *p != '\0')
        {
          if (*p == quote)
            quote = 0;
          continue;
        }

      if (*p == '"' || *p == '\'')
        quote = *p;
      else if (*p == '(' || *p == '[' || *p == '{' || *p == '<')
        depth++;
      else if ((*p == ')' || *p == ']' || *p == '}' || *p == '>') && depth > 0)
        depth--;
      else if ((*p == ',' && depth == 0) || *p == '\0')
        {
          g_autofree char *item = g_strstrip (g_strndup (start, p - start));
          SimToolParam *param = parse_param (item);

          if (param != NULL)
            g_ptr_array_add (params, param);
          if (*p == '\0')
            break;
          start = p + 1;
        }
    }

  return params;
}

/* One tool line: `[- ]NAME(SIG)[ - description]`. */
static SimTool *
parse_tool_line (const char *line)
{
  g_autofree char *sig = NULL;
  const char *p = line;
  const char *name_start;
  const char *name_end;
  const char *sig_start;
  SimTool *tool;
  int depth = 1;

  while (*p == ' ' || *p == '\t')
    p++;
  if ((*p == '-' || *p == '*') && p[1] == ' ')
    p += 2;
  while (*p == ' ')
    p++;

  name_start = p;
  while (is_name_char (*p))
    p++;
  if (p == name_start || *p != '(')
    return NULL;
  name_end = p;

  sig_start = ++p;
  for (; *p != '\0' && depth > 0; p++)
    {
      if (*p == '(')
        depth++;
      else if (*p == ')')
        depth--;
    }
  if (depth != 0)
    return NULL;
  sig = g_strndup (sig_start, p - 1 - sig_start);

  while (*p == ' ' || *p == '-' || *p == ':' || *p == '\t')
    p++;
  if (g_str_has_prefix (p, "—"))
    p += strlen ("—");

  tool = g_new0 (SimTool, 1);
  tool->name = g_strndup (name_start, name_end - name_start);
  tool->params = parse_params (sig);
  tool->description = g_strstrip (g_strdup (p));

  return tool;
}

static GPtrArray *
parse_tool_list (const char *list)
{
  GPtrArray *tools = g_ptr_array_new_with_free_func ((GDestroyNotify) sim_tool_free);
  g_auto(GStrv) lines = g_strsplit (list, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      SimTool *tool;

      g_strchomp (lines[i]);
      /* The header line itself, unless tools follow it on the same line. */
      if (i == 0 && *lines[i] == '\0')
        continue;

      if ((tool = parse_tool_line (lines[i])) == NULL)
        break;
      g_ptr_array_add (tools, tool);
    }

  return tools;
}

#define RULE_CALL_TOOL "this reply must call the tool "
#define RULE_ANY_BLOCK "this reply must contain at least one action block"

/* The tool name after RULE_CALL_TOOL: quoted ("NAME", 'NAME', `NAME`) or
 * bare. */
static char *
parse_forced_name (const char *p)
{
  const char *start = p;
  const char *end;

  if (*p == '"' || *p == '\'' || *p == '`')
    {
      start = p + 1;
      end = strchr (start, *p);
    }
  else
    {
      end = start;
      while (is_name_char (*end) && *end != ':')
        end++;
      /* "… the tool NAME." */
      while (end > start && end[-1] == '.')
        end--;
    }

  if (end == NULL || end == start)
    return NULL;

  return g_strndup (start, end - start);
}

/* The tool_choice rule among the lines of @rules ("- This reply must …",
 * in any case, perhaps followed by more words); the last one wins. */
static void
parse_choice (SimContract *self,
              const char  *rules)
{
  g_auto(GStrv) lines = g_strsplit (rules, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *line = lines[i];

      while (*line == ' ' || *line == '\t')
        line++;
      if ((*line == '-' || *line == '*') && line[1] == ' ')
        line += 2;
      while (*line == ' ')
        line++;

      if (g_ascii_strncasecmp (line, RULE_CALL_TOOL, strlen (RULE_CALL_TOOL)) == 0)
        {
          char *name = parse_forced_name (line + strlen (RULE_CALL_TOOL));

          if (name == NULL)
            continue;
          g_free (self->forced_name);
          self->forced_name = name;
          self->choice = SIM_CHOICE_TOOL;
        }
      else if (g_ascii_strncasecmp (line, RULE_ANY_BLOCK, strlen (RULE_ANY_BLOCK)) == 0)
        {
          g_clear_pointer (&self->forced_name, g_free);
          self->choice = SIM_CHOICE_ANY;
        }
    }
}

/**
 * sim_contract_parse:
 *
 * Returns: (nullable): the contract, or %NULL when the prompt does not
 *   describe the action-block format together with a tool list.
 */
SimContract *
sim_contract_parse (const char *prompt)
{
  SimContract *self = NULL;

  g_return_val_if_fail (prompt != NULL, NULL);

  if (strstr (prompt, SIM_ACTION_FENCE) == NULL)
    return NULL;

  /* The list is a line of its own, and the last one wins: the rules may
   * mention the phrase, and a transcript may quote an older contract. */
  for (const char *header = strstr (prompt, TOOL_LIST_HEADER);
       header != NULL;
       header = strstr (header + 1, TOOL_LIST_HEADER))
    {
      g_autoptr(GPtrArray) tools = NULL;

      if (header != prompt && header[-1] != '\n')
        continue;

      tools = parse_tool_list (header + strlen (TOOL_LIST_HEADER));
      if (tools->len == 0)
        continue;

      if (self == NULL)
        self = g_new0 (SimContract, 1);
      g_clear_pointer (&self->tools, g_ptr_array_unref);
      self->tools = g_steal_pointer (&tools);
      self->offset = header - prompt;
    }

  /* The rules follow the tool list. */
  if (self != NULL)
    parse_choice (self, prompt + self->offset);

  return self;
}

void
sim_contract_free (SimContract *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->tools, g_ptr_array_unref);
  g_free (self->forced_name);
  g_free (self);
}

gsize
sim_contract_get_offset (SimContract *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->offset;
}

/* Whether the contract's rules require a call in this reply. */
gboolean
sim_contract_requires_call (SimContract *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return self->choice != SIM_CHOICE_AUTO;
}

static gboolean
name_has (const char         *name,
          const char * const *words)
{
  for (guint i = 0; words[i] != NULL; i++)
    if (strstr (name, words[i]) != NULL)
      return TRUE;

  return FALSE;
}

/* A string argument for @param_name, from the request's own words. */
static char *
string_argument (const char *param_name,
                 SimRequest *request)
{
  static const char * const command_words[] = { "command", "cmd", "script", NULL };
  static const char * const url_words[] = { "url", "uri", "link", "href", NULL };
  static const char * const content_words[] = { "content", "text", "body", "data", "code", NULL };
  static const char * const path_words[] = { "path", "file", "dir", "folder", NULL };
  static const char * const query_words[] = { "query", "pattern", "search", "regex", "keyword", NULL };
  g_autofree char *name = g_ascii_strdown (param_name, -1);
  char *value;

  if (name_has (name, command_words))
    return sim_request_command (request);

  if (name_has (name, url_words))
    return (value = sim_request_url (request)) != NULL ? value : g_strdup ("https://example.com");

  if (name_has (name, content_words))
    return sim_request_content (request);

  if (name_has (name, path_words))
    {
      if ((value = sim_request_path (request)) != NULL)
        return value;
      return g_strdup (strstr (name, "dir") != NULL || strstr (name, "folder") != NULL ? "." : "README.md");
    }

  if (name_has (name, query_words) || g_str_equal (name, "q"))
    return sim_request_query (request);

  return g_strdup (request->text);
}

static void
add_argument (JsonBuilder        *builder,
              const SimToolParam *param,
              SimRequest         *request)
{
  const char *type = param->type;

  json_builder_set_member_name (builder, param->name);

  if (strstr (type, "[]") != NULL || strstr (type, "array") != NULL || strstr (type, "list") != NULL)
    {
      g_autofree char *value = string_argument (param->name, request);

      json_builder_begin_array (builder);
      json_builder_add_string_value (builder, value);
      json_builder_end_array (builder);
    }
  else if (strstr (type, "int") != NULL || strstr (type, "number") != NULL ||
           strstr (type, "float") != NULL)
    json_builder_add_int_value (builder, 1);
  else if (strstr (type, "bool") != NULL)
    json_builder_add_boolean_value (builder, TRUE);
  else if (strstr (type, "object") != NULL || strstr (type, "dict") != NULL ||
           strstr (type, "map") != NULL || type[0] == '{')
    {
      json_builder_begin_object (builder);
      json_builder_end_object (builder);
    }
  else if (type[0] == '"' || type[0] == '\'')
    {
      /* An enum such as "a" | "b": its first literal. */
      const char *end = strchr (type + 1, type[0]);
      g_autofree char *literal = g_strndup (type + 1, end != NULL ? end - type - 1 : strlen (type + 1));

      json_builder_add_string_value (builder, literal);
    }
  else
    {
      g_autofree char *value = string_argument (param->name, request);

      json_builder_add_string_value (builder, value);
    }
}

static guint
score_tool (const SimTool *tool,
            SimRequest    *request)
{
  g_autofree char *name = g_ascii_strdown (tool->name, -1);
  g_autofree char *description = g_ascii_strdown (tool->description, -1);
  guint score = 0;

  for (guint i = 0; i < G_N_ELEMENTS (intents); i++)
    {
      const Intent *intent = &intents[i];
      gboolean asked = FALSE;

      for (guint v = 0; intent->verbs[v] != NULL; v++)
        {
          if (!sim_request_has_word (request, intent->verbs[v]))
            continue;
          asked = TRUE;
          /* A tool named after the very verb (list_dir for "list"). */
          if (strstr (name, intent->verbs[v]) != NULL)
            score += 2;
        }

      if (!asked)
        continue;

      for (guint w = 0; intent->tool_words[w] != NULL; w++)
        {
          if (strstr (name, intent->tool_words[w]) != NULL)
            score += 3;
          else if (strstr (description, intent->tool_words[w]) != NULL)
            score += 1;
        }
    }

  return score;
}

/* Tools ordered by how well they fit, best first; ties keep the
 * contract's order. */
static GPtrArray *
rank_tools (SimContract *self,
            SimRequest  *request)
{
  GPtrArray *ranked = g_ptr_array_new ();
  g_autofree guint *scores = g_new0 (guint, self->tools->len);

  for (guint i = 0; i < self->tools->len; i++)
    scores[i] = score_tool (g_ptr_array_index (self->tools, i), request);

  for (guint pick = 0; pick < self->tools->len; pick++)
    {
      guint best = G_MAXUINT;

      for (guint i = 0; i < self->tools->len; i++)
        if (scores[i] != G_MAXUINT && (best == G_MAXUINT || scores[i] > scores[best]))
          best = i;

      g_ptr_array_add (ranked, g_ptr_array_index (self->tools, best));
      scores[best] = G_MAXUINT;
    }

  return ranked;
}

static char *
build_call (const SimTool *tool,
            SimRequest    *request)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "tool");
  json_builder_add_string_value (builder, tool->name);
  json_builder_set_member_name (builder, "parameters");
  json_builder_begin_object (builder);
  for (guint i = 0; i < tool->params->len; i++)
    {
      const SimToolParam *param = g_ptr_array_index (tool->params, i);

      if (!param->optional)
        add_argument (builder, param, request);
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);

  return json_to_string (root, FALSE);
}

static void
append_block (GString    *out,
              const char *json)
{
  if (out->len > 0)
    g_string_append (out, "\n\n");
  g_string_append_printf (out, SIM_ACTION_FENCE "\n%s\n```", json);
}

/* The declared tool called @name; an exact match first, then one that
 * differs in case. */
static const SimTool *
find_tool (SimContract *self,
           const char  *name)
{
  const SimTool *folded = NULL;

  for (guint i = 0; i < self->tools->len; i++)
    {
      const SimTool *tool = g_ptr_array_index (self->tools, i);

      if (g_str_equal (tool->name, name))
        return tool;
      if (folded == NULL && g_ascii_strcasecmp (tool->name, name) == 0)
        folded = tool;
    }

  return folded;
}

/* The tools to call, best first; the forced one leads. NULL when no tool
 * fits @request and the rules do not require a call (nor @must_call):
 * the reply is plain text then. A forced name the list lacks requires
 * a call to the best fit. */
static GPtrArray *
choose_tools (SimContract *self,
              SimRequest  *request,
              gboolean     must_call)
{
  g_autoptr(GPtrArray) ranked = rank_tools (self, request);
  const SimTool *forced = NULL;

  if (self->choice == SIM_CHOICE_TOOL && (forced = find_tool (self, self->forced_name)) != NULL)
    {
      g_ptr_array_remove (ranked, (gpointer) forced);
      g_ptr_array_insert (ranked, 0, (gpointer) forced);
    }
  else if (!must_call && self->choice == SIM_CHOICE_AUTO &&
           score_tool (g_ptr_array_index (ranked, 0), request) == 0)
    return NULL;

  return g_steal_pointer (&ranked);
}

static char *
answer_calls (GPtrArray  *tools,
              SimRequest *request,
              guint       n_calls)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < n_calls; i++)
    {
      const SimTool *tool = g_ptr_array_index (tools, MIN (i, tools->len - 1));
      g_autofree char *json = build_call (tool, request);

      append_block (out, json);
    }

  return g_string_free (out, FALSE);
}

/**
 * sim_contract_answer:
 * @request_text: the latest user request, without markers
 * @n_calls: 1, or 2 for two calls (to the two best-fitting tools)
 *
 * Returns: (nullable): the reply, action blocks only, as the contract
 *   asks; %NULL when no tool fits the request and the rules leave the
 *   call to the model: a plain-text answer is due.
 */
char *
sim_contract_answer (SimContract *self,
                     const char  *request_text,
                     guint        n_calls)
{
  g_autoptr(SimRequest) request = NULL;
  g_autoptr(GPtrArray) tools = NULL;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (request_text != NULL, NULL);

  request = sim_request_new (request_text);
  if ((tools = choose_tools (self, request, FALSE)) == NULL)
    return NULL;

  return answer_calls (tools, request, n_calls);
}

char *
sim_contract_answer_broken (SimContract *self,
                            const char  *request_text)
{
  g_autoptr(SimRequest) request = NULL;
  g_autoptr(GPtrArray) tools = NULL;
  g_autofree char *valid = NULL;
  gsize len;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (request_text != NULL, NULL);

  request = sim_request_new (request_text);
  tools = choose_tools (self, request, TRUE);

  /* The call without its closing braces: no repair can guess them. */
  valid = answer_calls (tools, request, 1);
  len = strlen (valid);
  g_assert (g_str_has_suffix (valid, "}}\n```"));
  memmove (valid + len - strlen ("}}\n```"), "\n```", strlen ("\n```") + 1);

  return g_steal_pointer (&valid);
}

char *
sim_contract_answer_undeclared (SimContract *self)
{
  g_autoptr(GString) name = g_string_new (UNDECLARED_TOOL);

  g_return_val_if_fail (self != NULL, NULL);

  while (find_tool (self, name->str) != NULL)
    g_string_append (name, "_x");

  return g_strdup_printf (SIM_ACTION_FENCE "\n{\"tool\":\"%s\",\"parameters\":{}}\n```", name->str);
}

/**
 * sim_tool_result_reply:
 * @turn: the latest user turn
 *
 * Returns: (nullable): a plain-text answer quoting the tool output when
 *   @turn carries a tool result ("Tool result for ID[ (NAME)]:" or
 *   "Tool error for ID:"), else %NULL.
 */
char *
sim_tool_result_reply (const char *turn)
{
  g_autofree char *output = NULL;
  const char *colon;
  const char *newline;
  const char *end;
  const char *after;
  gboolean failed;

  g_return_val_if_fail (turn != NULL, NULL);

  if (g_str_has_prefix (turn, "Tool result"))
    {
      failed = FALSE;
      after = turn + strlen ("Tool result");
    }
  else if (g_str_has_prefix (turn, "Tool error"))
    {
      failed = TRUE;
      after = turn + strlen ("Tool error");
    }
  else
    return NULL;

  /* "Tool result:" or "Tool result for …", not "Tool results are …". */
  if (*after != ':' && *after != ' ')
    return NULL;

  colon = strchr (turn, ':');
  newline = strchr (turn, '\n');
  if (colon == NULL || (newline != NULL && newline < colon))
    return NULL;

  /* The output ends where the client's continuation paragraph starts. */
  end = strstr (colon + 1, "\n\n");
  output = g_strstrip (end != NULL ? g_strndup (colon + 1, end - colon - 1) : g_strdup (colon + 1));

  if (*output == '\0')
    return g_strdup (failed ? "The tool failed without any output." : "The tool returned no output.");

  if (g_utf8_strlen (output, -1) > RESULT_QUOTE_CHARS)
    *g_utf8_offset_to_pointer (output, RESULT_QUOTE_CHARS) = '\0';

  return g_strdup_printf (failed ? "The tool reported an error: %s" : "The tool returned: %s", output);
}
