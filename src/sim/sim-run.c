/* sim-run.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lingma-sim"

#include "config.h"

#include <string.h>

#include "sim-connection.h"
#include "sim-run.h"

#define LIMIT_TOKENS     131072
/* Chunks sent before a scripted drop. */
#define CHUNKS_BEFORE_DROP 3
/* Long replies go out in at most this many chunks, so that a
 * multi-megabyte reply takes seconds, not hours. */
#define MAX_CHUNKS       256

struct _SimRun
{
  SimConnection      *connection;
  char               *session_id;
  JsonNode           *prompt_id;       /* (nullable): a prompt sent as a notification */
  char               *request_id;      /* (nullable) */
  SimReply           *reply;
  gsize               thought_offset;  /* bytes of reply->thought sent */
  gsize               text_offset;     /* bytes of reply->text sent */
  gsize               chunk_chars;
  guint               chunk_delay_ms;
  guint               chunks_sent;
  guint               source;
  SimRunFinishedFunc  finished;
  gpointer            finished_data;
};

SimRun *
sim_run_new (SimConnection *connection,
             const char    *session_id,
             JsonNode      *prompt_id,
             const char    *request_id,
             SimReply      *reply,
             guint          chunk_size,
             guint          chunk_delay_ms)
{
  SimRun *self;
  glong text_chars;

  g_return_val_if_fail (connection != NULL, NULL);
  g_return_val_if_fail (session_id != NULL, NULL);
  g_return_val_if_fail (reply != NULL, NULL);

  self = g_new0 (SimRun, 1);
  self->connection = connection;
  self->session_id = g_strdup (session_id);
  self->prompt_id = prompt_id != NULL ? json_node_copy (prompt_id) : NULL;
  self->request_id = g_strdup (request_id);
  self->reply = reply;
  self->chunk_delay_ms = reply->chunk_delay_ms >= 0 ? (guint) reply->chunk_delay_ms : chunk_delay_ms;

  text_chars = reply->text != NULL ? g_utf8_strlen (reply->text, -1) : 0;
  self->chunk_chars = MAX (MAX (chunk_size, 1), (gsize) (text_chars + MAX_CHUNKS - 1) / MAX_CHUNKS);

  return self;
}

void
sim_run_free (SimRun *self)
{
  if (self == NULL)
    return;

  g_clear_handle_id (&self->source, g_source_remove);
  g_free (self->session_id);
  g_clear_pointer (&self->prompt_id, json_node_unref);
  g_free (self->request_id);
  sim_reply_free (self->reply);
  g_free (self);
}

SimConnection *
sim_run_get_connection (SimRun *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->connection;
}

/* session/update with the prompt's correlation id in _meta. */
static void
send_update (SimRun     *self,
             JsonObject *update)
{
  JsonObject *params = json_object_new ();
  JsonObject *meta = json_object_new ();

  if (self->request_id != NULL)
    json_object_set_string_member (meta, "ai-coding/request-id", self->request_id);

  json_object_set_string_member (params, "sessionId", self->session_id);
  json_object_set_object_member (params, "update", update);
  json_object_set_object_member (params, "_meta", meta);
  sim_connection_send_notification (self->connection, "session/update", params);
}

static void
send_chunk (SimRun     *self,
            const char *kind,
            const char *text,
            gsize       len)
{
  JsonObject *update = json_object_new ();
  JsonObject *content = json_object_new ();
  g_autofree char *piece = g_strndup (text, len);

  json_object_set_string_member (content, "type", "text");
  json_object_set_string_member (content, "text", piece);
  json_object_set_string_member (update, "sessionUpdate", kind);
  json_object_set_object_member (update, "content", content);
  send_update (self, update);
}

static void
send_notification_update (SimRun     *self,
                          const char *type,
                          JsonObject *data)
{
  JsonObject *update = json_object_new ();

  json_object_set_string_member (update, "sessionUpdate", "notification");
  json_object_set_string_member (update, "type", type);
  json_object_set_object_member (update, "data", data);
  send_update (self, update);
}

