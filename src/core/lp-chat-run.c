/* lp-chat-run.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lp-chat-run"

#include "config.h"

#include <string.h>

#include "lp-chat-run.h"
#include "lp-error.h"
#include "lp-images.h"
#include "lp-lingma-turn.h"
#include "lp-prompt.h"
#include "lp-tokens.h"
#include "lp-tools.h"

#define MAX_TOOL_RETRIES 2

struct _LpChatRun
{
  GObject          parent_instance;

  LpBackend       *backend;
  LpChatRequest   *request;
  GCancellable    *cancellable;

  char            *internal_model;
  char            *model;          /* the name reported back to the client */
  JsonObject      *meta;
  LpImageBatch    *images;
  LpSessionLease  *lease;
  char            *prompt;
  LpLingmaTurn    *turn;
  gboolean         tools_active;
  guint            retries;
  GString         *retry_reasons;

  gsize            emitted;        /* bytes of the live reply already sent */
  gsize            holdback;       /* longest stop sequence - 1 */
  LpChatResult    *result;
  gint64           input_tokens;
  gboolean         refreshed_models;
  gboolean         done;
};

enum {
  DELTA,
  THINKING,
  FINISHED,
  FAILED,
  N_SIGNALS
};

static guint signals [N_SIGNALS];

G_DEFINE_FINAL_TYPE (LpChatRun, lp_chat_run, G_TYPE_OBJECT)

static void start_turn (LpChatRun *self, const char *prompt, const char *prefix);

static void
release_turn (LpChatRun *self)
{
  if (self->turn == NULL)
    return;

  g_signal_handlers_disconnect_by_data (self->turn, self);
  if (lp_lingma_turn_is_running (self->turn))
    lp_lingma_turn_cancel (self->turn);
  g_clear_object (&self->turn);
}

static void
cleanup (LpChatRun *self,
         gboolean   healthy)
{
  release_turn (self);
  if (self->lease != NULL)
    lp_backend_close_session (self->backend, g_steal_pointer (&self->lease), healthy);
  g_clear_pointer (&self->images, lp_image_batch_free);
}

static void
fail (LpChatRun    *self,
      const GError *error)
{
  g_autoptr(LpChatRun) hold = g_object_ref (self);

  if (self->done)
    return;

  self->done = TRUE;
  cleanup (self, FALSE);
  g_signal_emit (self, signals[FAILED], 0, error);
}

static void
fail_take (LpChatRun *self,
           GError    *error)
{
  fail (self, error);
  g_error_free (error);
}

static void
finish (LpChatRun *self)
{
  g_autoptr(LpChatRun) hold = g_object_ref (self);

  if (self->done)
    return;

  self->done = TRUE;
  self->result->input_tokens = self->input_tokens;
  self->result->output_tokens = lp_estimate_tokens (self->result->text);
  for (guint i = 0; i < self->result->tool_calls->len; i++)
    {
      g_autofree char *arguments = lp_tool_call_dup_arguments_json (g_ptr_array_index (self->result->tool_calls, i));
      self->result->output_tokens += lp_estimate_tokens (arguments);
    }

  cleanup (self, TRUE);
  g_signal_emit (self, signals[FINISHED], 0);
}

static void
emit_upto (LpChatRun  *self,
           const char *text,
           gsize       end)
{
  g_autofree char *piece = NULL;

  if (end <= self->emitted)
    return;

  piece = g_strndup (text + self->emitted, end - self->emitted);
  self->emitted = end;
  g_signal_emit (self, signals[DELTA], 0, piece);
}

/* Backs @offset up to the start of a UTF-8 character. */
static gsize
char_boundary (const char *text,
               gsize       offset)
{
  while (offset > 0 && ((guchar) text[offset] & 0xC0) == 0x80)
    offset--;

  return offset;
}

/* Stop sequences and max_tokens are applied by the proxy, because Lingma
 * takes neither. Returns TRUE when the reply must end at *cut. */
