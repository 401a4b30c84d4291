/* sim-request.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lingma-sim"

#include "config.h"

#include <string.h>

#include "sim-request.h"

static const char * const run_verbs[] = { "run", "execute", "exec", NULL };
static const char * const list_verbs[] = { "list", "ls", NULL };
static const char * const read_verbs[] = { "read", "show", "cat", "view", "display", "print", NULL };
static const char * const search_verbs[] = { "search", "find", "grep", "locate", NULL };
static const char * const content_markers[] = {
  "containing ", "with content ", "with the content ", "with text ", "with the text ",
  "that says ", "saying ", NULL
};

SimRequest *
sim_request_new (const char *text)
{
  SimRequest *self;

  g_return_val_if_fail (text != NULL, NULL);

  self = g_new0 (SimRequest, 1);
  self->text = g_strdup (text);
  /* ASCII only: extractors find a position in @lower and copy from @text. */
  self->lower = g_ascii_strdown (text, -1);

  return self;
}

void
sim_request_free (SimRequest *self)
{
  if (self == NULL)
    return;

  g_free (self->text);
  g_free (self->lower);
  g_free (self);
}

static gboolean
is_word_at (const char *lower,
            const char *p,
            gsize       len)
{
  return (p == lower || !g_ascii_isalnum (p[-1])) && !g_ascii_isalnum (p[len]);
}

gboolean
sim_request_has_word (SimRequest *self,
                      const char *word)
{
  gsize len;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (word != NULL, FALSE);

  /* Non-ASCII (Chinese) verbs have no word boundaries. */
  if ((guchar) word[0] >= 0x80)
    return strstr (self->lower, word) != NULL;

  len = strlen (word);
  for (const char *p = strstr (self->lower, word); p != NULL; p = strstr (p + 1, word))
    if (is_word_at (self->lower, p, len))
      return TRUE;

  return FALSE;
}

/* Position in @lower of the first of @words as a word, or NULL. */
static const char *
find_first_word (const char         *lower,
                 const char * const *words)
{
  const char *first = NULL;

  for (guint i = 0; words[i] != NULL; i++)
    {
      gsize len = strlen (words[i]);

      for (const char *p = strstr (lower, words[i]); p != NULL; p = strstr (p + 1, words[i]))
        {
          if (is_word_at (lower, p, len))
            {
              if (first == NULL || p < first)
                first = p;
              break;
            }
        }
    }

  return first;
}

static gboolean
is_wrapper_char (gunichar c)
{
  if (c > 0 && c < 0x80)
    return strchr ("\"'`()[]<>{},;:!?", (int) c) != NULL;

  /* Curly quotes, and the full-width punctuation of Chinese requests
   * (。，、：；！？（）「」). */
  return c == 0x201C || c == 0x201D || c == 0x2018 || c == 0x2019 ||
         c == 0x3002 || c == 0xFF0C || c == 0x3001 || c == 0xFF1A || c == 0xFF1B ||
         c == 0xFF01 || c == 0xFF1F || c == 0xFF08 || c == 0xFF09 || c == 0x300C || c == 0x300D;
}

/* A whitespace-separated token without quotes, brackets and the
 * punctuation that ends a sentence. */
static char *
clean_token (const char *token)
{
  const char *start = token;
  const char *end = token + strlen (token);

  while (start < end && is_wrapper_char (g_utf8_get_char (start)))
    start = g_utf8_next_char (start);
  while (end > start)
    {
      const char *prev = g_utf8_prev_char (end);

      if (!is_wrapper_char (g_utf8_get_char (prev)) && !(*prev == '.' && prev > start))
        break;
      end = prev;
    }

  return g_strndup (start, end - start);
}

static gboolean
has_file_extension (const char *token)
{
  const char *dot = strrchr (token, '.');
  gsize ext_len;

  if (dot == NULL || dot == token)
    return FALSE;

  ext_len = strlen (dot + 1);
  if (ext_len == 0 || ext_len > 8)
    return FALSE;

  for (const char *p = dot + 1; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p))
      return FALSE;

  return TRUE;
}

