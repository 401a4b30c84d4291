/* sim-session.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lingma-sim"

#include "config.h"

#include "sim-session.h"

struct _SimSession
{
  char      *id;
  char      *model_id;   /* (nullable): none set yet */
  GPtrArray *runs;       /* (element-type SimRun) running prompts */
  guint      n_prompts;
};

SimSession *
sim_session_new (void)
{
  SimSession *self = g_new0 (SimSession, 1);

  self->id = g_uuid_string_random ();
  self->runs = g_ptr_array_new_with_free_func ((GDestroyNotify) sim_run_free);

  return self;
}

void
sim_session_free (SimSession *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->runs, g_ptr_array_unref);
  g_free (self->id);
  g_free (self->model_id);
  g_free (self);
}

const char *
sim_session_get_id (SimSession *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->id;
}

const char *
sim_session_get_model_id (SimSession *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->model_id;
}

void
sim_session_set_model_id (SimSession *self,
                          const char *model_id)
{
  g_return_if_fail (self != NULL);

  g_free (self->model_id);
  self->model_id = g_strdup (model_id);
}

/* How many prompts the session ran before this one. */
guint
sim_session_next_prompt_index (SimSession *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->n_prompts++;
}

static void
on_run_finished (SimRun   *run,
                 gpointer  user_data)
{
  SimSession *self = user_data;

  g_ptr_array_remove_fast (self->runs, run);
}

/**
 * sim_session_add_run:
 * @run: (transfer full): a run that is not started yet
 *
 * Several prompts may run on one session at once, as when clients share
 * a session between concurrent requests.
 */
void
sim_session_add_run (SimSession *self,
                     SimRun     *run)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (run != NULL);

  g_ptr_array_add (self->runs, run);
  sim_run_start (run, on_run_finished, self);
}

/* Returns: how many running prompts were cancelled. */
guint
sim_session_cancel (SimSession *self)
{
  guint n = 0;

  g_return_val_if_fail (self != NULL, 0);

  while (self->runs->len > 0)
    {
      SimRun *run = g_ptr_array_steal_index (self->runs, self->runs->len - 1);

      sim_run_cancel (run);
      sim_run_free (run);
      n++;
    }

  return n;
}

/* Stops, silently, the runs whose client went away. */
void
sim_session_forget_connection (SimSession    *self,
                               SimConnection *connection)
{
  g_return_if_fail (self != NULL);

  for (guint i = self->runs->len; i > 0; i--)
    {
      SimRun *run = g_ptr_array_index (self->runs, i - 1);

      if (sim_run_get_connection (run) == connection)
        g_ptr_array_remove_index_fast (self->runs, i - 1);
    }
}