static gboolean
find_cut (LpChatRun      *self,
          const char     *text,
          gsize          *cut,
          LpFinishReason *reason,
          char          **sequence)
{
  gsize best = G_MAXSIZE;

  for (guint i = 0; self->request->stop != NULL && self->request->stop[i] != NULL; i++)
    {
      const char *stop = self->request->stop[i];
      const char *hit;

      if (stop[0] == '\0')
        continue;

      hit = strstr (text, stop);
      if (hit != NULL && (gsize) (hit - text) < best)
        {
          best = hit - text;
          g_free (*sequence);
          *sequence = g_strdup (stop);
        }
    }

  if (best != G_MAXSIZE)
    {
      *cut = best;
      *reason = LP_FINISH_STOP_SEQUENCE;
      return TRUE;
    }

  if (self->request->max_tokens > 0 && lp_estimate_tokens (text) > self->request->max_tokens)
    {
      *cut = lp_tokens_prefix_len (text, self->request->max_tokens);
      *reason = LP_FINISH_LENGTH;
      return TRUE;
    }

  return FALSE;
}

static void
end_with_text (LpChatRun      *self,
               const char     *text,
               gsize           cut,
               LpFinishReason  reason,
               char           *sequence)
{
  if (!self->tools_active)
    emit_upto (self, text, cut);

  g_free (self->result->text);
  self->result->text = g_strndup (text, cut);
  self->result->finish = reason;
  g_free (self->result->stop_sequence);
  self->result->stop_sequence = sequence;
  g_free (self->result->thinking);
  self->result->thinking = g_strdup (self->turn ? lp_lingma_turn_get_thinking (self->turn) : "");
  finish (self);
}

static void
on_turn_chunk (LpLingmaTurn *turn,
               const char   *piece,
               LpChatRun    *self)
{
  const char *text = lp_lingma_turn_get_text (turn);
  g_autofree char *sequence = NULL;
  LpFinishReason reason;
  gsize cut;

  g_assert (LP_IS_CHAT_RUN (self));

  /* With tools the whole reply is needed before anything can be sent:
   * it may become tool calls, or be retried. */
  if (self->tools_active)
    return;

  if (find_cut (self, text, &cut, &reason, &sequence))
    {
      end_with_text (self, text, cut, reason, g_steal_pointer (&sequence));
      return;
    }

  /* Hold back what could be the start of a stop sequence. */
  if (strlen (text) > self->holdback)
    emit_upto (self, text, char_boundary (text, strlen (text) - self->holdback));
}

static void
on_turn_thought (LpLingmaTurn *turn,
                 const char   *piece,
                 LpChatRun    *self)
{
  g_assert (LP_IS_CHAT_RUN (self));

  if (self->request->thinking && !self->tools_active)
    g_signal_emit (self, signals[THINKING], 0, piece);
}

static void
note_retry (LpChatRun         *self,
            LpToolRetryReason  reason,
            const LpToolParse *parse)
{
  const char *needle = lp_tool_retry_matched_needle (self->request, parse);

  if (self->retry_reasons->len > 0)
    g_string_append (self->retry_reasons, ", ");
  g_string_append (self->retry_reasons, lp_tool_retry_reason_to_string (reason));
  if (needle != NULL)
    g_string_append_printf (self->retry_reasons, " (\"%s\")", needle);
  else if (parse->problem != NULL)
    g_string_append_printf (self->retry_reasons, " (%s)", parse->problem);
}

/* The retry instruction goes before the closing "Assistant:" cue, so the
 * model still reads it as instructions rather than as its own reply. */
static char *
retry_prompt (const char *prompt,
              const char *instruction)
{
  static const char cue[] = "\n\nAssistant:";

  if (g_str_has_suffix (prompt, cue))
    {
      g_autofree char *head = g_strndup (prompt, strlen (prompt) - strlen (cue));
      return g_strconcat (head, "\n\n", instruction, cue, NULL);
    }

  return g_strconcat (prompt, "\n\n", instruction, NULL);
}

