/* sim-transcript.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lingma-sim"

#include "config.h"

#include <string.h>

#include "sim-transcript.h"

#define USER_LABEL      "User:"
#define ASSISTANT_LABEL "Assistant:"
#define REMINDER_OPEN   "<system-reminder>"
#define REMINDER_CLOSE  "</system-reminder>"

/* Start of the last paragraph opening with @label before @end, or NULL. */
static const char *
find_last_label (const char *text,
                 const char *end,
                 const char *label)
{
  g_autofree char *needle = g_strconcat ("\n\n", label, NULL);
  const char *found = NULL;
  const char *p = text;

  if (g_str_has_prefix (text, label))
    found = text;

  while ((p = g_strstr_len (p, end - p, needle)) != NULL)
    {
      found = p + 2;
      p += strlen (needle);
    }

  return found;
}

/* The end of the reminder opening at @open: after its closing tag, or,
 * when another reminder opens first or none closes, where its paragraph
 * (or the next reminder) begins. */
static const char *
reminder_end (const char *open,
              const char *end)
{
  const char *body = open + strlen (REMINDER_OPEN);
  const char *close = g_strstr_len (body, end - body, REMINDER_CLOSE);
  const char *next = g_strstr_len (body, end - body, REMINDER_OPEN);
  const char *paragraph_end;

  if (close != NULL && (next == NULL || close < next))
    return close + strlen (REMINDER_CLOSE);

  paragraph_end = g_strstr_len (body, end - body, "\n\n");
  if (paragraph_end != NULL && (next == NULL || paragraph_end < next))
    return paragraph_end;

  return next != NULL ? next : end;
}

/* [@text, @end) without its <system-reminder> blocks: Claude Code opens
 * user turns (and tool results) with such blocks of context, CLAUDE.md
 * and dates, which are not the user's words. */
static char *
strip_reminders (const char *text,
                 const char *end)
{
  GString *out = g_string_new (NULL);
  const char *p = text;
  const char *open;

  while ((open = g_strstr_len (p, end - p, REMINDER_OPEN)) != NULL)
    {
      g_string_append_len (out, p, open - p);
      p = reminder_end (open, end);
    }
  g_string_append_len (out, p, end - p);

  return g_string_free (out, FALSE);
}

/* Whether @words, a turn without its reminders, has nothing before its
 * first blank line: the turn's own paragraph held only reminders. */
static gboolean
opens_without_words (const char *words)
{
  const char *p = words;

  while (g_ascii_isspace (*p))
    p++;

  return *p == '\0' || g_strstr_len (words, p - words, "\n\n") != NULL;
}

/**
 * sim_transcript_latest_user_turn:
 * @limit: only the first @limit bytes are read: a tool contract follows
 *   the transcript, and its examples must not count as turns
 *
 * A turn of reminders only that directly follows another user turn is
 * the text part of a client message whose tool results the transcript
 * shows first ("User: Tool result…" then "User: <system-reminder>…"):
 * the user's words are the earlier turn then.
 *
 * Returns: the text of the latest "User:" turn without its label and its
 *   <system-reminder> blocks, trimmed; the whole text, so stripped, when
 *   the prompt carries no role labels.
 */
char *
sim_transcript_latest_user_turn (const char *prompt,
                                 gsize       limit)
{
  const char *end;
  const char *start;
  const char *turn_end;

  g_return_val_if_fail (prompt != NULL, NULL);

  end = prompt + MIN (limit, strlen (prompt));
  start = find_last_label (prompt, end, USER_LABEL);
  if (start == NULL)
    return g_strstrip (strip_reminders (prompt, end));

  /* The last user turn ends where an assistant turn (or the final
   * "Assistant:" cue) begins. */
  turn_end = g_strstr_len (start, end - start, "\n\n" ASSISTANT_LABEL);
  if (turn_end == NULL)
    turn_end = end;

  for (;;)
    {
      g_autofree char *words = strip_reminders (start + strlen (USER_LABEL), turn_end);
      const char *previous;

      if (!opens_without_words (words) || start == prompt ||
          (previous = find_last_label (prompt, start, USER_LABEL)) == NULL ||
          g_strstr_len (previous, start - previous, "\n\n" ASSISTANT_LABEL) != NULL)
        return g_strstrip (g_steal_pointer (&words));

      /* The earlier turn ends at the blank line before this one. */
      turn_end = start - 2;
      start = previous;
    }
}

static gboolean
is_blank_line_at (const char *p)
{
  while (*p == ' ' || *p == '\t' || *p == '\r')
    p++;

  return *p == '\n' || *p == '\0';
}

/* Returns: the first paragraph of @text with words in it, trimmed; lines
 * of spaces count as blank. */
char *
sim_transcript_first_paragraph (const char *text)
{
  const char *start;
  const char *end;

  g_return_val_if_fail (text != NULL, NULL);

  start = text;
  while (g_ascii_isspace (*start))
    start++;

  for (end = strchr (start, '\n'); end != NULL; end = strchr (end + 1, '\n'))
    if (is_blank_line_at (end + 1))
      break;

  return g_strstrip (end != NULL ? g_strndup (start, end - start) : g_strdup (start));
}
