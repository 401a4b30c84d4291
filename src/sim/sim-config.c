/* sim-config.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lingma-sim"

#include "config.h"

#include "sim-config.h"

SimConfig *
sim_config_new (void)
{
  SimConfig *self = g_new0 (SimConfig, 1);

  self->chunk_size = SIM_DEFAULT_CHUNK_SIZE;
  self->chunk_delay_ms = SIM_DEFAULT_CHUNK_DELAY_MS;
  self->behaviour = sim_behaviour_new ();
  self->models = sim_models_new_default ();

  return self;
}

void
sim_config_free (SimConfig *self)
{
  if (self == NULL)
    return;

  g_clear_pointer (&self->behaviour, sim_behaviour_free);
  g_clear_pointer (&self->models, sim_models_free);
  g_clear_pointer (&self->frame_log, sim_frame_log_free);
  g_free (self);
}