static void
finish_tools (LpChatRun *self)
{
  const char *reply = lp_lingma_turn_get_text (self->turn);
  g_autoptr(LpToolParse) parse = lp_tool_parse_reply (self->request, reply);
  LpToolRetryReason reason = lp_tool_retry_reason (self->request, parse);

  if (reason != LP_TOOL_RETRY_NONE && self->retries < MAX_TOOL_RETRIES)
    {
      g_autofree char *instruction = NULL;
      g_autofree char *prompt = NULL;

      self->retries++;
      note_retry (self, reason, parse);
      instruction = lp_tool_retry_instruction_for_parse (self->request, parse, self->retries);
      prompt = retry_prompt (self->prompt, instruction);
      g_debug ("tool retry %u (%s)", self->retries, lp_tool_retry_reason_to_string (reason));
      start_turn (self, prompt, "serve-tool");
      return;
    }

  g_free (self->result->text);
  self->result->text = g_strdup (parse->text);
  for (guint i = 0; i < parse->calls->len; i++)
    g_ptr_array_add (self->result->tool_calls, lp_tool_call_copy (g_ptr_array_index (parse->calls, i)));
  self->result->finish = parse->calls->len > 0 ? LP_FINISH_TOOL_CALLS : LP_FINISH_STOP;
  g_free (self->result->thinking);
  self->result->thinking = g_strdup (lp_lingma_turn_get_thinking (self->turn));
  finish (self);
}

static void
on_turn_finished (LpLingmaTurn *turn,
                  const char   *reason,
                  LpChatRun    *self)
{
  const char *text = lp_lingma_turn_get_text (turn);
  g_autofree char *sequence = NULL;
  LpFinishReason finish_reason = LP_FINISH_STOP;
  gsize cut;

  g_assert (LP_IS_CHAT_RUN (self));

  if (self->tools_active)
    {
      finish_tools (self);
      return;
    }

  if (text[0] == '\0' && lp_lingma_turn_get_thinking (turn)[0] == '\0')
    {
      fail_take (self, g_error_new_literal (LP_ERROR, LP_ERROR_UPSTREAM,
                                            "Lingma finished without producing a reply"));
      return;
    }

  if (!find_cut (self, text, &cut, &finish_reason, &sequence))
    {
      cut = strlen (text);
      if (reason != NULL && strstr (reason, "length") != NULL)
        finish_reason = LP_FINISH_LENGTH;
    }

  end_with_text (self, text, cut, finish_reason, g_steal_pointer (&sequence));
}

static void
on_turn_failed (LpLingmaTurn *turn,
                const GError *error,
                LpChatRun    *self)
{
  g_assert (LP_IS_CHAT_RUN (self));

  fail (self, error);
}

static void
start_turn (LpChatRun  *self,
            const char *prompt,
            const char *prefix)
{
  LpConfig *config = lp_backend_get_config (self->backend);

  release_turn (self);

  /* Each retry gets its own correlation id so late updates of the
   * previous turn cannot leak into it. */
  if (prefix != NULL)
    {
      g_autofree char *request_id = lp_lingma_correlation_id (prefix);
      json_object_set_string_member (self->meta, "ai-coding/request-id", request_id);
    }

  self->turn = lp_lingma_turn_new (lp_backend_get_client (self->backend),
                                   self->lease->session_id, self->meta, prompt,
                                   self->images ? lp_image_batch_get_items (self->images) : NULL,
                                   self->images ? lp_image_batch_get_image_url (self->images) : NULL,
                                   lp_config_get_timeout (config) * 1000);
  g_signal_connect (self->turn, "chunk", G_CALLBACK (on_turn_chunk), self);
  g_signal_connect (self->turn, "thought", G_CALLBACK (on_turn_thought), self);
  g_signal_connect (self->turn, "finished", G_CALLBACK (on_turn_finished), self);
  g_signal_connect (self->turn, "failed", G_CALLBACK (on_turn_failed), self);
  lp_lingma_turn_start (self->turn);
}

