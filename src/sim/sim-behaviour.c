/* sim-behaviour.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lingma-sim"

#include "config.h"

#include <string.h>

#include "lp-error.h"
#include "sim-behaviour.h"

#define MAX_DELAY_MS    600000
#define MAX_LARGE_BYTES (256 * 1024 * 1024)

SimBehaviour *
sim_behaviour_new (void)
{
  SimBehaviour *self = g_new0 (SimBehaviour, 1);

  self->slow_ms = -1;

  return self;
}

SimBehaviour *
sim_behaviour_copy (const SimBehaviour *self)
{
  SimBehaviour *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = g_memdup2 (self, sizeof *self);
  copy->stop_text = g_strdup (self->stop_text);

  return copy;
}

void
sim_behaviour_free (SimBehaviour *self)
{
  if (self == NULL)
    return;

  g_free (self->stop_text);
  g_free (self);
}

static gboolean
parse_number (const char  *name,
              const char  *value,
              guint64      max,
              guint64     *out,
              GError     **error)
{
  g_autoptr(GError) local_error = NULL;

  if (value == NULL)
    {
      g_set_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST,
                   "behaviour \"%s\" needs a value: %s=NUMBER", name, name);
      return FALSE;
    }

  if (!g_ascii_string_to_unsigned (value, 10, 0, max, out, &local_error))
    {
      g_set_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST,
                   "behaviour \"%s\": %s", name, local_error->message);
      return FALSE;
    }

  return TRUE;
}

/**
 * sim_behaviour_apply:
 * @spec: `NAME` or `NAME=VALUE`
 *
 * Returns: %FALSE with @error set when @spec names no behaviour or its
 *   value does not fit.
 */
gboolean
sim_behaviour_apply (SimBehaviour  *self,
                     const char    *spec,
                     GError       **error)
{
  static const struct {
    const char *name;
    glong       offset;
  } flags[] = {
    { "error",        G_STRUCT_OFFSET (SimBehaviour, fail) },
    { "drop",         G_STRUCT_OFFSET (SimBehaviour, drop) },
    { "think",        G_STRUCT_OFFSET (SimBehaviour, think) },
    { "badjson",      G_STRUCT_OFFSET (SimBehaviour, badjson) },
    { "two-calls",    G_STRUCT_OFFSET (SimBehaviour, two_calls) },
    { "unknown-tool", G_STRUCT_OFFSET (SimBehaviour, unknown_tool) },
    { "echo",         G_STRUCT_OFFSET (SimBehaviour, echo) },
    { "plain",        G_STRUCT_OFFSET (SimBehaviour, plain) },
  };
  g_autofree char *name = NULL;
  const char *value = NULL;
  const char *eq;
  guint64 number;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (spec != NULL, FALSE);

  eq = strchr (spec, '=');
  name = g_strstrip (eq != NULL ? g_strndup (spec, eq - spec) : g_strdup (spec));
  if (eq != NULL)
    value = eq + 1;

  if (g_str_equal (name, "slow"))
    {
      if (!parse_number (name, value, MAX_DELAY_MS, &number, error))
        return FALSE;
      self->slow_ms = (gint) number;
      return TRUE;
    }

  if (g_str_equal (name, "silent"))
    {
      if (!parse_number (name, value, MAX_DELAY_MS, &number, error))
        return FALSE;
      self->silent_ms = (guint) number;
      return TRUE;
    }

  if (g_str_equal (name, "large"))
    {
      if (!parse_number (name, value, MAX_LARGE_BYTES, &number, error))
        return FALSE;
      self->large_bytes = (gsize) number;
      return TRUE;
    }

  if (g_str_equal (name, "refuse"))
    {
      if (value == NULL)
        number = G_MAXUINT;
      else if (!parse_number (name, value, G_MAXUINT - 1, &number, error))
        return FALSE;
      self->refuse_prompts = (guint) number;
      return TRUE;
    }

  if (g_str_equal (name, "stop"))
    {
      if (value == NULL || *value == '\0')
        {
          g_set_error_literal (error, LP_ERROR, LP_ERROR_INVALID_REQUEST,
                               "behaviour \"stop\" needs a value: stop=TEXT");
          return FALSE;
        }
      g_free (self->stop_text);
      self->stop_text = g_strdup (value);
      return TRUE;
    }

  for (guint i = 0; i < G_N_ELEMENTS (flags); i++)
    {
      if (!g_str_equal (name, flags[i].name))
        continue;

      if (value != NULL)
        {
          g_set_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST,
                       "behaviour \"%s\" takes no value", name);
          return FALSE;
        }

      G_STRUCT_MEMBER (gboolean, self, flags[i].offset) = TRUE;
      return TRUE;
    }

  g_set_error (error, LP_ERROR, LP_ERROR_INVALID_REQUEST,
               "unknown simulator behaviour \"%s\" (see lingma-sim --help)", name);
  return FALSE;
}