static char *
find_token (const char *text,
            gboolean  (*accept) (const char *token))
{
  g_auto(GStrv) tokens = g_strsplit_set (text, " \t\n", -1);

  for (guint i = 0; tokens[i] != NULL; i++)
    {
      g_autofree char *token = clean_token (tokens[i]);

      if (*token != '\0' && accept (token))
        return g_steal_pointer (&token);
    }

  return NULL;
}

static gboolean
is_url (const char *token)
{
  return g_str_has_prefix (token, "http://") || g_str_has_prefix (token, "https://");
}

static gboolean
is_directory_path (const char *token)
{
  return strchr (token, '/') != NULL && strstr (token, "://") == NULL;
}

static gboolean
is_file_name (const char *token)
{
  return has_file_extension (token) && strstr (token, "://") == NULL;
}

/* Returns: (nullable): the first http(s) URL. */
char *
sim_request_url (SimRequest *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return find_token (self->text, is_url);
}

static gboolean
is_quote (gunichar c)
{
  return c == '"' || c == '\'' || c == '`' || c == 0x201C;
}

/* The inside [*start, *end) of the first pair of quotes (", ', `, “”)
 * in @text that opens at a word start. */
static gboolean
find_quoted_span (const char  *text,
                  const char **start,
                  const char **end)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar open = g_utf8_get_char (p);
      gunichar close;
      const char *inside;
      gboolean at_word_start = p == text || g_ascii_isspace (p[-1]) || p[-1] == '(' ||
                               p[-1] == ':' || p[-1] == '=';

      if (!at_word_start || !is_quote (open))
        continue;

      close = open == 0x201C ? 0x201D : open;
      inside = g_utf8_next_char (p);
      for (const char *q = inside; *q != '\0'; q = g_utf8_next_char (q))
        {
          if (g_utf8_get_char (q) == close && q > inside)
            {
              *start = inside;
              *end = q;
              return TRUE;
            }
        }
    }

  return FALSE;
}

/* Text between the first pair of quotes that opens at a word start, or
 * NULL. */
static char *
find_quoted (const char *text)
{
  const char *start;
  const char *end;

  return find_quoted_span (text, &start, &end) ? g_strndup (start, end - start) : NULL;
}

static char *
strip_sentence_end (char *text)
{
  gsize len;

  g_strstrip (text);
  len = strlen (text);
  if (len > 1 && text[len - 1] == '.')
    text[len - 1] = '\0';

  return text;
}

/* Where the content to write is in @self->text, as [*start, *end): quoted
 * text right after a marker ("containing 'a b'"), else all that follows
 * the marker, else the first quoted text. @quoted says whether the span
 * is the inside of quotes. */
static gboolean
find_content (SimRequest  *self,
              const char **start,
              const char **end,
              gboolean    *quoted)
{
  for (guint i = 0; content_markers[i] != NULL; i++)
    {
      const char *found = strstr (self->lower, content_markers[i]);
      const char *rest;

      if (found == NULL)
        continue;

      rest = self->text + (found - self->lower) + strlen (content_markers[i]);
      while (g_ascii_isspace (*rest))
        rest++;
      if ((*quoted = is_quote (g_utf8_get_char (rest)) && find_quoted_span (rest, start, end)))
        return TRUE;

      *start = rest;
      *end = rest + strlen (rest);
      return TRUE;
    }

  return (*quoted = find_quoted_span (self->text, start, end));
}

/**
 * sim_request_content:
 *
 * Returns: what to write: "… containing hello world" → "hello world",
 *   "… with content 'a b' to x" → "a b", else the first quoted text, else
 *   a greeting
 */