static void
on_session_opened (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(LpChatRun) self = user_data;
  GError *error = NULL;
  LpPromptScope scope;

  self->lease = lp_backend_open_session_finish (LP_BACKEND (object), result, &error);
  if (self->done)
    {
      g_clear_error (&error);
      cleanup (self, FALSE);
      return;
    }

  if (self->lease == NULL)
    {
      fail_take (self, error);
      return;
    }

  /* A reused session already holds the earlier turns. */
  scope = self->lease->first_turn ? LP_PROMPT_FULL : LP_PROMPT_LATEST;
  self->prompt = lp_prompt_build (self->request, scope, &error);
  if (self->prompt == NULL)
    {
      fail_take (self, error);
      return;
    }

  start_turn (self, self->prompt, NULL);
}

static void
open_session (LpChatRun *self)
{
  lp_backend_open_session_async (self->backend, self->internal_model, self->meta,
                                 self->cancellable, on_session_opened, g_object_ref (self));
}

static void
on_images_ready (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(LpChatRun) self = user_data;
  GError *error = NULL;

  self->images = lp_image_batch_prepare_finish (result, &error);
  if (self->done)
    {
      g_clear_error (&error);
      return;
    }

  if (self->images == NULL)
    {
      fail_take (self, error);
      return;
    }

  open_session (self);
}

static void
prepare_images (LpChatRun *self)
{
  g_autoptr(GPtrArray) images = lp_prompt_collect_images (self->request);

  if (images == NULL || images->len == 0)
    {
      open_session (self);
      return;
    }

  lp_image_batch_prepare_async (images,
                                lp_config_get_image_dir (lp_backend_get_config (self->backend)),
                                NULL, self->cancellable, on_images_ready, g_object_ref (self));
}

static void resolve_model (LpChatRun *self);

static void
on_models_refreshed (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(LpChatRun) self = user_data;
  GError *error = NULL;

  if (self->done)
    return;

  if (!lp_backend_refresh_models_finish (LP_BACKEND (object), result, &error))
    {
      fail_take (self, error);
      return;
    }

  resolve_model (self);
}

static void
resolve_model (LpChatRun *self)
{
  LpModelCatalog *catalog = lp_backend_get_catalog (self->backend);
  LpConfig *config = lp_backend_get_config (self->backend);
  g_autofree char *request_id = NULL;
  const char *display;
  gboolean known = FALSE;

  g_clear_pointer (&self->internal_model, g_free);
  self->internal_model = lp_model_catalog_resolve (catalog, self->request->model,
                                                   lp_config_get_model (config),
                                                   lp_config_get_model_aliases (config),
                                                   &known);

  /* A miss may mean Lingma gained a model since the last refresh: ask
   * once before falling back to the default model. */
  if (!self->refreshed_models &&
      (lp_model_catalog_is_empty (catalog) || (self->request->model[0] != '\0' && !known)))
    {
      self->refreshed_models = TRUE;
      lp_backend_refresh_models_async (self->backend, FALSE,
                                       self->cancellable, on_models_refreshed, g_object_ref (self));
      return;
    }

  display = self->internal_model ? lp_model_catalog_display_name_for (catalog, self->internal_model) : NULL;
  self->model = g_strdup (self->request->model[0] != '\0' ? self->request->model
                          : display ? display : "lingma");
  request_id = lp_lingma_correlation_id ("serve");
  self->meta = lp_backend_build_meta (self->backend, request_id, self->internal_model);

  prepare_images (self);
}

static void
lp_chat_run_dispose (GObject *object)
{
  LpChatRun *self = (LpChatRun *) object;

  g_cancellable_cancel (self->cancellable);
  cleanup (self, FALSE);

  G_OBJECT_CLASS (lp_chat_run_parent_class)->dispose (object);
}

static void
lp_chat_run_finalize (GObject *object)
{
  LpChatRun *self = (LpChatRun *) object;

  g_clear_object (&self->backend);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->request, lp_chat_request_free);
  g_clear_pointer (&self->internal_model, g_free);
  g_clear_pointer (&self->model, g_free);
  g_clear_pointer (&self->meta, json_object_unref);
  g_clear_pointer (&self->prompt, g_free);
  g_clear_pointer (&self->result, lp_chat_result_free);
  g_string_free (self->retry_reasons, TRUE);

  G_OBJECT_CLASS (lp_chat_run_parent_class)->finalize (object);
}