gboolean
sim_behaviour_apply_markers (SimBehaviour  *self,
                             const char    *text,
                             GError       **error)
{
  const char *p = text;

  g_return_val_if_fail (self != NULL, FALSE);
  g_return_val_if_fail (text != NULL, FALSE);

  while ((p = strstr (p, SIM_MARKER_OPEN)) != NULL)
    {
      const char *spec = p + strlen (SIM_MARKER_OPEN);
      const char *end = strstr (spec, SIM_MARKER_CLOSE);
      g_autofree char *inner = NULL;

      if (end == NULL)
        break;

      inner = g_strndup (spec, end - spec);
      if (!sim_behaviour_apply (self, inner, error))
        return FALSE;

      p = end + strlen (SIM_MARKER_CLOSE);
    }

  return TRUE;
}

/* The text without its markers, so that replies quote what the user meant. */
char *
sim_behaviour_strip_markers (const char *text)
{
  GString *out = g_string_new (NULL);
  const char *p = text;
  const char *open;

  g_return_val_if_fail (text != NULL, NULL);

  while ((open = strstr (p, SIM_MARKER_OPEN)) != NULL)
    {
      const char *end = strstr (open, SIM_MARKER_CLOSE);

      if (end == NULL)
        break;

      g_string_append_len (out, p, open - p);
      p = end + strlen (SIM_MARKER_CLOSE);
    }
  g_string_append (out, p);

  return g_strstrip (g_string_free (out, FALSE));
}

const char *
sim_behaviour_get_help (void)
{
  return
    "Behaviours (--behaviour NAME[=VALUE] for every prompt, or a [[sim:NAME]] /\n"
    "[[sim:NAME=VALUE]] marker anywhere in a prompt's text for that prompt):\n"
    "  slow=MS         wait MS milliseconds before each chunk\n"
    "  silent=MS       send nothing at all for MS milliseconds, then reply\n"
    "  error           answer session/prompt with JSON-RPC error -32000\n"
    "                  \"simulated failure\", no chunks\n"
    "  drop            send a few chunks, then close the connection abruptly\n"
    "                  (no WebSocket close, no chat_finish)\n"
    "  large=BYTES     reply with exactly BYTES bytes of text\n"
    "  think           stream agent_thought_chunk updates before the answer\n"
    "  refuse[=N]      reply with a refusal (\"I can't execute commands...\");\n"
    "                  with N, only the first N prompts of a session refuse\n"
    "  badjson         with a tool contract: an action block with broken JSON\n"
    "  two-calls       with a tool contract: two action blocks\n"
    "  unknown-tool    with a tool contract: an action block for an undeclared tool\n"
    "  plain           with a tool contract: answer in plain text anyway\n"
    "  echo            reply with the whole prompt text\n"
    "  stop=TEXT       put TEXT in the middle of the reply\n";
}