char *
sim_request_content (SimRequest *self)
{
  const char *start;
  const char *end;
  gboolean quoted;
  char *content;

  g_return_val_if_fail (self != NULL, NULL);

  if (!find_content (self, &start, &end, &quoted))
    return g_strdup ("Hello from the Lingma simulator.");

  content = g_strndup (start, end - start);

  return quoted ? content : strip_sentence_end (content);
}

static char *
find_path (const char *text)
{
  char *path = find_token (text, is_directory_path);

  return path != NULL ? path : find_token (text, is_file_name);
}

/* Whether [@start, @end) is one path-like token: quoted, it names a file
 * ("read '/tmp/a.txt'"), it is not content. */
static gboolean
is_lone_path (const char *start,
              const char *end)
{
  g_autofree char *token = g_strndup (start, end - start);

  for (const char *p = token; *p != '\0'; p++)
    if (g_ascii_isspace (*p))
      return FALSE;

  return is_directory_path (token) || is_file_name (token);
}

/**
 * sim_request_path:
 *
 * Returns: (nullable): the first path-like token: anything with a slash
 *   first (/tmp/x/notes.txt, ./a.txt), then a bare file name (notes.txt);
 *   one in the content to write ("write 'a/b' to c.txt") only when there
 *   is no other
 */
char *
sim_request_path (SimRequest *self)
{
  g_autofree char *masked = NULL;
  const char *start;
  const char *end;
  gboolean quoted;
  char *path;

  g_return_val_if_fail (self != NULL, NULL);

  masked = g_strdup (self->text);
  if (find_content (self, &start, &end, &quoted) && !(quoted && is_lone_path (start, end)))
    memset (masked + (start - self->text), ' ', end - start);

  if ((path = find_path (masked)) != NULL)
    return path;

  return find_path (self->text);
}

/* The text after the first of @verbs, e.g. "run ls -la" → "ls -la". */
static char *
text_after_verb (SimRequest         *self,
                 const char * const *verbs)
{
  static const char * const fillers[] = { "the command ", "command ", "for ", "the ", NULL };
  const char *verb = find_first_word (self->lower, verbs);
  const char *rest;

  if (verb == NULL)
    return NULL;

  rest = verb;
  while (g_ascii_isalnum (*rest))
    rest++;
  while (*rest == ' ' || *rest == ':')
    rest++;

  for (guint i = 0; fillers[i] != NULL; i++)
    {
      if (g_str_has_prefix (rest, fillers[i]))
        {
          rest += strlen (fillers[i]);
          break;
        }
    }

  if (*rest == '\0')
    return NULL;

  return strip_sentence_end (g_strdup (self->text + (rest - self->lower)));
}

/**
 * sim_request_command:
 *
 * Returns: the command to run: quoted text, else what follows "run" or
 *   "execute", else `ls -la PATH` for a listing, `cat PATH` for a file to
 *   read, else the whole request
 */
char *
sim_request_command (SimRequest *self)
{
  g_autofree char *path = NULL;
  char *command;

  g_return_val_if_fail (self != NULL, NULL);

  if ((command = find_quoted (self->text)) != NULL ||
      (command = text_after_verb (self, run_verbs)) != NULL)
    return command;

  path = sim_request_path (self);

  if (find_first_word (self->lower, list_verbs) != NULL)
    return g_strdup_printf ("ls -la %s", path != NULL ? path : ".");

  if (path != NULL && find_first_word (self->lower, read_verbs) != NULL)
    return g_strdup_printf ("cat %s", path);

  return g_strdup (self->text);
}

/* Returns: what to search for: quoted text, else what follows "search",
 *   "find"…, else the whole request. */
char *
sim_request_query (SimRequest *self)
{
  char *query;

  g_return_val_if_fail (self != NULL, NULL);

  if ((query = find_quoted (self->text)) != NULL ||
      (query = text_after_verb (self, search_verbs)) != NULL)
    return query;

  return g_strdup (self->text);
}