static void
lp_chat_run_class_init (LpChatRunClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = lp_chat_run_dispose;
  object_class->finalize = lp_chat_run_finalize;

  signals[DELTA] = g_signal_new ("delta", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[THINKING] = g_signal_new ("thinking", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                    0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                    0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[FAILED] = g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
lp_chat_run_init (LpChatRun *self)
{
  self->cancellable = g_cancellable_new ();
  self->result = lp_chat_result_new ();
  self->retry_reasons = g_string_new (NULL);
}

/**
 * lp_chat_run_new:
 * @request: (transfer full)
 */
LpChatRun *
lp_chat_run_new (LpBackend     *backend,
                 LpChatRequest *request)
{
  LpChatRun *self;

  g_return_val_if_fail (LP_IS_BACKEND (backend), NULL);
  g_return_val_if_fail (request != NULL, NULL);

  self = g_object_new (LP_TYPE_CHAT_RUN, NULL);
  self->backend = g_object_ref (backend);
  self->request = request;
  self->tools_active = lp_tools_active (request) && request->tool_choice != LP_TOOL_CHOICE_NONE;
  self->input_tokens = lp_chat_request_estimate_tokens (request);

  for (guint i = 0; request->stop != NULL && request->stop[i] != NULL; i++)
    self->holdback = MAX (self->holdback, strlen (request->stop[i]) > 0 ? strlen (request->stop[i]) - 1 : 0);

  return self;
}

void
lp_chat_run_start (LpChatRun *self)
{
  g_return_if_fail (LP_IS_CHAT_RUN (self));

  resolve_model (self);
}

/* The client went away: stop Lingma generating and free the session. */
void
lp_chat_run_cancel (LpChatRun *self)
{
  g_return_if_fail (LP_IS_CHAT_RUN (self));

  if (self->done)
    return;

  g_cancellable_cancel (self->cancellable);
  fail_take (self, g_error_new_literal (LP_ERROR, LP_ERROR_CLIENT_CLOSED, "the client went away"));
}

/* Keep-alives are only honest while Lingma is demonstrably working on
 * this request. */
gboolean
lp_chat_run_is_alive (LpChatRun *self)
{
  g_return_val_if_fail (LP_IS_CHAT_RUN (self), FALSE);

  if (self->done)
    return FALSE;

  if (self->turn == NULL)
    return lp_ipc_client_get_state (lp_backend_get_client (self->backend)) != LP_IPC_STATE_FAILED;

  return lp_lingma_turn_is_running (self->turn);
}

const LpChatRequest *
lp_chat_run_get_request (LpChatRun *self)
{
  g_return_val_if_fail (LP_IS_CHAT_RUN (self), NULL);

  return self->request;
}

const LpChatResult *
lp_chat_run_get_result (LpChatRun *self)
{
  g_return_val_if_fail (LP_IS_CHAT_RUN (self), NULL);

  return self->result;
}

const char *
lp_chat_run_get_model (LpChatRun *self)
{
  g_return_val_if_fail (LP_IS_CHAT_RUN (self), NULL);

  return self->model ? self->model : self->request->model;
}

gint64
lp_chat_run_get_input_tokens (LpChatRun *self)
{
  g_return_val_if_fail (LP_IS_CHAT_RUN (self), 0);

  return self->input_tokens;
}

const char *
lp_chat_run_get_retry_reason (LpChatRun *self)
{
  g_return_val_if_fail (LP_IS_CHAT_RUN (self), NULL);

  return self->retry_reasons->len > 0 ? self->retry_reasons->str : NULL;
}

gboolean
lp_chat_run_streams_live (LpChatRun *self)
{
  g_return_val_if_fail (LP_IS_CHAT_RUN (self), FALSE);

  return !self->tools_active;
}
