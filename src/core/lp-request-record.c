/* lp-request-record.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#define G_LOG_DOMAIN "lp-request-record"

#include "config.h"

#include <string.h>

#include "lp-redact.h"
#include "lp-request-record.h"

#define TRUNCATION_MARKER "\n… [truncated: %" G_GUINT64_FORMAT " more bytes]"

struct _LpRequestRecord
{
  GObject  parent_instance;

  /* Never NULL; "" when unknown. */
  char    *id;
  char    *method;
  char    *path;
  char    *dialect;
  char    *model;
  char    *request_headers;
  char    *request_body;
  char    *response_body;
  char    *retry_reason;
  char    *error;
  GString *response_raw;

  gint64   started_at;    /* unix µs */
  gint64   started_mono;  /* monotonic µs, for the durations */
  gint64   latency_ms;
  gint64   ttfb_ms;
  guint64  bytes_in;
  guint64  bytes_out;
  gint64   input_tokens;
  gint64   output_tokens;
  guint64  body_cap;
  gsize    raw_kept;      /* raw bytes before the marker once truncated */
  guint64  raw_dropped;
  gsize    text_size;     /* bytes held by the strings above */
  guint    status;

  guint    in_flight : 1;
  guint    truncated : 1;
  guint    streamed : 1;
};

G_DEFINE_FINAL_TYPE (LpRequestRecord, lp_request_record, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_STARTED_AT,
  PROP_METHOD,
  PROP_PATH,
  PROP_BODY_CAP,
  PROP_DIALECT,
  PROP_MODEL,
  PROP_STATUS,
  PROP_IN_FLIGHT,
  PROP_LATENCY_MS,
  PROP_TTFB_MS,
  PROP_BYTES_IN,
  PROP_BYTES_OUT,
  PROP_INPUT_TOKENS,
  PROP_OUTPUT_TOKENS,
  PROP_REQUEST_HEADERS,
  PROP_REQUEST_BODY,
  PROP_RESPONSE_BODY,
  PROP_RESPONSE_RAW,
  PROP_RETRY_REASON,
  PROP_ERROR,
  PROP_TRUNCATED,
  PROP_SIZE,
  N_PROPS
};

static GParamSpec *properties [N_PROPS];

static void
notify (LpRequestRecord *self,
        guint            prop)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties [prop]);
}

/* Replaces a string field, keeping the size accounting right. */
static void
take_string (LpRequestRecord  *self,
             char            **field,
             char             *value,
             guint             prop)
{
  if (value == NULL)
    value = g_strdup ("");

  if (g_strcmp0 (*field, value) == 0)
    {
      g_free (value);
      return;
    }

  self->text_size -= *field != NULL ? strlen (*field) : 0;
  self->text_size += strlen (value);
  g_free (*field);
  *field = value;

  notify (self, prop);
  notify (self, PROP_SIZE);
}

static void
set_truncated (LpRequestRecord *self)
{
  if (!self->truncated)
    {
      self->truncated = TRUE;
      notify (self, PROP_TRUNCATED);
    }
}

/* Where to cut @s (at least @cap bytes long) so that no character is
 * split, @next being the byte that follows the first @cap. */
static gsize
utf8_cut (const char *s,
          gsize       cap,
          guchar      next)
{
  gsize cut = cap;

  if ((next & 0xC0) != 0x80)
    return cut;

  while (cut > 0 && ((guchar) s[cut - 1] & 0xC0) == 0x80)
    cut--;

  return cut > 0 ? cut - 1 : 0;
}

/* Redacts and caps a body for storage. */
static char *
prepare_body (LpRequestRecord *self,
              const char      *body,
              gsize            len)
{
  g_autofree char *redacted = lp_redact_body (body, len, LP_REDACT_BASE64_THRESHOLD);
  gsize redacted_len = strlen (redacted);
  g_autofree char *marker = NULL;
  gsize cut;

  if (!g_utf8_validate_len (redacted, redacted_len, NULL))
    {
      char *valid = g_utf8_make_valid (redacted, redacted_len);

      g_free (redacted);
      redacted = valid;
      redacted_len = strlen (redacted);
    }

  if (redacted_len <= self->body_cap)
    return g_steal_pointer (&redacted);

  cut = utf8_cut (redacted, self->body_cap, redacted[self->body_cap]);
  marker = g_strdup_printf (TRUNCATION_MARKER, (guint64) (redacted_len - cut));
  set_truncated (self);

  /* An exact-size copy: a GString would round up to the next power of
   * two and hold twice what the store accounts for. */
  redacted[cut] = '\0';
  return g_strconcat (redacted, marker, NULL);
}