static void
send_finish (SimRun     *self,
             const char *reason)
{
  JsonObject *data = json_object_new ();
  JsonObject *result = json_object_new ();
  JsonNode *node;

  json_object_set_string_member (data, "reason", reason);
  send_notification_update (self, "chat_finish", data);

  json_object_set_string_member (result, "stopReason",
                                 g_str_equal (reason, "cancelled") ? "cancelled" : "end_turn");
  node = json_node_init_object (json_node_alloc (), result);
  json_object_unref (result);
  sim_connection_send_result (self->connection, self->prompt_id, node);
}

static void
send_usage (SimRun *self)
{
  JsonObject *usage = json_object_new ();

  json_object_set_int_member (usage, "usedTokens", self->reply->used_tokens);
  json_object_set_int_member (usage, "limitTokens", LIMIT_TOKENS);
  send_notification_update (self, "context_usage", usage);
}

/* Sends the next piece of @text from *@offset; returns FALSE when done. */
static gboolean
send_next_piece (SimRun     *self,
                 const char *kind,
                 const char *text,
                 gsize      *offset)
{
  const char *start;
  const char *end;

  if (text == NULL || text[*offset] == '\0')
    return FALSE;

  start = text + *offset;
  end = start;
  for (gsize i = 0; i < self->chunk_chars && *end != '\0'; i++)
    end = g_utf8_next_char (end);

  send_chunk (self, kind, start, end - start);
  *offset = end - text;

  return TRUE;
}

static void schedule (SimRun *self,
                      guint   delay_ms);

static void
finish (SimRun *self)
{
  /* The callback frees @self. */
  self->finished (self, self->finished_data);
}

static gboolean
on_step (gpointer user_data)
{
  SimRun *self = user_data;

  self->source = 0;

  if (self->reply->fail)
    {
      sim_connection_send_error (self->connection, self->prompt_id, SIM_RPC_SIMULATED, "simulated failure");
      finish (self);
      return G_SOURCE_REMOVE;
    }

  if (send_next_piece (self, "agent_thought_chunk", self->reply->thought, &self->thought_offset))
    {
      schedule (self, self->chunk_delay_ms);
      return G_SOURCE_REMOVE;
    }

  if (self->reply->drop && self->chunks_sent == CHUNKS_BEFORE_DROP)
    {
      sim_connection_abort (self->connection);
      finish (self);
      return G_SOURCE_REMOVE;
    }

  if (send_next_piece (self, "agent_message_chunk", self->reply->text, &self->text_offset))
    {
      self->chunks_sent++;
      schedule (self, self->chunk_delay_ms);
      return G_SOURCE_REMOVE;
    }

  if (self->reply->drop)
    {
      /* A reply shorter than the chunks before a drop still drops. */
      sim_connection_abort (self->connection);
      finish (self);
      return G_SOURCE_REMOVE;
    }

  send_usage (self);
  send_finish (self, "stop");
  finish (self);

  return G_SOURCE_REMOVE;
}

static void
schedule (SimRun *self,
          guint   delay_ms)
{
  g_assert (self->source == 0);

  self->source = g_timeout_add (delay_ms, on_step, self);
}

/**
 * sim_run_start:
 * @finished: called once the run has sent its last message (or dropped
 *   the connection); it must free the run
 */
void
sim_run_start (SimRun             *self,
               SimRunFinishedFunc  finished,
               gpointer            user_data)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (finished != NULL);
  g_return_if_fail (self->source == 0);

  self->finished = finished;
  self->finished_data = user_data;
  schedule (self, self->reply->silent_ms);
}

/* Ends the run at once, as session/cancel asks; the caller frees it. */
void
sim_run_cancel (SimRun *self)
{
  g_return_if_fail (self != NULL);

  g_clear_handle_id (&self->source, g_source_remove);
  send_finish (self, "cancelled");
}
