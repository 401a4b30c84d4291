/* sim-behaviour.h
 *
 * Scripted behaviours: chosen for every prompt with --behaviour, or per
 * prompt with [[sim:NAME]] / [[sim:NAME=VALUE]] markers in its text.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SIM_MARKER_OPEN  "[[sim:"
#define SIM_MARKER_CLOSE "]]"

typedef struct
{
  gint   slow_ms;         /* per-chunk delay; -1 keeps the configured one */
  guint  silent_ms;       /* nothing at all for this long before the reply */
  gsize  large_bytes;     /* reply of exactly this many bytes; 0 = off */
  guint  refuse_prompts;  /* refuse the first N prompts of a session; G_MAXUINT = all */
  char  *stop_text;       /* placed in the middle of the reply */
  gboolean fail;
  gboolean drop;
  gboolean think;
  gboolean badjson;
  gboolean two_calls;
  gboolean unknown_tool;
  gboolean echo;
  gboolean plain;
} SimBehaviour;

SimBehaviour *sim_behaviour_new           (void);
SimBehaviour *sim_behaviour_copy          (const SimBehaviour  *self);
void          sim_behaviour_free          (SimBehaviour        *self);
gboolean      sim_behaviour_apply         (SimBehaviour        *self,
                                           const char          *spec,
                                           GError             **error);
gboolean      sim_behaviour_apply_markers (SimBehaviour        *self,
                                           const char          *text,
                                           GError             **error);
char         *sim_behaviour_strip_markers (const char          *text);
const char   *sim_behaviour_get_help      (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimBehaviour, sim_behaviour_free)

G_END_DECLS
