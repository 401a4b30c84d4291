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

/**
 * sim_transcript_latest_user_turn:
 * @limit: only the first @limit bytes are read: a tool contract follows
 *   the transcript, and its examples must not count as turns
 *
 * Returns: the text of the latest "User:" turn without its label, trimmed;
 *   the whole (trimmed) text when the prompt carries no role labels.
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
    return g_strstrip (g_strndup (prompt, end - prompt));

  /* The last user turn ends where an assistant turn (or the final
   * "Assistant:" cue) begins. */
  start += strlen (USER_LABEL);
  turn_end = g_strstr_len (start, end - start, "\n\n" ASSISTANT_LABEL);

  return g_strstrip (g_strndup (start, (turn_end != NULL ? turn_end : end) - start));
}

char *
sim_transcript_first_paragraph (const char *text)
{
  const char *end;

  g_return_val_if_fail (text != NULL, NULL);

  end = strstr (text, "\n\n");

  return g_strstrip (end != NULL ? g_strndup (text, end - text) : g_strdup (text));
}
