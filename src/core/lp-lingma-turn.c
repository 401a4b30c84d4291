/* lp-lingma-turn.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lp-lingma-turn"

#include "config.h"

#include "lp-error.h"
#include "lp-lingma-turn.h"

struct _LpLingmaTurn
{
  GObject       parent_instance;

  LpIpcClient  *client;
  GCancellable *cancellable;
  char         *session_id;
  char         *request_id;
  JsonObject   *params;
  GString      *text;
  GString      *thinking;
  char         *finish_reason;
  guint         timeout_ms;
  guint         subscription;
  gboolean      running;
  gboolean      done;
};

enum {
  CHUNK,
  THOUGHT,
  FINISHED,
  FAILED,
  N_SIGNALS
};

static guint signals [N_SIGNALS];

G_DEFINE_FINAL_TYPE (LpLingmaTurn, lp_lingma_turn, G_TYPE_OBJECT)

char *
lp_lingma_correlation_id (const char *prefix)
{
  g_return_val_if_fail (prefix != NULL, NULL);

  return g_strdup_printf ("%s-%" G_GINT64_FORMAT "-%08x",
                          prefix, g_get_real_time () / 1000, g_random_int ());
}

static void
lp_lingma_turn_end (LpLingmaTurn *self,
                    const GError *error)
{
  g_autoptr(LpLingmaTurn) hold = g_object_ref (self);

  if (self->done)
    return;

  self->done = TRUE;
  self->running = FALSE;

  if (self->subscription != 0)
    {
      lp_ipc_client_unsubscribe (self->client, self->subscription);
      self->subscription = 0;
    }

  if (error != NULL)
    g_signal_emit (self, signals[FAILED], 0, error);
  else
    g_signal_emit (self, signals[FINISHED], 0, self->finish_reason);
}

static void
send_cancel (LpLingmaTurn *self)
{
  g_autoptr(JsonObject) params = json_object_new ();
  g_autoptr(GError) error = NULL;

  json_object_set_string_member (params, "sessionId", self->session_id);
  if (!lp_ipc_client_notify (self->client, "session/cancel", params, &error))
    g_debug ("could not send session/cancel: %s", error->message);
}

static void
on_notification (LpIpcClient *client,
                 const char  *method,
                 JsonObject  *params,
                 gpointer     user_data)
{
  LpLingmaTurn *self = user_data;
  JsonObject *update;
  const char *kind;

  g_assert (LP_IS_LINGMA_TURN (self));

  if (self->done || g_strcmp0 (method, "session/update") != 0)
    return;

  if (!json_object_has_member (params, "update") ||
      !JSON_NODE_HOLDS_OBJECT (json_object_get_member (params, "update")))
    return;

  update = json_object_get_object_member (params, "update");
  kind = json_object_get_string_member_with_default (update, "sessionUpdate", "");

  if (g_str_equal (kind, "agent_message_chunk") || g_str_equal (kind, "agent_thought_chunk"))
    {
      JsonObject *content;
      const char *piece;
      gboolean thought = g_str_equal (kind, "agent_thought_chunk");

      if (!json_object_has_member (update, "content") ||
          !JSON_NODE_HOLDS_OBJECT (json_object_get_member (update, "content")))
        return;

      content = json_object_get_object_member (update, "content");
      piece = json_object_get_string_member_with_default (content, "text", "");
      if (piece[0] == '\0')
        return;

      g_string_append (thought ? self->thinking : self->text, piece);
      g_signal_emit (self, signals[thought ? THOUGHT : CHUNK], 0, piece);
    }
  else if (g_str_equal (kind, "notification"))
    {
      const char *type = json_object_get_string_member_with_default (update, "type", "");

      if (g_str_equal (type, "chat_finish"))
        {
          JsonObject *data = NULL;

          if (json_object_has_member (update, "data") &&
              JSON_NODE_HOLDS_OBJECT (json_object_get_member (update, "data")))
            data = json_object_get_object_member (update, "data");

          g_free (self->finish_reason);
          self->finish_reason = g_strdup (data ? json_object_get_string_member_with_default (data, "reason", "stop")
                                               : "stop");
          lp_lingma_turn_end (self, NULL);
        }
    }
}

static void
on_prompt_reply (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(LpLingmaTurn) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = NULL;

  reply = lp_ipc_client_call_finish (LP_IPC_CLIENT (object), result, &error);

  if (self->done)
    return;

  if (error != NULL)
    {
      g_autoptr(GError) mapped = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        mapped = g_error_new_literal (LP_ERROR, LP_ERROR_CLIENT_CLOSED, "the client went away");
      else if (g_error_matches (error, LP_ERROR, LP_ERROR_UNAVAILABLE))
        /* Never pass a partial reply off as complete (upstream W12). */
        mapped = g_error_new (LP_ERROR, LP_ERROR_UPSTREAM,
                              "Lingma closed the connection before the reply finished: %s",
                              error->message);
      else
        mapped = g_error_copy (error);

      if (g_error_matches (mapped, LP_ERROR, LP_ERROR_TIMEOUT))
        send_cancel (self);

      lp_lingma_turn_end (self, mapped);
      return;
    }

  /* ACP answers session/prompt when the turn is over; Lingma signals the
   * same with chat_finish. Whichever comes first ends the turn. */
  if (reply != NULL && JSON_NODE_HOLDS_OBJECT (reply) &&
      json_object_has_member (json_node_get_object (reply), "stopReason"))
    {
      const char *reason = json_object_get_string_member_with_default (json_node_get_object (reply),
                                                                       "stopReason", "stop");
      g_free (self->finish_reason);
      self->finish_reason = g_strdup (reason);
      lp_lingma_turn_end (self, NULL);
    }
}

