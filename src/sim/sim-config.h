/* sim-config.h
 *
 * Settings from the command line, shared by every connection.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include "sim-behaviour.h"
#include "sim-frame-log.h"
#include "sim-models.h"

G_BEGIN_DECLS

#define SIM_DEFAULT_CHUNK_SIZE     16
#define SIM_DEFAULT_CHUNK_DELAY_MS 5

typedef struct
{
  guint         chunk_size;        /* characters per agent_message_chunk */
  guint         chunk_delay_ms;
  gboolean      split_frames;      /* split and join outgoing frames across WS messages */
  gboolean      server_requests;   /* send a server→client request with each prompt */
  SimBehaviour *behaviour;         /* applies to every prompt */
  SimModels    *models;
  SimFrameLog  *frame_log;         /* (nullable) */
} SimConfig;

SimConfig *sim_config_new  (void);
void       sim_config_free (SimConfig *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SimConfig, sim_config_free)

G_END_DECLS