static void
lp_request_record_finalize (GObject *object)
{
  LpRequestRecord *self = (LpRequestRecord *)object;

  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->method, g_free);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->dialect, g_free);
  g_clear_pointer (&self->model, g_free);
  g_clear_pointer (&self->request_headers, g_free);
  g_clear_pointer (&self->request_body, g_free);
  g_clear_pointer (&self->response_body, g_free);
  g_clear_pointer (&self->retry_reason, g_free);
  g_clear_pointer (&self->error, g_free);
  g_string_free (self->response_raw, TRUE);

  G_OBJECT_CLASS (lp_request_record_parent_class)->finalize (object);
}

static void
lp_request_record_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  LpRequestRecord *self = LP_REQUEST_RECORD (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;

    case PROP_STARTED_AT:
      g_value_set_int64 (value, self->started_at);
      break;

    case PROP_METHOD:
      g_value_set_string (value, self->method);
      break;

    case PROP_PATH:
      g_value_set_string (value, self->path);
      break;

    case PROP_BODY_CAP:
      g_value_set_uint64 (value, self->body_cap);
      break;

    case PROP_DIALECT:
      g_value_set_string (value, self->dialect);
      break;

    case PROP_MODEL:
      g_value_set_string (value, self->model);
      break;

    case PROP_STATUS:
      g_value_set_uint (value, self->status);
      break;

    case PROP_IN_FLIGHT:
      g_value_set_boolean (value, self->in_flight);
      break;

    case PROP_LATENCY_MS:
      g_value_set_int64 (value, self->latency_ms);
      break;

    case PROP_TTFB_MS:
      g_value_set_int64 (value, self->ttfb_ms);
      break;

    case PROP_BYTES_IN:
      g_value_set_uint64 (value, self->bytes_in);
      break;

    case PROP_BYTES_OUT:
      g_value_set_uint64 (value, self->bytes_out);
      break;

    case PROP_INPUT_TOKENS:
      g_value_set_int64 (value, self->input_tokens);
      break;

    case PROP_OUTPUT_TOKENS:
      g_value_set_int64 (value, self->output_tokens);
      break;

    case PROP_REQUEST_HEADERS:
      g_value_set_string (value, self->request_headers);
      break;

    case PROP_REQUEST_BODY:
      g_value_set_string (value, self->request_body);
      break;

    case PROP_RESPONSE_BODY:
      g_value_set_string (value, self->response_body);
      break;

    case PROP_RESPONSE_RAW:
      g_value_set_string (value, self->response_raw->str);
      break;

    case PROP_RETRY_REASON:
      g_value_set_string (value, self->retry_reason);
      break;

    case PROP_ERROR:
      g_value_set_string (value, self->error);
      break;

    case PROP_TRUNCATED:
      g_value_set_boolean (value, self->truncated);
      break;

    case PROP_SIZE:
      g_value_set_uint64 (value, lp_request_record_get_size (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
lp_request_record_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  LpRequestRecord *self = LP_REQUEST_RECORD (object);

  switch (prop_id)
    {
    case PROP_METHOD:
      take_string (self, &self->method, g_value_dup_string (value), prop_id);
      break;

    case PROP_PATH:
      take_string (self, &self->path, g_value_dup_string (value), prop_id);
      break;

    case PROP_BODY_CAP:
      self->body_cap = g_value_get_uint64 (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static GParamSpec *
string_property (const char *name,
                 GParamFlags flags)
{
  return g_param_spec_string (name, NULL, NULL, "",
                              flags | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
}

static GParamSpec *
int64_property (const char *name,
                gint64      minimum,
                gint64      default_value)
{
  return g_param_spec_int64 (name, NULL, NULL, minimum, G_MAXINT64, default_value,
                             G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
}

static GParamSpec *
uint64_property (const char *name)
{
  return g_param_spec_uint64 (name, NULL, NULL, 0, G_MAXUINT64, 0,
                              G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
}

static GParamSpec *
boolean_property (const char *name,
                  gboolean    default_value)
{
  return g_param_spec_boolean (name, NULL, NULL, default_value,
                               G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
}

static void
lp_request_record_class_init (LpRequestRecordClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags construct_only = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY;

  object_class->finalize = lp_request_record_finalize;
  object_class->get_property = lp_request_record_get_property;
  object_class->set_property = lp_request_record_set_property;

  properties [PROP_ID] = string_property ("id", G_PARAM_READABLE);

  /**
   * LpRequestRecord:started-at:
   *
   * When the request started, in unix microseconds.
   */
  properties [PROP_STARTED_AT] = int64_property ("started-at", 0, 0);
  properties [PROP_METHOD] = string_property ("method", construct_only);

  /**
   * LpRequestRecord:path:
   *
   * The request path without the query.
   */
  properties [PROP_PATH] = string_property ("path", construct_only);

  /**
   * LpRequestRecord:body-cap:
   *
   * How many bytes of each body are kept; the rest is replaced by a
   * marker saying how much was cut.
   */
  properties [PROP_BODY_CAP] =
    g_param_spec_uint64 ("body-cap", NULL, NULL,
                         0, G_MAXUINT64, LP_REQUEST_RECORD_BODY_CAP,
                         construct_only | G_PARAM_STATIC_STRINGS);

  /**
   * LpRequestRecord:dialect:
   *
   * "openai" or "anthropic" for chat requests, "" for anything else.
   */
  properties [PROP_DIALECT] = string_property ("dialect", G_PARAM_READABLE);
  properties [PROP_MODEL] = string_property ("model", G_PARAM_READABLE);

  /**
   * LpRequestRecord:status:
   *
   * The HTTP status sent, 0 while in flight.
   */
  properties [PROP_STATUS] =
    g_param_spec_uint ("status", NULL, NULL,
                       0, 999, 0,
                       (G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS));
  properties [PROP_IN_FLIGHT] = boolean_property ("in-flight", TRUE);

  /**
   * LpRequestRecord:latency-ms:
   *
   * From start to finish, -1 while in flight.
   */
  properties [PROP_LATENCY_MS] = int64_property ("latency-ms", -1, -1);

  /**
   * LpRequestRecord:ttfb-ms:
   *
   * From start to the first response byte, -1 until known.
   */
  properties [PROP_TTFB_MS] = int64_property ("ttfb-ms", -1, -1);

  /**
   * LpRequestRecord:bytes-in:
   *
   * The size of the request body as received.
   */
  properties [PROP_BYTES_IN] = uint64_property ("bytes-in");

  /**
   * LpRequestRecord:bytes-out:
   *
   * The size of the response body as sent.
   */
  properties [PROP_BYTES_OUT] = uint64_property ("bytes-out");
  properties [PROP_INPUT_TOKENS] = int64_property ("input-tokens", 0, 0);
  properties [PROP_OUTPUT_TOKENS] = int64_property ("output-tokens", 0, 0);

  /**
   * LpRequestRecord:request-headers:
   *
   * "Name: value" lines, credentials redacted.
   */
  properties [PROP_REQUEST_HEADERS] = string_property ("request-headers", G_PARAM_READABLE);

  /**
   * LpRequestRecord:request-body:
   *
   * The request body, redacted and capped.
   */
  properties [PROP_REQUEST_BODY] = string_property ("request-body", G_PARAM_READABLE);

  /**
   * LpRequestRecord:response-body:
   *
   * The JSON body sent, or for a stream the assembled result.
   */
  properties [PROP_RESPONSE_BODY] = string_property ("response-body", G_PARAM_READABLE);

  /**
   * LpRequestRecord:response-raw:
   *
   * For a stream, the SSE bytes sent, capped.
   */
  properties [PROP_RESPONSE_RAW] = string_property ("response-raw", G_PARAM_READABLE);

  /**
   * LpRequestRecord:retry-reason:
   *
   * Why tool emulation asked Lingma again, or "".
   */
  properties [PROP_RETRY_REASON] = string_property ("retry-reason", G_PARAM_READABLE);
  properties [PROP_ERROR] = string_property ("error", G_PARAM_READABLE);

  /**
   * LpRequestRecord:truncated:
   *
   * Whether any body was cut at #LpRequestRecord:body-cap.
   */
  properties [PROP_TRUNCATED] = boolean_property ("truncated", FALSE);

  /**
   * LpRequestRecord:size:
   *
   * The approximate memory the record holds, in bytes.
   */
  properties [PROP_SIZE] = uint64_property ("size");

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
lp_request_record_init (LpRequestRecord *self)
{
  self->id = lp_new_id ("req_");
  self->text_size = strlen (self->id);
  self->dialect = g_strdup ("");
  self->model = g_strdup ("");
  self->request_headers = g_strdup ("");
  self->request_body = g_strdup ("");
  self->response_body = g_strdup ("");
  self->retry_reason = g_strdup ("");
  self->error = g_strdup ("");
  self->response_raw = g_string_new (NULL);
  self->started_at = g_get_real_time ();
  self->started_mono = g_get_monotonic_time ();
  self->latency_ms = -1;
  self->ttfb_ms = -1;
  self->in_flight = TRUE;
}

/**
 * lp_request_record_new:
 * @method: the HTTP method
 * @path: the request path without the query
 * @body_cap: how many bytes of each body to keep
 *
 * Creates an in-flight record started now. Usually
 * lp_request_store_begin() does this.
 *
 * Returns: (transfer full): a new #LpRequestRecord
 */
LpRequestRecord *
lp_request_record_new (const char *method,
                       const char *path,
                       guint64     body_cap)
{
  g_return_val_if_fail (method != NULL, NULL);
  g_return_val_if_fail (path != NULL, NULL);

  return g_object_new (LP_TYPE_REQUEST_RECORD,
                       "method", method,
                       "path", path,
                       "body-cap", body_cap,
                       NULL);
}

const char *
lp_request_record_get_id (LpRequestRecord *self)
{
  g_return_val_if_fail (LP_IS_REQUEST_RECORD (self), NULL);

  return self->id;
}

gint64
lp_request_record_get_started_at (LpRequestRecord *self)
{
  g_return_val_if_fail (LP_IS_REQUEST_RECORD (self), 0);

  return self->started_at;
}

const char *
lp_request_record_get_method (LpRequestRecord *self)
{
  g_return_val_if_fail (LP_IS_REQUEST_RECORD (self), NULL);

  return self->method;
}

const char *
lp_request_record_get_path (LpRequestRecord *self)
{
  g_return_val_if_fail (LP_IS_REQUEST_RECORD (self), NULL);

  return self->path;
}

guint64
lp_request_record_get_body_cap (LpRequestRecord *self)
{
  g_return_val_if_fail (LP_IS_REQUEST_RECORD (self), 0);

  return self->body_cap;
}

const char *
lp_request_record_get_dialect (LpRequestRecord *self)
{
  g_return_val_if_fail (LP_IS_REQUEST_RECORD (self), NULL);

  return self->dialect;
}

const char *
lp_request_record_get_model (LpRequestRecord *self)
{
  g_return_val_if_fail (LP_IS_REQUEST_RECORD (self), NULL);

  return self->model;
}

guint
lp_request_record_get_status (LpRequestRecord *self)
{
  g_return_val_if_fail (LP_IS_REQUEST_RECORD (self), 0);

  return self->status;
}

gboolean
lp_request_record_get_in_flight (LpRequestRecord *self)
{
  g_return_val_if_fail (LP_IS_REQUEST_RECORD (self), FALSE);

  return self->in_flight;
}

gint64
lp_request_record_get_latency_ms (LpRequestRecord *self)
{
  g_return_val_if_fail (LP_IS_REQUEST_RECORD (self), -1);

  return self->latency_ms;
}

gint64
lp_request_record_get_ttfb_ms (LpRequestRecord *self)
{
  g_return_val_if_fail (LP_IS_REQUEST_RECORD (self), -1);

  return self->ttfb_ms;
}

guint64
lp_request_record_get_bytes_in (LpRequestRecord *self)
{
  g_return_val_if_fail (LP_IS_REQUEST_RECORD (self), 0);

  return self->bytes_in;
}

guint64
lp_request_record_get_bytes_out (LpRequestRecord *self)
{
  g_return_val_if_fail (LP_IS_REQUEST_RECORD (self), 0);

  return self->bytes_out;
}

gint64
lp_request_record_get_input_tokens (LpRequestRecord *self)
{
  g_return_val_if_fail (LP_IS_REQUEST_RECORD (self), 0);

  return self->input_tokens;
}

gint64
lp_request_record_get_output_tokens (LpRequestRecord *self)
{
  g_return_val_if_fail (LP_IS_REQUEST_RECORD (self), 0);

  return self->output_tokens;
}

const char *
lp_request_record_get_request_headers (LpRequestRecord *self)
{
  g_return_val_if_fail (LP_IS_REQUEST_RECORD (self), NULL);

  return self->request_headers;
}

const char *
lp_request_record_get_request_body (LpRequestRecord *self)
{
  g_return_val_if_fail (LP_IS_REQUEST_RECORD (self), NULL);

  return self->request_body;
}

const char *
lp_request_record_get_response_body (LpRequestRecord *self)
{
  g_return_val_if_fail (LP_IS_REQUEST_RECORD (self), NULL);

  return self->response_body;
}

const char *
lp_request_record_get_response_raw (LpRequestRecord *self)
{
  g_return_val_if_fail (LP_IS_REQUEST_RECORD (self), NULL);

  return self->response_raw->str;
}

const char *
lp_request_record_get_retry_reason (LpRequestRecord *self)
{
  g_return_val_if_fail (LP_IS_REQUEST_RECORD (self), NULL);

  return self->retry_reason;
}

const char *
lp_request_record_get_error (LpRequestRecord *self)
{
  g_return_val_if_fail (LP_IS_REQUEST_RECORD (self), NULL);

  return self->error;
}

gboolean
lp_request_record_get_truncated (LpRequestRecord *self)
{
  g_return_val_if_fail (LP_IS_REQUEST_RECORD (self), FALSE);

  return self->truncated;
}

/**
 * lp_request_record_get_size:
 * @self: a #LpRequestRecord
 *
 * Returns: the approximate memory the record holds, in bytes
 */
gsize
lp_request_record_get_size (LpRequestRecord *self)
{
  g_return_val_if_fail (LP_IS_REQUEST_RECORD (self), 0);

  return sizeof *self + self->text_size;
}

/**
 * lp_request_record_set_request:
 * @self: a #LpRequestRecord
 * @header_names: (array zero-terminated=1): the request header names
 * @header_values: (array zero-terminated=1): their values, in the same order
 * @body: (array length=body_len) (nullable): the request body as received
 * @body_len: its length
 *
 * Records what the client sent. Credentials in headers and large base64
 * payloads in the body are redacted here, so callers pass what they got.
 */
void
lp_request_record_set_request (LpRequestRecord    *self,
                               const char * const *header_names,
                               const char * const *header_values,
                               const char         *body,
                               gsize               body_len)
{
  g_autoptr(GString) headers = g_string_new (NULL);

  g_return_if_fail (LP_IS_REQUEST_RECORD (self));
  g_return_if_fail (header_names != NULL);
  g_return_if_fail (header_values != NULL);
  g_return_if_fail (body != NULL || body_len == 0);

  for (guint i = 0; header_names[i] != NULL; i++)
    {
      g_autofree char *value = NULL;

      g_return_if_fail (header_values[i] != NULL);

      value = lp_redact_header_value (header_names[i], header_values[i]);
      if (headers->len > 0)
        g_string_append_c (headers, '\n');
      g_string_append_printf (headers, "%s: %s", header_names[i], value);
    }

  g_object_freeze_notify (G_OBJECT (self));

  take_string (self, &self->request_headers,
               g_string_free (g_steal_pointer (&headers), FALSE),
               PROP_REQUEST_HEADERS);
  take_string (self, &self->request_body,
               prepare_body (self, body, body_len),
               PROP_REQUEST_BODY);

  if (self->bytes_in != body_len)
    {
      self->bytes_in = body_len;
      notify (self, PROP_BYTES_IN);
    }

  g_object_thaw_notify (G_OBJECT (self));
}

void
lp_request_record_set_dialect (LpRequestRecord *self,
                               LpDialect        dialect)
{
  const char *name = "";

  g_return_if_fail (LP_IS_REQUEST_RECORD (self));

  switch (dialect)
    {
    case LP_DIALECT_OPENAI:
      name = "openai";
      break;

    case LP_DIALECT_ANTHROPIC:
      name = "anthropic";
      break;

    default:
      g_return_if_reached ();
    }

  take_string (self, &self->dialect, g_strdup (name), PROP_DIALECT);
}

void
lp_request_record_set_model (LpRequestRecord *self,
                             const char      *model)
{
  g_return_if_fail (LP_IS_REQUEST_RECORD (self));

  take_string (self, &self->model, g_strdup (model), PROP_MODEL);
}

void
lp_request_record_set_tokens (LpRequestRecord *self,
                              gint64           input_tokens,
                              gint64           output_tokens)
{
  g_return_if_fail (LP_IS_REQUEST_RECORD (self));
  g_return_if_fail (input_tokens >= 0 && output_tokens >= 0);

  g_object_freeze_notify (G_OBJECT (self));

  if (self->input_tokens != input_tokens)
    {
      self->input_tokens = input_tokens;
      notify (self, PROP_INPUT_TOKENS);
    }

  if (self->output_tokens != output_tokens)
    {
      self->output_tokens = output_tokens;
      notify (self, PROP_OUTPUT_TOKENS);
    }

  g_object_thaw_notify (G_OBJECT (self));
}

void
lp_request_record_set_retry_reason (LpRequestRecord *self,
                                    const char      *reason)
{
  g_return_if_fail (LP_IS_REQUEST_RECORD (self));

  take_string (self, &self->retry_reason, g_strdup (reason), PROP_RETRY_REASON);
}

/**
 * lp_request_record_mark_first_byte:
 * @self: a #LpRequestRecord
 *
 * Sets #LpRequestRecord:ttfb-ms to now unless already known. Appending
 * raw stream bytes or a non-streamed response body does this too.
 */
void
lp_request_record_mark_first_byte (LpRequestRecord *self)
{
  g_return_if_fail (LP_IS_REQUEST_RECORD (self));

  if (self->ttfb_ms >= 0)
    return;

  self->ttfb_ms = (g_get_monotonic_time () - self->started_mono) / 1000;
  notify (self, PROP_TTFB_MS);
}

/**
 * lp_request_record_append_raw:
 * @self: a #LpRequestRecord
 * @data: (array length=len): bytes of a stream as sent to the client
 * @len: their length
 *
 * Appends to #LpRequestRecord:response-raw as a stream goes and counts
 * the bytes in #LpRequestRecord:bytes-out. Past the body cap only the
 * count in the truncation marker grows.
 */
void
lp_request_record_append_raw (LpRequestRecord *self,
                              const char      *data,
                              gsize            len)
{
  GString *raw;
  gsize old_len;

  g_return_if_fail (LP_IS_REQUEST_RECORD (self));
  g_return_if_fail (data != NULL || len == 0);

  if (len == 0)
    return;

  raw = self->response_raw;
  old_len = raw->len;

  g_object_freeze_notify (G_OBJECT (self));

  self->streamed = TRUE;
  self->bytes_out += len;
  notify (self, PROP_BYTES_OUT);
  lp_request_record_mark_first_byte (self);

  if (self->raw_dropped > 0)
    {
      self->raw_dropped += len;
      g_string_truncate (raw, self->raw_kept);
      g_string_append_printf (raw, TRUNCATION_MARKER, self->raw_dropped);
    }
  else if (raw->len + len <= self->body_cap)
    {
      g_string_append_len (raw, data, len);
    }
  else
    {
      gsize room = self->body_cap - raw->len;

      g_string_append_len (raw, data, room);
      self->raw_kept = utf8_cut (raw->str, raw->len, data[room]);
      self->raw_dropped = (raw->len - self->raw_kept) + (len - room);
      g_string_truncate (raw, self->raw_kept);
      g_string_append_printf (raw, TRUNCATION_MARKER, self->raw_dropped);
      set_truncated (self);
    }

  self->text_size += raw->len - old_len;
  notify (self, PROP_RESPONSE_RAW);
  notify (self, PROP_SIZE);

  g_object_thaw_notify (G_OBJECT (self));
}

/**
 * lp_request_record_set_response_body:
 * @self: a #LpRequestRecord
 * @body: (array length=len): the response body
 * @len: its length
 *
 * Records the JSON body sent or, after lp_request_record_append_raw(),
 * the result a stream assembled. Without a stream this is what was sent,
 * so it also sets #LpRequestRecord:bytes-out and the time to first byte.
 */
void
lp_request_record_set_response_body (LpRequestRecord *self,
                                     const char      *body,
                                     gsize            len)
{
  g_return_if_fail (LP_IS_REQUEST_RECORD (self));
  g_return_if_fail (body != NULL || len == 0);

  g_object_freeze_notify (G_OBJECT (self));

  take_string (self, &self->response_body, prepare_body (self, body, len), PROP_RESPONSE_BODY);

  if (!self->streamed)
    {
      lp_request_record_mark_first_byte (self);
      if (self->bytes_out != len)
        {
          self->bytes_out = len;
          notify (self, PROP_BYTES_OUT);
        }
    }

  g_object_thaw_notify (G_OBJECT (self));
}

/**
 * lp_request_record_finish:
 * @self: an in-flight #LpRequestRecord
 * @status: the HTTP status sent (499 when the client went away)
 * @error: (nullable): what went wrong
 *
 * Ends the record: sets the status, the latency and clears
 * #LpRequestRecord:in-flight, which a store watches.
 */
void
lp_request_record_finish (LpRequestRecord *self,
                          guint            status,
                          const char      *error)
{
  g_return_if_fail (LP_IS_REQUEST_RECORD (self));
  g_return_if_fail (self->in_flight);
  g_return_if_fail (status >= 100 && status <= 999);

  g_object_freeze_notify (G_OBJECT (self));

  self->status = status;
  self->latency_ms = (g_get_monotonic_time () - self->started_mono) / 1000;
  self->in_flight = FALSE;
  take_string (self, &self->error, g_strdup (error), PROP_ERROR);
  notify (self, PROP_STATUS);
  notify (self, PROP_LATENCY_MS);
  notify (self, PROP_IN_FLIGHT);

  g_object_thaw_notify (G_OBJECT (self));
}

/**
 * lp_request_record_to_json:
 * @self: a #LpRequestRecord
 *
 * Every field, for GET /debug/requests. "time" is the start as local
 * ISO 8601 time.
 *
 * Returns: (transfer full): a JSON object node
 */
JsonNode *
lp_request_record_to_json (LpRequestRecord *self)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GDateTime) seconds = NULL;
  g_autoptr(GDateTime) time = NULL;
  g_autofree char *iso = NULL;

  g_return_val_if_fail (LP_IS_REQUEST_RECORD (self), NULL);

  seconds = g_date_time_new_from_unix_local (self->started_at / G_USEC_PER_SEC);
  time = g_date_time_add (seconds, self->started_at % G_USEC_PER_SEC);
  iso = g_date_time_format_iso8601 (time);

#define ADD_STRING(name, value) \
  G_STMT_START { \
    json_builder_set_member_name (builder, name); \
    json_builder_add_string_value (builder, value); \
  } G_STMT_END
#define ADD_INT(name, value) \
  G_STMT_START { \
    json_builder_set_member_name (builder, name); \
    json_builder_add_int_value (builder, value); \
  } G_STMT_END
#define ADD_BOOLEAN(name, value) \
  G_STMT_START { \
    json_builder_set_member_name (builder, name); \
    json_builder_add_boolean_value (builder, value); \
  } G_STMT_END

  json_builder_begin_object (builder);
  ADD_STRING ("id", self->id);
  ADD_STRING ("time", iso);
  ADD_INT ("started_at", self->started_at);
  ADD_STRING ("method", self->method);
  ADD_STRING ("path", self->path);
  ADD_STRING ("dialect", self->dialect);
  ADD_STRING ("model", self->model);
  ADD_INT ("status", self->status);
  ADD_BOOLEAN ("in_flight", self->in_flight);
  ADD_INT ("latency_ms", self->latency_ms);
  ADD_INT ("ttfb_ms", self->ttfb_ms);
  ADD_INT ("bytes_in", self->bytes_in);
  ADD_INT ("bytes_out", self->bytes_out);
  ADD_INT ("input_tokens", self->input_tokens);
  ADD_INT ("output_tokens", self->output_tokens);
  ADD_STRING ("request_headers", self->request_headers);
  ADD_STRING ("request_body", self->request_body);
  ADD_STRING ("response_body", self->response_body);
  ADD_STRING ("response_raw", self->response_raw->str);
  ADD_STRING ("retry_reason", self->retry_reason);
  ADD_STRING ("error", self->error);
  ADD_BOOLEAN ("truncated", self->truncated);
  json_builder_end_object (builder);

#undef ADD_STRING
#undef ADD_INT
#undef ADD_BOOLEAN

  return json_builder_get_root (builder);
}