static void
lp_lingma_turn_dispose (GObject *object)
{
  LpLingmaTurn *self = (LpLingmaTurn *) object;

  if (self->subscription != 0)
    {
      lp_ipc_client_unsubscribe (self->client, self->subscription);
      self->subscription = 0;
    }

  g_cancellable_cancel (self->cancellable);

  G_OBJECT_CLASS (lp_lingma_turn_parent_class)->dispose (object);
}

static void
lp_lingma_turn_finalize (GObject *object)
{
  LpLingmaTurn *self = (LpLingmaTurn *) object;

  g_clear_object (&self->client);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->session_id, g_free);
  g_clear_pointer (&self->request_id, g_free);
  g_clear_pointer (&self->params, json_object_unref);
  g_string_free (self->text, TRUE);
  g_string_free (self->thinking, TRUE);
  g_clear_pointer (&self->finish_reason, g_free);

  G_OBJECT_CLASS (lp_lingma_turn_parent_class)->finalize (object);
}

static void
lp_lingma_turn_class_init (LpLingmaTurnClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = lp_lingma_turn_dispose;
  object_class->finalize = lp_lingma_turn_finalize;

  signals[CHUNK] = g_signal_new ("chunk", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[THOUGHT] = g_signal_new ("thought", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                    0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[FAILED] = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
lp_lingma_turn_init (LpLingmaTurn *self)
{
  self->text = g_string_new (NULL);
  self->thinking = g_string_new (NULL);
  self->cancellable = g_cancellable_new ();
}

/**
 * lp_lingma_turn_new:
 * @meta: the `_meta` object; its `ai-coding/request-id` routes the updates
 * @image_items: (nullable): image items for both `prompt` and `contextParams`
 *
 * Images travel twice, in `prompt` and in `contextParams`, because that is
 * the shape Lingma is known to accept.
 */
LpLingmaTurn *
lp_lingma_turn_new (LpIpcClient *client,
                    const char  *session_id,
                    JsonObject  *meta,
                    const char  *prompt_text,
                    JsonArray   *image_items,
                    const char  *image_url,
                    guint        timeout_ms)
{
  LpLingmaTurn *self;
  JsonArray *prompt;
  JsonObject *text_item;

  g_return_val_if_fail (LP_IS_IPC_CLIENT (client), NULL);
  g_return_val_if_fail (session_id != NULL, NULL);
  g_return_val_if_fail (meta != NULL, NULL);
  g_return_val_if_fail (prompt_text != NULL, NULL);

  self = g_object_new (LP_TYPE_LINGMA_TURN, NULL);
  self->client = g_object_ref (client);
  self->session_id = g_strdup (session_id);
  self->request_id = g_strdup (json_object_get_string_member_with_default (meta, "ai-coding/request-id", ""));
  self->timeout_ms = timeout_ms;

  prompt = json_array_new ();
  text_item = json_object_new ();
  json_object_set_string_member (text_item, "type", "text");
  json_object_set_string_member (text_item, "text", prompt_text);
  json_array_add_object_element (prompt, text_item);

  self->params = json_object_new ();
  json_object_set_string_member (self->params, "sessionId", session_id);

  if (image_items != NULL && json_array_get_length (image_items) > 0)
    {
      JsonArray *context = json_array_new ();

      for (guint i = 0; i < json_array_get_length (image_items); i++)
        {
          JsonNode *item = json_array_get_element (image_items, i);
          json_array_add_element (prompt, json_node_copy (item));
          json_array_add_element (context, json_node_copy (item));
        }

      json_object_set_array_member (self->params, "prompt", prompt);
      json_object_set_array_member (self->params, "contextParams", context);
    }
  else
    {
      json_object_set_array_member (self->params, "prompt", prompt);
      json_object_set_null_member (self->params, "contextParams");
    }

  json_object_set_object_member (self->params, "_meta", json_object_ref (meta));

  if (image_url != NULL)
    {
      JsonObject *extra = json_object_new ();
      json_object_set_string_member (extra, "imageUrl", image_url);
      json_object_set_object_member (self->params, "extra", extra);
    }

  return self;
}

void
lp_lingma_turn_start (LpLingmaTurn *self)
{
  g_return_if_fail (LP_IS_LINGMA_TURN (self));
  g_return_if_fail (!self->running && !self->done);

  self->running = TRUE;
  self->subscription = lp_ipc_client_subscribe (self->client, self->request_id,
                                                on_notification, self, NULL);

  /* Tracked as a request, so a JSON-RPC error fails the turn at once
   * instead of after the timeout (upstream W11). */
  lp_ipc_client_call_async (self->client, "session/prompt", self->params,
                            self->timeout_ms, self->cancellable,
                            on_prompt_reply, g_object_ref (self));
}

/* Asks Lingma to stop generating (upstream W15 never did) and ends the
 * turn as cancelled. */
void
lp_lingma_turn_cancel (LpLingmaTurn *self)
{
  g_autoptr(GError) closed = NULL;

  g_return_if_fail (LP_IS_LINGMA_TURN (self));

  if (self->done)
    return;

  send_cancel (self);
  closed = g_error_new_literal (LP_ERROR, LP_ERROR_CLIENT_CLOSED, "the request was cancelled");
  lp_lingma_turn_end (self, closed);
  g_cancellable_cancel (self->cancellable);
}

gboolean
lp_lingma_turn_is_running (LpLingmaTurn *self)
{
  g_return_val_if_fail (LP_IS_LINGMA_TURN (self), FALSE);

  return self->running && lp_ipc_client_get_state (self->client) == LP_IPC_STATE_CONNECTED;
}

const char *
lp_lingma_turn_get_text (LpLingmaTurn *self)
{
  g_return_val_if_fail (LP_IS_LINGMA_TURN (self), NULL);

  return self->text->str;
}

const char *
lp_lingma_turn_get_thinking (LpLingmaTurn *self)
{
  g_return_val_if_fail (LP_IS_LINGMA_TURN (self), NULL);

  return self->thinking->str;
}

const char *
lp_lingma_turn_get_finish_reason (LpLingmaTurn *self)
{
  g_return_val_if_fail (LP_IS_LINGMA_TURN (self), NULL);

  return self->finish_reason;
}

const char *
lp_lingma_turn_get_request_id (LpLingmaTurn *self)
{
  g_return_val_if_fail (LP_IS_LINGMA_TURN (self), NULL);

  return self->request_id;
}
